"""Laws the Drizzler must obey on random maps (hypothesis).

- flux and weight conservation when every footprint lies inside the frame;
- agreement with the slow Sutherland-Hodgman reference (tests/polyclip.py) on
  small images, edges included;
- the square kernel tends to the point kernel as pixfrac -> 0;
- linearity, order independence and section splitting;
- fuzz: whatever the pixel map holds, no crash and sane outputs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from polyclip import footprint, reference_drizzle

from resamplespec import Drizzler

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# --- strategies -----------------------------------------------------------------


@st.composite
def transforms(draw, distort=True):
    """An affine map (rotation, scales 0.5-2, shear, optional mirror) plus,
    optionally, a smooth quadratic distortion small enough to keep every
    footprint convex."""
    angle = draw(st.floats(0, 2 * math.pi))
    sx = draw(st.floats(0.5, 2.0))
    sy = draw(st.floats(0.5, 2.0))
    shear = draw(st.floats(-0.5, 0.5))
    mirror = draw(st.booleans())
    c, s = math.cos(angle), math.sin(angle)
    m = np.array([[c, -s], [s, c]]) @ np.array([[sx, shear * sy], [0.0, sy]])
    if mirror:
        m = m @ np.diag([-1.0, 1.0])
    # quadratic terms q * (coordinate)^2 / size: their derivative stays below
    # 0.1 everywhere, small beside the smallest singular value of m (> 0.3)
    quad = (
        np.array([draw(st.floats(-0.1, 0.1)) for _ in range(4)]) if distort else np.zeros(4)
    )
    shift = np.array([draw(st.floats(0, 1)), draw(st.floats(0, 1))])
    return m, quad, shift


def make_pixmap(ny, nx, transform, margin=None, origin=None):
    """Apply ``transform`` to the input pixel grid; place the result either
    with its bounding box ``margin`` pixels from the frame origin or at a
    given ``origin`` offset.  Returns (pixmap, out_shape that contains it)."""
    m, quad, shift = transform
    y, x = np.indices((ny, nx), dtype=np.float64)
    xc, yc = x - (nx - 1) / 2, y - (ny - 1) / 2
    size = max(nx, ny)
    u = m[0, 0] * xc + m[0, 1] * yc + (quad[0] * yc**2 + quad[1] * xc * yc) / size
    v = m[1, 0] * xc + m[1, 1] * yc + (quad[2] * xc**2 + quad[3] * xc * yc) / size
    if origin is not None:
        u = u + origin[0] + shift[0]
        v = v + origin[1] + shift[1]
        return np.dstack([u, v]), None
    u = u - u.min() + margin + shift[0]
    v = v - v.min() + margin + shift[1]
    out_shape = (int(math.ceil(v.max() + margin)) + 1, int(math.ceil(u.max() + margin)) + 1)
    return np.dstack([u, v]), out_shape


def arrays(seed, shape, lo=0.5, hi=10.0):
    rng = np.random.default_rng(seed)
    data = rng.uniform(lo, hi, shape).astype(np.float32)
    weights = rng.uniform(0.1, 3.0, shape).astype(np.float32)
    return data, weights


seeds = st.integers(0, 2**32 - 1)
pixfracs = st.floats(0.05, 1.0)


# --- conservation ------------------------------------------------------------------


@SETTINGS
@given(
    shape=st.tuples(st.integers(2, 30), st.integers(2, 30)),
    transform=transforms(),
    pixfrac=pixfracs,
    seed=seeds,
    kernel=st.sampled_from(["square", "point"]),
)
def test_flux_and_weight_are_conserved_inside_the_frame(shape, transform, pixfrac, seed, kernel):
    # every footprint corner is within 2 * 2.5 output pixels of its centre
    # (scale <= 2, shear <= 0.5): a margin of 6 keeps them all inside
    pixmap, out_shape = make_pixmap(*shape, transform, margin=6)
    data, weights = arrays(seed, shape)
    d = Drizzler(out_shape, kernel=kernel, pixfrac=pixfrac)
    counts = d.add(data, pixmap, weights=weights, iscale=0.5)
    out = d.finish()
    covered = out.wht > 0
    flux_out = np.sum(out.data[covered].astype(np.float64) * out.wht[covered])
    flux_in = 0.5 * np.sum(data.astype(np.float64) * weights)
    assert flux_out == pytest.approx(flux_in, rel=1e-5)
    assert out.wht.astype(np.float64).sum() == pytest.approx(weights.sum(dtype=np.float64),
                                                             rel=1e-5)
    assert counts == (data.size, 0)
    assert np.isnan(out.data[~covered]).all()
    np.testing.assert_array_equal(out.con[0] != 0, covered)


# --- agreement with the slow reference ----------------------------------------------


@SETTINGS
@given(
    shape=st.tuples(st.integers(2, 8), st.integers(2, 8)),
    transform=transforms(),
    origin=st.tuples(st.floats(-3, 9), st.floats(-3, 9)),
    out_shape=st.tuples(st.integers(1, 12), st.integers(1, 12)),
    pixfrac=pixfracs,
    seed=seeds,
)
def test_square_kernel_equals_the_polygon_clipping_reference(
    shape, transform, origin, out_shape, pixfrac, seed
):
    # the map may run off any edge of the frame: straddling pixels count
    pixmap, _ = make_pixmap(*shape, transform, origin=origin)
    data, weights = arrays(seed, shape, lo=-5, hi=10)
    rng = np.random.default_rng(seed + 1)
    var = rng.uniform(0.1, 4.0, shape).astype(np.float32)
    ref = reference_drizzle(data, pixmap, out_shape, pixfrac, weights, iscale=1.5,
                            variances=[var])
    for mode in ("exact", "reference"):
        d = Drizzler(out_shape, pixfrac=pixfrac, n_variances=1, variance_mode=mode)
        counts = d.add(data, pixmap, weights=weights, iscale=1.5, variances=[var])
        out = d.finish()
        np.testing.assert_allclose(out.wht, ref["wht"], rtol=1e-5, atol=1e-6)
        solid = ref["wht"] > 1e-4
        scale = np.abs(data).max() * 1.5
        np.testing.assert_allclose(out.data[solid], ref["data"][solid], rtol=1e-5,
                                   atol=1e-5 * scale)
        want_var = ref["var_exact" if mode == "exact" else "var_reference"][0]
        np.testing.assert_allclose(out.variances[0][solid], want_var[solid], rtol=1e-4,
                                   atol=1e-6)
        assert np.all(out.con[0][ref["wht"] > 1e-9] == 1)
        np.testing.assert_array_equal(out.con[0] == 1, ~np.isnan(out.data))
        assert counts == (ref["drawn"], data.size - ref["drawn"])


@SETTINGS
@given(
    n=st.integers(1, 8),
    vertical=st.booleans(),
    transform=transforms(distort=False),
    origin=st.tuples(st.floats(-2, 8), st.floats(-2, 8)),
    pixfrac=pixfracs,
    seed=seeds,
)
def test_thin_images_equal_the_reference(n, vertical, transform, origin, pixfrac, seed):
    # an affine map of a 1-pixel-wide image: the missing direction is the
    # known one turned by 90 degrees with the identity's parity; the
    # reference (polyclip._padded_pixmap) builds it that way
    m, _, shift = transform
    # a similarity transform: thin images cannot know about shear or
    # anisotropic scale across them
    scale = math.sqrt(abs(np.linalg.det(m)))
    angle = math.atan2(m[1, 0], m[0, 0])
    c, s = math.cos(angle), math.sin(angle)
    shape = (n, 1) if vertical else (1, n)
    y, x = np.indices(shape, dtype=np.float64)
    pixmap = np.dstack([scale * (c * x - s * y) + origin[0] + shift[0],
                        scale * (s * x + c * y) + origin[1] + shift[1]])
    data, weights = arrays(seed, shape)
    out_shape = (10, 10)
    ref = reference_drizzle(data, pixmap, out_shape, pixfrac, weights)
    d = Drizzler(out_shape, pixfrac=pixfrac)
    d.add(data, pixmap, weights=weights)
    out = d.finish()
    np.testing.assert_allclose(out.wht, ref["wht"], rtol=1e-5, atol=1e-6)
    solid = ref["wht"] > 1e-4
    np.testing.assert_allclose(out.data[solid], ref["data"][solid], rtol=1e-5)


@SETTINGS
@given(
    shape=st.tuples(st.integers(1, 8), st.integers(1, 8)),
    transform=transforms(),
    origin=st.tuples(st.floats(-3, 9), st.floats(-3, 9)),
    seed=seeds,
)
def test_point_kernel_equals_the_reference(shape, transform, origin, seed):
    pixmap, _ = make_pixmap(*shape, transform, origin=origin)
    data, weights = arrays(seed, shape)
    ref = reference_drizzle(data, pixmap, (10, 11), 1.0, weights, kernel="point")
    d = Drizzler((10, 11), kernel="point")
    counts = d.add(data, pixmap, weights=weights)
    out = d.finish()
    np.testing.assert_allclose(out.wht, ref["wht"], rtol=1e-6)
    solid = ref["wht"] > 0
    np.testing.assert_allclose(out.data[solid], ref["data"][solid], rtol=1e-6)
    assert counts == (ref["drawn"], data.size - ref["drawn"])


# --- point limit -------------------------------------------------------------------------


@SETTINGS
@given(
    shape=st.tuples(st.integers(2, 25), st.integers(2, 25)),
    transform=transforms(),
    seed=seeds,
)
def test_square_tends_to_point_as_pixfrac_shrinks(shape, transform, seed):
    pixfrac = 0.01
    pixmap, out_shape = make_pixmap(*shape, transform, margin=6)
    data, weights = arrays(seed, shape)
    outs = {}
    for kernel in ("square", "point"):
        d = Drizzler(out_shape, kernel=kernel, pixfrac=pixfrac)
        d.add(data, pixmap, weights=weights)
        outs[kernel] = d.finish()
    sq, pt = outs["square"], outs["point"]
    total = weights.sum(dtype=np.float64)
    assert sq.wht.sum(dtype=np.float64) == pytest.approx(pt.wht.sum(dtype=np.float64),
                                                         rel=1e-5)
    # a pixel whose centre is farther from every output pixel edge than its
    # shrunk footprint reaches puts all its weight where the point kernel
    # does; only the others can make the two weight maps differ
    near = 0.0
    for j in range(shape[0]):
        for i in range(shape[1]):
            corners = np.array(footprint(pixmap, i, j, pixfrac))
            reach = np.abs(corners - pixmap[j, i]).max()
            fx = (pixmap[j, i] + 0.5) % 1.0
            edge = np.minimum(fx, 1 - fx).min()
            if edge <= reach * 1.01:
                near += weights[j, i]
    l1 = np.abs(sq.wht.astype(np.float64) - pt.wht).sum()
    assert l1 <= 2 * near + 1e-5 * total


# --- linearity, order, sections -------------------------------------------------------


@SETTINGS
@given(
    shape=st.tuples(st.integers(2, 12), st.integers(2, 12)),
    transform=transforms(),
    pixfrac=pixfracs,
    seed=seeds,
    alpha=st.floats(0.1, 10),
)
def test_linearity_in_data_and_weights(shape, transform, pixfrac, seed, alpha):
    pixmap, out_shape = make_pixmap(*shape, transform, margin=1)
    data, weights = arrays(seed, shape, lo=-3, hi=3)

    def go(dat, wt, iscale=1.0):
        d = Drizzler(out_shape, pixfrac=pixfrac)
        d.add(dat, pixmap, weights=wt, iscale=iscale)
        return d.finish()

    base = go(data, weights)
    covered = base.wht > 0
    tol = 1e-5 * np.abs(data).max() * alpha
    scaled_w = go(data, weights * np.float32(alpha))
    np.testing.assert_allclose(scaled_w.wht, alpha * base.wht.astype(float), rtol=1e-5,
                               atol=1e-7 * alpha)
    np.testing.assert_allclose(scaled_w.data[covered], base.data[covered], rtol=1e-5,
                               atol=tol / alpha)
    by_iscale = go(data, weights, iscale=alpha)
    np.testing.assert_allclose(by_iscale.data[covered], alpha * base.data[covered].astype(float),
                               rtol=1e-5, atol=tol)
    np.testing.assert_array_equal(by_iscale.wht, base.wht)


@SETTINGS
@given(
    shape=st.tuples(st.integers(2, 12), st.integers(2, 12)),
    t1=transforms(),
    t2=transforms(),
    pixfrac=pixfracs,
    seed=seeds,
)
def test_input_order_does_not_matter(shape, t1, t2, pixfrac, seed):
    pm1, _ = make_pixmap(*shape, t1, origin=(6, 6))
    pm2, _ = make_pixmap(*shape, t2, origin=(6, 6))
    d1, w1 = arrays(seed, shape)
    d2, w2 = arrays(seed + 7, shape)
    outs = []
    for order in ((0, 1), (1, 0)):
        d = Drizzler((14, 14), pixfrac=pixfrac)
        for k in order:
            d.add((d1, d2)[k], (pm1, pm2)[k], weights=(w1, w2)[k])
        outs.append(d.finish())
    a, b = outs
    np.testing.assert_allclose(a.wht, b.wht, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(a.data, b.data, rtol=1e-6, atol=1e-6)
    # the context bits swap with the order
    swap = ((b.con & 1) << 1) | ((b.con >> 1) & 1)
    np.testing.assert_array_equal(a.con, swap)


@SETTINGS
@given(
    shape=st.tuples(st.integers(2, 12), st.integers(2, 12)),
    transform=transforms(),
    pixfrac=pixfracs,
    seed=seeds,
    cut=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    kernel=st.sampled_from(["square", "point"]),
)
def test_sections_add_up_to_the_whole(shape, transform, pixfrac, seed, cut, kernel):
    ny, nx = shape
    pixmap, _ = make_pixmap(ny, nx, transform, origin=(5, 5))
    data, weights = arrays(seed, shape)
    whole = Drizzler((12, 12), kernel=kernel, pixfrac=pixfrac)
    cw = whole.add(data, pixmap, weights=weights)
    parts = Drizzler((12, 12), kernel=kernel, pixfrac=pixfrac)
    xc = min(int(cut[0] * nx), nx - 1)
    yc = min(int(cut[1] * ny), ny - 1)
    drawn = skipped = 0
    # four quadrants split at (xc, yc); an empty one is left out
    for x0, x1 in ((0, xc - 1), (xc, nx - 1)):
        for y0, y1 in ((0, yc - 1), (yc, ny - 1)):
            if x1 < x0 or y1 < y0:
                continue
            c = parts.add(data, pixmap, weights=weights, xmin=x0, xmax=x1, ymin=y0, ymax=y1)
            drawn += c.drawn
            skipped += c.skipped
    a, b = whole.finish(), parts.finish()
    np.testing.assert_allclose(b.wht, a.wht, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(b.data, a.data, rtol=1e-6, atol=1e-6)
    assert (drawn, skipped) == tuple(cw)


# --- fuzz ------------------------------------------------------------------------------------

SPECIALS = [np.nan, np.inf, -np.inf, 1e30, -1e30, 1e300, -1e300, 0.0, 1e-300, 5e15]


@st.composite
def hostile_pixmaps(draw):
    ny = draw(st.integers(1, 9))
    nx = draw(st.integers(1, 9))
    y, x = np.indices((ny, nx), dtype=np.float64)
    kind = draw(st.sampled_from(["affine", "degenerate", "folded", "noise", "line", "huge"]))
    seed = draw(seeds)
    rng = np.random.default_rng(seed)
    if kind == "affine":
        pm = np.dstack([x + 2.3, y + 1.7])
    elif kind == "degenerate":  # every centre on one point
        pm = np.full((ny, nx, 2), 3.0)
    elif kind == "folded":  # the map doubles back on itself
        pm = np.dstack([np.abs(x - nx / 2) + 2, y + 1])
    elif kind == "noise":  # random scatter: many bow ties
        pm = rng.uniform(-3, 12, (ny, nx, 2))
    elif kind == "line":  # collinear centres: zero-area footprints
        pm = np.dstack([x + y + 1, x + y + 1])
    else:
        pm = np.dstack([x * 1e30, y * 1e-30 + 2])
    n_bad = draw(st.integers(0, 4))
    for _ in range(n_bad):
        j = draw(st.integers(0, ny - 1))
        i = draw(st.integers(0, nx - 1))
        k = draw(st.integers(0, 1))
        pm[j, i, k] = draw(st.sampled_from(SPECIALS))
    return pm


def pixels_that_land(pixmap, usable, kernel, pixfrac, out_shape):
    """Which input pixels must give some output pixel weight, where that is
    known exactly: for the point kernel, the usable pixels whose centre
    rounds into the output (any map); for the square kernel, the usable
    pixels of the unspoilt shift by (2.3, 1.7), whose footprints are squares
    of side pixfrac, when one overlaps the output by more than round-off.
    None for the square kernel on any other map."""
    ny, nx = out_shape
    if kernel == "point":
        with np.errstate(invalid="ignore"):
            ix, iy = np.floor(pixmap[..., 0] + 0.5), np.floor(pixmap[..., 1] + 0.5)
            inside = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        return usable & inside
    y, x = np.indices(pixmap.shape[:2], dtype=np.float64)
    if not np.array_equal(pixmap, np.dstack([x + 2.3, y + 1.7])):
        return None
    half = pixfrac / 2
    # the squares start right of x = -0.5 and above y = -0.5: only the far
    # edges of the output can cut them off
    width = np.minimum(x + 2.3 + half, nx - 0.5) - (x + 2.3 - half)
    height = np.minimum(y + 1.7 + half, ny - 0.5) - (y + 1.7 - half)
    return usable & (width > 1e-9) & (height > 1e-9)


# a footprint two of whose corners are ~1e299 away: found by this test once
HUGE_SPIKE = np.array(
    [[[0.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [1.0, 1.0]], [[1.0, 1e300], [1.0, 2.0]]]
)


# huge footprints are skipped with a warning (tests/kernel/test_kernel_hostile.py)
@pytest.mark.filterwarnings("ignore::resamplespec.kernel.DrizzleWarning")
@settings(max_examples=300, deadline=None)
@example(pixmap=HUGE_SPIKE, kernel="square", pixfrac=1.0, seed=0, out_shape=(3, 3))
@given(
    pixmap=hostile_pixmaps(),
    kernel=st.sampled_from(["square", "point"]),
    pixfrac=pixfracs,
    seed=seeds,
    out_shape=st.tuples(st.integers(1, 10), st.integers(1, 10)),
)
def test_hostile_pixmaps_never_crash_and_give_sane_outputs(pixmap, kernel, pixfrac, seed,
                                                           out_shape):
    shape = pixmap.shape[:2]
    rng = np.random.default_rng(seed)
    data = rng.uniform(-2, 5, shape).astype(np.float32)
    weights = rng.uniform(0, 2, shape).astype(np.float32)
    var = rng.uniform(0, 3, shape).astype(np.float32)
    dq = rng.integers(0, 16, shape).astype(np.uint32)
    pm_copy = pixmap.copy()
    d = Drizzler(out_shape, kernel=kernel, pixfrac=pixfrac, n_variances=1,
                 variance_mode="exact", propagate_dq=True)
    with np.errstate(all="raise"):  # no floating point warnings from the wrapper
        counts = d.add(data, pixmap, weights=weights, variances=[var], dq=dq)
        out = d.finish()
    np.testing.assert_array_equal(pixmap, pm_copy)
    assert counts.drawn + counts.skipped == data.size
    # pixels with NaN data or no weight are skipped whatever the map holds
    usable = np.isfinite(data) & (weights > 0)
    assert counts.drawn <= np.count_nonzero(usable)
    drawn = pixels_that_land(pixmap, usable, kernel, pixfrac, out_shape)
    if drawn is not None:
        assert counts.drawn == np.count_nonzero(drawn)
    assert np.isfinite(out.wht).all() and (out.wht >= 0).all()
    landed = ~np.isnan(out.data)
    np.testing.assert_array_equal(out.wht[~landed], 0)
    np.testing.assert_array_equal(out.con[0] == 1, landed)
    np.testing.assert_array_equal(out.con[0] & ~1, 0)
    assert (counts.drawn == 0) == (not landed.any())
    lo, hi = data.min(), data.max()
    assert np.all(out.data[landed] >= lo - 1e-5 * abs(lo) - 1e-6)
    assert np.all(out.data[landed] <= hi + 1e-5 * abs(hi) + 1e-6)
    assert out.wht.sum(dtype=np.float64) <= weights.sum(dtype=np.float64) * (1 + 1e-6)
    v = out.variances[0]
    assert np.isnan(v[~landed]).all()
    assert np.all(v[landed] >= 0) and np.all(v[landed] <= var.max() * (1 + 1e-6))
    all_flags = np.bitwise_or.reduce(dq.ravel())
    np.testing.assert_array_equal(out.dq & ~all_flags, 0)
    np.testing.assert_array_equal(out.dq[~landed], 0)


@settings(max_examples=60, deadline=None)
@given(
    shape=st.sampled_from([(1, 1), (1, 2), (2, 1), (1, 7), (7, 1), (2, 2), (3, 1), (1, 3)]),
    value=st.sampled_from(SPECIALS),
    kernel=st.sampled_from(["square", "point"]),
)
def test_uniformly_bad_maps_of_thin_images(shape, value, kernel):
    pixmap = np.full((*shape, 2), value)
    d = Drizzler((4, 4), kernel=kernel)
    counts = d.add(np.ones(shape, np.float32), pixmap)
    out = d.finish()
    assert counts.drawn + counts.skipped == shape[0] * shape[1]
    landed = ~np.isnan(out.data)
    np.testing.assert_array_equal(out.data[landed], 1.0)
    if not math.isfinite(value) or abs(value) > 10:
        assert counts.drawn == 0 and not landed.any()
    if kernel == "point" and value in (0.0, 1e-300):
        # all centres on output pixel (0, 0)
        assert counts.drawn == shape[0] * shape[1]
        assert out.wht[0, 0] == shape[0] * shape[1]


def test_make_pixmap_places_the_map():
    # the helper every law above relies on: identity map, margin 2
    pm, out_shape = make_pixmap(3, 4, (np.eye(2), np.zeros(4), np.zeros(2)), margin=2)
    assert out_shape == (7, 8)
    np.testing.assert_array_equal(pm[..., 0], np.arange(4)[None, :] + 2.0 + np.zeros((3, 1)))
    np.testing.assert_array_equal(pm[..., 1], np.arange(3)[:, None] + 2.0 + np.zeros((1, 4)))
