"""resamplespec.kernel.combine_estimates, neighbour_models and judge_pixels: the C passes
the outlier search makes its models and verdicts with, bit for bit the
numpy statements of their rules (written out here)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resamplespec.kernel import combine_estimates, judge_pixels, neighbour_models
from resamplespec.pipeline._outliers import _steepest_step


def _combined_by_numpy(values, variances, threshold):
    """The rule in numpy: one or two present, their mean (the lower of two
    that disagree, whichever rows they are in); three or more, their median
    with pi / 2 times the variance of their mean."""
    known = np.isfinite(values)
    count = known.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(known, values, 0.0).sum(axis=0) / count
        variance = np.where(known, variances, 0.0).sum(axis=0) / np.square(count)
    for i in np.flatnonzero(count == 2):
        (a, b), (a_var, b_var) = values[known[:, i], i], variances[known[:, i], i]
        if abs(a - b) > threshold * np.sqrt(a_var + b_var):
            value[i], variance[i] = (b, b_var) if b < a else (a, a_var)
    many = count >= 3
    if many.any():
        ordered = np.sort(values[:, many], axis=0)
        n = count[many]
        low = np.take_along_axis(ordered, ((n - 1) // 2)[None], axis=0)[0]
        high = np.take_along_axis(ordered, (n // 2)[None], axis=0)[0]
        value[many] = 0.5 * (low + high)
        variance[many] = variance[many] * (np.pi / 2.0)
    return np.where(count > 0, value, np.nan), np.where(count > 0, variance, np.nan), count


def _stack(draw, m, n, low, high):
    return np.array(draw(st.lists(
        st.one_of(st.floats(low, high), st.just(np.nan)), min_size=m * n, max_size=m * n)),
        dtype=np.float64).reshape(m, n)


@settings(max_examples=80, deadline=None)
@given(st.data(), st.integers(1, 7), st.integers(1, 40), st.floats(0.5, 10.0))
def test_combine_estimates_is_the_numpy_rule_bit_for_bit(data, m, n, threshold):
    values = _stack(data.draw, m, n, -50.0, 50.0)
    variances = np.abs(_stack(data.draw, m, n, 0.0, 30.0))
    value, variance, count = combine_estimates(values, variances, threshold)
    expected = _combined_by_numpy(values, variances, threshold)
    np.testing.assert_array_equal(value, expected[0])
    np.testing.assert_array_equal(variance, expected[1])
    np.testing.assert_array_equal(count, expected[2])


def test_two_that_disagree_give_the_lower_with_its_variance():
    values = np.array([[10.0, 10.0, 4.0, np.nan], [4.0, 11.0, 10.0, 7.0]])
    variances = np.array([[1.0, 1.0, 2.0, 5.0], [2.0, 1.0, 1.0, 3.0]])
    value, variance, count = combine_estimates(values, variances, 3.0)
    # 6 apart against 3 sqrt(3): the lower; 1 apart: the mean; one known: itself
    np.testing.assert_array_equal(value, [4.0, 10.5, 4.0, 7.0])
    np.testing.assert_array_equal(variance, [2.0, 0.5, 2.0, 3.0])
    np.testing.assert_array_equal(count, [2, 2, 2, 1])


def test_of_four_others_two_present_that_disagree_give_the_lower_wherever_they_are():
    # rows 2 and 3 present, rows 0 and 1 missing (the method's first numpy
    # statement compared rows 0 and 1 and took NaN for the lower)
    values = np.array([[np.nan], [np.nan], [10.0], [4.0]])
    variances = np.array([[1.0], [1.0], [1.0], [2.0]])
    value, variance, count = combine_estimates(values, variances, 3.0)
    assert (value[0], variance[0], count[0]) == (4.0, 2.0, 2)


def test_three_or_more_give_the_median_with_pi_over_two_times_the_mean_variance():
    values = np.array([[1.0, 1.0], [50.0, 2.0], [2.0, 3.0], [np.nan, 40.0]])
    variances = np.ones((4, 2))
    value, variance, count = combine_estimates(values, variances, 5.0)
    np.testing.assert_array_equal(value, [2.0, 2.5])
    np.testing.assert_array_equal(variance, [np.pi / 2.0 / 3.0, np.pi / 2.0 / 4.0])
    np.testing.assert_array_equal(count, [3, 4])


def test_combine_estimates_refuses_no_estimates():
    with pytest.raises(ValueError, match="m >= 1"):
        combine_estimates(np.zeros((0, 4)), np.zeros((0, 4)), 5.0)
    with pytest.raises(ValueError, match="m >= 1"):
        combine_estimates(np.zeros(4), np.zeros(4), 5.0)


def _judged_by_numpy(data, model, model_variance, sigma, others, considered, threshold,
                     shift):
    # the slope as the numpy judgement (kept for inputs without errors) takes it
    step = _steepest_step(model)
    noise = np.sqrt(np.square(sigma) + np.nan_to_num(model_variance))
    judged = considered & np.isfinite(model) & np.isfinite(noise) & (noise > 0)
    tolerance = threshold * noise + shift * np.nan_to_num(step)
    residual = data - model
    with np.errstate(invalid="ignore"):
        mask = judged & ((residual > tolerance) | ((others >= 3) & (-residual > tolerance)))
    seen = judged & (others > 0)
    return mask, int(seen.sum()), int((mask & seen).sum())


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 7), st.integers(1, 9), st.integers(0, 2**31 - 1),
       st.floats(1.0, 8.0), st.floats(0.0, 1.0))
def test_judge_pixels_is_the_numpy_rule_bit_for_bit(ny, nx, seed, threshold, shift):
    rng = np.random.default_rng(seed)
    model = rng.normal(0.0, 5.0, (ny, nx))
    model[rng.random((ny, nx)) < 0.2] = np.nan
    data = model + rng.normal(0.0, 1.0, (ny, nx)) * rng.choice([1.0, 20.0], (ny, nx))
    data[rng.random((ny, nx)) < 0.1] = np.nan
    model_variance = rng.uniform(0.0, 2.0, (ny, nx))
    model_variance[rng.random((ny, nx)) < 0.2] = np.nan
    sigma = rng.uniform(0.0, 2.0, (ny, nx))
    sigma[rng.random((ny, nx)) < 0.1] = 0.0
    others = rng.integers(0, 4, (ny, nx)).astype(np.int32)
    considered = rng.random((ny, nx)) < 0.8
    args = (data, model, model_variance, sigma, others, considered)
    mask, seen, rejected = judge_pixels(*args, threshold=threshold, shift=shift)
    expected = _judged_by_numpy(*args, threshold, shift)
    np.testing.assert_array_equal(mask, expected[0])
    assert (seen, rejected) == expected[1:]


def test_a_steep_model_tolerates_its_slope_times_the_shift():
    model = np.array([[0.0, 100.0, 200.0]])
    data = model + np.array([[0.0, 40.0, 0.0]])
    ones = np.ones((1, 3))
    args = (data, model, np.zeros((1, 3)), ones, ones.astype(np.int32),
            np.ones((1, 3), dtype=bool))
    # 40 above: beyond 5 noise, within 5 + 0.5 x 100 (the steepest step)
    assert judge_pixels(*args, threshold=5.0, shift=0.0)[0][0, 1]
    assert not judge_pixels(*args, threshold=5.0, shift=0.5)[0][0, 1]


def test_below_the_model_counts_only_against_three_others():
    model = np.zeros((1, 2))
    data = np.array([[-30.0, -30.0]])
    ones = np.ones((1, 2))
    mask = judge_pixels(data, model, np.zeros((1, 2)), ones, np.array([[2, 3]], np.int32),
                        np.ones((1, 2), dtype=bool), threshold=5.0, shift=0.0)[0]
    np.testing.assert_array_equal(mask, [[False, True]])


def test_judge_pixels_refuses_arrays_of_other_shapes():
    ones = np.ones((2, 3))
    with pytest.raises(ValueError, match="sigma"):
        judge_pixels(ones, ones, ones, np.ones((3, 2)), ones.astype(np.int32),
                     ones.astype(bool), threshold=5.0, shift=0.0)


def _median_of_neighbours_by_numpy(values, rows, columns, axis):
    """The numpy statement of one neighbours' median (the method's first
    implementation): the finite values two on each side along ``axis``,
    sorted (NaN last), the mean of the middle two; NaN with fewer than two."""
    ny, nx = values.shape
    found = np.full((4, rows.size), np.nan)
    for k, offset in enumerate((-2, -1, 1, 2)):
        r, c = (rows + offset, columns) if axis == 0 else (rows, columns + offset)
        inside = (r >= 0) & (r < ny) & (c >= 0) & (c < nx)
        found[k, inside] = values[r[inside], c[inside]]
    found.sort(axis=0)
    n = np.isfinite(found).sum(axis=0)
    low = np.take_along_axis(found, (np.maximum(n - 1, 0) // 2)[None], axis=0)[0]
    high = np.take_along_axis(found, (n // 2)[None], axis=0)[0]
    return np.where(n >= 2, 0.5 * (low + high), np.nan)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), slit_axis=st.sampled_from([0, 1]),
       shape=st.tuples(st.integers(1, 9), st.integers(1, 9)))
def test_neighbour_models_are_the_numpy_rule_bit_for_bit(seed, slit_axis, shape):
    rng = np.random.default_rng(seed)
    data = rng.normal(size=shape) * rng.choice([1.0, 100.0], size=shape)
    values = np.where(rng.random(shape) < 0.25, np.nan, data)
    alone = rng.random(shape) < 0.6
    model = np.full(shape, -7.0)
    neighbour_models(values, data, alone, model, slit_axis=slit_axis)
    rows, columns = np.nonzero(alone)
    along_slit = _median_of_neighbours_by_numpy(values, rows, columns, slit_axis)
    along_dispersion = _median_of_neighbours_by_numpy(values, rows, columns, 1 - slit_axis)
    here = data[rows, columns]
    with np.errstate(invalid="ignore"):
        closer = np.where(np.abs(here - along_dispersion) < np.abs(here - along_slit),
                          along_dispersion, along_slit)
    expected = np.full(shape, -7.0)
    expected[rows, columns] = np.where(np.isfinite(along_slit), closer, along_dispersion)
    assert np.array_equal(model, expected, equal_nan=True)


def test_a_cosmic_ray_on_a_sky_line_takes_the_line_and_a_tie_goes_along_the_slit():
    # a sky line: bright along the slit (axis 0), narrow along the dispersion
    image = np.ones((5, 5))
    image[:, 2] = 40.0
    image[2, 2] = 90.0
    alone = np.zeros((5, 5), dtype=bool)
    alone[2, 2] = True
    model = np.full((5, 5), np.nan)
    neighbour_models(image, image, alone, model, slit_axis=0)
    assert model[2, 2] == 40.0  # the line, not the continuum beside it
    # halfway between the two medians (40 and 1): the one along the slit
    data = image.copy()
    data[2, 2] = 20.5
    neighbour_models(image, data, alone, model, slit_axis=0)
    assert model[2, 2] == 40.0
    neighbour_models(image, data, alone, model, slit_axis=1)
    assert model[2, 2] == 1.0


@pytest.mark.parametrize("arguments, error, message", [
    (dict(slit_axis=2), ValueError, "slit_axis"),
    (dict(model=np.zeros((3, 3), dtype=np.float32)), TypeError, "model must be"),
    (dict(data=np.zeros((3, 4))), ValueError, "data has shape"),
    (dict(alone=np.zeros((2, 3), dtype=bool)), ValueError, "alone has shape"),
])
def test_neighbour_models_refuse_bad_arguments_by_name(arguments, error, message):
    call = dict(values=np.zeros((3, 3)), data=np.zeros((3, 3)),
                alone=np.ones((3, 3), dtype=bool), model=np.zeros((3, 3)), slit_axis=0)
    call.update(arguments)
    with pytest.raises(error, match=message):
        neighbour_models(call.pop("values"), call.pop("data"), call.pop("alone"),
                         call.pop("model"), **call)


def test_combined_estimates_are_placed_at_the_pixels_where_says():
    values = np.array([[1.0, 4.0, np.nan], [3.0, 40.0, np.nan]])
    where = np.array([[False, True, False], [True, False, True]])
    value, variance, count = combine_estimates(values, np.ones((2, 3)), 5.0, where=where)
    flat_value, flat_variance, flat_count = combine_estimates(values, np.ones((2, 3)), 5.0)
    assert value.shape == variance.shape == count.shape == (2, 3)
    assert np.array_equal(value[where], flat_value, equal_nan=True)
    assert np.array_equal(variance[where], flat_variance, equal_nan=True)
    assert np.array_equal(count[where], flat_count)
    assert np.isnan(value[~where]).all() and np.isnan(variance[~where]).all()
    assert (count[~where] == 0).all()
    with pytest.raises(ValueError, match="where has 2 True pixels for 3 points"):
        combine_estimates(values, np.ones((2, 3)), 5.0, where=where & (value != 2.0))
