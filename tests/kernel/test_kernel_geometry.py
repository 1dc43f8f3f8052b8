"""The square and point kernels against geometry with exact answers.

Each test states the footprint it builds and the overlap areas that plane
geometry gives for it.
"""

import threading

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from resamplespec import Drizzler
from resamplespec.kernel import _kernel


def _grid(ny, nx):
    y, x = np.indices((ny, nx), dtype=np.float64)
    return x, y


def _drizzle(data, pixmap, out_shape, **kwargs):
    add = {k: kwargs.pop(k) for k in ("weights", "iscale", "variances", "dq") if k in kwargs}
    d = Drizzler(out_shape, **kwargs)
    counts = d.add(data, pixmap, **add)
    return d.finish(), counts


# --- the geometry primitive ---------------------------------------------------

def test_unit_square_overlaps_are_exact():
    square_x, square_y = [-0.5, 0.5, 0.5, -0.5], [-0.5, -0.5, 0.5, 0.5]
    assert _kernel.quad_pixel_overlap(square_x, square_y, 0, 0) == 1.0
    assert _kernel.quad_pixel_overlap(square_x, square_y, 1, 0) == 0.0
    shifted = [v + 0.25 for v in square_x]
    assert _kernel.quad_pixel_overlap(shifted, square_y, 0, 0) == 0.75
    assert _kernel.quad_pixel_overlap(shifted, square_y, 1, 0) == 0.25


def test_clockwise_footprint_has_negative_signed_overlap():
    x, y = [-0.5, -0.5, 0.5, 0.5], [-0.5, 0.5, 0.5, -0.5]
    assert _kernel.quad_area(x, y) == -1.0
    assert _kernel.quad_pixel_overlap(x, y, 0, 0) == -1.0


def test_concave_dart_area_is_exact():
    # Dart: triangle (0,0)-(2,0)-(1,2) with a notch to (1,0.5): area 2 - 0.5 = 1.5
    x, y = [0.0, 1.0, 2.0, 1.0], [0.0, 0.5, 0.0, 2.0]
    assert _kernel.quad_is_valid(x, y)
    assert abs(_kernel.quad_area(x, y)) == pytest.approx(1.5)
    total = sum(_kernel.quad_pixel_overlap(x, y, cx, cy) for cx in range(-1, 4)
                for cy in range(-1, 4))
    assert total == pytest.approx(_kernel.quad_area(x, y))


def test_bow_tie_degenerate_and_non_finite_footprints_are_invalid():
    assert not _kernel.quad_is_valid([0, 1, 1, 0], [0, 1, 0, 1])       # bow tie
    assert not _kernel.quad_is_valid([0, 1, 2, 3], [0, 1, 2, 3])       # zero area
    assert not _kernel.quad_is_valid([0, 1, 1, np.nan], [0, 0, 1, 1])
    assert not _kernel.quad_is_valid([0, 1, 1, np.inf], [0, 0, 1, 1])
    assert _kernel.quad_is_valid([0, 1, 1, 0], [0, 0, 1, 1])


# --- whole images ------------------------------------------------------------

def test_identity_reproduces_data_with_unit_weight():
    x, y = _grid(5, 6)
    data = np.arange(30, dtype=np.float32).reshape(5, 6)
    out, counts = _drizzle(data, np.dstack([x, y]), (5, 6))
    np.testing.assert_array_equal(out.data, data)
    np.testing.assert_array_equal(out.wht, np.ones((5, 6)))
    assert counts == (30, 0)
    assert (out.con == 1).all()


@pytest.mark.parametrize("axis", [0, 1])
def test_quarter_pixel_shift_splits_three_to_one(axis):
    x, y = _grid(4, 4)
    shift = np.zeros(2)
    shift[axis] = 0.25
    data = np.zeros((4, 4), np.float32)
    data[1, 1] = 8.0
    weights = np.zeros((4, 4), np.float32)
    weights[1, 1] = 1.0
    out, _ = _drizzle(data, np.dstack([x + shift[0], y + shift[1]]), (4, 4), weights=weights)
    expected = np.zeros((4, 4))
    expected[1, 1] = 0.75
    expected[(1, 2) if axis == 0 else (2, 1)] = 0.25  # axis 0: shift in x
    np.testing.assert_allclose(out.wht, expected, atol=1e-12)
    assert out.data[1, 1] == 8.0


