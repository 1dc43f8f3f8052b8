"""Per-input preparation: NaN/flag consistency, weights and intensity scale.

These are the numbers that decide how much each input pixel counts; each
follows the reference (JWST ``resample_spec``) and says where it differs.
"""

from __future__ import annotations

import numpy as np
from astropy import units as u

from ..dqflags import JWST_DQ_FLAGS, good_pixel_mask
from ..models import VARIANCE_NAMES, SpectralImage

WEIGHT_TYPES = ("ivm", "exptime", None)
_DO_NOT_USE = JWST_DQ_FLAGS["DO_NOT_USE"]
_ERROR_NAMES = ("err",) + VARIANCE_NAMES


def match_nans_and_flags(image: SpectralImage) -> None:
    """Make NaN and DO_NOT_USE agree, in place (call it on a copy).

    A pixel that is NaN in data or in any error/variance array is flagged
    DO_NOT_USE; a DO_NOT_USE pixel becomes NaN in data and in every
    error/variance array.
    """
    invalid = ~np.isfinite(image.data) if image.data.dtype.kind == "f" else np.zeros(
        image.shape, dtype=bool
    )
    for name in _ERROR_NAMES:
        values = getattr(image, name)
        if values is not None:
            invalid |= np.isnan(values)
    if image.dq is None:
        image.dq = np.zeros(image.shape, dtype=np.uint32)
    invalid |= (image.dq & _DO_NOT_USE).astype(bool)
    image.dq[invalid] |= np.asarray(_DO_NOT_USE, dtype=image.dq.dtype)
    if not np.issubdtype(image.data.dtype, np.floating):
        image.data = image.data.astype(np.float32)
    image.data[invalid] = np.nan
    for name in _ERROR_NAMES:
        values = getattr(image, name)
        if values is not None:
            if not np.issubdtype(values.dtype, np.floating):
                values = values.astype(np.float32)
                setattr(image, name, values)
            values[invalid] = np.nan


def exposure_weight_time(image: SpectralImage) -> float:
    """Time that weights an input under ``weight_type='exptime'``.

    The measurement time (TMEASURE) when known, else the exposure time, else
    the effective exposure time.
    """
    exposure = image.meta.exposure
    for value in (
        exposure.measurement_time,
        exposure.exposure_time,
        exposure.effective_exposure_time,
    ):
        if value is not None and np.isfinite(value) and value > 0:
            return float(value)
    raise ValueError(
        f"{image.name or image.meta.filename or 'input'}: weight_type='exptime' needs a "
        "positive measurement_time, exposure_time or effective_exposure_time in the metadata"
    )


def pixel_weights(image: SpectralImage, weight_type: str | None, good_bits: object) -> np.ndarray:
    """Weight of every input pixel (float32), zero where its DQ is not good.

    ``ivm``: 1 / var_rnoise where that is finite and positive, else 0
    (no var_rnoise: 1).  ``exptime``: :func:`exposure_weight_time`.
    None: 1.  Then multiplied by the good-DQ mask.

    The reference keeps negative inverse variances (from negative read-noise
    variances) as negative weights; the kernel gives such pixels nothing.
    """
    good = good_pixel_mask(image.dq, good_bits, image.shape)
    if weight_type == "ivm" and image.var_rnoise is not None:
        variance = np.asarray(image.var_rnoise, dtype=np.float32)
        # 1/var where that is a positive finite float32 (not where var is
        # 0, negative, NaN, infinite or below ~3e-39) and the DQ is good
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            inverse = np.float32(1.0) / variance
        good &= (inverse > 0) & (inverse < np.inf)
        return np.where(good, inverse, np.float32(0.0))
    # exptime: the same weight everywhere; ivm without var_rnoise, None: 1
    weight = exposure_weight_time(image) if weight_type == "exptime" else 1.0
    return np.where(good, np.float32(weight), np.float32(0.0))


def is_flux_density(bunit: str | None) -> bool:
    """True for units of flux density per pixel (``MJy``, ``Jy``...), False for
    surface brightness (``MJy/sr``), counts or unknown units."""
    if not bunit:
        return False
    try:
        return u.Unit(bunit).is_equivalent(u.Jy)
    except (ValueError, TypeError):
        return False


def intensity_scale(image: SpectralImage, pixel_scale_ratio: float) -> float:
    """Factor applied to the data before drizzling.

    Flux density per pixel scales with the output pixel's size along the
    slit: 1 / pixel_scale_ratio (only one spatial axis, so not squared).
    Surface brightness does not change; neither do data without a nominal
    pixel area (the reference needs it to call the data photometric).
    """
    if image.meta.pixel_area_sr and is_flux_density(image.meta.bunit_data):
        return 1.0 / pixel_scale_ratio
    return 1.0
