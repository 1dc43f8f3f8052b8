"""The covariance of drizzled pixels (``covariance=True``): exact values from
geometry, an independent reference, and the same bits in any window or band."""

import internals
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polyclip import pixel_fractions

from resamplespec import Drizzler, limits
from resamplespec.kernel import InputDraw, WindowedDrizzle, half_plane_offsets, pair_covariance

windows_module = internals.windows_module


def _covariance_map(result):
    """{(y, x, dy, dx): covariance} of the nonzero pairs of a DrizzleResult."""
    planes = pair_covariance(result.pairs, result.wht)
    found = {}
    for p, (dy, dx) in enumerate(result.pairs.offsets):
        for y, x in zip(*np.nonzero(planes[p]), strict=True):
            found[(int(y), int(x), int(dy), int(dx))] = float(planes[p, y, x])
    return found


def _reference_covariance(pixmap, variance, weights, out_shape, pixfrac):
    """sum_i w_ik w_il v_i / (W_k W_l), from polygon clipping (tests/polyclip.py)."""
    ny, nx = pixmap.shape[:2]
    sums, total = {}, np.zeros(out_shape)
    for j in range(ny):
        for i in range(nx):
            cells = [(iy, ix, f * weights[j, i])
                     for iy, ix, f in pixel_fractions(pixmap, i, j, out_shape, pixfrac)]
            for iy, ix, w in cells:
                total[iy, ix] += w
            for a in cells:
                for b in cells:
                    if (b[0], b[1]) > (a[0], a[1]):
                        key = (a[0], a[1], b[0] - a[0], b[1] - a[1])
                        sums[key] = sums.get(key, 0.0) + a[2] * b[2] * variance[j, i]
    return {k: s / (total[k[0], k[1]] * total[k[0] + k[2], k[1] + k[3]])
            for k, s in sums.items()}


def test_one_input_pixel_split_over_two_output_pixels_gives_the_overlap_covariance():
    # Input pixels 0 and 1 of row 0, shifted by 1.25 output pixels: pixel 0
    # covers x in [0.75, 1.75], 3/4 in output column 1 and 1/4 in column 2;
    # pixel 1 covers [1.75, 2.75], 3/4 in column 2 and 1/4 in column 3.
    y, x = np.indices((2, 2), dtype=float)
    pixmap = np.dstack([x + 1.25, y + 1.0])
    data = np.array([[1.0, 1.0], [np.nan, np.nan]], np.float32)
    variance = np.array([[2.0, 3.0], [1.0, 1.0]], np.float32)
    drizzler = Drizzler((3, 5), n_variances=1, variance_mode="exact", covariance=True)
    drizzler.add(data, pixmap, variances=(variance,))
    result = drizzler.finish()
    np.testing.assert_allclose(result.wht[1, 1:4], [0.75, 1.0, 0.25])
    found = _covariance_map(result)
    assert set(found) == {(1, 1, 0, 1), (1, 2, 0, 1)}
    # cov(1, 2) = (3/4)(1/4) v0 / (W1 W2) = v0 / 4; cov(2, 3) = (3/4)(1/4) v1 / (1/4)
    assert found[(1, 1, 0, 1)] == pytest.approx(0.25 * 2.0, rel=1e-6)
    assert found[(1, 2, 0, 1)] == pytest.approx(0.75 * 3.0, rel=1e-6)
    # and the variances on the diagonal are those of exact mode
    np.testing.assert_allclose(result.variances[0][1, 1:4],
                               [2.0, 0.0625 * 2.0 + 0.5625 * 3.0, 3.0], rtol=1e-6)


