"""Variance propagation: the exact mode is the variance of the output, checked
against Monte-Carlo noise; the reference mode is what the JWST pipeline does."""

import internals
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resamplespec import Drizzler


def _smooth_map(ny, nx, angle=0.2, scale=1.3, shift=(0.3, 0.45)):
    y, x = np.indices((ny, nx), dtype=float)
    c, s = np.cos(angle), np.sin(angle)
    return np.dstack([scale * (c * x - s * y) + shift[0] + 4, scale * (s * x + c * y) + shift[1]])


def test_exact_variance_matches_monte_carlo_scatter():
    rng = np.random.default_rng(11)
    ny, nx = 12, 14
    pixmap = _smooth_map(ny, nx)
    variance = rng.uniform(0.5, 2.0, (ny, nx)).astype(np.float32)
    weights = rng.uniform(0.5, 1.5, (ny, nx)).astype(np.float32)
    out_shape = (24, 30)

    predicted = None
    samples = []
    for _ in range(1500):
        noise = rng.normal(0.0, np.sqrt(variance)).astype(np.float32)
        d = Drizzler(out_shape, n_variances=1, variance_mode="exact")
        d.add(noise, pixmap, weights=weights, variances=(variance,), iscale=0.7)
        result = d.finish()
        samples.append(result.data)
        predicted = result.variances[0]
    samples = np.array(samples)
    covered = np.isfinite(predicted)
    empirical = samples[:, covered].var(axis=0)
    ratio = empirical / predicted[covered]
    # 1500 samples: each empirical variance is good to ~sqrt(2/1500) = 3.7%
    assert abs(np.mean(ratio) - 1.0) < 0.01
    assert np.all(np.abs(ratio - 1.0) < 0.2)


def test_reference_variance_is_the_square_of_the_weighted_mean_sigma():
    # One output pixel fed by two input pixels with known weights.
    data = np.ones((2, 2), np.float32)
    pixmap = np.zeros((2, 2, 2))  # every centre on output pixel (0, 0)
    variance = np.array([[1.0, 9.0], [4.0, 16.0]], np.float32)
    weights = np.array([[1.0, 3.0], [0.0, 0.0]], np.float32)
    d = Drizzler((1, 1), kernel="point", n_variances=1, variance_mode="reference")
    d.add(data, pixmap, weights=weights, variances=(variance,))
    (reference,) = d.finish().variances
    mean_sigma = (1 * 1.0 + 3 * 3.0) / 4
    assert reference[0, 0] == pytest.approx(mean_sigma**2)
    d = Drizzler((1, 1), kernel="point", n_variances=1, variance_mode="exact")
    d.add(data, pixmap, weights=weights, variances=(variance,))
    (exact,) = d.finish().variances
    assert exact[0, 0] == pytest.approx((1 * 1.0 + 9 * 9.0) / 16)


def test_reference_combination_across_inputs_uses_inverse_read_noise():
    pixmap = np.zeros((1, 1, 2))
    d = Drizzler((1, 1), kernel="point", n_variances=2, variance_mode="reference")
    for rnoise, flat in ((4.0, 1.0), (1.0, 2.0)):
        d.add(np.ones((1, 1)), pixmap,
              variances=(np.full((1, 1), rnoise), np.full((1, 1), flat)),
              variance_weight="ivm")
    var_rnoise, var_flat = d.finish().variances
    w1, w2 = 1 / 4.0, 1 / 1.0
    assert var_rnoise[0, 0] == pytest.approx((w1**2 * 4 + w2**2 * 1) / (w1 + w2) ** 2)
    assert var_flat[0, 0] == pytest.approx((w1**2 * 1 + w2**2 * 2) / (w1 + w2) ** 2)


def test_reference_combination_with_exposure_times():
    pixmap = np.zeros((1, 1, 2))
    d = Drizzler((1, 1), kernel="point", n_variances=1, variance_mode="reference")
    for time, var in ((100.0, 3.0), (300.0, 1.0)):
        d.add(np.ones((1, 1)), pixmap, variances=(np.full((1, 1), var),),
              variance_weight=time)
    (variance,) = d.finish().variances
    assert variance[0, 0] == pytest.approx((100**2 * 3 + 300**2 * 1) / 400**2)


@pytest.mark.parametrize("bad", ["ivn", -1.0, 0.0, float("nan")])
def test_bad_variance_weight_is_refused(bad):
    d = Drizzler((1, 1), n_variances=1)
    with pytest.raises((ValueError, TypeError), match="variance_weight"):
        d.add(np.ones((2, 2)), np.zeros((2, 2, 2)), variances=(np.ones((2, 2)),),
              variance_weight=bad)


def test_variances_are_nan_where_nothing_contributed_whatever_fillval():
    y, x = np.indices((2, 2), dtype=float)
    d = Drizzler((3, 3), n_variances=1, fillval=0, variance_mode="exact")
    d.add(np.ones((2, 2)), np.dstack([x, y]), variances=(np.ones((2, 2)),))
    result = d.finish()
    assert result.data[2, 2] == 0.0
    assert np.isnan(result.variances[0][2, 2])
    assert result.variances[0][0, 0] == pytest.approx(1.0)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**16), n_variances=st.integers(1, 3),
       nan_share=st.sampled_from([0.0, 0.3, 1.0]))
def test_err_is_the_root_of_the_nan_ignoring_sum_of_the_variances(seed, n_variances,
                                                                  nan_share):
    """err = sqrt(nansum of the variances), NaN where all are NaN; made one
    variance at a time, it must give the bits of the stacked formula."""
    rng = np.random.default_rng(seed)
    variances = [rng.uniform(0.0, 3.0, (7, 11)).astype(np.float32) for _ in range(n_variances)]
    for values in variances:
        values[rng.random(values.shape) < nan_share] = np.nan
    stacked = np.stack(variances)
    expected = np.sqrt(np.nansum(stacked, axis=0)).astype(np.float32)
    expected[np.isnan(stacked).all(axis=0)] = np.nan
    before = [v.copy() for v in variances]
    assert internals.error_from_variances(variances).tobytes() == expected.tobytes()
    assert all(a.tobytes() == b.tobytes() for a, b in zip(variances, before, strict=True))