def test_interior_pixels_of_a_shifted_image_average_their_two_neighbours():
    x, y = _grid(3, 5)
    data = np.tile(np.array([0, 4, 8, 12, 16], np.float32), (3, 1))
    out, _ = _drizzle(data, np.dstack([x + 0.25, y]), (3, 6))
    # output pixel k gets 0.75 of input k and 0.25 of input k-1
    np.testing.assert_allclose(out.data[1, 1:5], 0.75 * data[1, 1:5] + 0.25 * data[1, :4])
    np.testing.assert_allclose(out.wht[1], [0.75, 1, 1, 1, 1, 0.25])


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_right_angle_rotations_permute_pixels(turns):
    n = 5
    x, y = _grid(n, n)
    c = (n - 1) / 2
    xr, yr = x - c, y - c
    for _ in range(turns):
        xr, yr = -yr, xr
    data = np.random.default_rng(turns).random((n, n), dtype=np.float32)
    out, _ = _drizzle(data, np.dstack([xr + c, yr + c]), (n, n))
    # (x, y) -> (-y, x) turns the array clockwise as numpy displays it
    np.testing.assert_allclose(out.data, np.rot90(data, k=-turns), rtol=1e-6)
    np.testing.assert_allclose(out.wht, 1.0)


def test_mirror_flip_keeps_values_and_weights():
    x, y = _grid(4, 5)
    data = np.random.default_rng(0).random((4, 5), dtype=np.float32)
    out, counts = _drizzle(data, np.dstack([4 - x, y]), (4, 5))
    np.testing.assert_allclose(out.data, data[:, ::-1], rtol=1e-6)
    np.testing.assert_allclose(out.wht, 1.0)
    assert counts.drawn == 20


def test_45_degree_rotation_gives_the_diamond_areas():
    n = 9
    x, y = _grid(n, n)
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
    pixmap = np.dstack([c * (x - 4) - s * (y - 4) + 4, s * (x - 4) + c * (y - 4) + 4])
    weights = np.zeros((n, n), np.float32)
    weights[4, 4] = 1
    out, _ = _drizzle(np.ones((n, n), np.float32), pixmap, (n, n), weights=weights)
    # the diamond's tips stick out of the centre pixel as triangles of area
    # (sqrt(2)/2 - 1/2)^2 each
    tip = (np.sqrt(2) / 2 - 0.5) ** 2
    expected = np.zeros((3, 3))
    expected[1, 1] = 1 - 4 * tip
    expected[0, 1] = expected[1, 0] = expected[2, 1] = expected[1, 2] = tip
    np.testing.assert_allclose(out.wht[3:6, 3:6], expected, atol=1e-12)
    assert out.wht.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(("scale", "expected_weight"), [(2.0, 0.25), (0.5, 4.0)])
def test_scaling_spreads_or_gathers_weight(scale, expected_weight):
    # scale 2: each input pixel covers 2x2 output pixels, 1/4 in each;
    # scale 0.5: each output pixel collects 2x2 whole input pixels.
    n = 8
    x, y = _grid(n, n)
    pixmap = np.dstack([scale * x + 0.5 * (scale - 1) + 1, scale * y + 0.5 * (scale - 1) + 1])
    out, _ = _drizzle(np.ones((n, n), np.float32), pixmap, (20, 20))
    inside = out.wht[out.wht > 0]
    assert inside.max() == pytest.approx(expected_weight)
    assert out.wht.sum() == pytest.approx(n * n)


