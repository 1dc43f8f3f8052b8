"""FITS files in the JWST layout: s2d products out, cal and s2d products in.

Written (:func:`write_fits`), as the JWST pipeline writes ``*_s2d.fits``:

* primary header: the (blended) metadata with the JWST keyword names
  (``INSTRUME``, ``DETECTOR``, ``EXP_TYPE``, ``EXPSTART``/``EXPMID``/``EXPEND``,
  ``EFFEXPTM``, ``TMEASURE``, ``DURATION``) and the resample record
  (``NDRIZ``, ``RESWHT``, ``PIXFRAC``, ``PXSCLRT``; kernel, fillval and
  variance mode, which JWST does not record, as ``RSKERNEL``, ``RSFILVAL``,
  ``RSVARMOD``; the wavelength grid and its sampling as ``RSWGRID``
  (native, linear, log or explicit) and ``RSWSAMP``);
* per slit, numbered by ``EXTVER`` (1, 2, ...): ``SCI`` (with ``BUNIT``,
  ``XPOSURE``, ``PIXAR_SR``/``PIXAR_A2``, ``S_REGION``, ``DISPAXIS`` and the
  slit keywords ``SLTNAME``, ``SOURCEID``, ``SRCXPOS``...), ``ERR``, ``DQ``
  (when propagated), ``WAVELENGTH`` (every pixel's, as JWST s2d products
  hold it), ``WHT``, ``CON``, ``VAR_POISSON``, ``VAR_RNOISE``, ``VAR_FLAT``,
  and with ``covariance=True`` ``CORR``: the correlation of each pixel with
  its neighbours (:class:`~resamplespec.PixelCorrelation`), a float32 cube
  of ``NCORR`` planes, plane p (1-based) pairing pixel (y, x) with pixel
  (y + ``OFFDY<p>``, x + ``OFFDX<p>``) -- an addition of resamplespec;
* FITS WCS keywords on each ``SCI`` for display tools (ds9, astropy): the
  spatial axis linear in arcsec (``OFFSET``, ``CDELT`` the output's
  spatial pixel scale, ``CRPIX`` on the expected source position when it is
  known, else on the centre; in pixels for non-celestial lamp data) and
  the wavelength axis as a ``WAVE-TAB`` lookup table in a ``WCS-TABLE``
  binary table extension (one per slit, same ``EXTVER``; column
  ``wavelength`` in um), the names JWST uses for the tabular wavelength
  axis of NIRSpec and MIRI IFU cubes.  ``resample_spec`` in jwst 3.0
  writes neither; they are an addition;
* an ``ASDF`` extension (column ``ASDF_METADATA``, an ASDF file as bytes,
  as stdatamodels embeds it) with the gwcs where JWST tools look for it
  (``meta.wcs``, or ``slits[k].meta.wcs``) and our full metadata under
  ``resamplespec``, so that the product reads back losslessly.

Read (:func:`read_fits`): the files above and JWST level-2 products
(``*_cal.fits``: ``SlitModel``, ``MultiSlitModel`` and ``ImageModel``
layouts), with astropy and asdf only: arrays from the HDUs, the gwcs from
the ``ASDF`` extension, metadata from our tree when present, else from the
JWST keywords.
"""

from __future__ import annotations

import dataclasses
import gzip
import io as _bytes_io
import math
import os
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import asdf
import numpy as np
from astropy.io import fits

from ..geometry import is_sky_like, spatial_pixel_scale
from ..models import (
    ExposureTimes,
    MultiSlitImage,
    PixelCorrelation,
    SlitInfo,
    SpectralImage,
    SpectralMeta,
)
from ._files import atomic_write, one_line, product_to_write
from ._fits_layout import fits_file, may_keep_tree, missing_software
from ._tree import meta_from_tree, meta_to_tree

_FORMAT_VERSION = 1

