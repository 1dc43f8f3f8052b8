"""Sky geometry: the tangent-plane (TAN) projection, the centre of a set of
sky positions, and the spatial pixel scale of an input."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from astropy import coordinates as coord

from ._wcs_utils import bounding_box_limits

_ARCSEC_PER_DEG = 3600.0
#: RA spans wider than this (deg) make a mean of RA meaningless (pole, wrap)
_WIDE_RA_SPAN_DEG = 10.0


def tangent_offsets(ra: Any, dec: Any, ra0: float, dec0: float) -> tuple[np.ndarray, np.ndarray]:
    """Gnomonic (TAN) projection of sky positions about a tangent point.

    The same plane as ``Pix2Sky_TAN() | RotateNative2Celestial(ra0, dec0,
    180)`` (its inverse), in closed form.

    Parameters
    ----------
    ra, dec : array_like
        Sky positions (deg).
    ra0, dec0 : float
        Tangent point (deg).

    Returns
    -------
    x, y : ndarray
        Offsets in the tangent plane (deg): ``x`` towards increasing RA,
        ``y`` towards the north.  NaN for points 90 deg or more from the
        tangent point.

    Examples
    --------
    >>> x, y = tangent_offsets([10.001], [20.0], 10.0, 20.0)  # 0.001 deg of RA east
    >>> round(float(x[0]) * 3600, 4), round(float(y[0]) * 3600, 6)  # arcsec
    (3.3829, 1e-05)
    """
    ra = np.asarray(ra, dtype=np.float64)
    dec = np.radians(np.asarray(dec, dtype=np.float64))
    d_ra = np.radians(ra - ra0)
    sin_dec0, cos_dec0 = math.sin(math.radians(dec0)), math.cos(math.radians(dec0))
    sin_dec, cos_dec = np.sin(dec), np.cos(dec)
    cos_d_ra = np.cos(d_ra)
    # cosine of the angular distance from the tangent point
    cos_c = sin_dec * sin_dec0 + cos_dec * cos_dec0 * cos_d_ra
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(cos_c > 0.0, (180.0 / math.pi) / cos_c, np.nan)
    x = cos_dec * np.sin(d_ra) * scale
    y = (sin_dec * cos_dec0 - cos_dec * sin_dec0 * cos_d_ra) * scale
    return x, y


def _wrap_ra(ra: np.ndarray) -> np.ndarray:
    """The finite RAs, moved to the side of 0/360 deg where most of them are.

    Values more than 180 deg from the median are shifted by 360 deg towards
    it, as the reference does before taking means and ranges of RA.
    """
    ra = np.asarray(ra, dtype=np.float64)
    ra = ra[np.isfinite(ra)]
    if ra.size == 0:
        return ra
    median = np.median(ra)
    far = np.abs(ra - median) > 180.0
    if far.any() and median != 180.0:
        ra = ra.copy()
        ra[far] += -360.0 if median < 180.0 else 360.0
    return ra


def _mean_direction(ra: np.ndarray, dec: np.ndarray) -> tuple[float, float]:
    """Direction of the summed unit vectors: a centre valid anywhere on the sky."""
    ra_r, dec_r = np.radians(ra), np.radians(dec)
    x = np.sum(np.cos(dec_r) * np.cos(ra_r))
    y = np.sum(np.cos(dec_r) * np.sin(ra_r))
    z = np.sum(np.sin(dec_r))
    return (
        float(np.degrees(np.arctan2(y, x)) % 360.0),
        float(np.degrees(np.arctan2(z, np.hypot(x, y)))),
    )


def sky_centre(ra: np.ndarray, dec: np.ndarray, how: str) -> tuple[float, float]:
    """Centre of sky positions as the reference takes it ('mean' or 'midrange').

    The reference averages RA and Dec as plain numbers (after moving RAs
    to one side of 0/360 deg).  Near a pole the RAs of a small field span a
    wide range and that average can fall far off the data; when the RA
    span exceeds 10 deg the centre of the unit vectors is used instead
    (the two agree when the span is small).
    """
    good = np.isfinite(ra) & np.isfinite(dec)
    ra, dec = ra[good], dec[good]
    wrapped = _wrap_ra(ra)
    if wrapped.size == 0:
        return math.nan, math.nan
    if np.ptp(wrapped) > _WIDE_RA_SPAN_DEG:
        return _mean_direction(ra, dec)
    if how == "mean":
        return float(np.mean(wrapped)), float(np.mean(dec))
    return (
        float((np.max(wrapped) + np.min(wrapped)) / 2.0),
        float((np.max(dec) + np.min(dec)) / 2.0),
    )


def spatial_pixel_scale(
    wcs: Any,
    dispersion_axis: int,
    centre: Sequence[float] | None = None,
) -> float:
    """Angular size (arcsec) of one pixel across the dispersion, at the grid centre.

    Parameters
    ----------
    wcs : gwcs.WCS
        Detector -> (sky, wavelength) WCS.
    dispersion_axis : {1, 2}
        1: wavelength along x (the scale along y is returned); 2: along y.
    centre : (x, y), optional
        Pixel at which to measure; default the centre of the bounding box
        (or of ``wcs.array_shape`` without a box).

    Returns
    -------
    float
        Arcsec per pixel; NaN when the WCS gives no sky position there.

    Notes
    -----
    As the reference (``compute_spectral_pixel_scale``): the world position
    of the centre is inverted back to a pixel (the centre itself, to the
    round-trip precision of the WCS; the centre when the WCS has no
    inverse) and the distances to the next pixel along x and along y are
    measured on the sky.  A pixel step of ~0.1 arcsec is only known to
    ~1e-10 relative from float64 coordinates, which bounds the agreement.
    """
    if centre is None:
        limits = bounding_box_limits(wcs)
        if limits is not None:
            centre = (np.mean(limits[0]), np.mean(limits[1]))
        elif wcs.array_shape is not None:
            ny, nx = wcs.array_shape
            centre = ((nx - 1) / 2.0, (ny - 1) / 2.0)
        else:
            raise ValueError(
                "spatial_pixel_scale: the WCS has neither bounding box nor shape; "
                "pass centre=(x, y)"
            )
    x0, y0 = float(centre[0]), float(centre[1])
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            back = wcs.invert(*wcs(x0, y0, with_bounding_box=False), with_bounding_box=False)
            if np.all(np.isfinite(back)):
                x0, y0 = (float(v) for v in back)
        except Exception:  # no inverse, or a numerical one that fails: use the centre
            pass
        world = wcs(
            np.array([x0, x0 + 1.0, x0]), np.array([y0, y0, y0 + 1.0]), with_bounding_box=False
        )
    spatial = [k for k, kind in enumerate(wcs.output_frame.axes_type) if kind == "SPATIAL"]
    if len(spatial) < 2:
        return math.nan
    points = coord.SkyCoord(
        ra=np.asarray(world[spatial[0]], dtype=np.float64),
        dec=np.asarray(world[spatial[1]], dtype=np.float64),
        unit="deg",
    )
    step_x = points[0].separation(points[1]).deg
    step_y = points[0].separation(points[2]).deg
    return float((step_y if dispersion_axis == 1 else step_x) * _ARCSEC_PER_DEG)