@pytest.mark.parametrize("pixfrac", [0.5, 0.1])
def test_pixfrac_shrinks_the_footprint_about_the_centre(pixfrac):
    x, y = _grid(3, 3)
    weights = np.zeros((3, 3), np.float32)
    weights[1, 1] = 1
    # centre at 1.3, 1.0: the shrunk footprint [1.3 - p/2, 1.3 + p/2] crosses
    # the boundary at 1.5 for p = 0.5 (0.45 / 0.05 of 0.5) and not for p = 0.1
    out, _ = _drizzle(np.ones((3, 3), np.float32), np.dstack([x + 0.3, y]), (3, 4),
                      weights=weights, pixfrac=pixfrac)
    if pixfrac == 0.5:
        np.testing.assert_allclose(out.wht[1, 1:3], [0.9, 0.1], rtol=1e-6)
    else:
        np.testing.assert_allclose(out.wht[1, 1:3], [1.0, 0.0])


def test_pixel_straddling_the_output_edge_keeps_its_inside_part():
    x, y = _grid(3, 3)
    # shifted left by half a pixel: input column 0 covers [-1, 0], half inside
    out, counts = _drizzle(np.ones((3, 3), np.float32), np.dstack([x - 0.5, y]), (3, 3))
    np.testing.assert_allclose(out.wht[:, 0], 1.0)   # halves of columns 0 and 1
    np.testing.assert_allclose(out.wht[:, 2], 0.5)   # half of column 2
    assert counts.drawn == 9


def test_point_kernel_drops_each_centre_into_its_pixel():
    pixmap = np.array([[[0.49, 0.0], [0.5, 0.0], [-0.5, 0.0], [2.7, 1.2]]])
    data = np.array([[1, 2, 3, 4]], np.float32)
    out, counts = _drizzle(data, pixmap, (2, 3), kernel="point")
    # pixel k spans [k - 0.5, k + 0.5): 0.49 and -0.5 -> 0, 0.5 -> 1, (2.7, 1.2) -> (3?, 1): out
    assert out.wht[0].tolist() == [2.0, 1.0, 0.0]
    assert out.data[0, 0] == pytest.approx(2.0)
    assert counts == (3, 1)


def test_nan_data_and_bad_weights_contribute_nothing():
    x, y = _grid(1, 4)
    data = np.array([[1.0, np.nan, 3.0, 5.0]], np.float32)
    weights = np.array([[1.0, 1.0, 0.0, -1.0]], np.float32)
    out, counts = _drizzle(data, np.dstack([x, y]), (1, 4), weights=weights)
    assert out.data[0, 0] == 1.0
    assert np.isnan(out.data[0, 1:]).all()
    assert counts == (1, 3)


def test_one_column_and_one_row_inputs_are_drizzled():
    x, y = _grid(4, 1)
    out, counts = _drizzle(np.ones((4, 1)), np.dstack([x + 1.5, y]), (4, 4))
    np.testing.assert_allclose(out.wht[:, 1:3], 0.5)
    assert counts.drawn == 4
    x, y = _grid(1, 1)
    out, _ = _drizzle(np.full((1, 1), 3.0), np.dstack([x + 1, y + 1]), (3, 3))
    assert out.wht[1, 1] == 1.0 and out.data[1, 1] == 3.0


def test_more_than_32_inputs_fill_further_context_planes():
    x, y = _grid(2, 2)
    d = Drizzler((2, 2))
    for k in range(40):
        data = np.ones((2, 2))
        weights = np.zeros((2, 2), np.float32)
        weights[k % 2, 0] = 1  # input k touches only pixel (k % 2, 0)
        d.add(data, np.dstack([x, y]), weights=weights)
    con = d.finish().con
    assert con.shape == (2, 2, 2)
    even = sum(1 << b for b in range(0, 32, 2))
    odd = sum(1 << b for b in range(1, 32, 2))
    assert np.uint32(con[0, 0, 0]) == even and np.uint32(con[0, 1, 0]) == odd
    assert con[1, 0, 0] == sum(1 << b for b in range(0, 8, 2))
    assert con[1, 1, 0] == sum(1 << b for b in range(1, 8, 2))
    assert (con[:, :, 1] == 0).all()


