"""Weights, intensity scale, NaN/flag consistency and DQ flags."""

import numpy as np
import pytest

from resamplespec.dqflags import DEFAULT_GOOD_BITS, good_pixel_mask, interpret_good_bits
from resamplespec.models import ExposureTimes, SpectralImage, SpectralMeta
from resamplespec.pipeline import (
    exposure_weight_time,
    intensity_scale,
    is_flux_density,
    match_nans_and_flags,
    pixel_weights,
)


def _image(**kwargs):
    shape = (2, 3)
    arrays = {
        "data": np.arange(6, dtype=np.float32).reshape(shape),
        "dq": np.zeros(shape, np.uint32),
        "err": np.ones(shape, np.float32),
        "var_rnoise": np.full(shape, 4.0, np.float32),
        "var_poisson": np.full(shape, 1.0, np.float32),
        "var_flat": np.full(shape, 0.5, np.float32),
    }
    meta = kwargs.pop("meta", SpectralMeta())
    arrays.update(kwargs)
    return SpectralImage(wcs=None, meta=meta, **arrays)


def test_default_good_bits_reject_only_do_not_use_and_non_science():
    dq = np.array([[0, 1, 4, 512, 513, 2048, 4096 | 4]], np.uint32)
    assert good_pixel_mask(dq, DEFAULT_GOOD_BITS, dq.shape).tolist() == [
        [True, False, True, False, False, True, True]
    ]
    assert interpret_good_bits(DEFAULT_GOOD_BITS) == ~(1 | 512)


def test_good_bits_by_name_and_number_agree():
    dq = np.array([[0, 2048, 4096, 2048 | 4096]], np.uint32)
    by_name = good_pixel_mask(dq, "HOT+WARM", dq.shape)
    by_number = good_pixel_mask(dq, 2048 | 4096, dq.shape)
    assert by_name.tolist() == by_number.tolist() == [[True, True, True, True]]
    assert good_pixel_mask(dq, "HOT", dq.shape).tolist() == [[True, True, False, False]]
    assert good_pixel_mask(dq, 0, dq.shape).tolist() == [[True, False, False, False]]


def test_unknown_flag_name_is_refused():
    with pytest.raises(ValueError, match="good_bits"):
        interpret_good_bits("NOT_A_FLAG")


def test_nan_and_do_not_use_are_made_consistent_everywhere():
    image = _image()
    image.data[0, 0] = np.nan          # NaN data -> flagged
    image.var_flat[1, 2] = np.nan      # NaN variance -> flagged, data NaN too
    image.dq[0, 1] = 1                 # flagged -> NaN everywhere
    image.dq[1, 0] = 4                 # informational flag: untouched
    match_nans_and_flags(image)
    invalid = np.zeros((2, 3), bool)
    invalid[0, 0] = invalid[1, 2] = invalid[0, 1] = True
    assert ((image.dq & 1) == 1).tolist() == invalid.tolist()
    for name in ("data", "err", "var_rnoise", "var_poisson", "var_flat"):
        assert np.isnan(getattr(image, name)).tolist() == invalid.tolist(), name
    assert image.dq[1, 0] == 4


def test_ivm_weights_are_inverse_read_noise_and_zero_where_unusable():
    rnoise = np.array([[4.0, 0.0, -1.0], [np.nan, np.inf, 0.5]], np.float32)
    dq = np.array([[0, 0, 0], [0, 0, 1]], np.uint32)
    weights = pixel_weights(_image(var_rnoise=rnoise, dq=dq), "ivm", DEFAULT_GOOD_BITS)
    assert weights.dtype == np.float32
    assert weights.tolist() == [[0.25, 0.0, 0.0], [0.0, 0.0, 0.0]]


def test_ivm_without_read_noise_weights_equally():
    weights = pixel_weights(_image(var_rnoise=None), "ivm", DEFAULT_GOOD_BITS)
    assert (weights == 1).all()


