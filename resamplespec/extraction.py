"""1D spectra from resampled products, with errors that count the covariance.

:func:`extract` sums a resampled 2D spectrum over a range of spatial lines
(a boxcar, or weights of the user's) at each wavelength, optionally binning
``bin`` wavelengths into one, and propagates the errors twice: with the
covariance that drizzling creates between neighbouring output pixels
(``error``, from the product's :class:`~resamplespec.PixelCorrelation`,
``resample(..., variance="exact", covariance=True)``) and without it
(``error_naive``, the quadrature sum of the pixel errors that tools which
ignore the covariance report).

For every element j of the spectrum, flux_j = sum_k a_k d_k over the
pixels k of its aperture, with coefficients a_k (weights, pixel areas and
the 1 / bin of a binned mean), and

    var_j = sum_k a_k^2 err_k^2 + 2 sum_{pairs k, l} a_k a_l rho_kl err_k err_l,

the second sum over the pairs of pixels of the same element that the
product's correlation planes hold.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import QTable

from .io import atomic_write, read
from .models import MultiSlitImage, PixelCorrelation, SpectralImage

__all__ = ["CovarianceWarning", "ExtractedSpectrum", "extract", "write_spectrum"]


class CovarianceWarning(UserWarning):
    """An error computed without the covariance of the pixels it sums."""


@dataclass(frozen=True, eq=False)
class ExtractedSpectrum:
    """A 1D spectrum extracted by :func:`extract`.

    Attributes
    ----------
    wavelength : ndarray
        Micron; the mean wavelength of each bin.
    flux : ndarray
        The (weighted) sum over the aperture, in ``unit``; binned: the mean
        of the ``bin`` sums.
    error : ndarray
        Standard error of ``flux`` with the covariance of the pixels summed
        (equal to ``error_naive`` when the product carries no covariance:
        see ``error_is_naive``).
    error_naive : ndarray
        The same without the covariance: the quadrature sum of the pixel
        errors.
    npixels : ndarray
        Pixels with data that entered each element.
    unit : str
        Unit of ``flux`` and the errors: ``'MJy'`` for products in flux
        density per pixel and for surface brightness (``MJy/sr``) with a
        known pixel area (each pixel times its solid angle: a flux
        density); the product's unit times ``pix`` for surface brightness
        without a pixel area (a sum of surface brightnesses is no flux).
    error_is_naive : bool
        True when the product had no covariance: ``error`` is then naive too.
    rows : (int, int)
        The spatial lines summed, ``start:stop``.
    bin : int
        Wavelengths per element.
    """

    wavelength: np.ndarray
    flux: np.ndarray
    error: np.ndarray
    error_naive: np.ndarray
    npixels: np.ndarray
    unit: str
    error_is_naive: bool
    rows: tuple[int, int]
    bin: int

    def to_table(self):
        """An astropy ``QTable`` with units: ``wavelength`` (um), ``flux``,
        ``error``, ``error_naive`` and ``npixels``; the extraction in ``meta``.
        Readable by ``specutils`` (``Spectrum1D.read(path, format="ECSV")``
        after :meth:`astropy.table.QTable.write`)."""
        unit = u.Unit(self.unit)
        table = QTable()
        table["wavelength"] = self.wavelength * u.um
        table["flux"] = self.flux * unit
        table["error"] = self.error * unit
        table["error_naive"] = self.error_naive * unit
        table["npixels"] = self.npixels
        table.meta["rows"] = list(self.rows)
        table.meta["bin"] = self.bin
        table.meta["error_is_naive"] = self.error_is_naive
        table.meta["error"] = ("with the covariance of the summed pixels"
                               if not self.error_is_naive else
                               "naive: the product carried no covariance")
        return table


def extract(result: SpectralImage | str | Path, rows: tuple[int, int], weights: Any = None,
            bin: int = 1) -> ExtractedSpectrum:  # noqa: A002 - the issue's name for it
    """Sum a resampled spectrum over spatial lines into a 1D spectrum.

    Parameters
    ----------
    result : SpectralImage or path
        A product of :func:`resamplespec.resample` (one slit; pick one of a
        multi-slit result with ``result[name]``), or the path of one.
    rows : (int, int)
        The spatial lines ``start:stop`` summed: rows of the array when the
        dispersion runs along x, columns when it runs along y.
    weights : array, optional
        Weights of the summed lines: ``stop - start`` numbers (a spatial
        profile), or an array of the aperture's shape (lines x
        wavelengths).  Default: 1 (a boxcar).  The flux is sum(w d),
        not normalised.
    bin : int
        Wavelengths averaged into one element (the mean of their sums);
        a last, incomplete bin is dropped.

    Returns
    -------
    ExtractedSpectrum

    Raises
    ------
    ValueError
        ``rows`` not inside the product, ``bin`` < 1, weights of the wrong
        shape or not finite, a product without wavelengths or errors.
    TypeError
        A multi-slit product, or arguments of the wrong type.

    Warns
    -----
    CovarianceWarning
        The product has no covariance (resampled without
        ``covariance=True``): ``error`` is the naive one.

    Examples
    --------
    >>> import resamplespec
    >>> from resamplespec import datasets
    >>> nods = datasets.nirspec_fixed_slit(n_exposures=2, shape=(30, 120))
    >>> product = resamplespec.resample(nods, variance="exact", covariance=True)
    >>> spectrum = resamplespec.extract(product, rows=(15, 22), bin=2)
    >>> spectrum.flux.shape == spectrum.error.shape, spectrum.unit
    (True, 'MJy')
    >>> bool((spectrum.error >= spectrum.error_naive).all())
    True
    """
    image = _as_product(result)
    start, stop = _validate_rows(rows, image)
    bin = _validate_bin(bin)  # noqa: A001
    along_x = image.meta.dispersion_direction == 1
    # spatial lines first, wavelengths second, whatever the dispersion
    data = np.asarray(image.data, dtype=np.float64)
    err = np.asarray(image.err, dtype=np.float64)
    if not along_x:
        data, err = data.T, err.T
    n_lines, n_waves = data.shape
    wavelength = _wavelengths(image, n_waves)
    n_bins = n_waves // bin
    if n_bins == 0:
        raise ValueError(f"bin={bin} is more than the {n_waves} wavelengths of the product")

    line_weights = _validate_weights(weights, stop - start, n_waves)
    scale, unit = _flux_scale(image)
    # coefficient a_k and spectral element of every pixel (-1: not summed)
    coefficient = np.zeros((n_lines, n_waves))
    coefficient[start:stop] = line_weights * (scale / bin)
    element = np.full((n_lines, n_waves), -1, dtype=np.int64)
    element[start:stop, :n_bins * bin] = np.arange(n_bins * bin) // bin
    usable = np.isfinite(data) & (element >= 0)
    coefficient[~usable] = 0.0
    element[~usable] = -1
    summed = element >= 0

    def per_element(values, labels=element, mask=summed):
        return np.bincount(labels[mask], weights=values[mask], minlength=n_bins)

    flux = per_element(coefficient * np.where(usable, data, 0.0))
    npixels = np.bincount(element[summed], minlength=n_bins)
    variance_naive = per_element((coefficient * err) ** 2)
    covariance_terms = np.zeros(n_bins)
    correlation = image.correlation
    if correlation is None:
        warnings.warn(
            "the product carries no covariance (resample it with variance='exact', "
            "covariance=True): the extracted error is the naive one, which ignores the "
            "correlation of neighbouring pixels and underestimates the error of a sum",
            CovarianceWarning, stacklevel=2)
    else:
        for dy, dx, rho in _planes(correlation, along_x):
            covariance_terms += _pair_terms(coefficient * err, element, rho, dy, dx, n_bins)
    variance = variance_naive + 2.0 * covariance_terms
    empty = npixels == 0
    flux[empty] = np.nan
    wavelength_binned = wavelength[:n_bins * bin].reshape(n_bins, bin).mean(axis=1)
    with np.errstate(invalid="ignore"):
        error = np.sqrt(np.where(empty, np.nan, variance))
        error_naive = np.sqrt(np.where(empty, np.nan, variance_naive))
    return ExtractedSpectrum(
        wavelength=wavelength_binned, flux=flux, error=error, error_naive=error_naive,
        npixels=npixels, unit=unit, error_is_naive=correlation is None, rows=(start, stop),
        bin=bin,
    )


def write_spectrum(spectrum: ExtractedSpectrum, path: str | Path) -> Path:
    """Write ``spectrum.to_table()`` to ``path`` as ECSV, atomically."""
    path = Path(path)
    table = spectrum.to_table()

    def writer(handle):
        # astropy's ECSV writer wants text; the binary handle stays open
        # for atomic_write's fsync
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="\n")
        table.write(text, format="ascii.ecsv")
        text.flush()
        text.detach()

    atomic_write(path, writer)
    return path


def _as_product(result) -> SpectralImage:
    if isinstance(result, (str, Path)):
        result = read(result)
    if isinstance(result, MultiSlitImage):
        raise TypeError(f"extract takes one slit; this product has {len(result)} "
                        f"(names {result.names}): pass result[name]")
    if not isinstance(result, SpectralImage):
        raise TypeError(f"result must be a SpectralImage or a product's path, "
                        f"got {type(result).__name__}")
    if result.err is None:
        raise ValueError("the product has no err array: nothing to propagate")
    return result


def _validate_rows(rows, image) -> tuple[int, int]:
    along_x = image.meta.dispersion_direction == 1
    n_lines = image.shape[0] if along_x else image.shape[1]
    what = "rows" if along_x else "columns (the dispersion runs along y)"
    try:
        start, stop = rows
    except (TypeError, ValueError):
        raise TypeError(f"rows must be (start, stop), got {rows!r}") from None
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
               for v in (start, stop)):
        raise TypeError(f"rows must be two integers (start, stop), got {rows!r}")
    if not 0 <= start < stop <= n_lines:
        raise ValueError(f"rows={tuple(rows)!r} is not a non-empty range inside the product's "
                         f"{n_lines} spatial lines ({what} 0 to {n_lines})")
    return int(start), int(stop)


def _validate_bin(bin) -> int:  # noqa: A002
    if isinstance(bin, bool) or not isinstance(bin, (int, np.integer)):
        raise TypeError(f"bin must be a positive integer, got {bin!r}")
    if bin < 1:
        raise ValueError(f"bin must be at least 1 (wavelengths per element), got {bin}")
    return int(bin)


def _validate_weights(weights, n_lines, n_waves) -> np.ndarray:
    if weights is None:
        return np.ones((n_lines, 1))
    array = np.asarray(weights, dtype=np.float64)
    if array.shape == (n_lines,):
        array = array[:, None]
    elif array.shape != (n_lines, n_waves):
        raise ValueError(f"weights must hold {n_lines} numbers (one per summed line) or have "
                         f"the aperture's shape ({n_lines}, {n_waves}), got shape "
                         f"{array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("weights must be finite numbers")
    return array


def _wavelengths(image, n_waves) -> np.ndarray:
    wavelength = image.meta.wavelength
    if wavelength is None or np.shape(wavelength) != (n_waves,):
        raise ValueError("the product has no wavelength per column (meta.wavelength): "
                         "extract needs a product of resamplespec.resample")
    return np.asarray(wavelength, dtype=np.float64)


def _flux_scale(image) -> tuple[float, str]:
    """(factor per pixel, unit of the sum) for the product's unit."""
    bunit = (image.meta.bunit_data or "").strip()
    if "/sr" in bunit.replace(" ", ""):
        area = image.meta.pixel_area_sr
        if area:
            flux_unit = bunit.replace(" ", "").replace("/sr", "") or "MJy"
            return float(area), flux_unit
        summed = (u.Unit(bunit) * u.pix).to_string()
        warnings.warn(f"the product is in {bunit} (surface brightness) with no pixel area: "
                      f"the spectrum is a sum of surface brightnesses, in {summed}, not a "
                      "flux", UserWarning, stacklevel=3)
        return 1.0, summed
    return 1.0, bunit or ""


