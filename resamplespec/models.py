"""Spectral images: the data model every step of resamplespec works on.

A :class:`SpectralImage` holds one 2D spectrum (science, DQ, error and the
three variance arrays, on the same pixel grid), the ``gwcs`` WCS that maps its
pixels to the world, and typed metadata (:class:`SpectralMeta`).  A
:class:`MultiSlitImage` is an ordered set of named spectral images: one MOS
exposure, or a multi-slit result.

A :class:`LazyImages` is the inputs of one slit group as a sequence that
reads each image on access (``in_memory=False``): every layer above may take
it where it takes a list of images.

This module is a support leaf: it imports nothing else of the package.
Turning what a user passes into these objects is the io layer's
(:func:`resamplespec.io.as_spectral_inputs`).
"""

from __future__ import annotations

import copy
import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from . import limits

__all__ = [
    "ARRAY_NAMES",
    "DeferredInput",
    "EXPOSURE_KEYS",
    "SLIT_KEYS",
    "VARIANCE_NAMES",
    "ExposureTimes",
    "InputFrame",
    "LazyImages",
    "MultiSlitImage",
    "OwnedImage",
    "PixelCorrelation",
    "ResampleRecord",
    "SlitInfo",
    "SpectralImage",
    "SpectralMeta",
    "array_or_none",
    "float_or_none",
    "image_from_dict",
]

ARRAY_NAMES = ("data", "dq", "err", "var_rnoise", "var_poisson", "var_flat")
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
    """How an output was resampled (written on outputs only).

    ``spectral_grid`` is 'native', 'linear', 'log' or 'explicit' (the
    centres are ``SpectralMeta.wavelength``), ``spectral_sampling`` the
    output pixels per native pixel along the dispersion.
    """

    pixfrac: float
    kernel: str
    weight_type: str | None
    pixel_scale_ratio: float
    fillval: str | float
    variance: str
    pixel_area_sr: float | None = None
    pixel_area_arcsec2: float | None = None
    n_inputs: int = 0
    spectral_grid: str = "native"
    spectral_sampling: float = 1.0
    outliers_rejected: tuple[int, ...] | None = None
    """With ``reject_outliers``: the input pixels left out, per input."""

    def __post_init__(self) -> None:
        if self.outliers_rejected is not None:  # a list, read back from a file
            counts = tuple(int(n) for n in self.outliers_rejected)
            object.__setattr__(self, "outliers_rejected", counts)


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
    filter, grating : str or None
        The instrument set-up, e.g. ``'F170LP'``, ``'G235M'`` (inputs of
        different set-ups are not combined).
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
    filter: str | None = None
    grating: str | None = None
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


@dataclass(frozen=True, eq=False)
class PixelCorrelation:
    """The correlation of each output pixel with its neighbours.

    Drizzling spreads an input pixel over several output pixels, so
    neighbouring output pixels share noise.  Plane ``p`` holds, for every
    output pixel (y, x), the correlation coefficient of its value with that
    of pixel (y + dy, x + dx), ``(dy, dx) = offsets[p]``:

        values[p, y, x] = cov(k, l) / (err[k] * err[l]),
        cov(k, l) = sum_i w_ik w_il V_i / (W_k W_l)

    over the input pixels i the two share (w: overlap weights, V_i: the sum
    of input pixel i's variances, scaled as the data, W: the pixels' total
    weights) -- the covariance of exact variance mode.  The offsets form a
    half-plane (``dy > 0``, or ``dy == 0`` and ``dx > 0``): each pair is
    held once, by its first pixel in row-major order; a pair not held has
    correlation 0, and so does a pixel with no weight or no error.

    Attributes
    ----------
    offsets : (n, 2) int64 array
        ``(dy, dx)`` of each plane, sorted.
    values : (n, ny, nx) float32 array
        The correlation coefficients.  Memory: 4 bytes per output pixel per
        offset (typically 4 offsets: 16 bytes per pixel).
    """

    offsets: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        offsets = np.asarray(self.offsets)
        values = np.asarray(self.values)
        if offsets.ndim != 2 or offsets.shape[1] != 2 or offsets.dtype.kind not in "iu":
            raise ValueError(f"PixelCorrelation offsets must be an (n, 2) integer array, "
                             f"got shape {offsets.shape} and dtype {offsets.dtype}")
        if values.ndim != 3 or values.shape[0] != offsets.shape[0]:
            raise ValueError(f"PixelCorrelation values must be (n, ny, nx) with n = "
                             f"{offsets.shape[0]} offsets, got shape {values.shape}")
        dy, dx = offsets.T if len(offsets) else (np.zeros(0), np.zeros(0))
        if np.any((dy < 0) | ((dy == 0) & (dx <= 0))):
            raise ValueError("PixelCorrelation offsets must lie in the half-plane dy > 0, "
                             "or dy == 0 and dx > 0")

    @property
    def shape(self) -> tuple[int, int]:
        """The image shape (ny, nx)."""
        return tuple(np.shape(self.values)[1:])

    def copy(self) -> PixelCorrelation:
        return PixelCorrelation(np.array(self.offsets), np.array(self.values))