def test_exptime_weight_prefers_measurement_time():
    meta = SpectralMeta(exposure=ExposureTimes(exposure_time=100.0, measurement_time=90.0))
    assert exposure_weight_time(_image(meta=meta)) == 90.0
    weights = pixel_weights(_image(meta=meta), "exptime", DEFAULT_GOOD_BITS)
    assert (weights == 90.0).all()
    meta = SpectralMeta(exposure=ExposureTimes(exposure_time=100.0))
    assert exposure_weight_time(_image(meta=meta)) == 100.0
    meta = SpectralMeta(exposure=ExposureTimes(effective_exposure_time=70.0))
    assert exposure_weight_time(_image(meta=meta)) == 70.0


def test_exptime_without_any_time_is_an_error_naming_the_input():
    with pytest.raises(ValueError, match="exptime"):
        exposure_weight_time(_image())


def test_no_weight_type_gives_the_good_pixel_mask():
    dq = np.array([[0, 1, 512], [4, 0, 0]], np.uint32)
    weights = pixel_weights(_image(dq=dq), None, DEFAULT_GOOD_BITS)
    assert weights.tolist() == [[1, 0, 0], [1, 1, 1]]


@pytest.mark.parametrize(
    ("unit", "expected"),
    [("MJy", True), ("Jy", True), ("mJy", True), ("MJy/sr", False), ("DN/s", False),
     (None, False), ("not a unit", False)],
)
def test_flux_density_units_are_recognised(unit, expected):
    assert is_flux_density(unit) is expected


def test_only_flux_density_with_a_pixel_area_is_scaled_by_the_ratio():
    flux = SpectralMeta(bunit_data="MJy", pixel_area_sr=1e-13)
    surface = SpectralMeta(bunit_data="MJy/sr", pixel_area_sr=1e-13)
    no_area = SpectralMeta(bunit_data="MJy")
    assert intensity_scale(_image(meta=flux), 2.0) == 0.5
    assert intensity_scale(_image(meta=surface), 2.0) == 1.0
    assert intensity_scale(_image(meta=no_area), 2.0) == 1.0


SPECIAL_VARIANCES = [0.0, -0.0, -1.0, np.nan, np.inf, -np.inf, 1e-45, 1e-39, 3e-39, 1e-38,
                     4.0, 3.4e38]


@pytest.mark.parametrize("weight_type", ["ivm", "exptime", None])
@pytest.mark.parametrize("read_noise", [True, False])
def test_weights_are_positive_exactly_where_a_pixel_has_weight(weight_type, read_noise):
    # zero, negative, NaN, infinite and subnormal read-noise variances: no
    # weight (and no warning), else 1/var; bad DQ: none
    rng = np.random.default_rng(4)
    shape = (6, 20)
    variance = rng.choice(np.array(SPECIAL_VARIANCES, np.float32), size=shape)
    dq = rng.choice(np.array([0, 1, 4, 512, 1 << 20], np.uint32), size=shape)
    meta = SpectralMeta(exposure=ExposureTimes(exposure_time=10.0))
    image = _image(data=np.ones(shape, np.float32), dq=dq,
                   var_rnoise=variance if read_noise else None, err=None, var_poisson=None,
                   var_flat=None, meta=meta)
    good = good_pixel_mask(dq, DEFAULT_GOOD_BITS, shape)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        inverse = (np.float32(1.0) / variance).astype(np.float64)
    has_weight = good
    if weight_type == "ivm" and read_noise:
        has_weight = good & np.isfinite(variance) & (variance > 0) & np.isfinite(inverse)
    weights = pixel_weights(image, weight_type, DEFAULT_GOOD_BITS)
    assert weights.dtype == np.float32
    assert np.array_equal(weights > 0, has_weight)
    assert 0 < has_weight.sum() < has_weight.size
    if weight_type == "ivm" and read_noise:
        assert np.array_equal(weights[has_weight], np.float32(1.0) / variance[has_weight])