#: ExposureTimes field -> (FITS keyword, HDU), as the JWST schemas name them.
_EXPOSURE_KEYWORDS = {
    "start_time": ("EXPSTART", "PRIMARY"),
    "mid_time": ("EXPMID", "PRIMARY"),
    "end_time": ("EXPEND", "PRIMARY"),
    "exposure_time": ("EFFEXPTM", "PRIMARY"),
    "effective_exposure_time": ("XPOSURE", "SCI"),
    "measurement_time": ("TMEASURE", "PRIMARY"),
    "duration": ("DURATION", "PRIMARY"),
}
#: SlitInfo field -> FITS keyword of the SCI header (JWST names).
_SLIT_KEYWORDS = {
    "name": "SLTNAME",
    "xstart": "SLTSTRT1",
    "xsize": "SLTSIZE1",
    "ystart": "SLTSTRT2",
    "ysize": "SLTSIZE2",
    "slitlet_id": "SLITID",
    "source_id": "SOURCEID",
    "source_name": "SRCNAME",
    "source_alias": "SRCALIAS",
    "stellarity": "STLARITY",
    "source_type": "SRCTYPE",
    "source_xpos": "SRCXPOS",
    "source_ypos": "SRCYPOS",
    "shutter_state": "SHUTSTA",
    "source_ra": "SRCRA",
    "source_dec": "SRCDEC",
}
#: array attribute -> extension name, in the order JWST writes them
_EXTENSIONS = (
    ("data", "SCI"),
    ("err", "ERR"),
    ("dq", "DQ"),
    ("wht", "WHT"),
    ("con", "CON"),
    ("var_poisson", "VAR_POISSON"),
    ("var_rnoise", "VAR_RNOISE"),
    ("var_flat", "VAR_FLAT"),
)
_JWST_INSTRUMENTS = {"NIRSPEC", "MIRI", "NIRCAM", "NIRISS", "FGS"}


# --- writing ----------------------------------------------------------------------


def write_fits(product: SpectralImage | MultiSlitImage, path: str | os.PathLike, *,
               overwrite: bool = False) -> Path:
    """Write ``product`` as a JWST-layout s2d FITS file, atomically.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False.
    TypeError
        ``product`` is not a SpectralImage or MultiSlitImage.
    """

    kind, slits, path = product_to_write(product, path, overwrite)
    meta = product.meta

    hdus = [fits.PrimaryHDU(header=_primary_header(meta, kind, path.name))]
    for number, image in enumerate(slits, start=1):
        hdus.extend(_slit_hdus(image, number))
    tree = {
        "resamplespec": {
            "format": _FORMAT_VERSION,
            "kind": kind,
            "meta": meta_to_tree(meta),
            "slits": [meta_to_tree(image.meta) for image in slits],
        },
    }
    # where JWST tools look for the gwcs
    if kind == "spectral_image":
        tree["meta"] = {"wcs": product.wcs}
    else:
        tree["slits"] = [{"meta": {"wcs": image.wcs}} for image in slits]
    hdus.append(_asdf_hdu(tree))
    hdul = fits.HDUList(hdus)

    def writer(handle):
        if path.name.lower().endswith(".gz"):
            with gzip.GzipFile(fileobj=handle, mode="wb", filename=path.name[:-3]) as zipped:
                hdul.writeto(zipped, output_verify="exception")
        else:
            hdul.writeto(handle, output_verify="exception")

    atomic_write(path, writer)
    return path