def _planes(correlation: PixelCorrelation, along_x: bool):
    """(dy, dx, plane) in the (lines, wavelengths) frame of the extraction."""
    for (dy, dx), plane in zip(correlation.offsets, correlation.values, strict=True):
        plane = np.asarray(plane, dtype=np.float64)
        if along_x:
            yield int(dy), int(dx), plane
        else:
            yield int(dx), int(dy), plane.T


def _pair_terms(scaled_err, element, rho, dy, dx, n_bins) -> np.ndarray:
    """sum over pairs (k, k + (dy, dx)) of one element of a_k err_k a_l err_l rho_kl."""
    ny, nx = element.shape
    ys_k = slice(max(-dy, 0), min(ny, ny - dy))
    xs_k = slice(max(-dx, 0), min(nx, nx - dx))
    ys_l = slice(max(dy, 0), min(ny, ny + dy))
    xs_l = slice(max(dx, 0), min(nx, nx + dx))
    same = (element[ys_k, xs_k] >= 0) & (element[ys_k, xs_k] == element[ys_l, xs_l])
    terms = scaled_err[ys_k, xs_k] * scaled_err[ys_l, xs_l] * rho[ys_k, xs_k]
    return np.bincount(element[ys_k, xs_k][same], weights=terms[same], minlength=n_bins)
