"""The output's metadata: blended exposure times, the resampling record, the
slit attributes and S_REGION (step 10 of the chain)."""

from __future__ import annotations

import dataclasses
import logging
import math
import warnings

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from gwcs.wcstools import grid_from_bounding_box

from ..geometry import apply_transform, is_sky_like
from ..models import ExposureTimes, LazyImages, ResampleRecord, SlitInfo, SpectralImage

log = logging.getLogger(__name__)


def _metas(images) -> list:
    """The inputs' metadata (without reading deferred inputs' arrays)."""
    if isinstance(images, LazyImages):
        return [images.meta(k) for k in range(len(images))]
    return [image.meta for image in images]


def _blend_exposure(images: list[SpectralImage]) -> ExposureTimes:
    """start = min, end = max, mid = mean; exposure time and duration summed;
    the effective exposure time is the summed exposure time and the measurement
    time is summed only if every input has one (as the reference does)."""
    times = [meta.exposure for meta in _metas(images)]

    def total(name):
        values = [getattr(t, name) for t in times if getattr(t, name) is not None]
        return float(sum(values)) if values else None

    starts = [t.start_time for t in times if t.start_time is not None]
    ends = [t.end_time for t in times if t.end_time is not None]
    measurement = (
        total("measurement_time") if all(t.measurement_time is not None for t in times) else None
    )
    exposure_time = total("exposure_time")
    mids = [t.mid_time for t in times if t.mid_time is not None]
    return ExposureTimes(
        start_time=min(starts) if starts else None,
        mid_time=float(np.mean(mids)) if mids else None,
        end_time=max(ends) if ends else None,
        exposure_time=exposure_time,
        effective_exposure_time=exposure_time,
        measurement_time=measurement,
        duration=total("duration"),
    )


def _output_meta(images, grid, options):
    first = _metas(images)[0]
    record = ResampleRecord(
        pixfrac=options.pixfrac,
        kernel=options.kernel,
        weight_type=options.weight_type,
        pixel_scale_ratio=grid.pixel_scale_ratio,
        fillval=options.fillval,
        variance=options.variance,
        pixel_area_sr=grid.pixel_area_sr,
        pixel_area_arcsec2=grid.pixel_area_arcsec2,
        n_inputs=len(images),
        spectral_grid=grid.spectral_grid,
        spectral_sampling=grid.spectral_sampling,
    )
    return first.replace(
        exposure=_blend_exposure(images) if options.blendheaders else first.exposure,
        # Slit attributes (source position...) are the first input's, as in
        # the reference, whose step means to take the last but does not.
        slit=_output_slit_info(images, grid),
        pixel_area_sr=grid.pixel_area_sr,
        pixel_area_arcsec2=grid.pixel_area_arcsec2,
        dispersion_direction=grid.dispersion_axis,
        resample=record,
        wavelength=np.asarray(grid.wavelength),
        s_region=_output_s_region(grid, images),
    )


def _output_slit_info(images, grid) -> SlitInfo:
    """The first input's slit attributes; for MIRI LRS, whose source position
    is in detector pixels, that position moved onto the output grid (the
    reference does this only for a single input model; here always)."""
    meta = _metas(images)[0]
    info = meta.slit
    if (meta.exp_type or "").upper() != "MIR_LRS-FIXEDSLIT" or (
        info.source_xpos is None or info.source_ypos is None
    ):
        return info
    wcs = images[0].wcs  # reads a deferred input again: MIRI LRS only
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        world = wcs(float(info.source_xpos), float(info.source_ypos))
        x, y = grid.world_to_pixel(*(np.atleast_1d(v) for v in world))
    x, y = float(np.asarray(x).ravel()[0]), float(np.asarray(y).ravel()[0])
    if not (math.isfinite(x) and math.isfinite(y)):
        log.warning("the MIRI LRS source position (%s, %s) falls off the output grid; "
                    "source_xpos/ypos left unset", info.source_xpos, info.source_ypos)
        return dataclasses.replace(info, source_xpos=None, source_ypos=None)
    return dataclasses.replace(info, source_xpos=x, source_ypos=y)