def _primary_header(meta: SpectralMeta, kind: str, filename: str):

    header = fits.Header()
    header["DATE"] = (datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
                      "UTC date file created")
    header["FILENAME"] = (filename, "Name of the file")
    header["DATAMODL"] = ("SlitModel" if kind == "spectral_image" else "MultiSlitModel",
                          "Type of data model")
    header["ORIGIN"] = ("resamplespec", "Software that wrote the file")
    if meta.instrument and meta.instrument.upper() in _JWST_INSTRUMENTS:
        header["TELESCOP"] = ("JWST", "Telescope used to acquire the data")
    _put(header, "INSTRUME", meta.instrument, "Instrument used to acquire the data")
    _put(header, "DETECTOR", meta.detector, "Name of detector used to acquire the data")
    _put(header, "EXP_TYPE", meta.exp_type, "Type of data in the exposure")
    _put(header, "FILTER", meta.filter, "Name of the filter element used")
    _put(header, "GRATING", meta.grating, "Name of the grating element used")
    for field, (keyword, hdu) in _EXPOSURE_KEYWORDS.items():
        if hdu == "PRIMARY":
            _put(header, keyword, getattr(meta.exposure, field), None)
    record = meta.resample
    if record is not None:
        _put(header, "NDRIZ", record.n_inputs, "Number of inputs resampled")
        _put(header, "RESWHT", record.weight_type, "Weighting of the inputs")
        _put(header, "PIXFRAC", float(record.pixfrac), "Drizzle pixel shrink factor")
        _put(header, "PXSCLRT", float(record.pixel_scale_ratio),
             "Input / output spatial pixel scale")
        _put(header, "RSKERNEL", record.kernel, "resamplespec: drizzle kernel")
        _put(header, "RSFILVAL", str(record.fillval), "resamplespec: fill value")
        _put(header, "RSVARMOD", record.variance, "resamplespec: variance propagation")
        _put(header, "RSWGRID", record.spectral_grid, "resamplespec: wavelength grid")
        _put(header, "RSWSAMP", float(record.spectral_sampling),
             "resamplespec: output pixels per native pixel")
        if record.outliers_rejected is not None:
            _put(header, "RSNOUTLR", sum(record.outliers_rejected),
                 "resamplespec: input pixels rejected as outliers")
    return header


def _put(header, keyword: str, value: Any, comment: str | None) -> None:
    if value is None:
        return
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return
    header[keyword] = value if comment is None else (value, comment)


def _slit_hdus(image: SpectralImage, number: int) -> list:

    meta = image.meta
    hdus = []
    for attribute, extname in _EXTENSIONS:
        values = getattr(image, attribute)
        if values is None:
            continue
        if attribute == "dq":
            values = np.asarray(values, dtype=np.uint32)
        hdu = fits.ImageHDU(np.asarray(values), name=extname, ver=number)
        if attribute == "data":
            _sci_keywords(hdu.header, image)
        elif attribute == "err":
            _put(hdu.header, "BUNIT", meta.bunit_err, "physical units of the array values")
        hdus.append(hdu)
    if image.correlation is not None:
        hdus.append(_correlation_hdu(image.correlation, number))
    wavelength = _pixel_wavelengths(image)
    if wavelength is not None:
        # after SCI, ERR and DQ, where JWST puts it
        after = max(k for k, hdu in enumerate(hdus) if hdu.name in ("SCI", "ERR", "DQ"))
        hdus.insert(after + 1, fits.ImageHDU(wavelength, name="WAVELENGTH", ver=number))
    table = _wcs_table_hdu(image, number)
    if table is not None:
        hdus.append(table)
    return hdus


def _correlation_hdu(correlation: PixelCorrelation, number: int):
    values = np.asarray(correlation.values, dtype=np.float32)
    hdu = fits.ImageHDU(values if len(values) else None, name="CORR", ver=number)
    hdu.header["NCORR"] = (len(values), "correlation planes (neighbour offsets)")
    for p, (dy, dx) in enumerate(correlation.offsets, start=1):
        hdu.header[f"OFFDY{p}"] = (int(dy), f"plane {p} pairs pixel (y, x) with y + OFFDY")
        hdu.header[f"OFFDX{p}"] = (int(dx), f"plane {p} pairs pixel (y, x) with x + OFFDX")
    return hdu


def _read_correlation(layout, number: int, shape) -> PixelCorrelation:
    header = layout.header("CORR", number)
    n = int(header.get("NCORR", 0))
    offsets = np.array([(header[f"OFFDY{p}"], header[f"OFFDX{p}"]) for p in range(1, n + 1)],
                       dtype=np.int64).reshape(n, 2)
    values = (np.zeros((0, *shape), dtype=np.float32) if n == 0 else
              layout.array("CORR", number).astype(np.float32, copy=False))  # native order
    return PixelCorrelation(offsets=offsets, values=values)