@pytest.mark.parametrize("pixfrac, scale, stretch, angle", [
    (1.0, 1.0, 1.0, 0.0), (0.6, 1.0, 1.0, 0.2), (1.0, 2.0, 1.0, 0.1), (0.8, 0.5, 1.0, -0.3),
    (1.0, 3.0, 1.0, 0.05), (1.0, 1.0, 2.5, 0.02), (0.7, 0.5, 3.0, -0.05),
])
def test_covariance_agrees_with_polygon_clipping(pixfrac, scale, stretch, angle):
    # stretch: footprints longer along y than along x (pixel_scale_ratio > 1)
    rng = np.random.default_rng(7)
    y, x = np.indices((6, 8), dtype=float)
    c, s = np.cos(angle), np.sin(angle)
    pixmap = np.dstack([(c * x - s * y) * scale + 3.3,
                        (s * x + c * y) * scale * stretch + 2.7])
    out_shape = (int(pixmap[..., 1].max()) + 3, int(pixmap[..., 0].max()) + 3)
    variance = rng.uniform(0.5, 2.0, (6, 8)).astype(np.float32)
    weights = rng.uniform(0.5, 2.0, (6, 8)).astype(np.float32)
    drizzler = Drizzler(out_shape, pixfrac=pixfrac, n_variances=1, variance_mode="exact",
                        covariance=True)
    drizzler.add(np.ones((6, 8), np.float32), pixmap, weights=weights, variances=(variance,))
    found = _covariance_map(drizzler.finish())
    expected = _reference_covariance(pixmap, variance.astype(float), weights.astype(float),
                                     out_shape, pixfrac)
    assert set(found) == set(expected)
    for key, value in expected.items():
        assert found[key] == pytest.approx(value, rel=1e-5), key


def test_point_kernel_has_no_covariance_planes():
    y, x = np.indices((5, 6), dtype=float)
    drizzler = Drizzler((8, 8), kernel="point", n_variances=1, variance_mode="exact",
                        covariance=True)
    drizzler.add(np.ones((5, 6), np.float32), np.dstack([x + 0.7, 1.3 * y]),
                 variances=(np.ones((5, 6), np.float32),))
    assert drizzler.finish().pairs.values.shape == (0, 8, 8)


def test_half_plane_offsets_hold_each_pair_once():
    offsets = half_plane_offsets(2, 3)
    assert len(offsets) == len(set(offsets)) == 3 * 5 + 2
    # every offset or its opposite, never both
    for dx in range(-2, 3):
        for dy in range(-3, 4):
            if (dx, dy) != (0, 0):
                assert ((dx, dy) in offsets) != ((-dx, -dy) in offsets)


def test_covariance_needs_exact_variances():
    with pytest.raises(ValueError, match="variance_mode='exact'"):
        Drizzler((4, 4), n_variances=1, variance_mode="reference", covariance=True)
    with pytest.raises(ValueError, match="at least one variance"):
        Drizzler((4, 4), n_variances=0, variance_mode="exact", covariance=True)


def test_footprints_beyond_the_plane_limit_are_refused_before_drawing(monkeypatch):
    monkeypatch.setattr(limits, "COVARIANCE_MAX_PLANES", 3)
    y, x = np.indices((4, 4), dtype=float)
    drizzler = Drizzler((12, 6), n_variances=1, variance_mode="exact", covariance=True)
    with pytest.raises(ValueError, match="COVARIANCE_MAX_PLANES"):
        drizzler.add(np.ones((4, 4), np.float32), np.dstack([x + 1, 2.5 * y + 1]),
                     variances=(np.ones((4, 4), np.float32),))
    assert not drizzler.finish().wht.any()  # nothing was drawn


