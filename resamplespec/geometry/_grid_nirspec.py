"""The ``'nirspec'`` grid: a celestial world with a slit frame (NIRSpec
fixed slit and MOS); see :func:`resamplespec.geometry.build_output_grid`."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from astropy.modeling import models as am
from gwcs import WCS

from ..models import LazyImages
from ._grid_parts import (
    _Built,
    _central_index,
    _clipped_weights,
    _dispersion_column,
    _dominant_slope,
    _fit_line,
    _merged_wavelengths,
    _nanmean,
    _sample_extent,
    _sky_frames,
    _sky_pixel_to_world,
    _sorted_medians,
    _tabular,
    _union_extent,
)
from ._grid_size import spatial_lines
from ._output_grid import _SpatialAxis, _WavelengthAxis
from ._sky import tangent_offsets
from ._wcs_utils import _call, apply_inverse, apply_transform, bounding_box_limits


def _build_nirspec(images, samples, ref_index, ratio, wavelength_grid) -> _Built:
    """The ``'nirspec'`` grid (the reference's ``build_nirspec_output_wcs``).

    Inputs read from files (``in_memory=False``) are each evaluated once,
    one at a time, and of the reference input the data and samples go as
    soon as the source position and the spatial sampling are known.
    """
    lazy = isinstance(images, LazyImages)
    disp = (images.meta(0) if lazy else images[0].meta).dispersion_direction
    reference, ref_samples = images[ref_index], samples[ref_index]
    ref_wcs = reference.wcs
    label = ref_samples.label
    frames = list(ref_wcs.available_frames)
    sky_name = _sky_frame_name(frames)

    # 1. the source: slit position weighted by the (shifted, clipped) data
    # (the samples reach the sky frame when it is the WCS's last)
    ra0, dec0 = _source_position(reference, ref_samples, sky_name, sky_name == frames[-1], label)
    del reference  # the data are no longer needed
    if lazy:
        images.release()
    # 2. spatial sampling along the central dispersion column of the reference input
    slopes = _spatial_slopes(ref_samples, ref_wcs, disp, (ra0, dec0), ratio, label)
    inverse_from = _dominant_slope(slopes, label)
    del ref_samples
    if lazy:
        samples.forget_kept()  # evaluated again, without its slit frame, below
    # 3. wavelengths and 4. the extent of every input, centred on the grid
    table, extents = _wavelengths_and_extents(samples, disp, ra0, dec0)
    ny, intercepts = _centred_rows(extents, slopes, inverse_from)
    table = wavelength_grid.centres(table, ny, label)
    # 5. wavelength table with half a pixel at both ends
    pixels, lam = _half_pixel_table(table)
    spectral = _WavelengthAxis(pixels, lam, extrapolate=False,
                               map_beyond=not wavelength_grid.is_native)
    spatial = _SpatialAxis(slopes, intercepts, inverse_from, (ra0, dec0))
    # 6. the gwcs: detector -> slit_frame -> world
    wave = _tabular(pixels, lam, extrapolate=False)
    pix_to_world = _sky_pixel_to_world(disp, spatial, wave)
    slit_y = _slit_y_of_rows(ref_wcs, sky_name, pix_to_world, disp, ny, len(table), label)
    wcs = _nirspec_wcs(disp, pix_to_world, wave, slit_y)
    return _Built(wcs, spatial, spectral, ny)


def _sky_frame_name(frames: list[str]) -> str:
    """The celestial frame among a NIRSpec WCS's ``frames`` (``moving_target``
    for moving targets, else ``world``, else the last frame)."""
    name = "moving_target" if "moving_target" in frames else "world"
    return name if name in frames else frames[-1]


def _source_position(reference, ref_samples, sky_name, samples_reach_sky,
                     label) -> tuple[float, float]:
    """RA, Dec (deg) of the source: the slit position of the reference
    input weighted by its data (shifted to be positive, loosely clipped),
    at its mean wavelength, through its slit_frame -> sky transform."""
    y_slit, lam_slit = ref_samples.slit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        floor = np.nanmin(reference.data)
        shifted = ref_samples.on_grid(reference.data) - floor
        good = np.isfinite(y_slit) & np.isfinite(lam_slit) & np.isfinite(shifted)
        weights = _clipped_weights(shifted[good])  # the other pixels weigh 0
        if np.any(weights != 0):
            source_slit_y = float(np.average(y_slit[good], weights=weights))
        else:
            source_slit_y = float(_nanmean(y_slit))
        source_lam = float(_nanmean(lam_slit))
    if not (math.isfinite(source_slit_y) and math.isfinite(source_lam)):
        raise ValueError(f"{label}: its slit_frame gives no finite slit position or wavelength")
    source_slit = (0.0, source_slit_y, source_lam)
    if samples_reach_sky:
        # the transform the samples were made with, compiled
        source_world = _call(ref_samples.world_from_slit, source_slit)
    else:
        source_world = apply_transform(reference.wcs.get_transform("slit_frame", sky_name),
                                       *source_slit)
    ra0, dec0 = (float(v[0]) for v in source_world[:2])
    if not (math.isfinite(ra0) and math.isfinite(dec0)):
        raise ValueError(f"{label}: the source position in the slit maps to no sky position")
    return ra0, dec0


def _spatial_slopes(ref_samples, ref_wcs, disp, tangent_point, ratio,
                    label) -> tuple[float, float]:
    """Tangent-plane (x, y) offset per output row: the line fitted to the
    offsets along the reference input's central dispersion column, sampled
    at ``ratio`` output rows per input pixel."""
    limits = bounding_box_limits(ref_wcs)
    n_disp = ref_samples.grid_shape[1 if disp == 1 else 0]
    central = int(np.mean(limits[disp - 1])) if limits is not None else (n_disp - 1) // 2
    central = _central_index(central, n_disp)
    ra_line, dec_line = ref_samples.sky(_dispersion_column(central, disp))
    x_tan, y_tan = tangent_offsets(ra_line, dec_line, *tangent_point)
    valid = ~(np.isnan(x_tan) | np.isnan(y_tan))
    if np.count_nonzero(valid) < 2:
        raise ValueError(
            f"{label}: fewer than 2 pixels with a sky position along the slit at "
            f"dispersion index {central}; cannot measure the spatial scale"
        )
    (slope_x, _), (slope_y, _) = _fit_line(x_tan[valid], ratio), _fit_line(y_tan[valid], ratio)
    return slope_x, slope_y


def _wavelengths_and_extents(samples, disp, ra0, dec0) -> tuple[list, list]:
    """The merged wavelength table (first input first, whatever the
    reference input) and the tangent-plane extent of every input's pixels,
    from one evaluation of each input."""
    per_input, extents, labels = [], [], []
    for k in range(len(samples)):
        sample = samples[k]
        per_input.append(_sorted_medians(sample, disp))
        extents.append(_sample_extent(sample, ra0, dec0))
        labels.append(sample.label)
        del sample  # samples made on access (in_memory=False) go before the next
    table = _merged_wavelengths(per_input)
    if len(table) < 2:
        raise ValueError(
            f"{', '.join(labels)}: a single output wavelength "
            f"({table}); cannot sample the dispersion axis"
        )
    return table, extents


def _centred_rows(extents, slopes, inverse_from) -> tuple[int, tuple[float, float]]:
    """The number of output rows that holds every input's pixels, and the
    intercepts of the spatial line that centre them on the grid."""
    x_min, x_max, y_min, y_max = _union_extent(extents)
    spans = (abs(x_max - x_min), abs(y_max - y_min))
    ny = spatial_lines(spans[inverse_from], slopes[inverse_from]) + 1
    intercepts = []
    for slope, span, lowest, highest in (
        (slopes[0], spans[0], x_min, x_max),
        (slopes[1], spans[1], y_min, y_max),
    ):
        offset = ny / 2 * abs(slope) - span / 2
        start = lowest if slope > 0 else highest
        intercepts.append(start - float(np.sign(slope)) * offset)
    return ny, tuple(intercepts)


def _half_pixel_table(table) -> tuple[np.ndarray, np.ndarray]:
    """Output pixels and wavelengths of the table, extrapolated half a pixel
    at both ends from the end segments (the reference anchors the red end
    on the wrong pixel; see the module notes)."""
    n_lam = len(table)
    lam = np.asarray(table, dtype=np.float64)
    pixels = np.concatenate([[-0.5], np.arange(n_lam, dtype=np.float64), [n_lam - 0.5]])
    lam = np.concatenate(
        [[lam[0] - 0.5 * (lam[1] - lam[0])], lam, [lam[-1] + 0.5 * (lam[-1] - lam[-2])]]
    )
    return pixels, lam


def _slit_y_of_rows(ref_wcs, sky_name, pix_to_world, disp, ny, n_lam, label) -> np.ndarray:
    """``y_slit`` of every output row at the middle wavelength, through the
    reference input's world -> slit_frame inverse: the output's slit frame,
    which keeps source positions computable."""
    rows = np.arange(ny, dtype=np.float64)
    middle = np.full(ny, float(n_lam // 2))
    world_mid = apply_transform(pix_to_world, *((middle, rows) if disp == 1 else (rows, middle)))
    try:
        slit_y = apply_inverse(ref_wcs, "slit_frame", sky_name, *world_mid)[1]
    except NotImplementedError:
        raise ValueError(
            f"{label}: its WCS has no world -> slit_frame inverse; the slit_frame "
            "of the output cannot be built"
        ) from None
    steps = np.diff(slit_y)
    if ny < 2 or not np.all(np.isfinite(slit_y)) or not (np.all(steps > 0) or np.all(steps < 0)):
        raise ValueError(
            f"{label}: y_slit is not monotonic along the {ny} output rows; the "
            "slit_frame of the output cannot be built"
        )
    return slit_y


def _nirspec_wcs(
    disp: int, pix_to_world: Any, wavelength: am.Tabular1D, slit_y: np.ndarray
) -> WCS:
    """The output gwcs ``detector -> slit_frame -> world`` (as the reference
    builds it): ``x_slit = 0``, ``y_slit`` looked up per output row,
    ``slit_frame -> world`` the inverse of that, then ``pix_to_world``."""
    slit_lookup = am.Tabular1D(
        points=np.arange(slit_y.size, dtype=np.float64),
        lookup_table=slit_y,
        bounds_error=False,
        fill_value=None,
    )
    if disp == 1:
        to_slit_inputs = am.Mapping((0, 1, 0))
        from_slit_inputs = am.Mapping((2, 1), n_inputs=3)
    else:
        to_slit_inputs = am.Mapping((0, 0, 1))
        from_slit_inputs = am.Mapping((1, 2), n_inputs=3)
    from_slit_inputs.inverse = to_slit_inputs
    to_slit_inputs.inverse = from_slit_inputs
    x_slit = am.Const1D(0.0)
    x_slit.inverse = x_slit  # x_slit = 0 both ways
    det_to_slit = to_slit_inputs | x_slit & slit_lookup & wavelength
    slit_to_world = det_to_slit.inverse | pix_to_world
    detector, slit_frame, world = _sky_frames(with_slit_frame=True)
    return WCS([(detector, det_to_slit), (slit_frame, slit_to_world), (world, None)])
