"""The Drizzler against geometry with exact answers.

Every expected number below comes from plane geometry worked out in the
comment next to it, never from running the kernel.  Conventions: pixmap[j, i]
is the output (x, y) of input pixel (i, j)'s centre, output pixel (ix, iy)
covers [ix - 0.5, ix + 0.5) x [iy - 0.5, iy + 0.5), arrays are indexed [y, x].
"""

from __future__ import annotations

import math
import threading
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polyclip import pixel_fractions, reference_drizzle

from resamplespec import Drizzler
from resamplespec.kernel import DrizzleWarning, _kernel

ONE = np.float32(1)


def grid(ny, nx):
    y, x = np.indices((ny, nx), dtype=np.float64)
    return x, y


def shifted(ny, nx, dx=0.0, dy=0.0):
    x, y = grid(ny, nx)
    return np.dstack([x + dx, y + dy])


def run(data, pixmap, out_shape, add=None, **init):
    d = Drizzler(out_shape, **init)
    counts = d.add(data, pixmap, **(add or {}))
    return d.finish(), counts


def single_pixel_weights(shape, j, i):
    w = np.zeros(shape, np.float32)
    w[j, i] = 1
    return w


def ramp(ny, nx, seed=0):
    """Distinct float32 values that are small integers / 4 (exact in float32)."""
    rng = np.random.default_rng(seed)
    return (rng.integers(1, 200, (ny, nx)) / 4).astype(np.float32)


# --- identity, shifts --------------------------------------------------------


@pytest.mark.parametrize("kernel", ["square", "point"])
def test_identity_reproduces_data_exactly_with_unit_weight(kernel):
    data = ramp(5, 7)
    out, counts = run(data, shifted(5, 7), (5, 7), kernel=kernel)
    np.testing.assert_array_equal(out.data, data)
    np.testing.assert_array_equal(out.wht, np.ones((5, 7), np.float32))
    assert counts == (35, 0)
    assert counts.drawn == 35 and counts.skipped == 0
    assert out.data.dtype == np.float32 and out.wht.dtype == np.float32
    assert out.con.dtype == np.int32 and out.con.shape == (1, 5, 7)
    np.testing.assert_array_equal(out.con, 1)
    assert out.variances == ()
    assert out.dq is None


def test_identity_with_weights_and_iscale():
    data = ramp(4, 4)
    w = (ramp(4, 4, seed=1) / 8).astype(np.float32)
    out, _ = run(data, shifted(4, 4), (4, 4), add={"weights": w, "iscale": 2.5})
    np.testing.assert_allclose(out.data, 2.5 * data.astype(np.float64), rtol=1e-7)
    np.testing.assert_array_equal(out.wht, w)


def test_quarter_pixel_shift_in_x_splits_three_to_one():
    # input centre k + 0.25 -> footprint [k - 0.25, k + 0.75]: 0.75 in output
    # pixel k, 0.25 in k + 1.  Output k therefore averages input k (0.75) and
    # input k - 1 (0.25).
    ny, nx = 3, 5
    data = ramp(ny, nx)
    out, counts = run(data, shifted(ny, nx, dx=0.25), (ny, nx + 1))
    d = data.astype(np.float64)
    expected_w = np.array([0.75, 1, 1, 1, 1, 0.25])
    np.testing.assert_allclose(out.wht, np.tile(expected_w, (ny, 1)), rtol=0, atol=1e-12)
    np.testing.assert_allclose(out.data[:, 0], d[:, 0], rtol=1e-7)
    np.testing.assert_allclose(out.data[:, 1:5], 0.75 * d[:, 1:] + 0.25 * d[:, :-1], rtol=1e-6)
    np.testing.assert_allclose(out.data[:, 5], d[:, 4], rtol=1e-7)
    assert counts == (ny * nx, 0)


def test_quarter_and_half_pixel_shift_in_y():
    # dy = 0.25: rows split 0.75 / 0.25.  dx = 0.5 at the same time: columns
    # split 0.5 / 0.5, so one input pixel gives its four neighbours
    # 0.375, 0.375 (row iy = j), 0.125, 0.125 (row j + 1).
    w = single_pixel_weights((4, 4), 1, 2)
    data = np.full((4, 4), 3.0, np.float32)
    out, counts = run(data, shifted(4, 4, dx=0.5, dy=0.25), (5, 5), add={"weights": w})
    expected = np.zeros((5, 5))
    expected[1, 2] = expected[1, 3] = 0.375
    expected[2, 2] = expected[2, 3] = 0.125
    np.testing.assert_allclose(out.wht, expected, rtol=0, atol=1e-12)
    covered = expected > 0
    np.testing.assert_array_equal(out.data[covered], 3.0)
    assert np.isnan(out.data[~covered]).all()
    assert counts == (1, 15)  # 15 zero-weight pixels processed, drew nothing


def test_shift_y_values_are_weighted_means():
    ny, nx = 4, 3
    data = ramp(ny, nx, seed=3)
    out, _ = run(data, shifted(ny, nx, dy=0.25), (ny + 1, nx))
    d = data.astype(np.float64)
    np.testing.assert_allclose(out.data[1:4], 0.75 * d[1:] + 0.25 * d[:-1], rtol=1e-6)
    np.testing.assert_allclose(out.wht[:, 0], [0.75, 1, 1, 1, 0.25], atol=1e-12)


# --- right-angle rotations and mirrors ----------------------------------------


@pytest.mark.parametrize(
    ("name", "mapping", "expected"),
    [
        # (x, y) -> (ny-1-y, x): output[x, ny-1-y] = data[y, x]
        ("rot90", lambda x, y, ny, nx: (ny - 1 - y, x), lambda a: np.rot90(a, -1)),
        ("rot180", lambda x, y, ny, nx: (nx - 1 - x, ny - 1 - y), lambda a: a[::-1, ::-1]),
        ("rot270", lambda x, y, ny, nx: (y, nx - 1 - x), lambda a: np.rot90(a, 1)),
        ("flip_x", lambda x, y, ny, nx: (nx - 1 - x, y), lambda a: a[:, ::-1]),
        ("flip_y", lambda x, y, ny, nx: (x, ny - 1 - y), lambda a: a[::-1, :]),
        ("transpose", lambda x, y, ny, nx: (y, x), lambda a: a.T),
    ],
)
@pytest.mark.parametrize("kernel", ["square", "point"])
def test_right_angle_rotations_and_mirrors_permute_pixels(name, mapping, expected, kernel):
    ny, nx = 4, 6
    data = ramp(ny, nx, seed=7)
    x, y = grid(ny, nx)
    u, v = mapping(x, y, ny, nx)
    want = expected(data)
    out, counts = run(data, np.dstack([u, v]), want.shape, kernel=kernel)
    np.testing.assert_array_equal(out.data, want)
    np.testing.assert_allclose(out.wht, 1.0, rtol=0, atol=1e-12)
    assert counts == (ny * nx, 0)


# --- 45 degrees: the diamond --------------------------------------------------

TIP = (math.sqrt(2) / 2 - 0.5) ** 2  # area of one diamond tip outside the centre pixel
CENTRE = 1 - 4 * TIP  # = 2 sqrt(2) - 2


def rotated(ny, nx, angle, centre):
    x, y = grid(ny, nx)
    c, s = math.cos(angle), math.sin(angle)
    cx, cy = centre
    return np.dstack([c * (x - cx) - s * (y - cy) + cx, s * (x - cx) + c * (y - cy) + cy])


