"""The ``'interpolated'`` grid: a celestial world without a slit frame (MIRI
LRS and generic); see :func:`resamplespec.geometry.build_output_grid`."""

from __future__ import annotations

import math

import numpy as np
from gwcs import WCS

from ._grid_parts import (
    _Built,
    _central_dispersion_index,
    _column_medians,
    _dispersion_column,
    _dispersion_major,
    _dominant_slope,
    _fit_line,
    _sky_frames,
    _sky_pixel_to_world,
    _tabular,
    _tangent_extent,
)
from ._grid_size import spatial_lines
from ._output_grid import _SpatialAxis, _WavelengthAxis
from ._sky import sky_centre, tangent_offsets


def _build_interpolated(images, samples, ratio, wavelength_grid) -> _Built:
    """The ``'interpolated'`` grid (the reference's ``build_interpolated_output_wcs``)."""
    first = images[0]
    disp = first.meta.dispersion_direction
    # spatial sampling and tangent point from the first input, at its central wavelength
    first_samples = samples[0]
    label = first_samples.label
    slopes, (ra_first, dec_first) = _first_input_slopes(first, first_samples, disp, ratio)
    del first_samples  # samples made on access (in_memory=False) go here
    inverse_from = _dominant_slope(slopes, label)
    table = _union_of_medians(samples, disp, descending=first.meta.exp_type == _LRS)
    # tangent point: centre of all inputs (one input: its central-slit point)
    ra0, dec0 = (ra_first, dec_first) if len(samples) == 1 else _centre_of_inputs(samples)
    x_min, x_max, y_min, y_max = _tangent_extent(samples, ra0, dec0)
    spans = (abs(x_max - x_min), abs(y_max - y_min))
    n_spatial = max(spatial_lines(spans[inverse_from], slopes[inverse_from]), 1)
    intercepts = tuple(-float(np.sign(s)) * 0.5 * (n_spatial - 1) * abs(s) for s in slopes)
    table = wavelength_grid.centres(table, n_spatial, label)

    pixels = np.arange(table.size, dtype=np.float64)
    spectral = _WavelengthAxis(pixels, table, extrapolate=True)
    spatial = _SpatialAxis(slopes, intercepts, inverse_from, (ra0, dec0))
    transform = _sky_pixel_to_world(disp, spatial, _tabular(pixels, table, extrapolate=True))
    detector, world = _sky_frames(with_slit_frame=False)
    return _Built(WCS([(detector, transform), (world, None)]), spatial, spectral, n_spatial)


#: MIRI LRS keeps the detector's order: wavelength falls with the row.
_LRS = "MIR_LRS-FIXEDSLIT"


def _first_input_slopes(first, grid0, disp, ratio):
    """Tangent-plane (x, y) offset per output row, fitted along the first
    input's central dispersion column about that line's mean sky position,
    and that position (RA, Dec, deg)."""
    label = grid0.label
    central = _central_dispersion_index(first.wcs, disp, grid0.grid_shape[1 if disp == 1 else 0])
    ra_line, dec_line = grid0.sky(_dispersion_column(central, disp))
    ra_first, dec_first = sky_centre(ra_line, dec_line, "mean")
    if not (math.isfinite(ra_first) and math.isfinite(dec_first)):
        raise ValueError(
            f"{label}: no sky position along the slit at dispersion index "
            f"{central}; cannot place the output grid"
        )
    x_tan, y_tan = tangent_offsets(ra_line, dec_line, ra_first, dec_first)
    x_tan, y_tan = x_tan[~np.isnan(x_tan)], y_tan[~np.isnan(y_tan)]
    if min(x_tan.size, y_tan.size) < 2:
        raise ValueError(
            f"{label}: fewer than 2 pixels with a sky position along the slit; "
            "cannot measure the spatial scale"
        )
    (slope_x, _), (slope_y, _) = _fit_line(x_tan, ratio), _fit_line(y_tan, ratio)
    return (slope_x, slope_y), (ra_first, dec_first)


def _union_of_medians(samples, disp, *, descending: bool) -> np.ndarray:
    """The wavelength table: the first input's per-line medians, extended by
    the values of the others beyond the range so far; ``descending`` keeps
    the detector's order (MIRI LRS)."""
    collected: list[np.ndarray] = []
    for sample in samples:
        medians = _column_medians(_dispersion_major(sample.world_axis(2), disp))
        if medians.size == 0:
            raise ValueError(
                f"{sample.label}: its WCS gives no finite wavelength on its "
                "bounding box; cannot sample the dispersion axis"
            )
        if not collected:
            collected.append(medians)
            continue
        low = min(float(np.min(c)) for c in collected)
        high = max(float(np.max(c)) for c in collected)
        beyond = medians[(medians < low) | (medians > high)]
        if beyond.size:
            collected.append(beyond)
    table = np.unique(np.concatenate(collected))
    if descending:
        table = table[::-1]
    if table.size < 2:
        raise ValueError(
            f"{', '.join(s.label for s in samples)}: a single output wavelength "
            f"({table.tolist()}); cannot sample the dispersion axis"
        )
    return table


def _centre_of_inputs(samples) -> tuple[float, float]:
    """The mid-range sky position of every input's pixels, in one pass over
    the samples (with in_memory=False each access evaluates an input's WCS)."""
    ra_parts, dec_parts = [], []
    for sample in samples:
        ra, dec = sample.sky()
        finite = np.isfinite(ra) & np.isfinite(dec)
        ra_parts.append(ra[finite])
        dec_parts.append(dec[finite])
    return sky_centre(np.concatenate(ra_parts), np.concatenate(dec_parts), "midrange")