def _output_s_region(grid, images) -> str | None:
    """S_REGION of the output: the RA/Dec box of its pixel centres, as the
    reference computes it; for MIRI LRS a box along the slit as wide as the
    first input's slit; None off the sky (lamp data)."""
    if not is_sky_like(grid.wcs.output_frame):
        return None
    ra, dec = _sky_on_pixel_centres(grid)
    if ra.size == 0:
        return None
    first = _metas(images)[0]
    if (first.exp_type or "").upper() == "MIR_LRS-FIXEDSLIT":
        corners = _slit_corners(first.s_region)
        if corners is not None:
            return _lrs_s_region(corners, ra, dec)
    # RA unwrapped about its median so that a box across 0 h is not 360 deg wide
    median = float(np.median(ra))
    offset = (ra - median + 180.0) % 360.0 - 180.0
    ra_min = (median + offset.min()) % 360.0
    ra_max = (median + offset.max()) % 360.0
    dec_min, dec_max = float(dec.min()), float(dec.max())
    return _polygon([ra_min, ra_max, ra_max, ra_min], [dec_min, dec_min, dec_max, dec_max])


def _sky_on_pixel_centres(grid) -> tuple[np.ndarray, np.ndarray]:
    """RA, Dec (deg) of the output pixel centres inside the bounding box, finite only."""

    box = grid.wcs.bounding_box
    if box is None:
        ny, nx = grid.shape
        box = ((-0.5, nx - 0.5), (-0.5, ny - 0.5))
    x, y = grid_from_bounding_box(box)
    if grid.kind in ("nirspec", "interpolated"):
        # Grids built here place a pixel on the sky by its spatial index
        # alone: one line across the dispersion, in the same order as the
        # whole grid (first and last pixel included), gives the same box for
        # a fraction of the cost.
        middle = x.shape[1] // 2 if grid.dispersion_axis == 1 else x.shape[0] // 2
        if grid.dispersion_axis == 1:
            x, y = x[:, middle], y[:, middle]
        else:
            x, y = x[middle, :], y[middle, :]
        # a line of pixel centres of our own grid, inside its bounding box:
        # numpy arithmetic, without astropy's per-call checks (milliseconds)
        ra, dec = apply_transform(grid.wcs.forward_transform, x.ravel(), y.ravel())[:2]
    else:
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ra, dec = (np.asarray(v, dtype=np.float64).ravel() for v in grid.wcs(x, y)[:2])
    good = np.isfinite(ra) & np.isfinite(dec)
    return ra[good], dec[good]


def _slit_corners(s_region: str | None) -> list[tuple[float, float]] | None:
    """The four (RA, Dec) corners of a 'POLYGON ICRS ...' string, else None."""
    if not s_region:
        return None
    words = s_region.split()
    if len(words) < 10 or words[0].upper() != "POLYGON":
        return None
    try:
        numbers = [float(word) for word in words[2:10]]
    except ValueError:
        return None
    return list(zip(numbers[0::2], numbers[1::2], strict=True))


def _lrs_s_region(corners, ra, dec) -> str:
    """A box along the output slit: the centre line from the first to the last
    pixel centre (in bounding-box order, as the reference), as wide as the
    shortest side of the first input's S_REGION (the slit width)."""

    polygon = SkyCoord([c[0] for c in corners], [c[1] for c in corners], unit="deg")
    sides = polygon.separation(polygon[[1, 2, 3, 0]])
    half_width = sides.min() / 2
    start = SkyCoord(ra[0], dec[0], unit="deg")
    end = SkyCoord(ra[-1], dec[-1], unit="deg")
    across = start.position_angle(end) - 90 * u.deg
    box = [
        start.directional_offset_by(across, half_width),
        end.directional_offset_by(across, half_width),
        end.directional_offset_by(across, -half_width),
        start.directional_offset_by(across, -half_width),
    ]
    return _polygon([c.ra.deg for c in box], [c.dec.deg for c in box])


def _polygon(ra, dec) -> str:
    corners = " ".join(f"{r:.9f} {d:.9f}" for r, d in zip(ra, dec, strict=True))
    return f"POLYGON ICRS  {corners}"
