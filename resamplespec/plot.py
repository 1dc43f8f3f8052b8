"""Quick-look pictures of resampled spectra (needs matplotlib: ``resamplespec[plot]``).

:func:`quick_look` draws the rectified 2D spectrum with wavelength along x
(whatever the dispersion direction of the data) and the spatial pixel along
y, and under it the spectrum collapsed over the spatial axis.  A multi-slit
product gets one 2D panel per slit (the first :data:`MAX_SLITS`) and their
spectra in one panel.  It uses matplotlib's object API with the Agg canvas,
so it never touches pyplot's global state or needs a display.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

try:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
except ImportError as exc:  # pragma: no cover - exercised only without matplotlib
    raise ImportError(
        "resamplespec.plot needs matplotlib: pip install 'resamplespec[plot]'"
    ) from exc

from .io import atomic_write
from .models import MultiSlitImage, SpectralImage

__all__ = ["MAX_SLITS", "quick_look"]

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
    axes = figure.subplots(len(images) + 1, 1, height_ratios=[2] * len(images) + [2.4])
    for ax, image in zip(axes[:-1], images, strict=True):
        _draw_2d(ax, image)
    _draw_1d(axes[-1], images)
    if isinstance(product, MultiSlitImage) and len(product) > MAX_SLITS:
        figure.suptitle(f"first {MAX_SLITS} of {len(product)} slits")

    path = Path(path)
    atomic_write(path, lambda handle: figure.savefig(handle, format="png", dpi=110))
    return path


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
    y_edges = np.arange(data.shape[0] + 1, dtype=np.float64) - 0.5
    mesh = ax.pcolormesh(x_edges, y_edges, np.ma.masked_invalid(data), vmin=low, vmax=high,
                         cmap="viridis", shading="flat")
    unit = image.meta.bunit_data or ""
    ax.figure.colorbar(mesh, ax=ax, label=unit, pad=0.01)
    ax.set_ylabel("spatial pixel")
    ax.set_xlabel("wavelength (um)")
    ax.set_title(f"{image.name or 'resampled spectrum'}  {image.shape[0]}x{image.shape[1]}",
                 fontsize="medium", loc="left")


def _draw_1d(ax: Any, images: list[SpectralImage]) -> None:
    for image in images:
        data, wavelength = _rectified(image)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            filled = np.isfinite(data).any(axis=0)
            spectrum = np.where(filled, np.nansum(data, axis=0), np.nan)
        ax.plot(wavelength, spectrum, lw=0.8, label=image.name or None)
    unit = images[0].meta.bunit_data or ""
    ax.set_xlabel("wavelength (um)")
    ax.set_ylabel(f"sum over spatial pixels ({unit})" if unit else "sum over spatial pixels")
    if len(images) > 1:
        ax.legend(fontsize="small", ncols=min(len(images), 6))
