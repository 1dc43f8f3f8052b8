"""resamplespec.kernel.interpolate: bilinear and cubic interpolation at
scattered points, NaN-aware, with the variance of the interpolated value."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resamplespec.kernel import interpolate, interpolate_through, steep_slopes


def _plane(shape, a=1.5, b=-0.25, c=0.75):
    y, x = np.indices(shape, dtype=np.float64)
    return (a + b * x + c * y).astype(np.float32)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.0, 8.0), st.floats(0.0, 6.0), st.booleans())
def test_a_plane_is_interpolated_exactly_anywhere_inside(x, y, cubic):
    image = _plane((7, 9))
    value, _ = interpolate(image, np.array([x]), np.array([y]), cubic=cubic)
    assert value[0] == pytest.approx(1.5 - 0.25 * x + 0.75 * y, abs=1e-5)


def test_samples_are_returned_at_the_pixel_centres():
    image = np.arange(20, dtype=np.float32).reshape(4, 5)
    y, x = np.indices(image.shape)
    for cubic in (False, True):
        value, _ = interpolate(image, x.ravel().astype(float), y.ravel().astype(float),
                               cubic=cubic)
        assert np.array_equal(value, image.ravel())


def test_cubic_follows_a_narrow_peak_closer_than_bilinear():
    x = np.arange(40, dtype=np.float64)
    row = np.exp(-0.5 * ((x - 20.0) / 0.9) ** 2).astype(np.float32)
    image = np.tile(row, (6, 1))
    points = np.linspace(17.0, 23.0, 61)
    truth = np.exp(-0.5 * ((points - 20.0) / 0.9) ** 2)
    linear = interpolate(image, points, np.full(points.size, 2.0))[0]
    cubic = interpolate(image, points, np.full(points.size, 2.0), cubic=True)[0]
    assert np.sqrt(np.mean((cubic - truth) ** 2)) < 0.5 * np.sqrt(np.mean((linear - truth) ** 2))


def test_missing_neighbours_are_left_out_and_the_rest_renormalised():
    image = np.array([[0.0, 1.0], [2.0, np.nan]], dtype=np.float32)
    value, _ = interpolate(image, np.array([0.5]), np.array([0.5]))
    assert value[0] == pytest.approx(1.0)  # (0 + 1 + 2) / 3
    # NaN when the known neighbours hold less than min_weight of the weight
    value, _ = interpolate(image, np.array([0.9]), np.array([0.9]), min_weight=0.5)
    assert np.isnan(value[0])
    value, _ = interpolate(image, np.array([0.5]), np.array([0.5]), min_weight=1.0)
    assert np.isnan(value[0])


def test_points_outside_or_nan_give_nan():
    image = np.ones((3, 3), dtype=np.float32)
    value, _ = interpolate(image, np.array([-1.5, 3.5, np.nan, 1.0]),
                           np.array([1.0, 1.0, 1.0, np.inf]))
    assert np.isnan(value).all()
    # half a pixel past the edge: the edge pixels, renormalised
    value, _ = interpolate(image, np.array([-0.4, 2.4]), np.array([1.0, 1.0]))
    assert np.array_equal(value, [1.0, 1.0])


@pytest.mark.parametrize("cubic", [False, True])
def test_the_variance_is_that_of_the_weighted_sum(cubic):
    rng = np.random.default_rng(3)
    variances = rng.uniform(0.5, 2.0, (6, 6)).astype(np.float32)
    x, y = np.array([2.3]), np.array([2.6])
    _, variance = interpolate(np.zeros((6, 6), np.float32), x, y, variances=variances,
                              cubic=cubic)
    # the weights are the values interpolated from unit impulses
    weights = np.zeros((6, 6))
    for j in range(6):
        for i in range(6):
            impulse = np.zeros((6, 6), np.float32)
            impulse[j, i] = 1.0
            weights[j, i] = interpolate(impulse, x, y, cubic=cubic)[0][0]
    assert variance[0] == pytest.approx(np.sum(weights**2 * variances), rel=1e-6)


def test_bad_arguments_are_refused():
    image = np.ones((3, 3))
    with pytest.raises(ValueError, match="min_weight"):
        interpolate(image, np.zeros(1), np.zeros(1), min_weight=0.0)
    with pytest.raises(ValueError, match="differ in length"):
        interpolate(image, np.zeros(2), np.zeros(1))
    with pytest.raises(ValueError, match="2D"):
        interpolate(np.ones(3), np.zeros(1), np.zeros(1))
    with pytest.raises(ValueError, match="variances"):
        interpolate(image, np.zeros(1), np.zeros(1), variances=np.ones((2, 2)))


def _holed_image(rng, shape, holes):
    image = rng.normal(size=shape).astype(np.float32)
    image.flat[rng.choice(image.size, holes, replace=False)] = np.nan
    return image


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), with_variances=st.booleans(),
       min_weight=st.sampled_from([0.25, 0.5, 1.0]))
def test_interpolate_through_is_the_three_interpolations_bit_for_bit(seed, with_variances,
                                                                     min_weight):
    rng = np.random.default_rng(seed)
    maps = rng.uniform(-2.0, 12.0, size=(2, 9, 11)).astype(np.float32)
    maps[:, rng.random((9, 11)) < 0.15] = np.nan  # grid pixels no input pixel reaches
    image = _holed_image(rng, (8, 10), 6)
    variances = rng.uniform(0.5, 2.0, size=(8, 10)).astype(np.float32) if with_variances \
        else None
    points = rng.uniform(-1.5, 11.5, size=(300, 2))
    points[:3] = [[np.nan, 1.0], [0.0, 0.0], [10.0, 8.0]]
    x, y, value, variance = interpolate_through(maps, points, image, variances=variances,
                                                min_weight=min_weight)
    px, py = points[:, 0], points[:, 1]
    assert np.array_equal(x, interpolate(maps[0], px, py, min_weight=1.0)[0], equal_nan=True)
    assert np.array_equal(y, interpolate(maps[1], px, py, min_weight=1.0)[0], equal_nan=True)
    expected, expected_variance = interpolate(image, x, y, min_weight=min_weight, cubic=True,
                                              variances=variances)
    assert np.array_equal(value, expected, equal_nan=True)
    if with_variances:
        assert np.array_equal(variance, expected_variance, equal_nan=True)
    else:
        assert variance is None


def test_interpolate_through_an_integer_shift_reads_the_shifted_pixels():
    image = np.arange(48, dtype=np.float32).reshape(6, 8)
    maps = np.stack(np.indices((6, 8), dtype=np.float32)[::-1]) - np.array(
        [1.0, 2.0], dtype=np.float32)[:, None, None]  # grid (x, y) is image (x - 1, y - 2)
    points = np.array([[3.0, 4.0], [1.0, 2.0], [0.0, 0.0]])
    x, y, value, _ = interpolate_through(maps, points, image)
    assert np.array_equal(x[:2], [2.0, 0.0]) and np.array_equal(y[:2], [2.0, 0.0])
    assert np.array_equal(value[:2], [image[2, 2], image[0, 0]])
    assert np.isnan(value[2])  # image (-1, -2): outside


@pytest.mark.parametrize("arguments, message", [
    (dict(coordinates=np.zeros((3, 4, 4))), "coordinates must be"),
    (dict(points=np.zeros((5, 3))), "points must be"),
    (dict(values=np.zeros(4)), "values must be"),
    (dict(variances=np.zeros((3, 3))), "variances has shape"),
    (dict(min_weight=0.0), "min_weight"),
])
def test_interpolate_through_refuses_bad_arguments_by_name(arguments, message):
    call = dict(coordinates=np.zeros((2, 4, 4)), points=np.zeros((5, 2)),
                values=np.zeros((4, 4)))
    call.update(arguments)
    with pytest.raises(ValueError, match=message):
        interpolate_through(call.pop("coordinates"), call.pop("points"), call.pop("values"),
                            **call)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), with_variance=st.booleans())
def test_steep_slopes_are_the_points_above_their_noise_and_four_interpolations(
        seed, with_variance):
    rng = np.random.default_rng(seed)
    image = _holed_image(rng, (7, 9), 5)
    x, y = rng.uniform(-1.0, 9.0, 200), rng.uniform(-1.0, 7.0, 200)
    value = rng.normal(scale=10.0, size=200)
    value[:5] = np.nan
    variance = rng.uniform(0.5, 20.0, size=200) if with_variance else None
    index, gx, gy = steep_slopes(image, x, y, value, variance, significant=3.0)
    with np.errstate(invalid="ignore"):
        steep = np.abs(value) > 3.0 * np.sqrt(variance) if with_variance \
            else np.isfinite(value)
    assert np.array_equal(index, np.flatnonzero(steep))

    def at(dx, dy):
        return interpolate(image, x[steep] + dx, y[steep] + dy)[0]

    assert np.array_equal(gx, at(0.5, 0.0) - at(-0.5, 0.0), equal_nan=True)
    assert np.array_equal(gy, at(0.0, 0.5) - at(0.0, -0.5), equal_nan=True)


@pytest.mark.parametrize("arguments, message", [
    (dict(data=np.zeros(5)), "data must be"),
    (dict(x=np.zeros(4)), "x has 4 points, value 3"),
    (dict(variance=np.ones(2)), "variance has 2 points, value 3"),
])
def test_steep_slopes_refuse_bad_arguments_by_name(arguments, message):
    call = dict(data=np.zeros((4, 4)), x=np.zeros(3), y=np.zeros(3), value=np.zeros(3),
                variance=np.ones(3))
    call.update(arguments)
    with pytest.raises(ValueError, match=message):
        steep_slopes(call.pop("data"), call.pop("x"), call.pop("y"), call.pop("value"),
                     call.pop("variance"), significant=5.0)
