"""The output grid: the rectified spatial x wavelength frame every input is
drizzled onto (:class:`OutputGrid`), with its two axes in closed form."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import limits
from ._sampling import InputSamples, _plan, evaluate_by_rows, sample_input, stacked_pixel_map
from ._sky import tangent_offsets

#: The kinds of output grid (see :func:`resamplespec.geometry.build_output_grid`).
GRID_KINDS = ("nirspec", "interpolated", "lamp", "custom")

#: square arcseconds per steradian
_ARCSEC2_PER_SR = (180.0 / math.pi * 3600.0) ** 2


class GridWarning(UserWarning):
    """An option could not be honoured while building the output grid."""


# ---------------------------------------------------------------------------
# The two axes of a grid we built, in closed form
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _WavelengthAxis:
    """Piecewise-linear wavelength table: output pixel <-> wavelength (um).

    ``extrapolate``: continue the end segments beyond the table (the
    interpolated and lamp grids); otherwise NaN there (NIRSpec).
    ``map_beyond``: the inverse (wavelength -> pixel, which makes the pixel
    maps) continues the end segments even where the table gives NaN, so
    that input pixels straddling an end of the grid give their inside
    part, as at the spatial ends (NIRSpec grids of the user's choosing,
    whose ends may fall inside the inputs; the native grid keeps the
    reference's NaN).
    """

    pixels: np.ndarray
    wavelengths: np.ndarray
    extrapolate: bool
    map_beyond: bool = False

    def _ascending(self) -> tuple[np.ndarray, np.ndarray]:
        if self.wavelengths[-1] < self.wavelengths[0]:
            return self.wavelengths[::-1], self.pixels[::-1]
        return self.wavelengths, self.pixels

    @staticmethod
    def _interp(values, xp, fp, extrapolate):
        values = np.asarray(values, dtype=np.float64)
        out = np.interp(values, xp, fp, left=np.nan, right=np.nan)
        if extrapolate:
            below, above = values < xp[0], values > xp[-1]
            if below.any():
                out[below] = fp[0] + (values[below] - xp[0]) * ((fp[1] - fp[0]) / (xp[1] - xp[0]))
            if above.any():
                out[above] = fp[-1] + (values[above] - xp[-1]) * (
                    (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
                )
        return out

    def to_pixel(self, wavelength):
        xp, fp = self._ascending()
        return self._interp(wavelength, xp, fp, self.extrapolate or self.map_beyond)

    def to_wavelength(self, pixel):
        return self._interp(pixel, self.pixels, self.wavelengths, self.extrapolate)


@dataclass(frozen=True)
class _SpatialAxis:
    """Output spatial pixel -> two world coordinates, each linear in the pixel.

    The coordinates are tangent-plane offsets (deg) about ``tangent_point``
    or, for a non-celestial world (``tangent_point`` None), the world's own
    spatial coordinates.  The inverse uses the coordinate ``inverse_from``
    (the one that changes more along the slit).
    """

    slopes: tuple[float, float]
    intercepts: tuple[float, float]
    inverse_from: int
    tangent_point: tuple[float, float] | None

    def to_pixel(self, first, second):
        if self.tangent_point is not None:
            first, second = tangent_offsets(first, second, *self.tangent_point)
        k = self.inverse_from
        values = np.asarray((first, second)[k], dtype=np.float64)
        return (values - self.intercepts[k]) / self.slopes[k]


# ---------------------------------------------------------------------------
# The grid
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputGrid:
    """The output grid of one slit.

    Attributes
    ----------
    wcs : gwcs.WCS
        ``detector -> (slit_frame ->) world``, with ``bounding_box``,
        ``pixel_shape`` and ``array_shape`` set (a custom WCS keeps the
        user's bounding box, if any).
    shape : (int, int)
        ``(ny, nx)``, numpy order.
    dispersion_axis : {1, 2}
        1: wavelength along x (columns); 2: along y (rows).
    pixel_scale_ratio : float
        Input / output spatial pixel scale actually used (cross-dispersion
        only): the option, the one derived from ``pixel_scale``, or, for a
        custom grid, nominal input pixel area / output pixel area.
    pixel_area_sr, pixel_area_arcsec2 : float or None
        Output pixel area (the reference's PIXAR_SR, PIXAR_A2); None when
        the inputs have no nominal pixel area.
    wavelength : ndarray
        Wavelength (um) of every column (dispersion along x) or row.
    kind : {'nirspec', 'interpolated', 'lamp', 'custom'}
        How the grid was made (see the module notes).
    spectral_grid : {'native', 'linear', 'log', 'explicit'}
        The wavelength grid chosen (``'native'`` for a custom grid).
    spectral_sampling : float
        Output pixels per native pixel along the dispersion.
    """

    wcs: Any
    shape: tuple[int, int]
    dispersion_axis: int
    pixel_scale_ratio: float
    pixel_area_sr: float | None
    pixel_area_arcsec2: float | None
    wavelength: np.ndarray
    kind: str
    spectral_grid: str = "native"
    spectral_sampling: float = 1.0
    _spatial: _SpatialAxis | None = field(default=None, repr=False, compare=False)
    _spectral: _WavelengthAxis | None = field(default=None, repr=False, compare=False)
    _samples: dict = field(default_factory=dict, repr=False, compare=False)

    def world_to_pixel(self, *world_arrays: Any) -> tuple[np.ndarray, np.ndarray]:
        """Output pixel ``(x, y)`` of world coordinates.

        Parameters
        ----------
        *world_arrays : array_like
            The world coordinates in the WCS's world order (e.g. RA, Dec in
            deg and wavelength in um).

        Returns
        -------
        x, y : ndarray
            Float64 pixel coordinates (centres on integers); NaN where
            undefined.  The bounding box is not applied.

        Notes
        -----
        Grids built here are inverted in closed form: the spatial pixel
        from the tangent-plane offset (or planar coordinate) that the
        reference inverts, the spectral pixel by linear interpolation in
        the monotonic wavelength table.  This equals the reference's gwcs
        inverse (for NIRSpec a round trip through the ``slit_frame``
        lookup tables, which is the identity) to rounding.  Custom grids
        use the gwcs inverse with the bounding box off, as the reference
        does.
        """
        if len(world_arrays) < 3:
            raise ValueError(
                f"world_to_pixel needs the spatial and spectral world coordinates, got "
                f"{len(world_arrays)} arrays"
            )
        if self._spatial is None or self._spectral is None:
            return self._gwcs_inverse(*world_arrays)
        spatial = self._spatial.to_pixel(world_arrays[0], world_arrays[1])
        spectral = self._spectral.to_pixel(world_arrays[2])
        if self.dispersion_axis == 1:
            return spectral, spatial
        return spatial, spectral

    def _gwcs_inverse(self, *world_arrays):
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                x, y = self.wcs.invert(*world_arrays, with_bounding_box=False)
            except NotImplementedError as exc:
                raise ValueError(
                    f"output_wcs: the WCS has no inverse (world -> detector) transform: {exc}"
                ) from None
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def _pixel_map_from_samples(self, samples: InputSamples) -> np.ndarray:
        """The pixel map ``(ny, nx, 2)`` of an input from its WCS samples
        (see :func:`resamplespec.geometry.pixel_map`); NaN off its grid.

        Grids built here map the samples block by block of rows, straight
        into the map: no full-size temporaries (the arithmetic is per pixel,
        so the numbers do not depend on the blocks).  The tangent-plane
        offsets the builder computed for the same tangent point are reused.
        """
        if self._spatial is None or self._spectral is None:
            return stacked_pixel_map(*self.world_to_pixel(*samples.on_array()))
        pixmap = np.empty(samples.shape + (2,), dtype=np.float64)
        if samples.grid_shape != samples.shape or (samples.x0, samples.y0) != (0, 0):
            pixmap.fill(np.nan)
        self._fill_pixel_map(pixmap, samples)
        return pixmap

    def _pixel_map_by_blocks(self, image: Any) -> np.ndarray:
        """The pixel map of an input whose WCS is evaluated here, a block of
        rows at a time, each block mapped straight into the map: no samples
        of the whole input are made (the numbers are those of
        :meth:`_pixel_map_from_samples`: the arithmetic is per pixel)."""
        if self._spatial is None or self._spectral is None:
            return self._pixel_map_from_samples(sample_input(image))
        plan = _plan(image)
        pixmap = np.empty(plan.shape + (2,), dtype=np.float64)
        if (plan.ys.size, plan.xs.size) != plan.shape or (plan.xs[0], plan.ys[0]) != (0, 0):
            pixmap.fill(np.nan)
        rows = max(1, limits.MAP_BLOCK_PIXELS // plan.xs.size)
        for samples in evaluate_by_rows(image, rows):
            self._fill_pixel_map(pixmap, samples)
            del samples
        return pixmap

    def _fill_pixel_map(self, pixmap: np.ndarray, samples: InputSamples) -> None:
        """Write the output (x, y) of the samples' grid pixels into ``pixmap``
        (built grids), block by block of rows."""
        overlap = samples._overlap()
        if overlap is None:
            return
        rows, cols, grid_rows, grid_cols = overlap
        step = max(1, limits.MAP_BLOCK_PIXELS // (grid_cols.stop - grid_cols.start))
        for first in range(grid_rows.start, grid_rows.stop, step):
            block = slice(first, min(first + step, grid_rows.stop))
            target = slice(rows.start + first - grid_rows.start,
                           rows.start + block.stop - grid_rows.start)
            x, y = self._grid_pixels(samples, block, grid_cols)
            pixmap[target, cols, 0] = x
            pixmap[target, cols, 1] = y

    def _grid_pixels(self, samples: InputSamples, rows: slice, cols: slice
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Output (x, y) of the samples' grid pixels ``[rows, cols]`` (built grids)."""
        spatial = self._spatial
        k = spatial.inverse_from
        if samples.tangent is not None and samples.tangent[0] == spatial.tangent_point:
            along = samples.tangent[1 + k][rows, cols]
        elif spatial.tangent_point is not None:
            along = samples.sky_offsets(*spatial.tangent_point, index=(rows, cols))[k]
        else:  # non-celestial: the world's own spatial coordinates
            along = samples.values[k][rows, cols]
        along = (along - spatial.intercepts[k]) / spatial.slopes[k]
        spectral = self._spectral.to_pixel(samples.world_axis(2)[rows, cols])
        return (spectral, along) if self.dispersion_axis == 1 else (along, spectral)

    def _keep_pixel_map(self, image: Any, samples: InputSamples) -> None:
        """Keep the pixel map of ``image`` for :meth:`_take_pixel_map`."""
        self._samples[id(image)] = _KeptPixelMap(
            samples.wcs, samples.shape, self._pixel_map_from_samples(samples))

    def _take_pixel_map(self, image: Any) -> np.ndarray | None:
        """The pixel map kept by the builder for ``image`` (once), if any."""
        kept = self._samples.pop(id(image), None)
        if kept is None:
            return None
        wcs = image.get("wcs") if isinstance(image, Mapping) else getattr(image, "wcs", None)
        if kept.wcs is not wcs or kept.shape != tuple(
            np.shape(image["data"] if isinstance(image, Mapping) else image.data)
        ):
            return None
        return kept.pixmap


@dataclass(frozen=True)
class _KeptPixelMap:
    """An input's pixel map made by the grid builder from its WCS samples,
    with the WCS and data shape it was made for."""

    wcs: Any
    shape: tuple[int, int]
    pixmap: np.ndarray
