"""The ``'lamp'`` grid: a non-celestial world (lamp and lab data); see
:func:`resamplespec.geometry.build_output_grid`."""

from __future__ import annotations

import math

import numpy as np
from astropy import units as u
from astropy.modeling import models as am
from gwcs import WCS
from gwcs import coordinate_frames as cf

from ._grid_parts import (
    _Built,
    _central_dispersion_index,
    _column_medians,
    _dispersion_major,
    _fit_line,
    _spatial_mapping,
    _tabular,
)
from ._output_grid import _SpatialAxis, _WavelengthAxis


def _build_lamp(images, samples, ratio, wavelength_grid) -> _Built:
    """The ``'lamp'`` grid (the reference's ``build_nirspec_lamp_output_wcs``)."""
    first, grid0 = images[0], samples[0]
    disp = first.meta.dispersion_direction
    label = grid0.label
    first_c, second_c, lam = (_dispersion_major(v, disp) for v in grid0.world)
    medians = _column_medians(lam)
    steps = np.diff(medians)
    if medians.size < 2:
        raise ValueError(
            f"{label}: {medians.size} finite wavelength(s) along the dispersion; "
            "cannot sample the dispersion axis"
        )
    if not (np.all(steps > 0) or np.all(steps < 0)):
        raise ValueError(
            f"{label}: the median wavelength is not monotonic along the "
            "dispersion axis; cannot build a wavelength table"
        )
    central = _central_dispersion_index(first.wcs, disp, lam.shape[1])
    along_first = first_c[:, central][~np.isnan(first_c[:, central])]
    along_second = second_c[:, central][~np.isnan(second_c[:, central])]
    if min(along_first.size, along_second.size) < 2:
        raise ValueError(
            f"{label}: fewer than 2 pixels with a position along the slit at "
            f"dispersion index {central}; cannot measure the spatial scale"
        )
    slope_1, intercept_1 = _fit_line(along_first, ratio)
    slope_2, intercept_2 = _fit_line(along_second, ratio)
    # the reference always inverts the second coordinate; use the first only
    # when it changes strictly faster along the slit
    inverse_from = 0 if abs(slope_1) > abs(slope_2) else 1
    if not ((slope_1, slope_2)[inverse_from] != 0.0):
        raise ValueError(f"{label}: the spatial coordinates do not change along the slit")
    n_spatial = int(math.ceil(along_first.size * ratio))
    medians = wavelength_grid.centres(medians, n_spatial, label)

    pixels = np.arange(medians.size, dtype=np.float64)
    spectral = _WavelengthAxis(pixels, medians, extrapolate=True)
    spatial = _SpatialAxis((slope_1, slope_2), (intercept_1, intercept_2), inverse_from, None)
    transform = _spatial_mapping(disp, inverse_from) | (
        am.Linear1D(slope=slope_1, intercept=intercept_1)
        & am.Linear1D(slope=slope_2, intercept=intercept_2)
        & _tabular(pixels, medians, extrapolate=True)
    )
    detector = cf.Frame2D(name="detector", axes_order=(0, 1))
    plane = cf.Frame2D(name=f"resampled_{first.wcs.output_frame.name}", axes_order=(0, 1))
    spectral_frame = cf.SpectralFrame(
        name="spectral", axes_order=(2,), unit=(u.micron,), axes_names=("wavelength",)
    )
    world = cf.CompositeFrame([plane, spectral_frame], name="world")
    return _Built(WCS([(detector, transform), (world, None)]), spatial, spectral, n_spatial)