def _inputs(seed, n_inputs, ny, nx, dispersion_axis):
    rng = np.random.default_rng(seed)
    y, x = np.indices((ny, nx), dtype=np.float64)
    inputs = []
    for k in range(n_inputs):
        along, across = (x, y) if dispersion_axis == 1 else (y, x)
        out_along = 0.9 * along + 1.0 + 3.0 * k
        out_across = (1.0 + 0.7 * k) * across + 0.01 * along + 2.0 + 0.3 * k
        pixmap = (np.dstack([out_along, out_across]) if dispersion_axis == 1
                  else np.dstack([out_across, out_along]))
        data = rng.normal(1.0, 0.5, (ny, nx)).astype(np.float32)
        data[rng.random((ny, nx)) < 0.03] = np.nan
        inputs.append(dict(
            data=data, pixmap=pixmap + rng.normal(0, 0.02, pixmap.shape),
            weights=rng.uniform(0.5, 2.0, (ny, nx)).astype(np.float32),
            variances=tuple(rng.uniform(0.1, 1.0, (ny, nx)).astype(np.float32)
                            for _ in range(2))))
    return inputs


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16), n_inputs=st.integers(1, 3),
       dispersion_axis=st.sampled_from([1, 2]), pixfrac=st.sampled_from([1.0, 0.6]))
def test_covariance_is_the_same_bits_window_by_window(seed, n_inputs, dispersion_axis,
                                                      pixfrac):
    ny, nx = (10, 60) if dispersion_axis == 1 else (60, 10)
    out_shape = (26, 75) if dispersion_axis == 1 else (75, 26)

    def make(window=None):
        return Drizzler(out_shape, pixfrac=pixfrac, n_variances=2, variance_mode="exact",
                        window=window, covariance=True)


    def draws():
        for values in _inputs(seed, n_inputs, ny, nx, dispersion_axis):
            yield InputDraw(values["data"], values["pixmap"], values["weights"], 1.0,
                            values["variances"], None, None, {})

    whole = make()
    for draw in draws():
        draw.add_to(whole)
    expected = whole.finish()
    windowed = WindowedDrizzle(make, out_shape, dispersion_axis, point=False)
    budget = windows_module.window_count
    try:
        windows_module.window_count = lambda *a: 4
        windowed.run(draws(), n_inputs)
    finally:
        windows_module.window_count = budget
    result = windowed.finish()
    # the windows' offsets are a union; the whole pass's may hold more zero planes
    index = {tuple(o): p for p, o in enumerate(expected.pairs.offsets.tolist())}
    for offset, values in zip(result.pairs.offsets.tolist(), result.pairs.values, strict=True):
        assert values.tobytes() == expected.pairs.values[index[tuple(offset)]].tobytes()
    missing = set(index) - {tuple(o) for o in result.pairs.offsets.tolist()}
    assert not any(expected.pairs.values[index[o]].any() for o in missing)


@pytest.mark.parametrize("pixfrac", [1.0, 0.6])
def test_covariance_is_the_same_bits_in_bands(monkeypatch, pixfrac):
    monkeypatch.setattr(limits, "MIN_BAND_PIXELS", 1)
    values = _inputs(3, 2, 40, 50, 1)
    results = []
    for n_jobs in (1, 3):
        drizzler = Drizzler((80, 70), pixfrac=pixfrac, n_variances=2, variance_mode="exact",
                            covariance=True, n_jobs=n_jobs)
        for v in values:
            drizzler.add(v["data"], v["pixmap"], weights=v["weights"],
                         variances=v["variances"])
        assert (len(internals.bands(drizzler)) > 1) == (n_jobs > 1)
        results.append(drizzler.finish().pairs)
    assert results[0].offsets.tolist() == results[1].offsets.tolist()
    assert results[0].values.tobytes() == results[1].values.tobytes()
    assert results[0].values.any()


def test_covariance_leaves_data_and_variances_unchanged():
    values = _inputs(5, 2, 12, 30, 1)
    results = []
    for covariance in (False, True):
        drizzler = Drizzler((30, 40), n_variances=2, variance_mode="exact",
                            covariance=covariance)
        for v in values:
            drizzler.add(v["data"], v["pixmap"], weights=v["weights"],
                         variances=v["variances"])
        results.append(drizzler.finish())
    for name in ("data", "wht", "con"):
        assert getattr(results[0], name).tobytes() == getattr(results[1], name).tobytes()
    for a, b in zip(results[0].variances, results[1].variances, strict=True):
        assert a.tobytes() == b.tobytes()