def _sci_keywords(header, image: SpectralImage) -> None:
    meta = image.meta
    _put(header, "BUNIT", meta.bunit_data, "physical units of the array values")
    _put(header, "XPOSURE", meta.exposure.effective_exposure_time, "[s] Effective exposure time")
    _put(header, "PIXAR_SR", meta.pixel_area_sr, "Nominal pixel area in steradians")
    _put(header, "PIXAR_A2", meta.pixel_area_arcsec2, "Nominal pixel area in arcsec^2")
    _put(header, "S_REGION", meta.s_region, "spatial extent of the observation")
    _put(header, "DISPAXIS", int(meta.dispersion_direction), "Dispersion direction")
    for field, keyword in _SLIT_KEYWORDS.items():
        _put(header, keyword, getattr(meta.slit, field), None)
    if meta.wavelength is not None:
        header.update(fits_wcs_header(image))


def _pixel_wavelengths(image: SpectralImage) -> np.ndarray | None:
    if image.meta.wavelength is None:
        return None
    wavelength = np.asarray(image.meta.wavelength, dtype=np.float32)
    ny, nx = image.shape
    if image.meta.dispersion_direction == 1:
        return np.ascontiguousarray(np.broadcast_to(wavelength[np.newaxis, :nx], (ny, nx)))
    return np.ascontiguousarray(np.broadcast_to(wavelength[:ny, np.newaxis], (ny, nx)))


def fits_wcs_header(image: SpectralImage):
    """FITS WCS keywords of a resampled image, for display tools.

    The wavelength axis is ``WAVE-TAB``: looked up in the ``wavelength``
    column of the ``WCS-TABLE`` extension with the image's ``EXTVER``
    (written by :func:`write_fits`).  The spatial axis is linear: offset
    along the slit in arcsec (``OFFSET``) for sky data, with ``CRPIX`` on
    the expected source position when it is known (else the centre), or
    the spatial pixel index (``PIXEL``) for non-celestial (lamp) data.

    Parameters
    ----------
    image : SpectralImage
        A resampled image (with ``meta.wavelength``).

    Returns
    -------
    astropy.io.fits.Header

    Raises
    ------
    ValueError
        The image has no wavelength table (not a resampled product).
    """

    meta = image.meta
    if meta.wavelength is None:
        raise ValueError(
            f"{image.name or 'image'}: no meta.wavelength; FITS WCS keywords are made for "
            "resampled products"
        )
    disp = meta.dispersion_direction
    spectral_axis, spatial_axis = (1, 2) if disp == 1 else (2, 1)
    n_spatial = image.shape[0] if disp == 1 else image.shape[1]
    scale, source = _spatial_scale_and_source(image)
    header = fits.Header()
    header["WCSAXES"] = 2
    s, p = spectral_axis, spatial_axis
    header[f"CTYPE{s}"] = ("WAVE-TAB", "wavelength from the WCS-TABLE extension")
    header[f"CUNIT{s}"] = "um"
    header[f"CRPIX{s}"] = 1.0
    header[f"CDELT{s}"] = 1.0
    header[f"CRVAL{s}"] = 1.0
    header[f"PS{s}_0"] = ("WCS-TABLE", "extension holding the wavelengths")
    header[f"PS{s}_1"] = ("wavelength", "column of the wavelengths")
    reference = source if source is not None else (n_spatial - 1) / 2.0
    if scale is None:
        header[f"CTYPE{p}"] = ("PIXEL", "spatial pixel index (not on the sky)")
        header[f"CRPIX{p}"] = 1.0
        header[f"CDELT{p}"] = 1.0
        header[f"CRVAL{p}"] = 0.0
    else:
        header[f"CTYPE{p}"] = ("OFFSET", "offset along the slit")
        header[f"CUNIT{p}"] = "arcsec"
        header[f"CRPIX{p}"] = (reference + 1.0,
                               "source position" if source is not None else "centre")
        header[f"CDELT{p}"] = (scale, "spatial pixel scale")
        header[f"CRVAL{p}"] = 0.0
    return header


