"""Quick-look pictures of resampled spectra (needs matplotlib: ``resamplespec[plot]``).

:func:`quick_look` draws the rectified 2D spectrum with wavelength along x
(whatever the dispersion direction of the data) and, along y, the offset
along the slit in arcsec from the expected source position (from the slit
centre where the product does not say where the source is; the spatial
pixel index for data off the sky), read from the product's WCS as
:func:`resamplespec.io.fits_wcs_header` writes it.  Under it, on the same
wavelength axis, the spectrum collapsed over the spatial axis:

- the flux density in the slit, when the data are a flux density per pixel
  (``MJy``, ``Jy``...: the pixels' values summed) or a surface brightness
  (``MJy/sr``...) with a known output pixel area (each pixel's value times
  its solid angle, ``meta.pixel_area_sr``, summed), drawn in the one of
  MJy, Jy, mJy, uJy and nJy that keeps the numbers readable;
- else (unknown units or pixel area, in any slit drawn) the mean over the
  spatial pixels, in the data's unit, and the label says "mean".

A multi-slit product gets one 2D panel per slit (the first
:data:`MAX_SLITS`) and their spectra in one panel.  It uses matplotlib's
object API with the Agg canvas, so it never touches pyplot's global state
or needs a display; :func:`quick_look_figure` returns the figure itself
(for a notebook).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u

try:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
except ImportError as exc:  # pragma: no cover - exercised only without matplotlib
    raise ImportError(
        "resamplespec.plot needs matplotlib: pip install 'resamplespec[plot]'"
    ) from exc

from .io import atomic_write, fits_wcs_header
from .models import MultiSlitImage, SpectralImage

__all__ = ["MAX_SLITS", "quick_look", "quick_look_figure"]

#: Slits drawn for a multi-slit product.
MAX_SLITS = 6


def quick_look(product: SpectralImage | MultiSlitImage, path: str | os.PathLike) -> Path:
    """Draw ``product`` into a PNG file (written atomically) and return its path.

    Parameters
    ----------
    product : SpectralImage or MultiSlitImage
        A resampled product (it needs ``meta.wavelength``).
    path : str or path-like
        The PNG file; replaced if it exists.

    Raises
    ------
    TypeError
        ``product`` is not a SpectralImage or MultiSlitImage.
    ValueError
        ``product`` has no wavelengths (not a resampled product).
    """
    figure = quick_look_figure(product)
    path = Path(path)
    atomic_write(path, lambda handle: figure.savefig(handle, format="png", dpi=110))
    return path


def quick_look_figure(product: SpectralImage | MultiSlitImage) -> Figure:
    """The figure :func:`quick_look` draws (a matplotlib ``Figure`` on the
    Agg canvas): one 2D panel per slit, then the spectra, all on one
    wavelength axis.  Raises as :func:`quick_look`.

    Examples
    --------
    >>> from resamplespec import datasets, resample
    >>> result = resample(datasets.nirspec_fixed_slit(n_exposures=1, seed=0))
    >>> figure = quick_look_figure(result)
    >>> [ax.get_ylabel() for ax in figure.axes[:2]]
    ['offset from the source (arcsec)', 'flux density in the slit (uJy)']
    """
    if isinstance(product, SpectralImage):
        images = [product]
    elif isinstance(product, MultiSlitImage):
        images = list(product.slits)[:MAX_SLITS]
    else:
        raise TypeError(
            f"product must be a SpectralImage or MultiSlitImage, got {type(product).__name__}"
        )
    if not images:
        raise ValueError("product has no slits to draw")
    for image in images:
        if image.meta.wavelength is None:
            raise ValueError(
                f"{image.name or 'product'}: no meta.wavelength; quick_look draws resampled "
                "products (outputs of resamplespec.resample)"
            )

    figure = Figure(figsize=(10, 2.2 * len(images) + 2.6), layout="constrained")
    FigureCanvasAgg(figure)
    # one wavelength axis for every panel: the same limits and ticks
    axes = figure.subplots(len(images) + 1, 1, height_ratios=[2] * len(images) + [2.4],
                           sharex=True)
    for ax, image in zip(axes[:-1], images, strict=True):
        _draw_2d(ax, image)
    _draw_1d(axes[-1], images)
    if isinstance(product, MultiSlitImage) and len(product) > MAX_SLITS:
        figure.suptitle(f"first {MAX_SLITS} of {len(product)} slits")
    return figure


def _rectified(image: SpectralImage) -> tuple[np.ndarray, np.ndarray]:
    """(spatial x wavelength) data and the wavelength of every column."""
    data = np.asarray(image.data, dtype=np.float64)
    wavelength = np.asarray(image.meta.wavelength, dtype=np.float64)
    if image.meta.dispersion_direction == 2:
        data = data.T
    return data, wavelength[: data.shape[1]]


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around monotonic centres (NaN centres filled linearly)."""
    index = np.arange(centres.size, dtype=np.float64)
    good = np.isfinite(centres)
    if good.sum() >= 2:
        centres = np.interp(index, index[good], centres[good])
    else:
        centres = index
    if centres.size == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    middle = 0.5 * (centres[1:] + centres[:-1])
    return np.concatenate([[2 * centres[0] - middle[0]], middle,
                           [2 * centres[-1] - middle[-1]]])


