"""The kernel's fast paths give the numbers of its general paths.

- With pixfrac = 1 each footprint corner is mapped once and shared by the
  four pixels around it; ``per_pixel_corners=True`` maps every pixel's four
  corners on its own.  The two must agree bit for bit on any map: random,
  folded, with NaN corners, on sections, edges and row bands.
- A footprint with one corner in each of four output pixels takes the
  four-pixel path (src_c/rsp_kernel.c, four_cell_areas); its overlaps are
  checked against exact geometry and against the polygon-clipping reference.
- The C finish (data, weight and variances in one pass) equals the numpy
  expressions it replaces.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polyclip import overlap_with_pixel, reference_drizzle

from resamplespec import Drizzler
from resamplespec.kernel import _kernel

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SQUARE, REFERENCE, EXACT, MEAN = 0, 0, 1, 2


def accumulate(data, pixmap, out_shape, *, per_pixel_corners, pixfrac=1.0, section=None,
               row_band=None, weights=None, variances=(), variance_mode=REFERENCE,
               extras=True, dq=None):
    """Run the C kernel once on fresh accumulators; returns them and the counts.
    ``extras=False``: no per-input weight and no context, so with no
    variances and no ``dq`` the kernel deposits data and weight only (its
    plain path).  ``dq``: input flags, ORed into ``sums["dq"]``."""
    ny, nx = data.shape
    sums = {
        "wd": np.zeros(out_shape),
        "w": np.zeros(out_shape),
        "var": tuple(np.zeros(out_shape) for _ in variances),
        "w_input": np.zeros(out_shape),
        "context": np.zeros(out_shape, np.int32),
        "dq": np.zeros(out_shape, np.uint32),
    }
    counts = _kernel.drizzle_add(
        data, pixmap, weights, tuple(variances), dq, 1.0,
        section or (0, nx - 1, 0, ny - 1), SQUARE, variance_mode, pixfrac,
        sums["wd"], sums["w"], sums["var"], sums["w_input"] if extras else None,
        sums["context"] if extras else None, 1, None if dq is None else sums["dq"],
        tuple(out_shape), (*(row_band or (0, out_shape[0])), 0, out_shape[1]), (0, 0),
        per_pixel_corners=per_pixel_corners,
    )
    return sums, counts


def assert_bitwise_equal(a, b):
    assert a[1] == b[1]
    for key in ("wd", "w", "w_input", "context", "dq"):
        np.testing.assert_array_equal(a[0][key], b[0][key], strict=True)
    for x, y in zip(a[0]["var"], b[0]["var"], strict=True):
        np.testing.assert_array_equal(x, y, strict=True)


@st.composite
def rough_maps(draw):
    """A pixel map of an affine transform (any rotation, scale 0.3-2.5,
    mirror), plus per-pixel jitter that can fold footprints into bow-ties,
    plus some NaN entries, placed anywhere around a small output frame."""
    ny, nx = draw(st.integers(2, 12)), draw(st.integers(2, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    angle = draw(st.floats(0, 2 * math.pi))
    scale = draw(st.floats(0.3, 2.5))
    mirror = draw(st.sampled_from([1.0, -1.0]))
    jitter = draw(st.sampled_from([0.0, 1e-3, 0.3, 1.5]))
    nan_fraction = draw(st.sampled_from([0.0, 0.05, 0.3]))
    c, s = math.cos(angle) * scale, math.sin(angle) * scale
    y, x = np.indices((ny, nx), dtype=np.float64)
    x = mirror * x
    pixmap = np.dstack([c * x - s * y, s * x + c * y])
    pixmap += rng.normal(0.0, jitter, pixmap.shape) if jitter else 0.0
    pixmap += np.array([draw(st.floats(-4, 10)), draw(st.floats(-4, 10))])
    pixmap[rng.random((ny, nx)) < nan_fraction] = np.nan
    out_shape = (draw(st.integers(1, 12)), draw(st.integers(1, 12)))
    data = rng.uniform(-2, 5, (ny, nx)).astype(np.float32)
    data[rng.random((ny, nx)) < 0.1] = np.nan
    weights = rng.uniform(0.2, 2.0, (ny, nx)).astype(np.float32)
    variances = tuple(rng.uniform(0.1, 3.0, (ny, nx)).astype(np.float32) for _ in range(2))
    # one bit per input pixel, so that each output flag names its pixels
    dq = np.left_shift(np.uint32(1), rng.integers(0, 32, (ny, nx)).astype(np.uint32))
    return data, np.ascontiguousarray(pixmap), out_shape, weights, variances, rng, dq


@SETTINGS
@given(case=rough_maps(), mode=st.sampled_from([REFERENCE, EXACT]))
def test_shared_corners_equal_per_pixel_corners_bit_for_bit(case, mode):
    data, pixmap, out_shape, weights, variances, _, dq = case
    kwargs = dict(weights=weights, variances=variances, variance_mode=mode, dq=dq)
    shared = accumulate(data, pixmap, out_shape, per_pixel_corners=False, **kwargs)
    alone = accumulate(data, pixmap, out_shape, per_pixel_corners=True, **kwargs)
    assert_bitwise_equal(shared, alone)


@SETTINGS
@given(case=rough_maps(), split=st.data())
def test_data_and_weight_alone_equal_data_with_context_bit_for_bit(case, split):
    # deposits of data and weight only take a straight path of their own;
    # DQ without context or variances must not take it (issue 21: it did,
    # and dropped the flags, with no test noticing)
    data, pixmap, out_shape, weights, _, _, dq = case
    lo = split.draw(st.integers(0, out_shape[0] - 1))
    hi = split.draw(st.integers(lo + 1, out_shape[0]))
    for band in [None, (lo, hi)]:
        plain = accumulate(data, pixmap, out_shape, per_pixel_corners=False, weights=weights,
                           row_band=band, extras=False)
        dq_only = accumulate(data, pixmap, out_shape, per_pixel_corners=False,
                             weights=weights, row_band=band, extras=False, dq=dq)
        full = accumulate(data, pixmap, out_shape, per_pixel_corners=False, weights=weights,
                          row_band=band, dq=dq)
        assert plain[1] == full[1] == dq_only[1]
        for fast in (plain, dq_only):
            np.testing.assert_array_equal(fast[0]["wd"], full[0]["wd"], strict=True)
            np.testing.assert_array_equal(fast[0]["w"], full[0]["w"], strict=True)
        np.testing.assert_array_equal(dq_only[0]["dq"], full[0]["dq"], strict=True)
        # the flags are where the weight is, and only there
        landed = full[0]["context"] != 0
        np.testing.assert_array_equal(full[0]["dq"] != 0, landed)


@SETTINGS
@given(case=rough_maps(), mode=st.sampled_from([REFERENCE, EXACT, MEAN]))
def test_variance_planes_on_the_straight_path_equal_the_general_one_bit_for_bit(case, mode):
    # without per-input weights, context or DQ the 2 x 2 path writes the
    # variance planes straight too; a NaN or infinite value (a negative
    # variance, an infinite one) must leave it to the general path, where a
    # pixel of weight 0 receives nothing (0 * inf would be NaN)
    data, pixmap, out_shape, weights, variances, rng, _ = case
    hostile = [v.copy() for v in variances]
    for v in hostile:
        v[rng.random(v.shape) < 0.1] = -1.0
        v[rng.random(v.shape) < 0.05] = np.inf
    kwargs = dict(weights=weights, variances=hostile, variance_mode=mode)
    straight = accumulate(data, pixmap, out_shape, per_pixel_corners=False, extras=False,
                          **kwargs)
    general = accumulate(data, pixmap, out_shape, per_pixel_corners=False, **kwargs)
    assert straight[1] == general[1]
    for key in ("wd", "w"):
        np.testing.assert_array_equal(straight[0][key], general[0][key], strict=True)
    for x, y in zip(straight[0]["var"], general[0]["var"], strict=True):
        np.testing.assert_array_equal(x, y, strict=True)


@pytest.mark.parametrize("mode", [REFERENCE, EXACT, MEAN])
def test_a_sliver_cell_gets_nothing_of_an_infinite_variance_on_either_path(mode):
    # footprints 1e-13 past the edge of column 0: that column's overlaps are
    # slivers, given weight 0; an infinite variance must not reach it as
    # 0 * inf = NaN on the straight path
    y, x = np.indices((2, 2), dtype=np.float64)
    pixmap = np.ascontiguousarray(np.dstack([x + 1.0 - 1e-13, y + 0.7]))
    data = np.ones((2, 2), np.float32)
    variances = (np.full((2, 2), np.inf, np.float32),)
    kwargs = dict(variances=variances, variance_mode=mode)
    straight = accumulate(data, pixmap, (4, 4), per_pixel_corners=False, extras=False,
                          **kwargs)
    general = accumulate(data, pixmap, (4, 4), per_pixel_corners=False, **kwargs)
    np.testing.assert_array_equal(general[0]["var"][0][:, 0], np.zeros(4), strict=True)
    np.testing.assert_array_equal(straight[0]["var"][0], general[0]["var"][0], strict=True)


@SETTINGS
@given(case=rough_maps(), cut=st.data())
def test_shared_corners_on_a_section_equal_per_pixel_corners(case, cut):
    # a section's first and last corner rows and columns are interior corners
    # of the image: the shared rows must start where the section starts
    data, pixmap, out_shape, weights, _, _, dq = case
    ny, nx = data.shape
    x0 = cut.draw(st.integers(0, nx - 1))
    x1 = cut.draw(st.integers(x0, nx - 1))
    y0 = cut.draw(st.integers(0, ny - 1))
    y1 = cut.draw(st.integers(y0, ny - 1))
    section = (x0, x1, y0, y1)
    shared = accumulate(data, pixmap, out_shape, per_pixel_corners=False, section=section,
                        weights=weights, dq=dq)
    alone = accumulate(data, pixmap, out_shape, per_pixel_corners=True, section=section,
                       weights=weights, dq=dq)
    assert_bitwise_equal(shared, alone)


@SETTINGS
@given(case=rough_maps(), split=st.data())
def test_row_bands_add_up_to_the_whole_output_bit_for_bit(case, split):
    # each band writes only its own rows, and what it writes does not depend
    # on where the other bands start
    data, pixmap, out_shape, weights, variances, _, _ = case
    n_rows = out_shape[0]
    cuts = sorted(set(split.draw(st.lists(st.integers(1, n_rows - 1), max_size=3))
                      if n_rows > 1 else []))
    edges = [0, *cuts, n_rows]
    whole = accumulate(data, pixmap, out_shape, per_pixel_corners=False, weights=weights,
                       variances=variances)
    banded = None
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        band, _ = accumulate(data, pixmap, out_shape, per_pixel_corners=False,
                             row_band=(lo, hi), weights=weights, variances=variances)
        for key in ("wd", "w", "w_input", "context"):
            outside = np.ones(n_rows, bool)
            outside[lo:hi] = False
            assert not band[key][outside].any()
        if banded is None:
            banded = band
        else:
            for key in ("wd", "w", "w_input", "context"):
                banded[key][lo:hi] = band[key][lo:hi]
            for acc, part in zip(banded["var"], band["var"], strict=True):
                acc[lo:hi] = part[lo:hi]
    for key in ("wd", "w", "w_input", "context"):
        np.testing.assert_array_equal(banded[key], whole[0][key], strict=True)
    for x, y in zip(banded["var"], whole[0]["var"], strict=True):
        np.testing.assert_array_equal(x, y, strict=True)


@pytest.mark.parametrize("pixfrac", [1.0, 0.7])
def test_row_bands_equal_the_whole_with_and_without_shared_corners(pixfrac):
    # a fixed rotated map whose footprints straddle every band boundary
    y, x = np.indices((20, 25), dtype=np.float64)
    a = math.radians(17.0)
    pixmap = np.dstack([math.cos(a) * x - math.sin(a) * y + 8.3,
                        math.sin(a) * x + math.cos(a) * y + 0.6])
    data = np.random.default_rng(3).uniform(0, 1, (20, 25)).astype(np.float32)
    out_shape = (31, 33)
    whole, _ = accumulate(data, pixmap, out_shape, per_pixel_corners=False, pixfrac=pixfrac)
    for lo, hi in [(0, 7), (7, 8), (8, 19), (19, 31)]:
        band, _ = accumulate(data, pixmap, out_shape, per_pixel_corners=False, pixfrac=pixfrac,
                             row_band=(lo, hi))
        np.testing.assert_array_equal(band["wd"][lo:hi], whole["wd"][lo:hi], strict=True)
        np.testing.assert_array_equal(band["w"][lo:hi], whole["w"][lo:hi], strict=True)


def test_pixfrac_below_one_ignores_the_corner_switch():
    # shrunk footprints share no corners: both settings take the same path
    y, x = np.indices((9, 8), dtype=np.float64)
    pixmap = np.dstack([1.1 * x + 0.4 * y + 0.3, -0.3 * x + 0.9 * y + 3.2])
    data = np.arange(72, dtype=np.float32).reshape(9, 8)
    a = accumulate(data, pixmap, (14, 14), per_pixel_corners=False, pixfrac=0.6)
    b = accumulate(data, pixmap, (14, 14), per_pixel_corners=True, pixfrac=0.6)
    assert_bitwise_equal(a, b)


# --- the four-pixel path ---------------------------------------------------------


def one_footprint_weights(corners, out_shape=(4, 4)):
    """Weights one input pixel gives the output when its footprint has these
    corners: a 2 x 2 image whose bilinear map puts the (0, 0) pixel's corners
    exactly there (the other pixels get weight 0)."""
    corners = np.asarray(corners, dtype=np.float64)   # (4, 2), counter-clockwise
    # corner k of pixel (0, 0) is the bilinear map at (-0.5, -0.5), (0.5, -0.5),
    # (0.5, 0.5), (-0.5, 0.5), extrapolated from the pixel centres: solve for
    # the map at the four centres
    weights_at = np.array([[(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy]
                           for fx, fy in [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)]])
    centres = np.linalg.solve(weights_at, corners)       # rows: p00, p10, p01, p11
    pixmap = np.array([[centres[0], centres[1]], [centres[2], centres[3]]])
    data = np.array([[1.0, 0.0], [0.0, 0.0]], np.float32)
    weights = np.array([[1.0, 0.0], [0.0, 0.0]], np.float32)
    d = Drizzler(out_shape, context=False)
    d.add(data, pixmap, weights=weights)
    return d.finish().wht.astype(np.float64)


def test_unit_square_straddling_a_grid_point_splits_by_its_offsets():
    # lower-left corner at (0.8, 1.3): the grid point (1.5, 1.5) splits the
    # square 0.7 + 0.3 in x and 0.2 + 0.8 in y
    corners = [(0.8, 1.3), (1.8, 1.3), (1.8, 2.3), (0.8, 2.3)]
    wht = one_footprint_weights(corners)
    expected = np.zeros((4, 4))
    expected[1, 1], expected[1, 2] = 0.7 * 0.2, 0.3 * 0.2
    expected[2, 1], expected[2, 2] = 0.7 * 0.8, 0.3 * 0.8
    np.testing.assert_allclose(wht, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("mirror", [False, True])
def test_rotated_square_straddling_a_grid_point_matches_polygon_clipping(mirror):
    a = math.radians(20.0)
    c, s = math.cos(a), math.sin(a)
    base = np.array([(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)])
    if mirror:
        base = base[::-1].copy()
    corners = base @ np.array([[c, s], [-s, c]]) + np.array([1.62, 1.41])
    wht = one_footprint_weights(corners)
    # the overlaps by Sutherland-Hodgman clipping, divided by the area (1)
    expected = np.zeros((4, 4))
    for iy in range(4):
        for ix in range(4):
            expected[iy, ix] = abs(overlap_with_pixel([tuple(p) for p in corners], ix, iy))
    assert np.count_nonzero(expected > 1e-9) == 4
    np.testing.assert_allclose(wht, expected, rtol=1e-6, atol=1e-7)


@SETTINGS
@given(
    shape=st.tuples(st.integers(2, 15), st.integers(2, 15)),
    angle=st.floats(-0.3, 0.3),
    scale=st.tuples(st.floats(0.9, 1.1), st.floats(0.9, 1.1)),
    offset=st.tuples(st.floats(-1.5, 3), st.floats(-1.5, 3)),
    mirror=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_near_identity_maps_equal_the_polygon_clipping_reference(
    shape, angle, scale, offset, mirror, seed
):
    # input and output pixels of about the same size: nearly every footprint
    # takes the four-pixel path, and some straddle the output's edges
    ny, nx = shape
    y, x = np.indices(shape, dtype=np.float64)
    if mirror:
        x = (nx - 1) - x
    c, s = math.cos(angle), math.sin(angle)
    pixmap = np.dstack([scale[0] * (c * x - s * y) + offset[0],
                        scale[1] * (s * x + c * y) + offset[1]])
    rng = np.random.default_rng(seed)
    data = rng.uniform(-1, 4, shape).astype(np.float32)
    weights = rng.uniform(0.2, 2.0, shape).astype(np.float32)
    out_shape = (ny + 1, nx + 2)
    ref = reference_drizzle(data, pixmap, out_shape, 1.0, weights)
    d = Drizzler(out_shape)
    counts = d.add(data, pixmap, weights=weights)
    out = d.finish()
    np.testing.assert_allclose(out.wht, ref["wht"], rtol=1e-5, atol=1e-6)
    solid = ref["wht"] > 1e-4
    np.testing.assert_allclose(out.data[solid], ref["data"][solid], rtol=1e-5, atol=4e-5)
    assert counts == (ref["drawn"], data.size - ref["drawn"])


# --- finishing in C, with the last input's variances pending ---------------------


def numpy_finish(sum_wd, sum_w, ratio_num, ratio_den, ratio_mask, fill):
    """The numpy expressions finish() used before it moved to C."""
    def masked_ratio(num, den, covered, value):
        out = np.full(np.shape(num), value, dtype=np.float64)
        np.divide(num, den, out=out, where=covered)
        return out.astype(np.float32)

    data = masked_ratio(sum_wd, sum_w, sum_w > 0, fill)
    variances = tuple(masked_ratio(n, d, m, np.nan)
                      for n, d, m in zip(ratio_num, ratio_den, ratio_mask, strict=True))
    return data, sum_w.astype(np.float32), variances


def by_hand(inputs, out_shape, variance_weights, fill):
    """Reference-mode drizzle the old way: fold every input's variances into
    the cross-input sums right after it, then finish with numpy."""
    sum_wd, sum_w = np.zeros(out_shape), np.zeros(out_shape)
    n_var = len(inputs[0][3])
    input_var = tuple(np.zeros(out_shape) for _ in range(n_var))
    input_w = np.zeros(out_shape)
    wsum = tuple(np.zeros(out_shape) for _ in range(n_var))
    wt = tuple(np.zeros(out_shape) for _ in range(n_var))
    for (data, pixmap, weights, variances), vw in zip(inputs, variance_weights, strict=True):
        ny, nx = data.shape
        _kernel.drizzle_add(data, pixmap, weights, variances, None, 1.0, (0, nx - 1, 0, ny - 1),
                            SQUARE, REFERENCE, 1.0, sum_wd, sum_w, input_var, input_w, None, 1,
                            None, tuple(out_shape), (0, *out_shape[:1], 0, out_shape[1]), (0, 0))
        constant = 1.0 if vw in (None, "ivm") else float(vw)
        _kernel.combine_reference_variances(input_var, input_w, vw == "ivm", constant, wsum, wt)
    return numpy_finish(sum_wd, sum_w, wsum, tuple(w * w for w in wt),
                        tuple(w > 0 for w in wt), fill)


def assert_same_result(result, expected):
    data, wht, variances = expected
    np.testing.assert_array_equal(result.data, data, strict=True)
    np.testing.assert_array_equal(result.wht, wht, strict=True)
    assert len(result.variances) == len(variances)
    for got, want in zip(result.variances, variances, strict=True):
        np.testing.assert_array_equal(got, want, strict=True)


@SETTINGS
@given(
    cases=st.lists(rough_maps(), min_size=1, max_size=3),
    weight_kind=st.sampled_from(["ivm", 2.5, None]),
    fill=st.sampled_from([np.nan, 0.0, -7.0]),
)
def test_finish_with_a_pending_input_equals_folding_it_first(cases, weight_kind, fill):
    out_shape = cases[0][2]
    inputs = [(c[0], c[1], c[3], c[4]) for c in cases]
    weights = [weight_kind] * len(inputs)
    d = Drizzler(out_shape, n_variances=2, fillval=fill, context=False)
    for k, (data, pixmap, w, variances) in enumerate(inputs, start=1):
        d.add(data, pixmap, weights=w, variances=variances, variance_weight=weight_kind)
        # finishing midway neither changes nor consumes anything
        expected = by_hand(inputs[:k], out_shape, weights[:k], fill)
        assert_same_result(d.finish(), expected)
        assert_same_result(d.finish(), expected)


def test_finish_of_an_empty_drizzler_is_fill_and_nan():
    d = Drizzler((3, 4), n_variances=2, fillval=5.0)
    out = d.finish()
    np.testing.assert_array_equal(out.data, np.full((3, 4), 5.0, np.float32))
    np.testing.assert_array_equal(out.wht, np.zeros((3, 4), np.float32))
    assert len(out.variances) == 2
    assert all(np.isnan(v).all() and v.dtype == np.float32 for v in out.variances)


@pytest.mark.parametrize("mode", ["exact", "reference"])
def test_finish_equals_the_numpy_expressions(mode):
    rng = np.random.default_rng(11)
    y, x = np.indices((12, 10), dtype=np.float64)
    pixmap = np.dstack([0.9 * x + 0.2 * y + 1.3, -0.1 * x + 1.1 * y + 0.4])
    data = rng.uniform(-3, 3, (12, 10)).astype(np.float32)
    var = rng.uniform(0.1, 2, (12, 10)).astype(np.float32)
    d = Drizzler((16, 14), n_variances=1, variance_mode=mode, fillval=0.0)
    d.add(data, pixmap, variances=[var])
    out = d.finish()
    if mode == "exact":
        expected = numpy_finish(d._sum_wd, d._sum_w, d._sum_var, (d._sum_w**2,),
                                (d._sum_w > 0,), 0.0)
    else:
        expected = by_hand([(data, pixmap, None, (var,))], (16, 14), [None], 0.0)
    assert_same_result(out, expected)