def _spatial_scale_and_source(image: SpectralImage) -> tuple[float | None, float | None]:
    """Spatial pixel scale (arcsec; None off the sky) and the source's
    0-based spatial pixel on the output when known."""
    wcs, meta = image.wcs, image.meta
    disp = meta.dispersion_direction
    if wcs is None or not is_sky_like(wcs.output_frame):
        return None, None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        scale = float(spatial_pixel_scale(wcs, disp))
        source = None
        slit = meta.slit
        try:
            if "slit_frame" in wcs.available_frames and slit.source_ypos is not None:
                wavelength = np.nanmedian(np.asarray(meta.wavelength, dtype=np.float64))
                to_pixel = wcs.get_transform("slit_frame", wcs.available_frames[0])
                x, y = to_pixel(0.0, float(slit.source_ypos), wavelength)[:2]
                source = float(y if disp == 1 else x)
            elif (meta.exp_type or "").upper() == "MIR_LRS-FIXEDSLIT" and (
                    slit.source_xpos is not None):
                source = float(slit.source_xpos if disp == 2 else slit.source_ypos)
        except Exception:  # a WCS that cannot say: fall back on the centre
            source = None
    if not math.isfinite(scale) or scale <= 0:
        scale = None
    if source is not None and not math.isfinite(source):
        source = None
    return scale, source


def _wcs_table_hdu(image: SpectralImage, number: int):

    if image.meta.wavelength is None:
        return None
    wavelength = np.asarray(image.meta.wavelength, dtype=np.float64)
    n = wavelength.size
    column = fits.Column(name="wavelength", format=f"{n}D", unit="um", dim=f"(1,{n})",
                         array=wavelength.reshape(1, 1, n))
    return fits.BinTableHDU.from_columns([column], name="WCS-TABLE", ver=number)


def _asdf_hdu(tree: dict):

    buffer = _bytes_io.BytesIO()
    asdf.AsdfFile(tree).write_to(buffer)
    raw = np.frombuffer(buffer.getvalue(), dtype=np.uint8)
    column = fits.Column(name="ASDF_METADATA", format=f"{raw.size}B", array=raw[np.newaxis])
    return fits.BinTableHDU.from_columns([column], name="ASDF")


# --- reading ----------------------------------------------------------------------


def read_fits(path: str | os.PathLike, *, index: int | None = None) -> Any:
    """Read a JWST-layout FITS product (ours, or a JWST cal/s2d file).

    Parameters
    ----------
    path : path-like
    index : int, optional
        Read only this slit (0-based) and return it as a SpectralImage.

    Returns
    -------
    SpectralImage or MultiSlitImage

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        A directory; not a FITS file, or a truncated or damaged one; no
        ``SCI`` extension, no ``ASDF`` extension with a gwcs, or a gwcs that
        needs software not installed (named).  The message names the file
        (and the slit).

    Notes
    -----
    The file's extension index is made once per process; the YAML of its
    ``ASDF`` extension is parsed once per call, for all the slits read;
    each call makes its own arrays, gwcs and metadata.
    """
    return _FitsReader(Path(path), shared=False).read(index)


def read_fits_metadata(path: str | os.PathLike) -> tuple[str, list[SpectralMeta],
                                                           list[frozenset[str]]]:
    """The kind, per-slit metadata and array names of a FITS product, without its arrays.

    Returns
    -------
    kind : {'spectral_image', 'multi_slit_image'}
    metas : list of SpectralMeta
    arrays : list of frozenset of str
    """
    reader = _FitsReader(Path(path), shared=True, wcs_needed=False)
    metas, arrays = [], []
    for k, number in enumerate(reader.numbers):
        metas.append(reader.slit_meta(k, number))
        arrays.append(frozenset(attribute for attribute, extname in _EXTENSIONS
                                if (extname, number) in reader.layout))
    return reader.kind(), metas, arrays


def load_fits_slit(path: Path, index: int) -> SpectralImage:
    """Slit ``index`` of a FITS product for a run's reads (``in_memory=False``):
    its gwcs made once per process and shared by the loads of the slit."""
    return _FitsReader(path, shared=True).read(index)