def _draw_2d(ax: Any, image: SpectralImage) -> None:
    data, wavelength = _rectified(image)
    finite = data[np.isfinite(data)]
    low, high = np.percentile(finite, [1, 99.5]) if finite.size else (0.0, 1.0)
    x_edges = _edges(wavelength)
    y_edges, label = _spatial_edges(image, data.shape[0])
    mesh = ax.pcolormesh(x_edges, y_edges, np.ma.masked_invalid(data), vmin=low, vmax=high,
                         cmap="viridis", shading="flat")
    unit = image.meta.bunit_data or ""
    ax.figure.colorbar(mesh, ax=ax, label=unit, pad=0.01)
    ax.set_ylabel(label)
    # the picture's shape, whichever axis the wavelength runs along in the array
    ax.set_title(f"{image.name or 'resampled spectrum'}  {data.shape[0]} spatial x "
                 f"{data.shape[1]} wavelength pixels", fontsize="medium", loc="left")


def _spatial_edges(image: SpectralImage, n_spatial: int) -> tuple[np.ndarray, str]:
    """Edges of the spatial pixels on the y axis, and its label: offsets in
    arcsec from the source (else the slit centre), or pixel indices."""
    header = fits_wcs_header(image)
    axis = 2 if image.meta.dispersion_direction == 1 else 1
    edges = np.arange(n_spatial + 1, dtype=np.float64) - 0.5
    if header[f"CTYPE{axis}"] != "OFFSET":
        return edges, "spatial pixel"
    # FITS pixels count from 1: the reference pixel is index CRPIX - 1
    offsets = (edges - (header[f"CRPIX{axis}"] - 1.0)) * header[f"CDELT{axis}"]
    at_source = header.comments[f"CRPIX{axis}"] == "source position"
    return offsets, f"offset from the {'source' if at_source else 'slit centre'} (arcsec)"


#: Units the collapsed spectrum may be drawn in, largest first.
_FLUX_UNITS = (u.MJy, u.Jy, u.mJy, u.uJy, u.nJy)


def _collapsed(image: SpectralImage, *, flux: bool = True) -> tuple[np.ndarray, u.Quantity]:
    """Wavelengths and the spectrum of ``image`` collapsed over the spatial
    axis: with ``flux``, the flux density in the slit in Jy (per-pixel flux
    densities summed, or surface brightness times the pixel solid angle
    summed) or None where the units do not allow it; else the mean over the
    spatial pixels in the data's unit.  Columns without a finite pixel are NaN."""
    data, wavelength = _rectified(image)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        filled = np.isfinite(data).any(axis=0)
        total = np.where(filled, np.nansum(data, axis=0), np.nan)
        mean = np.where(filled, np.nanmean(data, axis=0), np.nan)
    try:
        unit = u.Unit(image.meta.bunit_data) if image.meta.bunit_data else None
    except ValueError:
        unit = None
    area = image.meta.pixel_area_sr
    if not flux:
        return wavelength, mean * (unit or u.dimensionless_unscaled)
    if unit is not None and unit.is_equivalent(u.Jy):
        return wavelength, (total * unit).to(u.Jy)
    if unit is not None and area and unit.is_equivalent(u.Jy / u.sr):
        return wavelength, (total * area * u.sr * unit).to(u.Jy)
    return wavelength, None


def _readable_unit(spectra: list[u.Quantity]) -> u.UnitBase:
    """The largest of :data:`_FLUX_UNITS` in which the spectra's typical
    size is at least 1."""
    values = np.concatenate([np.abs(spectrum.to_value(u.Jy)) for spectrum in spectra])
    values = values[np.isfinite(values) & (values > 0)]
    typical = float(np.median(values)) if values.size else 1.0
    return next((unit for unit in _FLUX_UNITS if typical >= (1 * unit).to_value(u.Jy)),
                _FLUX_UNITS[-1])


def _draw_1d(ax: Any, images: list[SpectralImage]) -> None:
    collapsed = [_collapsed(image) for image in images]
    if all(spectrum is not None for _, spectrum in collapsed):
        unit = _readable_unit([spectrum for _, spectrum in collapsed])
        label = f"flux density in the slit ({unit})"
    else:  # slits of one product share their unit: the first one's
        collapsed = [_collapsed(image, flux=False) for image in images]
        unit = collapsed[0][1].unit
        label = "mean over spatial pixels" + (
            f" ({unit})" if unit != u.dimensionless_unscaled else "")
    for image, (wavelength, spectrum) in zip(images, collapsed, strict=True):
        ax.plot(wavelength, spectrum.to_value(unit), lw=0.8, label=image.name or None)
    ax.set_xlabel("wavelength (um)")
    ax.set_ylabel(label)
    if len(images) > 1:
        ax.legend(fontsize="small", ncols=min(len(images), 6))
