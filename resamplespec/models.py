"""Spectral images: the data model every step of resamplespec works on.

A :class:`SpectralImage` holds one 2D spectrum (science, DQ, error and the
three variance arrays, on the same pixel grid), the ``gwcs`` WCS that maps its
pixels to the world, and typed metadata (:class:`SpectralMeta`).  A
:class:`MultiSlitImage` is an ordered set of named spectral images: one MOS
exposure, or a multi-slit result.

:func:`as_spectral_inputs` turns whatever a user passes (our own objects,
plain dicts, JWST datamodels recognised by duck typing, or ASDF paths) into
lists of :class:`SpectralImage` copies, so nothing downstream ever touches --
or modifies -- the caller's objects.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "ExposureTimes",
    "MultiSlitImage",
    "ResampleRecord",
    "SlitInfo",
    "SpectralImage",
    "SpectralMeta",
]

_ARRAY_NAMES = ("data", "dq", "err", "var_rnoise", "var_poisson", "var_flat")
VARIANCE_NAMES = ("var_rnoise", "var_poisson", "var_flat")


@dataclass(frozen=True)
class ExposureTimes:
    """Exposure timing: MJD days for the instants, seconds for durations."""

    start_time: float | None = None
    mid_time: float | None = None
    end_time: float | None = None
    exposure_time: float | None = None
    effective_exposure_time: float | None = None
    measurement_time: float | None = None
    duration: float | None = None


@dataclass(frozen=True)
class SlitInfo:
    """Attributes of the slit (or MOS slitlet) and of the source in it.

    ``source_xpos``/``source_ypos``: the source position in slit units
    (NIRSpec) or detector pixels (MIRI LRS), as JWST defines them.
    """

    name: str | None = None
    source_id: int | None = None
    source_name: str | None = None
    source_alias: str | None = None
    source_type: str | None = None
    stellarity: float | None = None
    slitlet_id: int | None = None
    shutter_state: str | None = None
    source_xpos: float | None = None
    source_ypos: float | None = None
    source_ra: float | None = None
    source_dec: float | None = None
    slit_ymin: float | None = None
    slit_ymax: float | None = None
    xstart: int | None = None
    ystart: int | None = None
    xsize: int | None = None
    ysize: int | None = None


@dataclass(frozen=True)
class ResampleRecord:
    """How an output was resampled (written on outputs only)."""

    pixfrac: float
    kernel: str
    weight_type: str | None
    pixel_scale_ratio: float
    fillval: str | float
    variance: str
    pixel_area_sr: float | None = None
    pixel_area_arcsec2: float | None = None
    n_inputs: int = 0


@dataclass(frozen=True)
class SpectralMeta:
    """Metadata of a spectral image.

    Attributes
    ----------
    dispersion_direction : {1, 2}
        1: wavelength changes along x (array columns); 2: along y (rows).
    bunit_data, bunit_err : str or None
        Units, e.g. ``'MJy'`` (flux density per pixel) or ``'MJy/sr'``.
    pixel_area_sr, pixel_area_arcsec2 : float or None
        Nominal pixel area.
    exposure : ExposureTimes
    instrument, detector, exp_type : str or None
        e.g. ``'NIRSPEC'``, ``'NRS1'``, ``'NRS_FIXEDSLIT'``.
    slit : SlitInfo
    filename : str or None
    s_region : str or None
        Footprint on the sky, ``'POLYGON ICRS ...'``.
    resample : ResampleRecord or None
        Set on outputs.
    wavelength : ndarray or None
        Outputs: the wavelength (micron) of every column (dispersion along
        x) or row (along y).
    """

    dispersion_direction: int = 1
    bunit_data: str | None = None
    bunit_err: str | None = None
    pixel_area_sr: float | None = None
    pixel_area_arcsec2: float | None = None
    exposure: ExposureTimes = field(default_factory=ExposureTimes)
    instrument: str | None = None
    detector: str | None = None
    exp_type: str | None = None
    slit: SlitInfo = field(default_factory=SlitInfo)
    filename: str | None = None
    s_region: str | None = None
    resample: ResampleRecord | None = None
    wavelength: np.ndarray | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.dispersion_direction not in (1, 2):
            raise ValueError(
                f"dispersion_direction must be 1 (along x) or 2 (along y), "
                f"got {self.dispersion_direction!r}"
            )

    def replace(self, **changes: Any) -> SpectralMeta:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


@dataclass
class SpectralImage:
    """One 2D spectrum on its detector (input) or rectified (output) grid.

    ``data`` is required; ``dq`` defaults to zeros, the error arrays to NaN
    where absent is not meaningful, so they stay ``None`` until given.
    Outputs also carry ``wht`` (total weight) and ``con`` (context bit planes).
    """

    data: np.ndarray
    wcs: Any
    meta: SpectralMeta = field(default_factory=SpectralMeta)
    dq: np.ndarray | None = None
    err: np.ndarray | None = None
    var_rnoise: np.ndarray | None = None
    var_poisson: np.ndarray | None = None
    var_flat: np.ndarray | None = None
    wht: np.ndarray | None = None
    con: np.ndarray | None = None

    def __post_init__(self) -> None:
        name = self.meta.slit.name or self.meta.filename or "spectral image"
        data = np.asarray(self.data)
        if data.ndim != 2 or data.size == 0:
            raise ValueError(f"{name}: data must be a non-empty 2D array, got shape {data.shape}")
        if data.dtype.kind not in "biuf":
            raise TypeError(f"{name}: data must hold real numbers, got dtype {data.dtype}")
        for array_name in _ARRAY_NAMES[1:] + ("wht",):
            array = getattr(self, array_name)
            if array is not None and np.shape(array) != data.shape:
                raise ValueError(
                    f"{name}: {array_name} has shape {np.shape(array)}, "
                    f"but data has shape {data.shape}"
                )
        if self.dq is not None and np.asarray(self.dq).dtype.kind not in "bui":
            raise TypeError(f"{name}: dq must hold integer bit flags, got dtype "
                            f"{np.asarray(self.dq).dtype}")
        if not isinstance(self.meta, SpectralMeta):
            raise TypeError(f"{name}: meta must be a SpectralMeta, got {type(self.meta).__name__}")

    @property
    def shape(self) -> tuple[int, int]:
        return np.shape(self.data)

    @property
    def name(self) -> str | None:
        """The slit name, used to group slits across exposures."""
        return self.meta.slit.name

    def copy(self, *, share_wcs: bool = False) -> SpectralImage:
        """A copy: arrays copied, metadata shared (frozen), the WCS deep-copied
        unless ``share_wcs`` (for read-only use: deep-copying a gwcs costs
        more than resampling a small slit)."""
        arrays = {k: _array_or_none(getattr(self, k), copy_arrays=True)
                  for k in _ARRAY_NAMES + ("wht", "con")}
        wcs = self.wcs if share_wcs else copy.deepcopy(self.wcs)
        return SpectralImage(wcs=wcs, meta=self.meta, **arrays)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], *, share_wcs: bool = False) -> SpectralImage:
        """Build from a dict of arrays + ``wcs`` + a flat ``meta`` dict.

        The layout is the one :mod:`resamplespec.datasets` produces; unknown
        ``meta`` keys are ignored.  Arrays are copied; the WCS is deep-copied
        unless ``share_wcs``.
        """
        image = _image_from_dict(values, copy_arrays=True, kind=cls)
        if not share_wcs:
            image.wcs = copy.deepcopy(image.wcs)
        return image


def _image_from_dict(values: Mapping[str, Any], *, copy_arrays: bool,
                     kind: type[SpectralImage] | None = None) -> SpectralImage:
    """:meth:`SpectralImage.from_dict` with the WCS shared and the arrays
    copied only if ``copy_arrays`` (else shared with ``values``)."""
    if "data" not in values or "wcs" not in values:
        raise ValueError("a spectral image dict needs at least 'data' and 'wcs' keys")
    meta = values.get("meta", {}) or {}
    if isinstance(meta, SpectralMeta):
        spectral_meta = meta
    elif isinstance(meta, Mapping):
        spectral_meta = _meta_from_flat_dict(meta)
    else:
        raise TypeError(f"meta must be a dict or SpectralMeta, got {type(meta).__name__}")
    arrays = {k: _array_or_none(values.get(k), copy_arrays=copy_arrays)
              for k in _ARRAY_NAMES + ("wht", "con")}
    return (kind or SpectralImage)(wcs=values["wcs"], meta=spectral_meta, **arrays)


def _array_or_none(value: Any, *, copy_arrays: bool) -> np.ndarray | None:
    if value is None:
        return None
    return np.array(value, copy=True) if copy_arrays else np.asarray(value)


class _OwnedImage(SpectralImage):
    """An image whose arrays resamplespec made itself (read from a file), so
    that the chain may change them in place without copying them first."""

    @classmethod
    def of(cls, image: SpectralImage) -> _OwnedImage:
        return cls(**{f.name: getattr(image, f.name) for f in dataclasses.fields(image)})


class MultiSlitImage:
    """An ordered set of named spectral images (one MOS exposure or a result).

    Iterating yields the slits in order; ``image[name]`` finds one by slit
    name, ``image[i]`` by position.
    """

    def __init__(self, slits: Iterable[SpectralImage], meta: SpectralMeta | None = None) -> None:
        self.slits: list[SpectralImage] = list(slits)
        for k, slit in enumerate(self.slits):
            if not isinstance(slit, SpectralImage):
                raise TypeError(f"slits[{k}] must be a SpectralImage, got {type(slit).__name__}")
        self.meta = meta if meta is not None else SpectralMeta()

    def __len__(self) -> int:
        return len(self.slits)

    def __iter__(self) -> Iterator[SpectralImage]:
        return iter(self.slits)

    def __getitem__(self, key: int | str) -> SpectralImage:
        if isinstance(key, str):
            for slit in self.slits:
                if slit.name == key:
                    return slit
            raise KeyError(f"no slit named {key!r}; slits: {self.names}")
        return self.slits[key]

    @property
    def names(self) -> list[str | None]:
        return [slit.name for slit in self.slits]

    def __repr__(self) -> str:
        return f"MultiSlitImage({len(self.slits)} slits: {self.names})"


# --- adapters -----------------------------------------------------------------

_EXPOSURE_KEYS = tuple(f.name for f in dataclasses.fields(ExposureTimes))
_SLIT_KEYS = tuple(f.name for f in dataclasses.fields(SlitInfo))


def _meta_from_flat_dict(meta: Mapping[str, Any]) -> SpectralMeta:
    slit = {k: meta.get(k) for k in _SLIT_KEYS if k != "name"}
    slit["name"] = meta.get("slit_name", meta.get("name"))
    return SpectralMeta(
        dispersion_direction=int(meta.get("dispersion_direction", 1) or 1),
        bunit_data=meta.get("bunit_data"),
        bunit_err=meta.get("bunit_err"),
        pixel_area_sr=_float_or_none(meta.get("pixel_area_sr")),
        pixel_area_arcsec2=_float_or_none(meta.get("pixel_area_arcsec2")),
        exposure=ExposureTimes(**{k: _float_or_none(meta.get(k)) for k in _EXPOSURE_KEYS}),
        instrument=meta.get("instrument"),
        detector=meta.get("detector"),
        exp_type=meta.get("exp_type"),
        slit=SlitInfo(**slit),
        filename=meta.get("filename"),
        s_region=meta.get("s_region"),
    )


def _float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


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
    for key in _SLIT_KEYS:
        value = getattr(slit, key, None)
        values[key] = value if not isinstance(value, np.generic) else value.item()
    return SlitInfo(**values)


def _jwst_meta(model: Any, slit: Any = None) -> SpectralMeta:
    """Read the metadata of a JWST datamodel (and one of its slits)."""
    exposure = ExposureTimes(
        **{k: _float_or_none(_get(model, f"meta.exposure.{k}")) for k in _EXPOSURE_KEYS}
    )
    source = slit if slit is not None else model
    dispersion = _get(source, "meta.wcsinfo.dispersion_direction") or _get(
        model, "meta.wcsinfo.dispersion_direction"
    )
    return SpectralMeta(
        dispersion_direction=int(dispersion or 1),
        bunit_data=_get(source, "meta.bunit_data") or _get(model, "meta.bunit_data"),
        bunit_err=_get(source, "meta.bunit_err") or _get(model, "meta.bunit_err"),
        pixel_area_sr=_float_or_none(
            _get(source, "meta.photometry.pixelarea_steradians")
            or _get(model, "meta.photometry.pixelarea_steradians")
        ),
        pixel_area_arcsec2=_float_or_none(
            _get(source, "meta.photometry.pixelarea_arcsecsq")
            or _get(model, "meta.photometry.pixelarea_arcsecsq")
        ),
        exposure=exposure,
        instrument=_get(model, "meta.instrument.name"),
        detector=_get(model, "meta.instrument.detector"),
        exp_type=_get(model, "meta.exposure.type"),
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
    for name in _ARRAY_NAMES:
        value = getattr(source, name, None)
        if value is not None and np.size(value) > 0:
            arrays[name] = _array_or_none(value, copy_arrays=copy_arrays)
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

    Each exposure is a :class:`SpectralImage` (single slit) or a list of them
    (a multi-slit exposure).  Arrays are copied, so the caller's are never
    modified downstream; WCS objects are shared, read only (nothing in
    resamplespec modifies an input WCS, and deep-copying a gwcs costs more
    than resampling a small slit).  With ``defer_paths``, inputs given as paths
    become :class:`resamplespec.lazy.DeferredImage` (metadata read, arrays
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
            from .lazy import deferred_exposure  # deferred: lazy depends on this module

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
            return _image_from_dict(image, copy_arrays=copy_arrays)
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
        from .io import read  # deferred: io depends on this module

        # arrays just read belong to no caller: not copied again
        exposure = _one_exposure(read(item), label, copy_arrays=False)
        if isinstance(exposure, list):
            return [_OwnedImage.of(slit) for slit in exposure]
        return _OwnedImage.of(exposure)
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