def fits_slit_frame(path: Path, index: int) -> tuple[Any, SpectralMeta, tuple[int, int]]:
    """(gwcs, metadata, data shape) of slit ``index``, without reading its arrays
    (the gwcs shared as by :func:`load_fits_slit`)."""
    reader = _FitsReader(path, shared=True)
    k = reader.check_index(index)
    number = reader.numbers[k]
    return (reader.slit_wcs(k, number), reader.slit_meta(k, number),
            reader.layout.shape("SCI", number))


class _FitsReader:
    """One read of a FITS product, from its parsed layout and tree
    (``io/_fits_layout.py``).  With ``shared``, the gwcs (and
    our metadata) come from the objects kept with the file, else made afresh."""

    def __init__(self, path: Path, *, shared: bool, wcs_needed: bool = True) -> None:
        self.path = path
        self.shared = shared
        entry = fits_file(path)
        self.layout = entry.layout
        self.numbers = self.layout.versions("SCI")
        # a read for a user parses the tree for itself: nothing made from it
        # is shared.  The reads of a run share the tree of a multi-slit file,
        # and of the first few single-slit ones (limits.KEPT_SINGLE_SLIT_TREES)
        self.tree = entry.tree(kept=shared and may_keep_tree(entry))
        if not self.numbers:
            raise ValueError(f"{path} has no SCI extension: not a JWST-layout product")
        if self.tree is None and wcs_needed:
            raise ValueError(f"{path} has no ASDF extension (cut short at an extension's end, "
                             "or not a JWST or resamplespec product): its gwcs is missing")
        ours = self.tree.node("resamplespec") if self.tree is not None else None
        self.ours = ours if isinstance(ours, dict) else None

    def read(self, index: int | None) -> Any:
        wanted = self.numbers if index is None else [self.numbers[self.check_index(index)]]
        with self.layout:
            slits = [self.slit(self.numbers.index(number), number) for number in wanted]
        if index is not None or self.kind() != "multi_slit_image":
            return slits[0]
        if self.ours is not None:
            set_meta = self._our_meta(("meta",), "the product's metadata")
        else:
            set_meta = _header_meta(self.layout.primary, fits.Header(), self.path)
        return MultiSlitImage(slits, meta=set_meta)

    def kind(self) -> str:
        if self.ours is not None:
            return str(self.ours.get("kind"))
        multi = (self.layout.primary.get("DATAMODL") == "MultiSlitModel"
                 or len(self.numbers) > 1)
        return "multi_slit_image" if multi else "spectral_image"

    def check_index(self, index: Any) -> int:
        numbers = self.numbers
        if not isinstance(index, (int, np.integer)) or not 0 <= index < len(numbers):
            raise ValueError(
                f"{self.path}: index must be 0 to {len(numbers) - 1}, got {index!r}")
        return int(index)

    def slit(self, k: int, number: int) -> SpectralImage:
        arrays = {}
        for attribute, extname in _EXTENSIONS:
            if (extname, number) in self.layout:
                arrays[attribute] = self.layout.array(extname, number)
        if "dq" in arrays:
            arrays["dq"] = arrays["dq"].astype(np.uint32, copy=False)
        meta = self.slit_meta(k, number)
        if meta.wavelength is None and ("WAVELENGTH", number) in self.layout:
            # a JWST s2d: the wavelength of every column (or row) from its pixels'
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                pixels = np.asarray(self.layout.array("WAVELENGTH", number), dtype=np.float64)
                axis = 0 if meta.dispersion_direction == 1 else 1
                meta = meta.replace(wavelength=np.nanmedian(pixels, axis=axis))
        wcs = self.slit_wcs(k, number)
        try:
            correlation = None
            if ("CORR", number) in self.layout and "data" in arrays:
                correlation = _read_correlation(self.layout, number, arrays["data"].shape)
            return SpectralImage(wcs=wcs, meta=meta, correlation=correlation, **arrays)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{self.path}: {_slit_label(meta, number)}: {exc}") from None

    def slit_wcs(self, k: int, number: int) -> Any:
        tree = self.tree
        node = tree.node("slits", k, "meta", "wcs")
        if node is None and len(self.numbers) == 1:
            node = tree.node("meta", "wcs")
        if node is None:
            raise ValueError(f"{self.path}: no gwcs for slit {number} in its ASDF extension")
        what = f"the gwcs of slit {number}"
        wcs = tree.shared(node, what) if self.shared else tree.convert(node, what)
        if not hasattr(wcs, "forward_transform"):
            raise missing_software(self.path, what, f"it reads as a {type(wcs).__name__}")
        return wcs

    def slit_meta(self, k: int, number: int) -> SpectralMeta:
        if self.ours is not None and self.tree.node("resamplespec", "slits", k) is not None:
            return self._our_meta(("slits", k), f"the metadata of slit {number}")
        layout = self.layout
        try:
            sci = layout.header("SCI", number)
            meta = _header_meta(layout.primary, sci, self.path)
            if ("ERR", number) in layout and layout.header("ERR", number).get("BUNIT"):
                meta = meta.replace(bunit_err=layout.header("ERR", number)["BUNIT"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{self.path}: the keywords of slit {number} cannot be "
                             f"read: {exc}") from None
        # slit attributes without a FITS keyword (slit_ymin/ymax; the source
        # position of an ImageModel) are only in the tree
        node = None
        if self.tree is not None:
            node = self.tree.node("slits", k)
            if node is None:
                node = self.tree.tagged
        if isinstance(node, dict):
            extra = {key: _plain(node[key]) for key in SlitInfo.__dataclass_fields__
                     if getattr(meta.slit, key) is None and node.get(key) is not None}
            if extra:
                try:
                    meta = meta.replace(slit=dataclasses.replace(meta.slit, **extra))
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"{self.path}: the slit attributes of slit {number} "
                                     f"cannot be read: {exc}") from None
        return meta

    def _our_meta(self, keys: tuple, what: str) -> SpectralMeta:
        node = self.tree.node("resamplespec", *keys)
        tree = self.tree.shared(node, what) if self.shared else self.tree.convert(node, what)
        try:
            return _our_meta(tree)
        except (TypeError, ValueError, KeyError) as exc:
            raise ValueError(f"{self.path}: {what} cannot be read: {one_line(exc)}") from None


