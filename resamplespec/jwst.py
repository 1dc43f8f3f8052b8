"""Back to JWST datamodels: outputs as ``stdatamodels`` objects.

JWST datamodels are read by :func:`resamplespec.resample` without this
module (by duck typing).  This module goes the other way, for pipelines
that continue with JWST tools (``extract_1d`` and friends) after resampling:

>>> from resamplespec import datasets, resample
>>> from resamplespec.jwst import to_datamodel
>>> slit_model = to_datamodel(resample(datasets.nirspec_fixed_slit()))
>>> type(slit_model).__name__, slit_model.data.shape == slit_model.wht.shape
('SlitModel', True)

It needs ``stdatamodels`` (``pip install stdatamodels``); importing it
without raises an ``ImportError`` that says so.  The rest of resamplespec
never imports it.

What is carried over
--------------------
arrays (``data``, ``dq``, ``err``, the three variances, ``wht``, ``con``)
and the gwcs as ``meta.wcs``; ``wavelength``: the wavelength of every
pixel (the output's per-column/row wavelengths, broadcast, NaN where the
grid has none), as JWST's s2d products hold it; units, pixel areas
(``meta.photometry``), exposure times, instrument, detector, exposure type,
file name, S_REGION, dispersion direction, the slit attributes (top-level
attributes of a ``SlitModel``) and the resample record fields that the
JWST schema has (``pixfrac``, ``weight_type``, ``pixel_scale_ratio``,
``pointings`` = number of inputs).  Values the JWST schemas reject (e.g.
an instrument name JWST does not have) are left unset, with a
:class:`DatamodelWarning`.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np

from .models import VARIANCE_NAMES, MultiSlitImage, SlitInfo, SpectralImage, SpectralMeta

try:
    from stdatamodels.jwst import datamodels as _datamodels
except ImportError as exc:  # pragma: no cover - exercised only without stdatamodels
    raise ImportError(
        "resamplespec.jwst needs stdatamodels: pip install stdatamodels "
        "(or pip install 'resamplespec[test]')"
    ) from exc

__all__ = ["DatamodelWarning", "to_datamodel"]

# our ExposureTimes fields have the names of meta.exposure's
_EXPOSURE_FIELDS = (
    "start_time",
    "mid_time",
    "end_time",
    "exposure_time",
    "effective_exposure_time",
    "measurement_time",
    "duration",
)
# SlitInfo field -> SlitModel attribute
_SLIT_ATTRIBUTES = {name: name for name in SlitInfo.__dataclass_fields__}


class DatamodelWarning(UserWarning):
    """A value could not be stored in a JWST datamodel and was left out."""


def to_datamodel(product: SpectralImage | MultiSlitImage | list[SpectralImage]) -> Any:
    """Convert resamplespec images into ``stdatamodels`` JWST datamodels.

    Parameters
    ----------
    product : SpectralImage, MultiSlitImage or list of SpectralImage
        An output of :func:`resamplespec.resample` (or any spectral image).

    Returns
    -------
    SlitModel, MultiSlitModel or list of SlitModel
        ``SlitModel`` for a SpectralImage, ``MultiSlitModel`` (one slit per
        image, exposure-level metadata from the set's ``meta``) for a
        MultiSlitImage, and a list for a list (``single=True`` results).
        Arrays are copies: changing the model does not change ``product``.

    Raises
    ------
    TypeError
        ``product`` is none of these.
    """
    if isinstance(product, SpectralImage):
        model = _datamodels.SlitModel()
        _set_exposure_meta(model, product.meta)
        _set_image(model, product)
        _set_slit_attributes(model, product.meta.slit)
        return model
    if isinstance(product, MultiSlitImage):
        model = _datamodels.MultiSlitModel()
        _set_exposure_meta(model, product.meta)
        for image in product.slits:
            slit = _datamodels.SlitModel()
            _set_image(slit, image)
            _set_slit_attributes(slit, image.meta.slit)
            model.slits.append(slit)
        return model
    if isinstance(product, (list, tuple)):
        for k, item in enumerate(product):
            if not isinstance(item, SpectralImage):
                raise TypeError(
                    f"product[{k}] must be a SpectralImage, got {type(item).__name__}"
                )
        return [to_datamodel(item) for item in product]
    raise TypeError(
        "product must be a SpectralImage, a MultiSlitImage or a list of SpectralImage, "
        f"got {type(product).__name__}"
    )


def _assign(node: Any, attribute: str, value: Any, where: str) -> None:
    """Set ``node.attribute = value`` unless None; values the schema rejects
    are left out with a warning instead of failing the whole conversion."""
    if value is None:
        return
    if isinstance(value, np.generic):
        value = value.item()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            setattr(node, attribute, value)
    except Exception as exc:  # the schema's validation error or warning
        warnings.warn(
            f"{where}.{attribute} = {value!r} is not accepted by the JWST schema "
            f"and was left unset ({exc.__class__.__name__})",
            DatamodelWarning,
            stacklevel=4,
        )


def _set_exposure_meta(model: Any, meta: SpectralMeta) -> None:
    for name in _EXPOSURE_FIELDS:
        _assign(model.meta.exposure, name, getattr(meta.exposure, name), "meta.exposure")
    _assign(model.meta.exposure, "type", meta.exp_type, "meta.exposure")
    _assign(model.meta.instrument, "name", meta.instrument, "meta.instrument")
    _assign(model.meta.instrument, "detector", meta.detector, "meta.instrument")
    _assign(model.meta.instrument, "filter", meta.filter, "meta.instrument")
    _assign(model.meta.instrument, "grating", meta.grating, "meta.instrument")
    _assign(model.meta, "filename", meta.filename, "meta")
    if meta.resample is not None:
        _set_resample_record(model, meta)


def _set_resample_record(model: Any, meta: SpectralMeta) -> None:
    record = meta.resample
    node = model.meta.resample
    _assign(node, "pixfrac", float(record.pixfrac), "meta.resample")
    _assign(node, "weight_type", record.weight_type, "meta.resample")
    _assign(node, "pixel_scale_ratio", float(record.pixel_scale_ratio), "meta.resample")
    _assign(node, "pointings", int(record.n_inputs), "meta.resample")


def _set_image(model: Any, image: SpectralImage) -> None:
    meta = image.meta
    for name in ("data", "dq", "err", *VARIANCE_NAMES, "wht", "con"):
        values = getattr(image, name)
        if values is not None:
            setattr(model, name, np.array(values, copy=True))
    model.meta.wcs = copy.deepcopy(image.wcs)
    _assign(model.meta.wcsinfo, "dispersion_direction", int(meta.dispersion_direction),
            "meta.wcsinfo")
    _assign(model.meta.wcsinfo, "s_region", meta.s_region, "meta.wcsinfo")
    _assign(model.meta, "bunit_data", meta.bunit_data, "meta")
    _assign(model.meta, "bunit_err", meta.bunit_err, "meta")
    _assign(model.meta.photometry, "pixelarea_steradians", meta.pixel_area_sr,
            "meta.photometry")
    _assign(model.meta.photometry, "pixelarea_arcsecsq", meta.pixel_area_arcsec2,
            "meta.photometry")
    if meta.wavelength is not None and hasattr(model, "wavelength"):
        model.wavelength = _pixel_wavelengths(image)
    if meta.resample is not None:
        _set_resample_record(model, meta)
    if image.correlation is not None:
        # The JWST schemas have no place for it (an attribute outside them
        # would not reach the pipeline's files or tools).
        warnings.warn(
            f"{meta.slit.name or 'the product'}: the pixel correlation (covariance=True) has "
            "no place in a JWST datamodel and is left out; write the product with "
            "resamplespec.write to keep it (extension CORR)",
            DatamodelWarning, stacklevel=4)


def _pixel_wavelengths(image: SpectralImage) -> np.ndarray:
    """The wavelength of every pixel from the per-column (or per-row) table."""
    wavelength = np.asarray(image.meta.wavelength, dtype=np.float64)
    ny, nx = image.shape
    if image.meta.dispersion_direction == 1:
        return np.broadcast_to(wavelength[np.newaxis, :nx], (ny, nx)).copy()
    return np.broadcast_to(wavelength[:ny, np.newaxis], (ny, nx)).copy()


def _set_slit_attributes(model: Any, slit: SlitInfo) -> None:
    for field_name, attribute in _SLIT_ATTRIBUTES.items():
        _assign(model, attribute, getattr(slit, field_name), "slit")