@pytest.mark.parametrize("angle", [math.pi / 4, -math.pi / 4, 3 * math.pi / 4])
def test_45_degree_hot_pixel_gives_the_diamond_areas(angle):
    # A unit square turned by 45 degrees about the centre of an output pixel
    # is a diamond |x| + |y| <= sqrt(2)/2: four tips of area
    # (sqrt(2)/2 - 1/2)^2 stick into the four edge neighbours, the rest
    # (2 sqrt(2) - 2) stays in the centre pixel, the corner pixels get nothing.
    n = 7
    pixmap = rotated(n, n, angle, (3, 3))
    data = np.zeros((n, n), np.float32)
    data[3, 3] = 10
    out, counts = run(data, pixmap, (n, n), add={"xmin": 3, "xmax": 3, "ymin": 3, "ymax": 3})
    expected = np.zeros((n, n))
    expected[3, 3] = CENTRE
    expected[2, 3] = expected[4, 3] = expected[3, 2] = expected[3, 4] = TIP
    np.testing.assert_allclose(out.wht, expected, rtol=1e-6, atol=1e-12)
    np.testing.assert_array_equal(out.data[expected > 0], 10)
    assert counts == (1, 0)


def test_45_degree_whole_image_conserves_weight_and_matches_reference():
    n = 6
    pixmap = rotated(n, n, math.pi / 4, (2.5, 2.5))
    pixmap += 3.0  # all inside a 12 x 12 frame
    data = ramp(n, n, seed=2)
    out, _ = run(data, pixmap, (12, 12))
    ref = reference_drizzle(data, pixmap, (12, 12))
    np.testing.assert_allclose(out.wht, ref["wht"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(out.data, ref["data"], rtol=1e-6, atol=1e-6)
    assert out.wht.astype(np.float64).sum() == pytest.approx(n * n, rel=1e-6)


# --- scales ---------------------------------------------------------------------


def test_scale_two_spreads_each_pixel_over_four_with_quarter_weight():
    # x_out = 2 i + 1.5: footprint [2i + 0.5, 2i + 2.5] = output pixels 2i+1,
    # 2i+2 exactly; same in y.  Each gets 1/4 of the weight and the value.
    ny, nx = 3, 4
    data = ramp(ny, nx, seed=4)
    x, y = grid(ny, nx)
    pixmap = np.dstack([2 * x + 1.5, 2 * y + 1.5])
    out, _ = run(data, pixmap, (2 * ny + 2, 2 * nx + 2))
    want = np.full((2 * ny + 2, 2 * nx + 2), np.nan, np.float32)
    want[1:-1, 1:-1] = np.kron(data, np.ones((2, 2), np.float32))
    np.testing.assert_array_equal(out.data, want)
    wht = np.zeros(want.shape)
    wht[1:-1, 1:-1] = 0.25
    np.testing.assert_allclose(out.wht, wht, rtol=0, atol=1e-12)


def test_scale_half_gathers_two_by_two_blocks():
    # x_out = i/2 - 0.25: inputs 2k and 2k+1 have footprints [k-0.5, k] and
    # [k, k+0.5], both wholly inside output pixel k.
    ny, nx = 4, 6
    data = ramp(ny, nx, seed=5)
    x, y = grid(ny, nx)
    pixmap = np.dstack([x / 2 - 0.25, y / 2 - 0.25])
    out, counts = run(data, pixmap, (ny // 2, nx // 2))
    blocks = data.astype(np.float64).reshape(ny // 2, 2, nx // 2, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(out.data, blocks, rtol=1e-7)
    np.testing.assert_array_equal(out.wht, 4.0)
    assert counts == (ny * nx, 0)


# --- pixfrac -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pixfrac", "dx", "dy", "wx", "wy"),
    [
        # footprint x: [k + dx - p/2, k + dx + p/2] against the boundary k + 0.5
        (0.5, 0.5, 0.0, (0.5, 0.5), (1.0, 0.0)),  # [k+.25, k+.75]: halves
        (0.5, 0.3, 0.0, (0.9, 0.1), (1.0, 0.0)),  # [k+.05, k+.55]: .45/.05 of .5
        (0.1, 0.47, 0.0, (0.8, 0.2), (1.0, 0.0)),  # [k+.42, k+.52]: .08/.02 of .1
        (0.1, 0.3, 0.47, (1.0, 0.0), (0.8, 0.2)),  # x inside, y split .8/.2
        (0.5, 0.0, 0.0, (1.0, 0.0), (1.0, 0.0)),  # centred: all in one pixel
    ],
)
def test_pixfrac_shrinks_the_footprint_about_the_centre(pixfrac, dx, dy, wx, wy):
    w = single_pixel_weights((3, 3), 1, 1)
    data = np.full((3, 3), 7.0, np.float32)
    out, _ = run(data, shifted(3, 3, dx, dy), (4, 4), add={"weights": w}, pixfrac=pixfrac)
    expected = np.zeros((4, 4))
    for a, fy in enumerate(wy):
        for b, fx in enumerate(wx):
            expected[1 + a, 1 + b] = fy * fx
    np.testing.assert_allclose(out.wht, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(out.data[expected > 0], 7.0)


@pytest.mark.parametrize("pixfrac", [0.5, 0.1])
def test_pixfrac_identity_keeps_data_and_unit_weight(pixfrac):
    data = ramp(4, 5)
    out, _ = run(data, shifted(4, 5), (4, 5), pixfrac=pixfrac)
    np.testing.assert_array_equal(out.data, data)
    np.testing.assert_allclose(out.wht, 1.0, rtol=1e-7)


@pytest.mark.parametrize("pixfrac", [1.0, 0.5, 0.1])
def test_pixfrac_with_scale_two(pixfrac):
    # x_out = 2i + 1: footprint [2i + 1 - p, 2i + 1 + p], centred on output
    # pixel 2i+1.  Its part in that pixel: min(2p, 1) / (2p) per axis.
    x, y = grid(3, 3)
    pixmap = np.dstack([2 * x + 1, 2 * y + 1])
    w = single_pixel_weights((3, 3), 1, 1)
    out, _ = run(np.ones((3, 3), np.float32), pixmap, (7, 7), add={"weights": w},
                 pixfrac=pixfrac)
    c = min(2 * pixfrac, 1) / (2 * pixfrac)
    side = (1 - c) / 2
    expected = np.zeros((7, 7))
    for a, fy in ((2, side), (3, c), (4, side)):
        for b, fx in ((2, side), (3, c), (4, side)):
            expected[a, b] = fy * fx
    np.testing.assert_allclose(out.wht, expected, rtol=1e-6, atol=1e-9)


# --- hot pixel spread ----------------------------------------------------------


def test_single_hot_pixel_spread_keeps_flux_and_value():
    # a hot pixel of value 100 in a zero image, shifted by (0.3, 0.6): the
    # four outputs it touches get weights 0.7*0.4, 0.3*0.4, 0.7*0.6, 0.3*0.6
    # (x: [i-0.2, i+0.8]; y: [j+0.1, j+1.1]); each output pixel there also
    # holds zeros from the neighbours, so its value is 100 * hot weight / wht.
    ny, nx = 5, 5
    data = np.zeros((ny, nx), np.float32)
    data[2, 2] = 100
    out, _ = run(data, shifted(ny, nx, 0.3, 0.6), (ny + 1, nx + 1))
    hot = {(2, 2): 0.7 * 0.4, (2, 3): 0.3 * 0.4, (3, 2): 0.7 * 0.6, (3, 3): 0.3 * 0.6}
    for (iy, ix), w in hot.items():
        assert out.wht[iy, ix] == pytest.approx(1.0, abs=1e-6)
        assert out.data[iy, ix] == pytest.approx(100 * w, rel=1e-6)
    flux = np.nansum(out.data.astype(np.float64) * out.wht)
    assert flux == pytest.approx(100, rel=1e-6)
    others = np.ones_like(out.data, bool)
    for key in hot:
        others[key] = False
    assert np.all(out.data[others & (out.wht > 0)] == 0)


# --- edges -----------------------------------------------------------------------


def test_pixel_straddling_the_edge_contributes_its_inside_half():
    # x_out = i - 0.5: input 0 covers [-1, 0], half of it inside output pixel
    # 0; output 0 gets 0.5 from input 0 and 0.5 from input 1.
    ny, nx = 3, 4
    data = ramp(ny, nx, seed=9)
    out, counts = run(data, shifted(ny, nx, dx=-0.5), (ny, nx))
    d = data.astype(np.float64)
    np.testing.assert_allclose(out.wht, np.tile([1, 1, 1, 0.5], (ny, 1)), atol=1e-12)
    np.testing.assert_allclose(out.data[:, :3], 0.5 * (d[:, :3] + d[:, 1:]), rtol=1e-6)
    np.testing.assert_array_equal(out.data[:, 3], data[:, 3])
    assert counts == (ny * nx, 0)


def test_pixels_wholly_outside_are_skipped_and_straddlers_drawn():
    # x_out = i - 1.5: input 0 covers [-2, -1] (outside: skipped), input 1
    # covers [-1, 0] (half inside), 2: [0, 1], 3: [1, 2]; output pixel 3
    # receives nothing.
    ny, nx = 2, 4
    data = ramp(ny, nx, seed=11)
    out, counts = run(data, shifted(ny, nx, dx=-1.5), (ny, nx))
    d = data.astype(np.float64)
    np.testing.assert_allclose(out.wht, np.tile([1, 1, 0.5, 0], (ny, 1)), atol=1e-12)
    np.testing.assert_allclose(out.data[:, 0], 0.5 * (d[:, 1] + d[:, 2]), rtol=1e-6)
    np.testing.assert_allclose(out.data[:, 1], 0.5 * (d[:, 2] + d[:, 3]), rtol=1e-6)
    np.testing.assert_array_equal(out.data[:, 2], data[:, 3])
    assert np.isnan(out.data[:, 3]).all()
    np.testing.assert_array_equal(out.con[0, :, 3], 0)
    assert counts == (3 * ny, ny)


def test_image_entirely_outside_draws_nothing():
    data = ramp(3, 3)
    d = Drizzler((3, 3))
    counts = d.add(data, shifted(3, 3, dx=100.0))
    assert counts == (0, 9)
    out = d.finish()
    assert np.isnan(out.data).all()
    np.testing.assert_array_equal(out.wht, 0)
    np.testing.assert_array_equal(out.con, 0)


# --- point kernel --------------------------------------------------------------------


def test_point_kernel_rounds_half_up():
    # output pixel k covers [k - 0.5, k + 0.5): 0.49 -> 0, 0.5 -> 1,
    # -0.5 -> 0, -0.51 -> outside, 2.5 -> 3 (outside a 3-wide row),
    # (1.2, 0.5) -> (1, 1)
    pixmap = np.array(
        [[[0.49, 0.0], [0.5, 0.0], [-0.5, 0.0], [-0.51, 0.0], [2.5, 0.0], [1.2, 0.5]]]
    )
    data = np.array([[1, 2, 4, 8, 16, 32]], np.float32)
    out, counts = run(data, pixmap, (2, 3), kernel="point")
    np.testing.assert_array_equal(out.wht, [[2, 1, 0], [0, 1, 0]])
    np.testing.assert_array_equal(out.data[0, :2], [2.5, 2])
    assert out.data[1, 1] == 32
    assert np.isnan(out.data[0, 2]) and np.isnan(out.data[1, 0])
    assert counts == (4, 2)


def test_point_kernel_ignores_pixfrac_and_uses_weights():
    x, y = grid(2, 4)
    pixmap = np.dstack([x / 2, y])  # 0, .5, 1, 1.5 -> output pixels 0, 1, 1, 2
    data = np.array([[1, 2, 4, 8], [1, 2, 4, 8]], np.float32)
    w = np.array([[1, 1, 3, 2], [1, 1, 3, 2]], np.float32)
    for pixfrac in (1.0, 0.3):
        out, _ = run(data, pixmap, (2, 3), add={"weights": w}, kernel="point", pixfrac=pixfrac)
        np.testing.assert_array_equal(out.wht, [[1, 4, 2], [1, 4, 2]])
        np.testing.assert_allclose(out.data[0], [1, (2 + 12) / 4, 8], rtol=1e-7)


# --- fillval ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fillval", "expected"),
    [("NAN", np.nan), ("nan", np.nan), ("NaN", np.nan), (0, 0.0), (-7.5, -7.5),
     ("3.25", 3.25), ("-1e3", -1000.0), ("INDEF", np.nan), ("indef", np.nan)],
)
def test_fillval_applies_where_nothing_landed(fillval, expected):
    # half the output is covered (x_out = i): columns 3..5 get nothing.
    # 'INDEF' keeps the initial value of a fresh grid, NaN, as drizzle and
    # the JWST pipeline do (tests/reference/golden_resample/fs_fill_indef)
    data = ramp(3, 3)
    out, _ = run(data, shifted(3, 3), (3, 6), fillval=fillval)
    np.testing.assert_array_equal(out.data[:, :3], data)
    np.testing.assert_array_equal(out.data[:, 3:], np.full((3, 3), expected, np.float32))
    np.testing.assert_array_equal(out.wht[:, 3:], 0)


@pytest.mark.parametrize("fillval", [-2.0, "0", "NAN", "INDEF"])
@pytest.mark.parametrize("mode", ["reference", "exact"])
def test_variances_are_nan_where_nothing_landed_whatever_fillval(fillval, mode):
    # a fill value is not a measurement: variances stay NaN where the weight
    # is 0, as in the JWST pipeline (golden fs_fill_zero: data 0, variances NaN)
    data = ramp(2, 2)
    var = np.full((2, 2), 4.0, np.float32)
    d = Drizzler((2, 4), fillval=fillval, n_variances=1, variance_mode=mode)
    d.add(data, shifted(2, 2), variances=(var,))
    out = d.finish()
    np.testing.assert_allclose(out.variances[0][:, :2], 4.0, rtol=1e-7)
    assert np.isnan(out.variances[0][:, 2:]).all()
    assert out.variances[0].dtype == np.float32


# --- context ------------------------------------------------------------------------


def expected_context(n_inputs, covers, shape):
    """covers(k) -> boolean mask of the output pixels input k reaches."""
    nplanes = max(1, -(-n_inputs // 32))
    con = np.zeros((nplanes, *shape), np.uint32)
    for k in range(n_inputs):
        con[k // 32][covers(k)] |= np.uint32(1 << (k % 32))
    return con.view(np.int32)


@pytest.mark.parametrize("n_inputs", [1, 31, 32, 33, 40, 64, 65])
def test_context_planes_and_bits(n_inputs):
    # input k is a 2x2 image at x offset k: it covers output columns k, k+1
    shape = (2, n_inputs + 1)
    d = Drizzler(shape)
    data = np.ones((2, 2), np.float32)
    for k in range(n_inputs):
        d.add(data, shifted(2, 2, dx=k))
        assert d.n_inputs == k + 1
    out = d.finish()

    def covers(k):
        m = np.zeros(shape, bool)
        m[:, k : k + 2] = True
        return m

    want = expected_context(n_inputs, covers, shape)
    assert out.con.shape == want.shape
    np.testing.assert_array_equal(out.con, want)
    np.testing.assert_allclose(out.wht[0], [1] + [2] * (n_inputs - 1) + [1])


def test_context_bit_31_is_the_int32_sign_bit():
    d = Drizzler((1, 1))
    for _ in range(32):
        d.add(np.ones((1, 1), np.float32), np.zeros((1, 1, 2)))
    con = d.finish().con
    assert con.shape == (1, 1, 1)
    assert con[0, 0, 0] == -1  # all 32 bits set


def test_context_skips_inputs_that_gave_nothing():
    # input 0: normal; input 1: zero weight; input 2: NaN data; input 3:
    # outside the frame; input 4: normal but only pixel (0, 0) has weight.
    d = Drizzler((2, 2))
    data = np.ones((2, 2), np.float32)
    pm = shifted(2, 2)
    d.add(data, pm)
    assert d.add(data, pm, weights=np.zeros((2, 2))) == (0, 4)
    assert d.add(np.full((2, 2), np.nan, np.float32), pm) == (0, 4)
    assert d.add(data, pm + 10) == (0, 4)
    assert d.add(data, pm, weights=single_pixel_weights((2, 2), 0, 0)) == (1, 3)
    out = d.finish()
    want = np.full((1, 2, 2), 1, np.int32)
    want[0, 0, 0] |= 1 << 4
    np.testing.assert_array_equal(out.con, want)
    assert d.n_inputs == 5


def test_context_false_gives_none():
    d = Drizzler((2, 2), context=False)
    d.add(np.ones((2, 2), np.float32), shifted(2, 2))
    assert d.finish().con is None


def test_context_of_a_fresh_drizzler_is_one_empty_plane():
    out = Drizzler((2, 3)).finish()
    assert out.con.shape == (1, 2, 3)
    np.testing.assert_array_equal(out.con, 0)
    np.testing.assert_array_equal(out.wht, 0)
    assert np.isnan(out.data).all()


# --- dq ---------------------------------------------------------------------------------


def test_propagate_dq_ors_the_flags_of_contributing_pixels():
    # input A identity, input B shifted by +1 in x: output column c gets A's
    # column c and B's column c-1.
    data = np.ones((2, 3), np.float32)
    dq_a = np.array([[1, 2, 4], [8, 16, 32]], np.uint32)
    dq_b = np.array([[64, 128, 1 << 31], [0, 3, 0]], np.uint32)
    d = Drizzler((2, 4), propagate_dq=True)
    d.add(data, shifted(2, 3), dq=dq_a)
    d.add(data, shifted(2, 3, dx=1), dq=dq_b)
    out = d.finish()
    want = np.zeros((2, 4), np.uint32)
    want[:, :3] |= dq_a
    want[:, 1:] |= dq_b
    assert out.dq.dtype == np.uint32
    np.testing.assert_array_equal(out.dq, want)


def test_dq_of_pixels_that_contribute_nothing_is_not_propagated():
    data = np.array([[1, np.nan, 1, 1]], np.float32)
    w = np.array([[1, 1, 0, -1]], np.float32)
    dq = np.array([[1, 2, 4, 8]], np.uint16)
    d = Drizzler((1, 4), propagate_dq=True)
    d.add(data, shifted(1, 4), weights=w, dq=dq)
    np.testing.assert_array_equal(d.finish().dq, [[1, 0, 0, 0]])


# Every combination of the accumulators that decide the kernel's path: with
# no context and no variances the square kernel deposits through its
# data-and-weight fast path, which must still write DQ (issue 21).
DQ_SETTINGS = [
    pytest.param(context, n_variances, mode, id=f"context={context}-{n_variances}var-{mode}")
    for context in (False, True)
    for n_variances, mode in ((0, "reference"), (1, "reference"), (2, "exact"))
]


def expected_dq(pixmap, dq, out_shape, *, kernel="square", pixfrac=1.0):
    """The output DQ from geometry alone: each input pixel's flags ORed into
    the output pixels its footprint overlaps (polygon clipping, tests/polyclip)
    or, for the point kernel, the pixel holding its centre."""
    want = np.zeros(out_shape, np.uint32)
    for j, i in zip(*np.nonzero(dq), strict=True):
        if kernel == "square":
            cells = [(iy, ix) for iy, ix, _ in pixel_fractions(pixmap, i, j, out_shape, pixfrac)]
        else:
            ix, iy = (math.floor(v + 0.5) for v in pixmap[j, i])
            cells = [(iy, ix)] if 0 <= iy < out_shape[0] and 0 <= ix < out_shape[1] else []
        for iy, ix in cells:
            want[iy, ix] |= dq[j, i]
    return want


def drizzled_dq(pixmap, dq, out_shape, context, n_variances, mode, **options):
    ny, nx = dq.shape
    d = Drizzler(out_shape, propagate_dq=True, context=context, n_variances=n_variances,
                 variance_mode=mode, **options)
    variances = [np.full((ny, nx), 0.5 + k, np.float32) for k in range(n_variances)]
    d.add(np.ones((ny, nx), np.float32), pixmap, variances=variances, dq=dq)
    return d.finish().dq


@pytest.mark.parametrize(("context", "n_variances", "mode"), DQ_SETTINGS)
def test_flags_land_on_exactly_the_pixels_the_flagged_input_overlaps(context, n_variances,
                                                                     mode):
    # a 5 x 5 input shifted by (1.3, 1.4) onto 8 x 8: input pixel (i, j) covers
    # x in [i + 0.8, i + 1.8] and y in [j + 0.9, j + 1.9], so output columns
    # i + 1 and i + 2 and rows j + 1 and j + 2, one corner in each (the
    # four-pixel path)
    dq = np.zeros((5, 5), np.uint32)
    dq[2, 2] = 4            # -> rows 3-4, columns 3-4
    dq[0, 0] = 1 << 31      # -> rows 1-2, columns 1-2
    dq[0, 4] = 2            # -> rows 1-2, columns 5-6
    dq[4, 1] = 8 | 16       # -> rows 5-6, columns 2-3
    want = np.zeros((8, 8), np.uint32)
    want[3:5, 3:5] |= 4
    want[1:3, 1:3] |= 1 << 31
    want[1:3, 5:7] |= 2
    want[5:7, 2:4] |= 8 | 16
    out = drizzled_dq(shifted(5, 5, 1.3, 1.4), dq, (8, 8), context, n_variances, mode)
    assert out.dtype == np.uint32
    np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize(("context", "n_variances", "mode"), DQ_SETTINGS)
@pytest.mark.parametrize(("kernel", "pixfrac"), [("square", 1.0), ("square", 0.6),
                                                 ("point", 1.0)])
def test_flags_of_a_rotated_input_follow_the_footprints(context, n_variances, mode, kernel,
                                                        pixfrac):
    # rotated by 25 degrees and magnified 1.3: footprints meet 2 to 6 output
    # pixels, through every path of the square kernel
    x, y = grid(6, 7)
    a = math.radians(25.0)
    pixmap = np.dstack([1.3 * (math.cos(a) * x - math.sin(a) * y) + 5.2,
                        1.3 * (math.sin(a) * x + math.cos(a) * y) + 0.7])
    dq = np.zeros((6, 7), np.uint32)
    rng = np.random.default_rng(5)
    for k, (j, i) in enumerate(zip(rng.integers(0, 6, 8), rng.integers(0, 7, 8), strict=True)):
        dq[j, i] |= np.uint32(1 << (3 * k % 32))
    want = expected_dq(pixmap, dq, (12, 13), kernel=kernel, pixfrac=pixfrac)
    assert np.count_nonzero(want) >= 8
    out = drizzled_dq(pixmap, dq, (12, 13), context, n_variances, mode, kernel=kernel,
                      pixfrac=pixfrac)
    np.testing.assert_array_equal(out, want)


def test_dq_off_gives_none():
    d = Drizzler((2, 2))
    d.add(np.ones((2, 2), np.float32), shifted(2, 2))
    assert d.finish().dq is None


# --- variances -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["reference", "exact"])
def test_variances_of_a_quarter_shift(mode):
    # output k (1..3) gets w = 0.75 from input k and 0.25 from input k-1,
    # sum w = 1; iscale = 2 multiplies sigma by 2 (variance by 4).
    ny, nx = 2, 4
    var1 = ramp(ny, nx, seed=21)
    var2 = ramp(ny, nx, seed=22)
    w = (1 + ramp(ny, nx, seed=23) / 50).astype(np.float32)
    data = ramp(ny, nx, seed=24)
    d = Drizzler((ny, nx + 1), n_variances=2, variance_mode=mode)
    d.add(data, shifted(ny, nx, dx=0.25), weights=w, variances=[var1, var2], iscale=2.0)
    out = d.finish()
    assert len(out.variances) == 2
    W = w.astype(np.float64)
    for var, got in zip((var1, var2), out.variances, strict=True):
        v = var.astype(np.float64)
        wa, wb = 0.75 * W[:, 1:], 0.25 * W[:, :-1]  # from input k, input k-1
        if mode == "exact":
            want = 4 * (wa**2 * v[:, 1:] + wb**2 * v[:, :-1]) / (wa + wb) ** 2
            edge0 = 4 * v[:, 0]
        else:
            want = (2 * (wa * np.sqrt(v[:, 1:]) + wb * np.sqrt(v[:, :-1])) / (wa + wb)) ** 2
            edge0 = 4 * v[:, 0]
        assert got.dtype == np.float32
        np.testing.assert_allclose(got[:, 1:4], want, rtol=1e-6)
        np.testing.assert_allclose(got[:, 0], edge0, rtol=1e-6)
        np.testing.assert_allclose(got[:, 4], 4 * v[:, 3], rtol=1e-6)
    np.testing.assert_allclose(
        out.data[:, 1:4],
        2 * (wa * data[:, 1:] + wb * data[:, :-1]) / (wa + wb),
        rtol=1e-6,
    )


def test_exact_variance_of_two_overlapping_inputs():
    # two identity inputs with weights w1, w2: the variance of the weighted
    # mean is (w1^2 v1 + w2^2 v2) / (w1 + w2)^2
    shape = (3, 3)
    d1, d2 = ramp(*shape, seed=1), ramp(*shape, seed=2)
    v1, v2 = ramp(*shape, seed=3), ramp(*shape, seed=4)
    w1 = (ramp(*shape, seed=5) / 10).astype(np.float32)
    w2 = (ramp(*shape, seed=6) / 10).astype(np.float32)
    d = Drizzler(shape, n_variances=1, variance_mode="exact")
    d.add(d1, shifted(*shape), weights=w1, variances=(v1,))
    d.add(d2, shifted(*shape), weights=w2, variances=(v2,))
    out = d.finish()
    W1, W2 = w1.astype(float), w2.astype(float)
    np.testing.assert_allclose(
        out.variances[0], (W1**2 * v1 + W2**2 * v2) / (W1 + W2) ** 2, rtol=1e-6
    )
    np.testing.assert_allclose(out.data, (W1 * d1 + W2 * d2) / (W1 + W2), rtol=1e-6)
    np.testing.assert_allclose(out.wht, W1 + W2, rtol=1e-7)


@pytest.mark.parametrize("mode", ["reference", "exact"])
def test_variances_of_a_45_degree_hot_pixel(mode):
    # one pixel with sigma^2 = 9, turned 45 degrees: every output pixel it
    # touches has it as its only contributor, so both modes give 9 there.
    n = 5
    pixmap = rotated(n, n, math.pi / 4, (2, 2))
    var = np.full((n, n), 9.0, np.float32)
    d = Drizzler((n, n), n_variances=1, variance_mode=mode)
    d.add(np.ones((n, n), np.float32), pixmap, variances=[var],
          xmin=2, xmax=2, ymin=2, ymax=2)
    v = d.finish().variances[0]
    touched = [(2, 2), (1, 2), (3, 2), (2, 1), (2, 3)]
    for key in touched:
        assert v[key] == pytest.approx(9.0, rel=1e-6)
    mask = np.ones((n, n), bool)
    for key in touched:
        mask[key] = False
    assert np.isnan(v[mask]).all()


# --- invalid input values -------------------------------------------------------------


def test_nan_data_and_non_positive_or_nan_weights_contribute_nothing():
    # shift 0.5: output k averages inputs k-1 and k with 0.5 each, if valid
    data = np.array([[1, np.nan, 4, 8, 16, 32, 64]], np.float32)
    w = np.array([[1, 1, 0, -1, np.nan, 1, 1]], np.float32)
    out, counts = run(data, shifted(1, 7, dx=0.5), (1, 8), add={"weights": w})
    # valid inputs: 0 (value 1), 5 (32), 6 (64)
    np.testing.assert_allclose(out.wht[0], [0.5, 0.5, 0, 0, 0, 0.5, 1, 0.5], atol=1e-12)
    np.testing.assert_array_equal(out.data[0, [0, 1, 5, 7]], [1, 1, 32, 64])
    assert out.data[0, 6] == pytest.approx(48)
    assert np.isnan(out.data[0, 2:5]).all()
    assert counts == (3, 4)


def test_nan_data_does_not_poison_its_neighbours():
    # a NaN never poisons a neighbour: the pixels next to it keep finite means
    data = np.ones((3, 3), np.float32)
    data[1, 1] = np.nan
    out, _ = run(data, shifted(3, 3, 0.5, 0.5), (4, 4))
    assert np.isfinite(out.data[out.wht > 0]).all()
    np.testing.assert_array_equal(out.data[out.wht > 0], 1.0)
    np.testing.assert_allclose(out.wht[1:3, 1:3], 0.75, atol=1e-12)


# --- footprint shapes ----------------------------------------------------------------


def map_for_corners(corners):
    """A 2x2 pixel map whose pixel (0, 0) has exactly these four footprint
    corners (at input positions (-.5, -.5), (.5, -.5), (.5, .5), (-.5, .5)):
    the bilinear extrapolation is linear in the four map values, so solve."""
    st = [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)]
    basis = np.array([[(1 - s) * (1 - t), s * (1 - t), (1 - s) * t, s * t] for s, t in st])
    values = np.linalg.solve(basis, np.asarray(corners, dtype=np.float64))
    pixmap = np.empty((2, 2, 2))
    pixmap[0, 0], pixmap[0, 1], pixmap[1, 0], pixmap[1, 1] = values
    return pixmap


DART = [(0.5, 0.5), (2.5, 0.5), (1.5, 2.5), (1.5, 1.0)]  # reflex corner at (1.5, 1)


@pytest.mark.parametrize("reverse", [False, True])
def test_non_convex_footprint_is_exact(reverse):
    # The dart A(0,0) B(2,0) C(1,2) D(1,0.5), moved by (0.5, 0.5) so the
    # output pixel edges fall on whole numbers of its own coordinates: area
    # 2 - 0.75 = 1.25.  Left of x=1 it is the wedge 0 <= y <= x/2 (area 0.25,
    # output (1,1)); right of x=1 it is under y = 4 - 2x: 0.75 below y=1
    # (output (2,1)) and 0.25 above (output (2,2)).  Fractions .2, .6, .2.
    corners = DART[::-1] if reverse else DART
    w = single_pixel_weights((2, 2), 0, 0)
    out, counts = run(np.full((2, 2), 4.0, np.float32), map_for_corners(corners), (4, 4),
                      add={"weights": w})
    expected = np.zeros((4, 4))
    expected[1, 1], expected[1, 2], expected[2, 2] = 0.2, 0.6, 0.2
    np.testing.assert_allclose(out.wht, expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(out.data[expected > 0], 4.0)
    assert counts == (1, 3)


@pytest.mark.parametrize(
    "corners",
    [
        [(0.5, 0.5), (2.5, 2.5), (2.5, 0.5), (0.5, 2.5)],  # bow tie: edges 0-1 and 2-3 cross
        [(0.5, 0.5), (0.5, 2.5), (2.5, 0.5), (2.5, 2.5)],  # bow tie the other way
        [(0.5, 0.5), (1.5, 1.5), (2.5, 2.5), (1.0, 1.0)],  # all on a line: zero area
        [(1.5, 1.5)] * 4,  # a point
    ],
)
def test_self_intersecting_or_flat_footprints_contribute_nothing(corners):
    w = single_pixel_weights((2, 2), 0, 0)
    out, counts = run(np.ones((2, 2), np.float32), map_for_corners(corners), (4, 4),
                      add={"weights": w})
    assert counts == (0, 4)
    np.testing.assert_array_equal(out.wht, 0)
    np.testing.assert_array_equal(out.con, 0)


def test_map_for_corners_helper():
    pm = map_for_corners(DART)
    ref = reference_drizzle(np.ones((2, 2)), pm, (4, 4), weights=single_pixel_weights((2, 2), 0, 0))
    np.testing.assert_allclose(ref["wht"][1:3, 1:3], [[0.2, 0.6], [0, 0.2]], atol=1e-12)


# --- safety ----------------------------------------------------------------------------


@pytest.mark.parametrize("pixfrac", [1.0, 0.5])
@pytest.mark.parametrize("big", [1e30, 1e200, 1e300])
def test_huge_finite_corners_give_finite_weights(pixfrac, big):
    # Pixel (0, 1) of this 3x2 map has two ordinary corners near (0, 0.5)
    # and two whose y is ~big/4 .. 3 big/4 (extrapolated from the 'big'
    # centre): a valid, enormously tall footprint.  Its share of any output
    # pixel is at most 1 / (its area) -- tiny -- or it may be skipped; it
    # must never be an infinite weight or a NaN value.
    pixmap = np.array([[[0.0, 0.0], [1.0, 0.0]],
                       [[0.0, 1.0], [1.0, 1.0]],
                       [[1.0, big], [1.0, 2.0]]])
    d = Drizzler((3, 3), pixfrac=pixfrac)
    # too tall to be an input pixel: skipped, and said so
    with np.errstate(all="ignore"), pytest.warns(DrizzleWarning, match="1 input pixel"):
        counts = d.add(np.ones((3, 2), np.float32), pixmap, xmin=0, xmax=0, ymin=1, ymax=1)
        out = d.finish()
    assert counts.drawn + counts.skipped == 1
    assert np.isfinite(out.wht).all()
    assert out.wht.max() < 1e-20
    landed = ~np.isnan(out.data)
    np.testing.assert_array_equal(out.data[landed], 1.0)
    assert landed.any() == (counts.drawn == 1)


# --- thin inputs -------------------------------------------------------------------------


def test_one_row_identity():
    data = ramp(1, 6)
    out, counts = run(data, shifted(1, 6), (1, 6))
    np.testing.assert_array_equal(out.data, data)
    np.testing.assert_allclose(out.wht, 1.0, atol=1e-12)
    assert counts == (6, 0)


def test_one_column_identity():
    data = ramp(5, 1)
    out, counts = run(data, shifted(5, 1), (5, 1))
    np.testing.assert_array_equal(out.data, data)
    np.testing.assert_allclose(out.wht, 1.0, atol=1e-12)
    assert counts == (5, 0)


def test_one_row_scaled_by_two_is_two_pixels_tall():
    # x_out = 2i + 1, y_out = 1: along x the step is (2, 0), so the missing
    # y derivative is (0, 2): footprint [2i, 2i+2] x [0, 2], area 4.
    # Output (1, 2i+1) gets 1*1/4; (1, 2i) and (1, 2i+2) 0.5*1/4 from each
    # neighbour; rows 0 and 2 half of that.
    n = 3
    x = np.arange(n, dtype=float)
    pixmap = np.zeros((1, n, 2))
    pixmap[0, :, 0] = 2 * x + 1
    pixmap[0, :, 1] = 1.0
    data = np.array([[2, 4, 8]], np.float32)
    out, _ = run(data, pixmap, (3, 2 * n + 1))
    row = np.array([0.125, 0.25, 0.25, 0.25, 0.25, 0.25, 0.125])
    np.testing.assert_allclose(out.wht[1], row, atol=1e-12)
    np.testing.assert_allclose(out.wht[0], row / 2, atol=1e-12)
    np.testing.assert_allclose(out.wht[2], row / 2, atol=1e-12)
    np.testing.assert_allclose(out.data[1], [2, 2, 3, 4, 6, 8, 8], rtol=1e-6)


def test_one_column_reversed_keeps_parity():
    # y_out = 4 - j, x_out = 1: the column runs downwards, along y = (0, -1),
    # so along x = (-1, 0): each pixel is still a unit square.
    n = 5
    pixmap = np.zeros((n, 1, 2))
    pixmap[:, 0, 0] = 1.0
    pixmap[:, 0, 1] = n - 1 - np.arange(n)
    data = ramp(n, 1, seed=3)
    out, counts = run(data, pixmap, (n, 3))
    np.testing.assert_array_equal(out.data[:, 1], data[::-1, 0])
    np.testing.assert_allclose(out.wht[:, 1], 1.0, atol=1e-12)
    np.testing.assert_array_equal(out.wht[:, [0, 2]], 0)
    assert counts == (n, 0)


def test_one_row_diagonal():
    # a row at 45 degrees with step length 1: each pixel is a unit diamond
    # centred on output pixel (k, k) -> the diamond areas again
    n = 3
    pixmap = np.zeros((1, n, 2))
    s = math.sqrt(0.5)
    pixmap[0, :, 0] = 2 + s * np.arange(n)
    pixmap[0, :, 1] = 2 + s * np.arange(n)
    w = np.array([[1, 0, 0]], np.float32)
    out, _ = run(np.ones((1, n), np.float32), pixmap, (5, 5), add={"weights": w})
    expected = np.zeros((5, 5))
    expected[2, 2] = CENTRE
    expected[1, 2] = expected[3, 2] = expected[2, 1] = expected[2, 3] = TIP
    np.testing.assert_allclose(out.wht, expected, rtol=1e-6, atol=1e-12)


def test_single_pixel_maps_as_a_unit_square():
    # centre (2.3, 1.6): [1.8, 2.8] x [1.1, 2.1] -> x: 0.7 in 2, 0.3 in 3;
    # y: 0.4 in 1, 0.6 in 2
    out, counts = run(np.array([[5.0]], np.float32), np.array([[[2.3, 1.6]]]), (4, 5))
    expected = np.zeros((4, 5))
    expected[1, 2], expected[1, 3] = 0.7 * 0.4, 0.3 * 0.4
    expected[2, 2], expected[2, 3] = 0.7 * 0.6, 0.3 * 0.6
    np.testing.assert_allclose(out.wht, expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(out.data[expected > 0], 5.0)
    assert counts == (1, 0)


def test_single_pixel_with_pixfrac_and_point_kernel():
    out, _ = run(np.array([[5.0]], np.float32), np.array([[[2.3, 1.6]]]), (4, 5), pixfrac=0.2)
    # [2.2, 2.4] x [1.5, 1.7]: all in (2, 2)
    expected = np.zeros((4, 5))
    expected[2, 2] = 1.0
    np.testing.assert_allclose(out.wht, expected, atol=1e-9)
    out, _ = run(np.array([[5.0]], np.float32), np.array([[[2.3, 1.6]]]), (4, 5), kernel="point")
    np.testing.assert_array_equal(out.wht, expected)


# --- sections -----------------------------------------------------------------------------


def test_section_bounds_are_inclusive():
    data = ramp(5, 6)
    out, counts = run(data, shifted(5, 6), (5, 6), add={"xmin": 1, "xmax": 3, "ymin": 2, "ymax": 4})
    mask = np.zeros((5, 6), bool)
    mask[2:5, 1:4] = True
    np.testing.assert_array_equal(out.data[mask], data[mask])
    assert np.isnan(out.data[~mask]).all()
    np.testing.assert_array_equal(out.wht, mask.astype(np.float32))
    assert counts == (9, 0)


def test_section_corners_use_the_neighbours_outside_the_section():
    # one pixel in the middle of a x2 map: its corners come from the whole
    # map, so it is a 2x2 square even though its neighbours are not drawn
    x, y = grid(4, 4)
    pixmap = np.dstack([2 * x + 0.5, 2 * y + 0.5])
    out, counts = run(np.ones((4, 4), np.float32), pixmap, (8, 8),
                      add={"xmin": 2, "xmax": 2, "ymin": 1, "ymax": 1})
    expected = np.zeros((8, 8))
    expected[2:4, 4:6] = 0.25
    np.testing.assert_allclose(out.wht, expected, atol=1e-12)
    assert counts == (1, 0)


def test_section_single_bound_defaults_to_image_edges():
    data = ramp(3, 4)
    out, counts = run(data, shifted(3, 4), (3, 4), add={"xmin": 2})
    np.testing.assert_array_equal(out.wht[:, 2:], 1)
    np.testing.assert_array_equal(out.wht[:, :2], 0)
    assert counts == (6, 0)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"xmin": -1}, "xmin"), ({"xmax": 4}, "xmax"), ({"ymin": 3}, "ymin"),
     ({"ymax": -2}, "ymax"), ({"xmin": 3, "xmax": 1}, "xm")],
)
def test_section_out_of_range_is_refused(kwargs, name):
    d = Drizzler((3, 4))
    with pytest.raises(ValueError, match=name):
        d.add(ramp(3, 4), shifted(3, 4), **kwargs)
    assert d.n_inputs == 0


# --- accumulation: repeated finish, more adds, order --------------------------------


def test_finish_is_repeatable_and_adds_may_follow():
    a, b = ramp(3, 3, 1), ramp(3, 3, 2)
    pm = shifted(3, 3, 0.25, 0.5)
    d = Drizzler((4, 4))
    d.add(a, pm)
    first = d.finish()
    again = d.finish()
    np.testing.assert_array_equal(first.data, again.data)
    np.testing.assert_array_equal(first.wht, again.wht)
    d.add(b, pm)
    both = d.finish()
    ref = Drizzler((4, 4))
    ref.add(a, pm)
    ref.add(b, pm)
    want = ref.finish()
    np.testing.assert_array_equal(both.data, want.data)
    np.testing.assert_array_equal(both.wht, want.wht)
    np.testing.assert_array_equal(both.con, want.con)
    # the first result was not changed by the later add
    np.testing.assert_array_equal(first.data, again.data)
    np.testing.assert_allclose(both.wht, 2 * first.wht, rtol=1e-7)
    b_only = Drizzler((4, 4))
    b_only.add(b, pm)
    covered = first.wht > 0
    np.testing.assert_allclose(
        both.data[covered],
        0.5 * (first.data[covered].astype(float) + b_only.finish().data[covered]),
        rtol=1e-6,
    )


def test_two_inputs_average_with_their_weights():
    a, b = ramp(3, 3, 1), ramp(3, 3, 2)
    d = Drizzler((3, 3))
    d.add(a, shifted(3, 3), weights=np.full((3, 3), 1.0))
    d.add(b, shifted(3, 3), weights=np.full((3, 3), 3.0))
    out = d.finish()
    np.testing.assert_allclose(out.data, (a + 3.0 * b) / 4, rtol=1e-6)
    np.testing.assert_array_equal(out.wht, 4.0)
    np.testing.assert_array_equal(out.con, 3)


def test_accumulation_is_in_double_precision():
    # one pixel of weight 1e8 and value 1, then 1000 inputs of weight 1 and
    # value 3: the exact mean is (1e8 + 3000) / (1e8 + 1000) = 1.00002 and the
    # weight 100001000 (a float32 number).  Float32 running sums would stay at
    # 1.0 and 1e8 (each step is below half an ulp).
    d = Drizzler((1, 1))
    origin = np.zeros((1, 1, 2))
    d.add(np.array([[1.0]], np.float32), origin, weights=np.array([[1e8]], np.float32))
    for _ in range(1000):
        d.add(np.array([[3.0]], np.float32), origin)
    out = d.finish()
    assert out.data[0, 0] == pytest.approx((1e8 + 3000) / (1e8 + 1000), rel=1e-7)
    assert out.wht[0, 0] == np.float32(100001000)


# --- validation ----------------------------------------------------------------------------


def _good():
    return ramp(3, 4), shifted(3, 4)


@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        ({"out_shape": (0, 3)}, ValueError, "out_shape"),
        ({"out_shape": (3,)}, ValueError, "out_shape"),
        ({"out_shape": (3, 2.5)}, (ValueError, TypeError), "out_shape"),
        ({"kernel": "gaussian"}, ValueError, "kernel"),
        ({"pixfrac": 0.0}, ValueError, "pixfrac"),
        ({"pixfrac": 1.5}, ValueError, "pixfrac"),
        ({"pixfrac": float("nan")}, ValueError, "pixfrac"),
        ({"variance_mode": "fancy"}, ValueError, "variance_mode"),
        ({"n_variances": -1}, ValueError, "n_variances"),
        ({"fillval": "banana"}, ValueError, "fillval"),
    ],
)
def test_constructor_validation_names_the_argument(kwargs, exc, name):
    args = {"out_shape": (3, 4), **kwargs}
    with pytest.raises(exc, match=name):
        Drizzler(args.pop("out_shape"), **args)


@pytest.mark.parametrize(
    ("change", "exc", "name"),
    [
        (lambda a: a.update(data=np.ones(12, np.float32)), ValueError, "data"),
        (lambda a: a.update(data=np.ones((3, 4), np.complex64)), TypeError, "data"),
        (lambda a: a.update(data=np.full((3, 4), "x")), TypeError, "data"),
        (lambda a: a.update(data=np.ones((0, 4), np.float32),
                            pixmap=np.ones((0, 4, 2))), ValueError, "data"),
        (lambda a: a.update(pixmap=np.ones((3, 4))), ValueError, "pixmap"),
        (lambda a: a.update(pixmap=np.ones((4, 3, 2))), ValueError, "pixmap"),
        (lambda a: a.update(pixmap=np.ones((3, 4, 3))), ValueError, "pixmap"),
        (lambda a: a.update(pixmap=np.ones((3, 4, 2), np.complex128)), TypeError, "pixmap"),
        (lambda a: a.update(weights=np.ones((3, 3))), ValueError, "weights"),
        (lambda a: a.update(weights=np.ones((3, 4), complex)), TypeError, "weights"),
        (lambda a: a.update(dq=np.ones((3, 4), np.float32)), TypeError, "dq"),
        (lambda a: a.update(dq=np.ones((3, 3), np.uint32)), ValueError, "dq"),
        (lambda a: a.update(variances=()), ValueError, "variances"),
        (lambda a: a.update(variances=(np.ones((3, 4)), np.ones((3, 4)))), ValueError,
         "variances"),
        (lambda a: a.update(variances=(np.ones((3, 5)),)), ValueError, "variances"),
        (lambda a: a.update(variances=(np.ones((3, 4), complex),)), TypeError, "variances"),
    ],
)
def test_add_validation_names_the_argument(change, exc, name):
    data, pixmap = _good()
    args = {"data": data, "pixmap": pixmap, "variances": (np.ones((3, 4)),),
            "dq": np.zeros((3, 4), np.uint32)}
    change(args)
    d = Drizzler((3, 4), n_variances=1, propagate_dq=True)
    with pytest.raises(exc, match=name):
        d.add(args.pop("data"), args.pop("pixmap"), **args)
    # a refused call changes nothing
    assert d.n_inputs == 0
    out = d.finish()
    np.testing.assert_array_equal(out.wht, 0)
    np.testing.assert_array_equal(out.con, 0)


def test_lossless_conversions_are_accepted():
    data = ramp(3, 4)
    base, _ = run(data, shifted(3, 4, 0.3, 0.1), (4, 5), add={"weights": np.full((3, 4), 2.0)})
    for conv in (
        {"data": data.astype(np.float64)},
        {"data": data.astype(np.float64).copy(order="F")},
        {"data": (data * 4).astype(np.int16), "iscale": 0.25},
        {"pixmap": shifted(3, 4, 0.3, 0.1).astype(np.float32)},
        {"pixmap": np.asfortranarray(shifted(3, 4, 0.3, 0.1))},
        {"weights": np.full((3, 4), 2, np.int8)},
        {"weights": np.full((3, 8), 2.0, np.float64)[:, ::2]},
    ):
        args = {"data": data, "pixmap": shifted(3, 4, 0.3, 0.1),
                "weights": np.full((3, 4), 2.0)}
        args.update(conv)
        d = Drizzler((4, 5))
        d.add(args.pop("data"), args.pop("pixmap"), **args)
        out = d.finish()
        np.testing.assert_allclose(out.data, base.data, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(out.wht, base.wht, rtol=1e-6, atol=1e-6)


def test_dq_integer_types_are_accepted():
    for dtype in (np.uint8, np.uint16, np.uint32, np.int32, np.int64, bool):
        d = Drizzler((1, 2), propagate_dq=True)
        d.add(np.ones((1, 2), np.float32), shifted(1, 2), dq=np.array([[1, 0]], dtype))
        np.testing.assert_array_equal(d.finish().dq, [[1, 0]])


# --- inputs are never modified ------------------------------------------------------------


@pytest.mark.parametrize("kernel", ["square", "point"])
@pytest.mark.parametrize("shape", [(4, 5), (1, 5), (5, 1), (1, 1)])
def test_inputs_are_not_modified(kernel, shape):
    rng = np.random.default_rng(0)
    ny, nx = shape
    arrays = {
        "data": rng.normal(size=shape).astype(np.float32),
        "pixmap": shifted(ny, nx, 0.3, 0.2) + rng.normal(0, 0.05, (ny, nx, 2)),
        "weights": rng.uniform(0, 2, shape).astype(np.float32),
        "variances": (rng.uniform(0, 2, shape).astype(np.float32),
                      rng.uniform(0, 2, shape)),  # float64: converted, not written
        "dq": rng.integers(0, 8, shape).astype(np.uint32),
    }
    arrays["data"][0, 0] = np.nan
    arrays["pixmap"][-1, -1] = np.inf
    copies = {k: (tuple(a.copy() for a in v) if isinstance(v, tuple) else v.copy())
              for k, v in arrays.items()}
    d = Drizzler((7, 8), kernel=kernel, n_variances=2, propagate_dq=True, variance_mode="exact")
    d.add(arrays["data"], arrays["pixmap"], weights=arrays["weights"],
          variances=arrays["variances"], dq=arrays["dq"], iscale=3.0)
    d.finish()
    for k, v in arrays.items():
        if isinstance(v, tuple):
            for a, b in zip(v, copies[k], strict=True):
                np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_array_equal(v, copies[k])


def test_results_do_not_alias_the_accumulators():
    d = Drizzler((3, 3))
    d.add(ramp(3, 3), shifted(3, 3))
    out = d.finish()
    out.data[:] = -1
    out.wht[:] = -1
    out.con[:] = -1
    again = d.finish()
    np.testing.assert_array_equal(again.data, ramp(3, 3))
    np.testing.assert_array_equal(again.wht, 1)
    np.testing.assert_array_equal(again.con, 1)


# --- threads -------------------------------------------------------------------------------


def _job(seed, n_adds=4):
    rng = np.random.default_rng(seed)
    ny, nx = 60, 50
    x, y = grid(ny, nx)
    a = rng.uniform(-0.2, 0.2)
    c, s = math.cos(a), math.sin(a)
    pm = np.dstack([c * x - s * y + 15, s * x + c * y + 15])
    d = Drizzler((90, 90), n_variances=1, propagate_dq=True)
    for k in range(n_adds):
        d.add(rng.normal(size=(ny, nx)).astype(np.float32), pm + 0.37 * k,
              weights=rng.uniform(0.5, 1.5, (ny, nx)).astype(np.float32),
              variances=(rng.uniform(1, 2, (ny, nx)).astype(np.float32),),
              dq=rng.integers(0, 4, (ny, nx)).astype(np.uint32))
    return d.finish()


def test_two_drizzlers_in_two_threads_equal_serial():
    serial = [_job(1), _job(2)]
    results = [None, None]

    def work(k):
        for _ in range(3):
            results[k] = _job(k + 1)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, serial, strict=True):
        np.testing.assert_array_equal(got.data, want.data)
        np.testing.assert_array_equal(got.wht, want.wht)
        np.testing.assert_array_equal(got.con, want.con)
        np.testing.assert_array_equal(got.variances[0], want.variances[0])
        np.testing.assert_array_equal(got.dq, want.dq)
    assert not np.array_equal(serial[0].data, serial[1].data, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), ny=st.integers(1, 9), nx=st.integers(1, 9),
       nan_share=st.sampled_from([0.0, 0.3, 1.0]), data=st.data())
def test_line_ranges_and_histogram_are_numpys_nanmin_nanmax_and_bincount(
        seed, ny, nx, nan_share, data):
    """The one-pass C reductions behind the band sections give what numpy's
    would: NaN passed over, NaN for a line of nothing else, inf kept."""
    rng = np.random.default_rng(seed)
    pixmap = rng.normal(scale=20.0, size=(ny, nx, 2))
    pixmap[rng.random((ny, nx, 2)) < nan_share] = np.nan
    pixmap[rng.random((ny, nx, 2)) < 0.05] = np.inf
    y0 = data.draw(st.integers(0, ny - 1))
    y1 = data.draw(st.integers(y0 + 1, ny))
    x0 = data.draw(st.integers(0, nx - 1))
    x1 = data.draw(st.integers(x0 + 1, nx))
    for component in (0, 1):
        values = pixmap[y0:y1, x0:x1, component]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN lines
            expected = (np.nanmin(values, axis=0), np.nanmax(values, axis=0),
                        np.nanmin(values, axis=1), np.nanmax(values, axis=1))
        got = _kernel.line_ranges(pixmap, y0, y1, x0, x1, component)
        for a, b in zip(got, expected, strict=True):
            assert np.array_equal(a, b, equal_nan=True)
        first, n_lines = -30, 61
        line = np.floor(pixmap[..., component].ravel() + 0.5) - first
        with np.errstate(invalid="ignore"):
            line = line[(line >= 0) & (line < n_lines)]
        assert np.array_equal(_kernel.line_histogram(pixmap, component, first, n_lines),
                              np.bincount(line.astype(np.intp), minlength=n_lines))


def test_fetch_add_returns_the_value_before_and_checks_its_index():
    counters = np.zeros(2, dtype=np.int64)
    assert _kernel.fetch_add(counters, 1, 5) == 0
    assert _kernel.fetch_add(counters, 1, -2) == 5
    assert counters.tolist() == [0, 3]
    with pytest.raises(IndexError):
        _kernel.fetch_add(counters, 2, 1)


def test_line_ranges_and_histogram_refuse_what_would_leave_the_pixel_map():
    pixmap = np.zeros((4, 5, 2))
    for bad in [(0, 5, 0, 5, 0), (1, 1, 0, 5, 0), (0, 4, 0, 6, 0), (-1, 4, 0, 5, 0),
                (0, 4, 0, 5, 2)]:
        with pytest.raises(ValueError, match="line_ranges"):
            _kernel.line_ranges(pixmap, *bad)
    with pytest.raises(ValueError, match="line_histogram"):
        _kernel.line_histogram(pixmap, 2, 0, 3)
    with pytest.raises(ValueError, match="line_histogram"):
        _kernel.line_histogram(pixmap, 0, 0, 0)
    with pytest.raises(ValueError):  # not (ny, nx, 2) of float64, contiguous
        _kernel.line_ranges(np.zeros((4, 5, 3)), 0, 4, 0, 5, 0)