def _slit_label(meta: SpectralMeta, number: int) -> str:
    name = meta.slit.name
    return f"slit {number} ({name})" if name else f"slit {number}"


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _our_meta(tree: Any) -> SpectralMeta:
    return meta_from_tree({k: v for k, v in dict(tree).items() if k != "wcs"})


def _header_meta(primary, sci, path: Path) -> SpectralMeta:
    """SpectralMeta from the JWST keywords of a cal/s2d file."""

    def value(keyword, hdu="PRIMARY"):
        header = primary if hdu == "PRIMARY" else sci
        found = header.get(keyword)
        if found is None:
            found = sci.get(keyword) if hdu == "PRIMARY" else primary.get(keyword)
        return found

    def number(found):
        try:
            return None if found is None else float(found)
        except (TypeError, ValueError):
            return None

    exposure = ExposureTimes(**{field: number(value(keyword, hdu))
                                for field, (keyword, hdu) in _EXPOSURE_KEYWORDS.items()})
    slit_values = {field: value(keyword, "SCI") for field, keyword in _SLIT_KEYWORDS.items()}
    for field in ("xstart", "xsize", "ystart", "ysize", "slitlet_id", "source_id"):
        if slit_values[field] is not None:
            slit_values[field] = int(slit_values[field])
    dispersion = value("DISPAXIS", "SCI")
    return SpectralMeta(
        dispersion_direction=int(dispersion) if dispersion in (1, 2) else 1,
        bunit_data=sci.get("BUNIT"),
        bunit_err=None,
        pixel_area_sr=number(value("PIXAR_SR", "SCI")),
        pixel_area_arcsec2=number(value("PIXAR_A2", "SCI")),
        exposure=exposure,
        instrument=value("INSTRUME"),
        detector=value("DETECTOR"),
        exp_type=value("EXP_TYPE"),
        filter=value("FILTER"),
        grating=value("GRATING"),
        slit=SlitInfo(**slit_values),
        filename=primary.get("FILENAME") or path.name,
        s_region=value("S_REGION", "SCI"),
    )
