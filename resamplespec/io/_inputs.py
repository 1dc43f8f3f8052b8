"""What users pass, as images: our own objects, plain dicts, JWST datamodels
(recognised by duck typing, without importing jwst or stdatamodels) and
file paths, turned into :class:`~resamplespec.SpectralImage` inputs that
nothing downstream shares with the caller."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..models import (
    ARRAY_NAMES,
    EXPOSURE_KEYS,
    SLIT_KEYS,
    ExposureTimes,
    MultiSlitImage,
    OwnedImage,
    SlitInfo,
    SpectralImage,
    SpectralMeta,
    array_or_none,
    float_or_none,
    image_from_dict,
)
from ._deferred import deferred_exposure
from ._readwrite import read


def _get(obj: Any, dotted: str) -> Any:
    """``obj.a.b.c`` or None if any link is missing (datamodel nodes)."""
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _looks_like_datamodel(obj: Any) -> bool:
    """A JWST datamodel: ``meta`` and either ``data`` or ``slits`` (MultiSlitModel)."""
    return (hasattr(obj, "meta") and (hasattr(obj, "data") or hasattr(obj, "slits"))
            and not isinstance(obj, (Mapping, MultiSlitImage)))


def _jwst_slit_info(slit: Any) -> SlitInfo:
    values = {}
    for key in SLIT_KEYS:
        value = getattr(slit, key, None)
        values[key] = value if not isinstance(value, np.generic) else value.item()
    return SlitInfo(**values)


def _jwst_meta(model: Any, slit: Any = None) -> SpectralMeta:
    """Read the metadata of a JWST datamodel (and one of its slits)."""
    exposure = ExposureTimes(
        **{k: float_or_none(_get(model, f"meta.exposure.{k}")) for k in EXPOSURE_KEYS}
    )
    source = slit if slit is not None else model
    dispersion = _get(source, "meta.wcsinfo.dispersion_direction") or _get(
        model, "meta.wcsinfo.dispersion_direction"
    )
    return SpectralMeta(
        dispersion_direction=int(dispersion or 1),
        bunit_data=_get(source, "meta.bunit_data") or _get(model, "meta.bunit_data"),
        bunit_err=_get(source, "meta.bunit_err") or _get(model, "meta.bunit_err"),
        pixel_area_sr=float_or_none(
            _get(source, "meta.photometry.pixelarea_steradians")
            or _get(model, "meta.photometry.pixelarea_steradians")
        ),
        pixel_area_arcsec2=float_or_none(
            _get(source, "meta.photometry.pixelarea_arcsecsq")
            or _get(model, "meta.photometry.pixelarea_arcsecsq")
        ),
        exposure=exposure,
        instrument=_get(model, "meta.instrument.name"),
        detector=_get(model, "meta.instrument.detector"),
        exp_type=_get(model, "meta.exposure.type"),
        filter=_get(model, "meta.instrument.filter"),
        grating=_get(model, "meta.instrument.grating"),
        # every slit attribute the model has (an ImageModel of MIRI LRS holds
        # only the source position)
        slit=_jwst_slit_info(source),
        filename=_get(model, "meta.filename"),
        s_region=_get(source, "meta.wcsinfo.s_region") or _get(model, "meta.wcsinfo.s_region"),
    )


def _jwst_image(model: Any, slit: Any = None, *, copy_arrays: bool = True) -> SpectralImage:
    source = slit if slit is not None else model
    wcs = _get(source, "meta.wcs")
    if wcs is None:
        raise ValueError(
            f"{getattr(source, 'name', None) or _get(model, 'meta.filename') or 'input'}: "
            "the datamodel has no meta.wcs; resampling needs the gwcs of a calibrated "
            "(assign_wcs-processed) product"
        )
    arrays = {}
    for name in ARRAY_NAMES:
        value = getattr(source, name, None)
        if value is not None and np.size(value) > 0:
            arrays[name] = array_or_none(value, copy_arrays=copy_arrays)
    # the WCS is shared: nothing downstream modifies it (see as_spectral_inputs)
    return SpectralImage(wcs=wcs, meta=_jwst_meta(model, slit), **arrays)


def _from_jwst_model(model: Any, *, copy_arrays: bool = True
                     ) -> list[SpectralImage] | SpectralImage:
    slits = getattr(model, "slits", None)
    if slits is not None and not isinstance(model, MultiSlitImage):
        return [_jwst_image(model, slit, copy_arrays=copy_arrays) for slit in slits]
    return _jwst_image(model, copy_arrays=copy_arrays)


def as_spectral_inputs(
    models: Any, *, defer_paths: bool = False, copy_arrays: bool = True
) -> list[SpectralImage | list[SpectralImage]]:
    """Normalise ``models`` to a list of exposures.

    Each exposure is a :class:`~resamplespec.SpectralImage` (single slit) or a list of them
    (a multi-slit exposure).  Arrays are copied, so the caller's are never
    modified downstream; WCS objects are shared, read only (nothing in
    resamplespec modifies an input WCS, and deep-copying a gwcs costs more
    than resampling a small slit).  With ``defer_paths``, inputs given as paths
    become :class:`resamplespec.io.DeferredImage` (metadata read, arrays
    read when needed).  With ``copy_arrays=False`` the images share the
    caller's arrays: for a caller that copies each image before changing it
    (:func:`resamplespec.resample` copies one slit group at a time, so that
    the copies of all the inputs are never in memory at once).

    Raises
    ------
    TypeError
        An input of a kind that is not understood.
    ValueError
        No inputs, or an input without what resampling needs.
    """
    if models is None:
        raise ValueError("models is empty: give at least one spectral image")
    if isinstance(models, (SpectralImage, MultiSlitImage, Mapping, str, os.PathLike)) or (
        _looks_like_datamodel(models) and not _is_container(models)
    ):
        items = [models]
    else:
        try:
            items = list(models)
        except TypeError:
            raise TypeError(
                f"models must be a spectral image, a multi-slit image, a dict, a JWST "
                f"datamodel, an ASDF path, or a sequence of them; got {type(models).__name__}"
            ) from None
    if not items:
        raise ValueError("models is empty: give at least one spectral image")

    exposures: list[SpectralImage | list[SpectralImage]] = []
    for k, item in enumerate(items):
        if defer_paths and isinstance(item, (str, os.PathLike)):
            exposures.append(deferred_exposure(item))
        else:
            exposures.append(_one_exposure(item, f"models[{k}]", copy_arrays))
    return exposures


def _is_container(obj: Any) -> bool:
    # A ModelContainer has no .data of its own but iterates over models.  (A
    # datamodel iterates too, over its metadata keys: not a container.)
    return hasattr(obj, "__iter__") and not (hasattr(obj, "data") or hasattr(obj, "slits"))


def _one_exposure(item: Any, label: str, copy_arrays: bool = True
                  ) -> SpectralImage | list[SpectralImage]:
    def one(image: SpectralImage | Mapping) -> SpectralImage:
        if isinstance(image, Mapping):
            return image_from_dict(image, copy_arrays=copy_arrays)
        return image.copy(share_wcs=True) if copy_arrays else image

    if isinstance(item, SpectralImage):
        return one(item)
    if isinstance(item, MultiSlitImage):
        return [one(slit) for slit in item.slits]
    if isinstance(item, Mapping):
        if "slits" in item:
            return [one(s) for s in item["slits"]]
        return one(item)
    if isinstance(item, (str, os.PathLike)):
        # arrays just read belong to no caller: not copied again
        exposure = _one_exposure(read(item), label, copy_arrays=False)
        if isinstance(exposure, list):
            return [OwnedImage.of(slit) for slit in exposure]
        return OwnedImage.of(exposure)
    if isinstance(item, (list, tuple)) and item and all(
        isinstance(s, (SpectralImage, Mapping)) for s in item
    ):
        return [one(s) for s in item]
    if _looks_like_datamodel(item):
        return _from_jwst_model(item, copy_arrays=copy_arrays)
    raise TypeError(
        f"{label}: cannot read a {type(item).__name__} as a spectral image; expected a "
        "SpectralImage, MultiSlitImage, dict, JWST datamodel or ASDF path"
    )
