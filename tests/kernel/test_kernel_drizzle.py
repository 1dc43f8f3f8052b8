"""The Drizzler against the drizzle package (3.x), the JWST pipeline's kernel.

Where both are defined the same -- every input footprint inside the output
frame, finite data, positive weights -- our data, weight, context, DQ and
squared-weight variances equal drizzle's to float32 round-off (drizzle
rounds its running means to float32 after every update; we keep double sums).
The tests at the end document where we differ on purpose.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from resamplespec import Drizzler

pytest.importorskip("drizzle", minversion="3.0")
from drizzle.resample import Drizzle  # noqa: E402


def smooth_map(ny, nx, rng, margin=6.0):
    """A rotated, scaled, gently curved map with every footprint at least
    ``margin - 3`` pixels inside the frame it returns."""
    y, x = np.indices((ny, nx), dtype=np.float64)
    angle = rng.uniform(-0.4, 0.4)
    scale = rng.uniform(0.6, 1.6)
    c, s = math.cos(angle), math.sin(angle)
    # gentle curvature (at most ~2 pixels of bow across the image): drizzle
    # drops interior pixels of strongly curved maps, see the last test
    u = scale * (c * x - s * y) + rng.uniform(-0.05, 0.05) * y**2 / max(ny, nx)
    v = scale * (s * x + c * y) + rng.uniform(-0.05, 0.05) * x**2 / max(ny, nx)
    u += margin - u.min() + rng.uniform(0, 1)
    v += margin - v.min() + rng.uniform(0, 1)
    out_shape = (int(v.max() + margin) + 2, int(u.max() + margin) + 2)
    return np.dstack([u, v]), out_shape


def assert_close_float32(ours, theirs, scale):
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6 * scale)


@pytest.mark.parametrize("kernel", ["square", "point"])
@pytest.mark.parametrize("seed", range(5))
def test_data_weight_context_equal_drizzle_inside_the_frame(kernel, seed):
    rng = np.random.default_rng(seed)
    ny, nx = (int(n) for n in rng.integers(4, 40, size=2))
    pixmap, out_shape = smooth_map(ny, nx, rng)
    pixfrac = float(rng.uniform(0.2, 1.0)) if kernel == "square" else 1.0
    iscale = float(rng.uniform(0.5, 2.0))
    ours = Drizzler(out_shape, kernel=kernel, pixfrac=pixfrac)
    theirs = Drizzle(kernel=kernel, out_shape=out_shape, fillval="NaN")
    for _ in range(3):
        data = rng.uniform(-1, 10, (ny, nx)).astype(np.float32)
        weights = rng.uniform(0.2, 2.0, (ny, nx)).astype(np.float32)
        ours.add(data, pixmap, weights=weights, iscale=iscale)
        theirs.add_image(data, exptime=1.0, pixmap=pixmap, weight_map=weights, iscale=iscale,
                         pixfrac=pixfrac, in_units="cps")
        pixmap = pixmap + rng.uniform(-0.7, 0.7, 2)
    out = ours.finish()
    assert_close_float32(out.wht, theirs.out_wht, 2.0)
    assert_close_float32(out.data, theirs.out_img, 10 * iscale)
    np.testing.assert_array_equal(np.isnan(out.data), np.isnan(theirs.out_img))
    assert out.con.shape == theirs.out_ctx.shape
    np.testing.assert_array_equal(out.con, theirs.out_ctx)
    assert out.wht.sum() > 0.5 * 3 * ny * nx  # the comparison is not vacuous


def test_context_planes_equal_drizzle_beyond_32_inputs():
    rng = np.random.default_rng(40)
    # maps start 3 pixels in, reach at most ~15 pixels further, and are
    # moved by up to 6: all inside a 24 x 24 frame
    ours = Drizzler((24, 24))
    theirs = Drizzle(out_shape=(24, 24), fillval="NaN")
    for _ in range(40):
        pixmap, _ = smooth_map(4, 5, rng, margin=3.0)
        pixmap += rng.uniform(0, 6, 2)
        assert pixmap.max() < 24 - 3
        data = rng.uniform(0, 1, (4, 5)).astype(np.float32)
        ours.add(data, pixmap)
        theirs.add_image(data, exptime=1.0, pixmap=pixmap)
    out = ours.finish()
    assert out.con.shape == theirs.out_ctx.shape == (2, 24, 24)
    np.testing.assert_array_equal(out.con, theirs.out_ctx)
    assert (out.con[1] != 0).any() and (out.con[0] < 0).any()  # bit 31 used
    assert_close_float32(out.data, theirs.out_img, 1.0)


@pytest.mark.parametrize("seed", range(3))
def test_exact_variances_equal_drizzle_squared_weight_data2(seed):
    # drizzle's data2 arrays are co-added with squared weights:
    # sum(w^2 v iscale^2) / sum(w)^2, our variance_mode="exact"
    rng = np.random.default_rng(100 + seed)
    ny, nx = 20, 25
    pixmap, out_shape = smooth_map(ny, nx, rng)
    pixfrac = float(rng.uniform(0.3, 1.0))
    ours = Drizzler(out_shape, pixfrac=pixfrac, n_variances=2, variance_mode="exact",
                    propagate_dq=True)
    theirs = Drizzle(out_shape=out_shape, fillval="NaN", fillval2="NaN")
    for _ in range(2):
        data = rng.uniform(0, 5, (ny, nx)).astype(np.float32)
        weights = rng.uniform(0.2, 2.0, (ny, nx)).astype(np.float32)
        var = [rng.uniform(0.1, 3, (ny, nx)).astype(np.float32) for _ in range(2)]
        dq = (1 << rng.integers(0, 31, (ny, nx))).astype(np.uint32)
        ours.add(data, pixmap, weights=weights, iscale=1.3, variances=var, dq=dq)
        theirs.add_image(data, exptime=1.0, pixmap=pixmap, weight_map=weights, iscale=1.3,
                         pixfrac=pixfrac, data2=var, dq=dq)
        pixmap = pixmap + rng.uniform(-0.5, 0.5, 2)
    out = ours.finish()
    assert len(theirs.out_img2) == 2
    for mine, drz in zip(out.variances, theirs.out_img2, strict=True):
        np.testing.assert_array_equal(np.isnan(mine), np.isnan(drz))
        assert_close_float32(mine, drz, 5.0)
    np.testing.assert_array_equal(out.dq, theirs.out_dq)
    assert_close_float32(out.data, theirs.out_img, 6.5)


def test_reference_variances_equal_drizzle_on_sigma():
    # variance_mode="reference" for one input is drizzle run on sqrt(var),
    # squared: what the JWST pipeline does, one drizzle pass per variance.
    rng = np.random.default_rng(7)
    ny, nx = 15, 18
    pixmap, out_shape = smooth_map(ny, nx, rng)
    data = rng.uniform(0, 5, (ny, nx)).astype(np.float32)
    weights = rng.uniform(0.2, 2.0, (ny, nx)).astype(np.float32)
    var = rng.uniform(0.1, 3, (ny, nx)).astype(np.float32)
    ours = Drizzler(out_shape, pixfrac=0.7, n_variances=1, variance_mode="reference")
    ours.add(data, pixmap, weights=weights, variances=[var], iscale=2.0)
    theirs = Drizzle(out_shape=out_shape, fillval="NaN", disable_ctx=True)
    theirs.add_image(np.sqrt(var), exptime=1.0, pixmap=pixmap, weight_map=weights,
                     pixfrac=0.7, iscale=2.0)
    mine = ours.finish().variances[0]
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(theirs.out_img))
    assert_close_float32(mine, theirs.out_img.astype(np.float64) ** 2, 12.0)


@pytest.mark.parametrize("fillval", ["NaN", "-3.5", "0"])
def test_fill_values_equal_drizzle(fillval):
    y, x = np.indices((3, 3), dtype=np.float64)
    pixmap = np.dstack([x + 2.0, y + 2.0])
    data = np.arange(9, dtype=np.float32).reshape(3, 3)
    ours = Drizzler((7, 7), fillval=fillval)
    ours.add(data, pixmap)
    theirs = Drizzle(out_shape=(7, 7), fillval=fillval)
    theirs.add_image(data, exptime=1.0, pixmap=pixmap)
    np.testing.assert_array_equal(ours.finish().data, theirs.out_img)


# --- where we differ on purpose ------------------------------------------------------


def test_edge_pixels_differ_on_purpose():
    # Shifted 0.6 pixel left: input column 0 covers [-1.1, -0.1], 0.4 of it
    # inside output column 0.  Drizzle drops the column (its centre lands
    # outside) and under-weights output column 0 (0.6, from input column 1);
    # we keep the inside part: 0.4 + 0.6 = 1.
    y, x = np.indices((4, 4), dtype=np.float64)
    pixmap = np.dstack([x - 0.6, y])
    data = np.tile(np.array([10, 20, 30, 40], np.float32), (4, 1))
    ours = Drizzler((4, 4))
    counts = ours.add(data, pixmap)
    theirs = Drizzle(out_shape=(4, 4), fillval="NaN")
    theirs.add_image(data, exptime=1.0, pixmap=pixmap)
    out = ours.finish()
    np.testing.assert_allclose(out.wht[:, 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(theirs.out_wht[:, 0], 0.6, rtol=1e-6)
    np.testing.assert_allclose(out.data[:, 0], 0.4 * 10 + 0.6 * 20, rtol=1e-6)
    np.testing.assert_allclose(theirs.out_img[:, 0], 20, rtol=1e-6)
    # away from the edge the two agree
    np.testing.assert_allclose(out.wht[:, 1:], theirs.out_wht[:, 1:], rtol=1e-6)
    np.testing.assert_allclose(out.data[:, 1:], theirs.out_img[:, 1:], rtol=1e-6)
    assert counts == (16, 0)


def test_nan_data_differs_on_purpose():
    # Drizzle spreads a NaN input over the output pixels it touches; we skip
    # it and the neighbours keep their finite means.
    y, x = np.indices((3, 3), dtype=np.float64)
    pixmap = np.dstack([x + 1.5, y + 1.5])
    data = np.ones((3, 3), np.float32)
    data[1, 1] = np.nan
    ours = Drizzler((5, 5))
    ours.add(data, pixmap)
    theirs = Drizzle(out_shape=(5, 5), fillval="NaN")
    theirs.add_image(data, exptime=1.0, pixmap=pixmap)
    out = ours.finish()
    block = (slice(2, 4), slice(2, 4))  # the four outputs the NaN pixel touches
    assert np.isnan(theirs.out_img[block]).all()
    np.testing.assert_array_equal(out.data[block], 1.0)
    np.testing.assert_allclose(out.wht[block], 0.75, rtol=1e-7)


@pytest.mark.parametrize("kernel", ["square", "point"])
def test_strongly_curved_map_differs_on_purpose(kernel):
    # A 29 x 4 image whose x bows by 0.3 y^2 / 29 (up to ~8.7 pixels), every
    # footprint well inside the frame.  Drizzle 3 bounds the part of the
    # input it scans by the polygon through the four mapped image corners
    # and misses interior pixels of a curved map (78 of 116 here); we draw
    # them all and keep the whole weight.
    y, x = np.indices((29, 4), dtype=np.float64)
    pixmap = np.dstack([x + 0.3 * y**2 / 29 + 6, y + 6])
    data = np.ones((29, 4), np.float32)
    ours = Drizzler((43, 24), kernel=kernel)
    counts = ours.add(data, pixmap)
    theirs = Drizzle(kernel=kernel, out_shape=(43, 24), fillval="NaN")
    theirs.add_image(data, exptime=1.0, pixmap=pixmap)
    assert counts == (116, 0)
    assert ours.finish().wht.sum(dtype=np.float64) == pytest.approx(116, rel=1e-6)
    assert theirs.out_wht.sum(dtype=np.float64) < 0.9 * 116