@dataclass
class SpectralImage:
    """One 2D spectrum on its detector (input) or rectified (output) grid.

    ``data`` is required; ``dq`` defaults to zeros, the error arrays to NaN
    where absent is not meaningful, so they stay ``None`` until given.
    Outputs also carry ``wht`` (total weight) and ``con`` (context bit planes),
    and with ``covariance=True`` the ``correlation`` of neighbouring pixels
    (:class:`PixelCorrelation`).

    Its ``repr`` (and ``print``) is a summary of a few lines: shape and axes,
    units, wavelength grid, arrays present, where it came from.  Everything
    else is in the attributes (``print(image.meta)`` for all metadata).
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
    correlation: PixelCorrelation | None = None

    def __post_init__(self) -> None:
        name = self.meta.slit.name or self.meta.filename or "spectral image"
        data = np.asarray(self.data)
        if data.ndim != 2 or data.size == 0:
            raise ValueError(f"{name}: data must be a non-empty 2D array, got shape {data.shape}")
        if data.dtype.kind not in "biuf":
            raise TypeError(f"{name}: data must hold real numbers, got dtype {data.dtype}")
        for array_name in ARRAY_NAMES[1:] + ("wht",):
            array = getattr(self, array_name)
            if array is not None and np.shape(array) != data.shape:
                raise ValueError(
                    f"{name}: {array_name} has shape {np.shape(array)}, "
                    f"but data has shape {data.shape}"
                )
        if self.dq is not None and np.asarray(self.dq).dtype.kind not in "bui":
            raise TypeError(f"{name}: dq must hold integer bit flags, got dtype "
                            f"{np.asarray(self.dq).dtype}")
        if self.correlation is not None and (
            not isinstance(self.correlation, PixelCorrelation)
            or self.correlation.shape != data.shape
        ):
            raise ValueError(f"{name}: correlation must be a PixelCorrelation of the data's "
                             f"shape {data.shape}, got {type(self.correlation).__name__} "
                             f"of shape {getattr(self.correlation, 'shape', None)}")
        if not isinstance(self.meta, SpectralMeta):
            raise TypeError(f"{name}: meta must be a SpectralMeta, got {type(self.meta).__name__}")

    @property
    def shape(self) -> tuple[int, int]:
        return np.shape(self.data)

    def __repr__(self) -> str:
        meta = self.meta
        rows, columns = self.shape
        axes = ("wavelength x spatial" if meta.dispersion_direction == 2
                else "spatial x wavelength")
        dtype = getattr(self.data, "dtype", "")
        lines = [f"SpectralImage {self.name or meta.filename or ''}".rstrip()
                 + f": {rows}x{columns} ({axes}), {dtype}, {meta.bunit_data or 'no unit'}"]
        if meta.wavelength is not None and np.isfinite(meta.wavelength).any():
            wavelength = np.asarray(meta.wavelength, dtype=np.float64)
            lines.append(f"  grid: {np.nanmin(wavelength):.6g}-{np.nanmax(wavelength):.6g} um "
                         f"in {wavelength.size} steps" + (
                             f", pixel area {meta.pixel_area_sr:.4g} sr"
                             if meta.pixel_area_sr else ""))
        arrays = [name for name in ARRAY_NAMES + ("wht", "con")
                  if getattr(self, name) is not None]
        lines.append(f"  arrays: {', '.join(arrays)}")
        source = " ".join(str(v) for v in (meta.instrument, meta.exp_type) if v)
        if meta.resample is not None:
            record = meta.resample
            source += (f"{', ' if source else ''}resampled from {record.n_inputs} input(s) "
                       f"(pixfrac {record.pixfrac:g}, {record.kernel}, "
                       f"weight_type {record.weight_type})")
        elif meta.filename:
            source += f"{', ' if source else ''}from {meta.filename}"
        if source:
            lines.append(f"  {source}")
        return "\n".join(lines)

    @property
    def name(self) -> str | None:
        """The slit name, used to group slits across exposures."""
        return self.meta.slit.name

    def copy(self, *, share_wcs: bool = False) -> SpectralImage:
        """A copy: arrays copied, metadata shared (frozen), the WCS deep-copied
        unless ``share_wcs`` (for read-only use: deep-copying a gwcs costs
        more than resampling a small slit)."""
        arrays = {k: array_or_none(getattr(self, k), copy_arrays=True)
                  for k in ARRAY_NAMES + ("wht", "con")}
        wcs = self.wcs if share_wcs else copy.deepcopy(self.wcs)
        correlation = None if self.correlation is None else self.correlation.copy()
        return SpectralImage(wcs=wcs, meta=self.meta, correlation=correlation, **arrays)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], *, share_wcs: bool = False) -> SpectralImage:
        """Build from a dict of arrays + ``wcs`` + a flat ``meta`` dict.

        The layout is the one :mod:`resamplespec.datasets` produces; unknown
        ``meta`` keys are ignored.  Arrays are copied; the WCS is deep-copied
        unless ``share_wcs``.
        """
        image = image_from_dict(values, copy_arrays=True, kind=cls)
        if not share_wcs:
            image.wcs = copy.deepcopy(image.wcs)
        return image


def image_from_dict(values: Mapping[str, Any], *, copy_arrays: bool,
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
    arrays = {k: array_or_none(values.get(k), copy_arrays=copy_arrays)
              for k in ARRAY_NAMES + ("wht", "con")}
    return (kind or SpectralImage)(wcs=values["wcs"], meta=spectral_meta, **arrays)


def array_or_none(value: Any, *, copy_arrays: bool) -> np.ndarray | None:
    if value is None:
        return None
    return np.array(value, copy=True) if copy_arrays else np.asarray(value)


class OwnedImage(SpectralImage):
    """An image whose arrays resamplespec made itself (read from a file), so
    that the chain may change them in place without copying them first."""

    @classmethod
    def of(cls, image: SpectralImage) -> OwnedImage:
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
        lines = [f"MultiSlitImage of {len(self.slits)} slit(s)"]
        for slit in self.slits[:_SLITS_SHOWN]:
            first = repr(slit).splitlines()[0].removeprefix("SpectralImage ")
            lines.append(f"  {first}")
        if len(self.slits) > _SLITS_SHOWN:
            lines.append(f"  ... and {len(self.slits) - _SLITS_SHOWN} more: ms[name] or "
                         "ms.names")
        return "\n".join(lines)


#: Slits a MultiSlitImage's repr lists.
_SLITS_SHOWN = 8


# --- inputs read on access (in_memory=False) ----------------------------------


class InputFrame:
    """What evaluating an input's WCS needs of it: the WCS, the data shape
    and the metadata.  ``data`` is a read-only stand-in of the right shape
    (NaN everywhere), for code that asks an image for its shape."""

    def __init__(self, wcs: Any, meta: SpectralMeta, shape: tuple[int, int],
                 label: str = "input") -> None:
        self.label = label
        self.wcs = wcs
        self.meta = meta
        self.shape = (int(shape[0]), int(shape[1]))
        self.data = np.broadcast_to(np.float32(np.nan), self.shape)

    @property
    def name(self) -> str | None:
        return self.meta.slit.name


class DeferredInput(Protocol):
    """An input still in its file (:class:`resamplespec.io.DeferredImage`):
    what :class:`LazyImages` asks of it."""

    meta: SpectralMeta
    arrays: frozenset[str]

    def load(self) -> SpectralImage:
        """The image, its arrays read."""

    def frame(self) -> InputFrame:
        """The WCS, data shape and metadata, without the arrays."""


class LazyImages(Sequence[SpectralImage]):
    """The images of one group, read on access.

    Parameters
    ----------
    deferred : sequence of DeferredInput or SpectralImage
        The inputs (images already in memory are returned as they are).
    prepare : callable, optional
        Applied to every image read (e.g. making NaN and DO_NOT_USE agree),
        in place.
    check : callable, optional
        Applied to every :class:`InputFrame` made by :meth:`frame` (e.g.
        checking its WCS), so that a bad input is reported as such whichever
        step meets it first.
    """

    def __init__(
        self,
        deferred: Sequence[DeferredInput | SpectralImage],
        prepare: Callable[[SpectralImage], Any] | None = None,
        check: Callable[[InputFrame], Any] | None = None,
    ) -> None:
        self._deferred = list(deferred)
        self._prepare = prepare
        self._check = check
        self._cache: OrderedDict[int, SpectralImage] = OrderedDict()
        self.reads = 0  # files read, for tests and logs

    def __len__(self) -> int:
        return len(self._deferred)

    def __getitem__(self, index: int) -> SpectralImage:  # type: ignore[override]
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        k = range(len(self))[index]
        if k in self._cache:
            self._cache.move_to_end(k)
            return self._cache[k]
        item = self._deferred[k]
        # room first: the image dropped goes before the next is read
        while self._cache and len(self._cache) >= limits.CACHED_IMAGES:
            self._cache.popitem(last=False)
        if isinstance(item, SpectralImage):
            image = item
        else:
            image = item.load()
            self.reads += 1
            if self._prepare is not None:
                self._prepare(image)
        self._cache[k] = image
        return image

    def __iter__(self) -> Iterator[SpectralImage]:
        for k in range(len(self)):
            yield self[k]

    def meta(self, index: int) -> SpectralMeta:
        """An input's metadata without reading its arrays."""
        return self._deferred[index].meta

    def frame(self, index: int) -> SpectralImage | InputFrame:
        """An input's WCS, data shape and metadata, without its arrays where
        the file allows (for evaluating its WCS): an :class:`InputFrame`,
        or the image itself when it is in memory or already read."""
        k = range(len(self))[index]
        item = self._deferred[k]
        if isinstance(item, SpectralImage):
            return item
        if k in self._cache:
            return self._cache[k]
        frame = item.frame()
        if self._check is not None:
            self._check(frame)
        return frame

    def has_array(self, index: int, name: str) -> bool:
        """Whether an input has the array ``name``, without reading it."""
        item = self._deferred[index]
        if isinstance(item, SpectralImage):
            return getattr(item, name) is not None
        return name in item.arrays

    def release(self) -> None:
        """Drop the images kept."""
        self._cache.clear()


EXPOSURE_KEYS = tuple(f.name for f in dataclasses.fields(ExposureTimes))


SLIT_KEYS = tuple(f.name for f in dataclasses.fields(SlitInfo))


def _meta_from_flat_dict(meta: Mapping[str, Any]) -> SpectralMeta:
    slit = {k: meta.get(k) for k in SLIT_KEYS if k != "name"}
    slit["name"] = meta.get("slit_name", meta.get("name"))
    return SpectralMeta(
        dispersion_direction=int(meta.get("dispersion_direction", 1) or 1),
        bunit_data=meta.get("bunit_data"),
        bunit_err=meta.get("bunit_err"),
        pixel_area_sr=float_or_none(meta.get("pixel_area_sr")),
        pixel_area_arcsec2=float_or_none(meta.get("pixel_area_arcsec2")),
        exposure=ExposureTimes(**{k: float_or_none(meta.get(k)) for k in EXPOSURE_KEYS}),
        instrument=meta.get("instrument"),
        detector=meta.get("detector"),
        exp_type=meta.get("exp_type"),
        filter=meta.get("filter"),
        grating=meta.get("grating"),
        slit=SlitInfo(**slit),
        filename=meta.get("filename"),
        s_region=meta.get("s_region"),
    )


def float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