def test_dq_of_contributing_pixels_is_ored():
    pixmap = np.zeros((2, 2, 2))
    dq = np.array([[1, 4], [16, 64]], np.uint32)
    weights = np.array([[1, 1], [1, 0]], np.float32)
    out, _ = _drizzle(np.ones((2, 2)), pixmap, (1, 1), kernel="point", propagate_dq=True,
                      dq=dq, weights=weights)
    assert out.dq[0, 0] == 1 | 4 | 16


@pytest.mark.parametrize(("fillval", "expected"), [("NAN", np.nan), ("INDEF", np.nan),
                                                   ("0", 0.0), (-7, -7.0), ("2.5", 2.5)])
def test_fillval_goes_where_nothing_landed(fillval, expected):
    out, _ = _drizzle(np.ones((2, 2)), np.zeros((2, 2, 2)), (2, 2), kernel="point",
                      fillval=fillval)
    assert out.data[0, 0] == 1.0
    np.testing.assert_equal(out.data[1, 1], np.float32(expected))


def test_inputs_are_not_modified():
    rng = np.random.default_rng(3)
    data = rng.random((6, 7)).astype(np.float32)
    pixmap = np.dstack(_grid(6, 7)[::1]) * 1.1
    weights = rng.random((6, 7)).astype(np.float32)
    variance = rng.random((6, 7)).astype(np.float32)
    copies = [a.copy() for a in (data, pixmap, weights, variance)]
    d = Drizzler((9, 9), n_variances=1)
    d.add(data, pixmap, weights=weights, variances=(variance,))
    for original, copy in zip((data, pixmap, weights, variance), copies, strict=True):
        np.testing.assert_array_equal(original, copy)


def test_separate_drizzlers_in_threads_match_serial_runs():
    rng = np.random.default_rng(5)
    x, y = _grid(200, 300)
    pixmap = np.dstack([1.01 * x + 0.2 * np.sin(y / 30), 0.99 * y + 0.3])
    images = [rng.random((200, 300), dtype=np.float32) for _ in range(4)]

    def run(image):
        d = Drizzler((210, 310))
        d.add(image, pixmap)
        return d.finish().data

    serial = [run(image) for image in images]
    threaded = [None] * 4

    def work(k):
        threaded[k] = run(images[k])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(a, b)


# --- validation --------------------------------------------------------------

