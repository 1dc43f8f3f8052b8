"""Differential test against the drizzle package (skipped when it is absent).

Inside the output frame the two kernels compute the same thing: our values
equal drizzle's to float32 round-off (drizzle rounds to float32 after every
update, we accumulate in double).  At the edge they differ on purpose.
"""

import numpy as np
import pytest

from resamplespec import Drizzler

drizzle_resample = pytest.importorskip("drizzle.resample")


def _smooth_map(ny, nx, rng):
    y, x = np.indices((ny, nx), dtype=np.float64)
    angle = rng.uniform(-0.3, 0.3)
    scale = rng.uniform(0.7, 1.4)
    c, s = np.cos(angle), np.sin(angle)
    u = scale * (c * x - s * y) + 0.01 * y**2 * rng.uniform(-1, 1)
    v = scale * (s * x + c * y) + 0.02 * x * rng.uniform(-1, 1)
    return np.dstack([u - u.min() + 6.3, v - v.min() + 6.7])


@pytest.mark.parametrize("kernel", ["square", "point"])
@pytest.mark.parametrize("seed", range(6))
def test_values_equal_drizzle_inside_the_frame(kernel, seed):
    rng = np.random.default_rng(seed)
    ny, nx = rng.integers(5, 30, size=2)
    pixmap = _smooth_map(ny, nx, rng)
    out_shape = (int(pixmap[..., 1].max()) + 8, int(pixmap[..., 0].max()) + 8)
    pixfrac = float(rng.uniform(0.3, 1.0)) if kernel == "square" else 1.0
    ours = Drizzler(out_shape, kernel=kernel, pixfrac=pixfrac)
    theirs = drizzle_resample.Drizzle(kernel=kernel, out_shape=out_shape, fillval="NaN")
    for _ in range(3):
        data = rng.uniform(-1, 10, (ny, nx)).astype(np.float32)
        weights = rng.uniform(0.2, 2.0, (ny, nx)).astype(np.float32)
        ours.add(data, pixmap, weights=weights, iscale=0.8)
        theirs.add_image(data, exptime=1.0, pixmap=pixmap, weight_map=weights, iscale=0.8,
                         pixfrac=pixfrac)
        pixmap = pixmap + rng.uniform(-0.5, 0.5, 2)
    result = ours.finish()
    np.testing.assert_allclose(result.wht, theirs.out_wht, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.data, theirs.out_img, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(result.con, np.atleast_3d(theirs.out_ctx).reshape(
        result.con.shape))


def test_edge_pixels_differ_on_purpose():
    # Shifted 0.6 pixel left: input column 0 covers [-1.1, -0.1], 0.4 of it
    # inside output pixel 0.  Drizzle drops the column (its centre lands
    # outside) and under-weights pixel 0; we keep the inside part.
    y, x = np.indices((4, 4), dtype=np.float64)
    pixmap = np.dstack([x - 0.6, y])
    ours = Drizzler((4, 4))
    ours.add(np.ones((4, 4), np.float32), pixmap)
    theirs = drizzle_resample.Drizzle(out_shape=(4, 4), fillval="NaN")
    theirs.add_image(np.ones((4, 4), np.float32), exptime=1.0, pixmap=pixmap)
    assert ours.finish().wht[1, 0] == pytest.approx(1.0)
    assert theirs.out_wht[1, 0] == pytest.approx(0.6)