@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"data": np.ones(3)}, ValueError, "data must be a 2D"),
        ({"data": np.ones((2, 2), complex)}, TypeError, "data must hold real"),
        ({"pixmap": np.zeros((2, 3, 2))}, ValueError, "pixmap must have shape"),
        ({"weights": np.ones((3, 2))}, ValueError, "weights has shape"),
        ({"iscale": 0}, ValueError, "iscale"),
        ({"variances": (np.ones((2, 2)),)}, ValueError, "n_variances=0"),
        ({"dq": np.zeros((2, 2), np.uint32)}, ValueError, "propagate_dq=False"),
        ({"xmin": 5}, ValueError, "xmin=5 is outside"),
        ({"xmin": 1, "xmax": 0}, ValueError, "section is empty"),
        ({"ymax": 1.5}, TypeError, "ymax must be an integer"),
    ],
)
def test_bad_add_arguments_are_refused_with_their_name(kwargs, error, match):
    args = {"data": np.ones((2, 2)), "pixmap": np.zeros((2, 2, 2))}
    args.update(kwargs)
    d = Drizzler((2, 2))
    with pytest.raises(error, match=match):
        d.add(args.pop("data"), args.pop("pixmap"), **args)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"out_shape": (0, 3)}, "out_shape"), ({"out_shape": 5}, "out_shape"),
     ({"kernel": "lanczos3"}, "kernel"), ({"pixfrac": 1.5}, "pixfrac"),
     ({"fillval": "none"}, "fillval"), ({"n_variances": 9}, "n_variances"),
     ({"variance_mode": "approx"}, "variance_mode"), ({"context": 1}, "context")],
)
def test_bad_drizzler_arguments_are_refused(kwargs, match):
    args = {"out_shape": (2, 2), **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        Drizzler(args.pop("out_shape"), **args)


def test_float_dq_is_refused():
    d = Drizzler((2, 2), propagate_dq=True)
    with pytest.raises(TypeError, match="dq must hold unsigned integer"):
        d.add(np.ones((2, 2)), np.zeros((2, 2, 2)), dq=np.zeros((2, 2)))


# --- properties ---------------------------------------------------------------

@st.composite
def affine_maps(draw):
    angle = draw(st.floats(-np.pi, np.pi))
    scale = draw(st.floats(0.5, 2.0))
    shear = draw(st.floats(-0.3, 0.3))
    bend = draw(st.floats(-0.02, 0.02))
    ny, nx = draw(st.integers(2, 9)), draw(st.integers(2, 9))
    x, y = _grid(ny, nx)
    c, s = np.cos(angle), np.sin(angle)
    u = scale * (c * x - s * y) + shear * y + bend * y**2
    v = scale * (s * x + c * y)
    # place the image well inside a 40 x 40 output
    u = u - u.min() + 5 + draw(st.floats(0, 1))
    v = v - v.min() + 5 + draw(st.floats(0, 1))
    return np.dstack([u, v])


@settings(max_examples=150, deadline=None)
@given(affine_maps(), st.floats(0.05, 1.0), st.integers(0, 2**31))
def test_flux_is_conserved_for_any_smooth_map(pixmap, pixfrac, seed):
    rng = np.random.default_rng(seed)
    shape = pixmap.shape[:2]
    data = rng.uniform(-1, 5, shape).astype(np.float32)
    weights = rng.uniform(0.1, 2, shape).astype(np.float32)
    out, counts = _drizzle(data, pixmap, (40, 40), weights=weights, pixfrac=pixfrac)
    covered = out.wht > 0
    flux_out = np.sum(out.data[covered].astype(np.float64) * out.wht[covered])
    flux_in = np.sum(data.astype(np.float64) * weights)
    assert flux_out == pytest.approx(flux_in, rel=1e-5, abs=1e-5 * float(np.sum(weights)))
    assert out.wht.sum(dtype=np.float64) == pytest.approx(weights.sum(dtype=np.float64),
                                                          rel=1e-6)
    assert counts.drawn == data.size


# footprints 1e30 pixels across are skipped with a warning (tested elsewhere)
@pytest.mark.filterwarnings("ignore::resamplespec.kernel.DrizzleWarning")
@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 5), st.integers(1, 5),
    st.lists(st.sampled_from([np.nan, np.inf, -np.inf, 1e30, -1e30, 0.0, 0.5, 3.0, -2.0,
                              1e-300, 7.25]), min_size=2, max_size=50),
    st.sampled_from(["square", "point"]), st.floats(0.01, 1.0),
)
# slivers and specks whose area is round-off (their weight per unit area overflowed)
@example(3, 3, [-2.0, 0.0, 0.5, 0.0, 7.25, 1e-300], "square", 0.628206732373228)
@example(3, 2, [-2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1e-300], "square", 0.628206732373228)
def test_hostile_pixel_maps_never_crash_or_leave_the_arrays(ny, nx, values, kernel, pixfrac):
    pixmap = np.resize(np.array(values), (ny, nx, 2))
    out, counts = _drizzle(np.ones((ny, nx)), pixmap, (3, 4), kernel=kernel, pixfrac=pixfrac)
    assert counts.drawn + counts.skipped == ny * nx
    assert np.all(np.isfinite(out.wht)) and np.all(out.wht >= 0)
    assert np.all(np.isfinite(out.data[out.wht > 0]))
