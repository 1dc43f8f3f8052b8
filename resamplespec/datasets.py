"""Synthetic 2D slit spectra with a ``gwcs`` WCS, for tests, examples and benchmarks.

Every generator is deterministic for a given ``seed`` and uses only numpy,
astropy and gwcs. Each spectral image is a plain ``dict``:

``data``
    2D ``float32`` science array.
``dq``
    2D ``uint32`` bit flags with JWST meanings (see `DQ_FLAGS`).
``err``, ``var_rnoise``, ``var_poisson``, ``var_flat``
    2D ``float32``; ``err == sqrt(var_rnoise + var_poisson + var_flat)``.
``wcs``
    `gwcs.wcs.WCS` from ``detector`` pixel ``(x, y)`` (0-based, pixel centres
    on integers) to the world frame. It has a ``bounding_box`` in ``(x, y)``
    order and an analytic inverse for every step.
``meta``
    flat ``dict`` of metadata, keys below.

Flagged pixels
--------------
``bad_fraction`` of the pixels (and, for NIRSpec and lamp data, the margin
rows outside the slit) carry ``DO_NOT_USE`` (plus a reason bit such as
``HOT`` or ``OUTLIER``) and are NaN in ``data``, ``err`` and the three
variances, as JWST ``cal`` products are. ``warn_fraction`` of the pixels
carry only informational bits (``JUMP_DET``, ``WARM``, ``LOW_QE``) and stay
finite: they count as good under the default ``good_bits``.
``unflagged_nan`` pixels are NaN in ``data`` only, without any DQ flag, to
exercise the NaN/flag reconciliation step (0 by default).

World frames
------------
NIRSpec (fixed slit and MOS)
    ``detector -> slit_frame -> world``. ``slit_frame`` is
    ``(x_slit, y_slit, wavelength)``: ``x_slit`` is 0 everywhere (the slit
    centre across its width), ``y_slit`` is the position along the slit in
    slit units (fixed slit: the slit length; MOS: one shutter pitch; 0 at the
    slit or slitlet centre), wavelength in **metres**, as the JWST NIRSpec
    WCS has. ``world`` is ``CompositeFrame([CelestialFrame('sky', ICRS),
    SpectralFrame('spectral', um)])`` with wavelength in microns.
    Dispersion along x (``dispersion_direction = 1``), wavelength
    increasing with x; the trace is curved (quadratic in x) and lines of
    constant wavelength are tilted (wavelength depends on the position along
    the slit).
MIRI LRS
    ``detector -> world`` (celestial + spectral, um), no slit frame.
    Dispersion along y (``dispersion_direction = 2``) with wavelength
    *decreasing* with the row index; the slit runs along x. The data array is
    larger than the bounding box (fractional limits), and pixels outside the
    box hold finite, unflagged values, as on the real detector.
lamp
    ``detector -> msa_frame`` with ``msa_frame = CompositeFrame([Frame2D
    'msa_spatial' (x_msa, y_msa in metres), SpectralFrame('spectral', um)])``:
    a non-celestial world, as NIRSpec lamp/lab exposures have.

Nods move the telescope along the slit: the source stays at the same sky
position, the slit (and so the WCS) moves, and the trace lands on another
detector row.

``meta`` keys
-------------
``instrument``, ``detector``, ``filter``, ``grating``
    e.g. ``"NIRSPEC"``, ``"NRS1"``, ``"F170LP"``, ``"G235M"``.
``exp_type``
    ``"NRS_FIXEDSLIT"``, ``"NRS_MSASPEC"``, ``"MIR_LRS-FIXEDSLIT"`` or ``"NRS_LAMP"``.
``dispersion_direction``
    1 (along x) or 2 (along y).
``bunit_data``, ``bunit_err``
    ``"MJy"`` (flux density per pixel), ``"MJy/sr"`` (surface brightness)
    or, for lamps, ``"DN/s"``.
``pixel_area_sr``, ``pixel_area_arcsec2``
    nominal pixel area (``None`` for lamps, which carry no photometry).
``exposure_time``, ``effective_exposure_time``, ``measurement_time``, ``duration``
    seconds.
``start_time``, ``mid_time``, ``end_time``
    MJD (days).
``filename``
    JWST-like ``jw..._cal.fits`` name, unique per exposure.
``s_region``
    ``"POLYGON ICRS  ra1 dec1 ... ra4 dec4"`` (two spaces after ``ICRS``, as
    JWST writes it; ``None`` for lamps): the slit footprint on the sky.
``slit_name``, ``slitlet_id``, ``source_id``, ``source_name``, ``source_alias``
    slit attributes (``source_name`` is unique per source, so JWST groups MOS
    slits by it).
``source_type`` (``"POINT"``/``"EXTENDED"``), ``stellarity``, ``shutter_state``
    slit attributes too.
``source_xpos``, ``source_ypos``
    NIRSpec: source position in slit units (``x_slit``, ``y_slit``); MIRI
    LRS: source position in detector pixels (x, y) at the central
    wavelength, as JWST defines them for LRS; lamps: ``None``.
``source_ra``, ``source_dec``
    source sky position (degrees; ``None`` for lamps).
``slit_ymin``, ``slit_ymax``
    slit extent in ``y_slit`` (NIRSpec) or, for LRS, in pixels along x.
``xstart``, ``ystart``, ``xsize``, ``ysize``
    position (1-based) and size of the cutout on the full detector.
``program_number``, ``observation_number``, ``visit_number``, ``visit_group``
    JWST observation identifiers (strings) ...
``sequence_id``, ``activity_id``, ``exposure_number``
    ... which together make each exposure's ``group_id`` unique.
``nod_index``, ``nod_offset_arcsec``
    which nod position this exposure is, and the source offset along the
    slit from the slit centre.
``wavelength_range_um``
    ``(min, max)`` nominal wavelength coverage.
``pixel_scale_arcsec``
    nominal spatial pixel scale along the slit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from astropy import coordinates as coord
from astropy import units as u
from astropy.modeling import models as am
from gwcs import coordinate_frames as cf
from gwcs.wcs import WCS

__all__ = [
    "DQ_FLAGS",
    "lamp",
    "miri_lrs",
    "nirspec_fixed_slit",
    "nirspec_mos",
    "nirspec_spectral_dither",
    "with_outliers",
]

#: The JWST pixel DQ bits used by these datasets.
DQ_FLAGS = {
    "DO_NOT_USE": 1,
    "SATURATED": 2,
    "JUMP_DET": 4,
    "OUTLIER": 16,
    "NON_SCIENCE": 512,
    "DEAD": 1024,
    "HOT": 2048,
    "WARM": 4096,
    "LOW_QE": 8192,
}

_ARCSEC_PER_RAD = 180.0 / math.pi * 3600.0
_SECONDS_PER_DAY = 86400.0
_DEG_PER_ARCSEC = 1.0 / 3600.0

# Emission lines (um) of the NIRSpec sources (H I Paschen alpha, Brackett
# gamma, Brackett beta) and of the MIRI LRS target ([Ar II], [Ar III], [S IV]).
_NIRSPEC_LINES_UM = [1.875, 2.166, 2.624]
_LRS_LINES_UM = [6.985, 8.991, 10.511]

# ---------------------------------------------------------------------------
# Coordinate frames
# ---------------------------------------------------------------------------


def _detector_frame() -> cf.Frame2D:
    return cf.Frame2D(name="detector", axes_order=(0, 1))


def _spectral_frame() -> cf.SpectralFrame:
    return cf.SpectralFrame(
        name="spectral", axes_order=(2,), unit=(u.micron,), axes_names=("wavelength",)
    )


def _sky_world_frame() -> cf.CompositeFrame:
    sky = cf.CelestialFrame(name="sky", axes_order=(0, 1), reference_frame=coord.ICRS())
    return cf.CompositeFrame([sky, _spectral_frame()], name="world")


def _slit_frame() -> cf.CompositeFrame:
    spatial = cf.Frame2D(
        name="slit_spatial", axes_order=(0, 1), unit=("", ""), axes_names=("x_slit", "y_slit")
    )
    return cf.CompositeFrame([spatial, _spectral_frame()], name="slit_frame")


def _msa_frame() -> cf.CompositeFrame:
    spatial = cf.Frame2D(
        name="msa_spatial", axes_order=(0, 1), unit=(u.m, u.m), axes_names=("x_msa", "y_msa")
    )
    return cf.CompositeFrame([spatial, _spectral_frame()], name="msa_frame")


# ---------------------------------------------------------------------------
# Transforms. Every model below has an exact analytic inverse, so that
# world -> pixel works without numerical inversion.
# ---------------------------------------------------------------------------


def _poly2(c00=0.0, c10=0.0, c01=0.0, c20=0.0) -> am.Polynomial2D:
    return am.Polynomial2D(2, c0_0=c00, c1_0=c10, c0_1=c01, c2_0=c20)


def _detector_geometry(ref_x, ref_y, trace_slope, trace_curvature, line_tilt, dispersion_direction):
    """Detector ``(x, y)`` -> ``(w, s)``, both in pixels.

    With ``p`` the offset from the reference pixel along the dispersion axis
    and ``q`` the offset across it, the trace (slit centre line) is
    ``q = trace_slope * p + trace_curvature * p**2``;
    ``s = q - trace(p)`` is the offset from the trace and
    ``w = p + line_tilt * s`` is constant along a (tilted) line of constant
    wavelength.
    """
    to_offsets = am.Shift(-ref_x) & am.Shift(-ref_y)
    # (x offset, y offset) -> (p, q)
    to_pq = am.Identity(2) if dispersion_direction == 1 else am.Mapping((1, 0))
    to_pq.inverse = am.Identity(2) if dispersion_direction == 1 else am.Mapping((1, 0))

    remove_trace = am.Mapping((0, 0, 1)) | am.Identity(1) & _poly2(
        c01=1.0, c10=-trace_slope, c20=-trace_curvature
    )
    remove_trace.inverse = am.Mapping((0, 0, 1)) | am.Identity(1) & _poly2(
        c01=1.0, c10=trace_slope, c20=trace_curvature
    )
    untilt = am.Mapping((0, 1, 1)) | _poly2(c10=1.0, c01=line_tilt) & am.Identity(1)
    untilt.inverse = am.Mapping((0, 1, 1)) | _poly2(c10=1.0, c01=-line_tilt) & am.Identity(1)

    forward = to_offsets | to_pq | remove_trace | untilt
    forward.inverse = untilt.inverse | remove_trace.inverse | to_pq.inverse | to_offsets.inverse
    return forward


def _log_linear_dispersion(lam_ref, lam_first, lam_last, n_pix):
    """``w`` (pixels from the reference) -> wavelength, geometric in ``w``.

    Returns ``lam_ref * exp(w / tau)`` with ``tau`` such that the
    wavelength goes from ``lam_first`` to ``lam_last`` over ``n_pix`` pixels
    (``tau`` is negative when the wavelength decreases with ``w``).
    """
    tau = n_pix / math.log(lam_last / lam_first)
    return am.Exponential1D(amplitude=lam_ref, tau=tau)


def _sky_offsets_to_world(ra, dec):
    """Tangent-plane offsets (deg) around ``(ra, dec)`` -> (RA, Dec)."""
    return am.Pix2Sky_TAN() | am.RotateNative2Celestial(ra, dec, 180.0)


def _slit_axes(position_angle_deg):
    """Unit vectors (tangent plane, x ~ +RA, y ~ +Dec) along and across a slit."""
    pa = math.radians(position_angle_deg)
    along = np.array([math.sin(pa), math.cos(pa)])
    across = np.array([math.cos(pa), -math.sin(pa)])
    return along, across


def _slit_centre_offset(along, source_offset_arcsec):
    """Tangent-plane position (deg) of the slit centre.

    The source sits at the tangent point: placing it ``source_offset_arcsec``
    from the slit centre along the slit puts the slit centre that far the
    other way.
    """
    return -along * source_offset_arcsec * _DEG_PER_ARCSEC


def _full_frame_bounding_box(shape):
    """``(x, y)`` bounding box covering every pixel of a ``(ny, nx)`` cutout."""
    ny, nx = shape
    return ((-0.5, nx - 0.5), (-0.5, ny - 0.5))


def _nirspec_detector_to_slit(geometry, dispersion, pix_per_unit):
    """Detector -> ``(x_slit, y_slit, wavelength)`` (slit units, metres)."""
    # x_slit is 0 everywhere: the cutout images the slit centre across its width
    to_slit = am.Mapping((0, 1, 0)) | am.Const1D(0.0) & am.Scale(1.0 / pix_per_unit) & dispersion
    to_slit.inverse = am.Mapping((2, 1), n_inputs=3) | dispersion.inverse & am.Scale(pix_per_unit)
    det2slit = geometry | to_slit
    det2slit.inverse = to_slit.inverse | geometry.inverse
    return det2slit


def _nirspec_slit_to_world(
    *,
    position_angle,
    slit_width_arcsec,
    unit_length_arcsec,
    source_offset_arcsec,
    source_ra,
    source_dec,
):
    """Slit frame ``(x_slit, y_slit, wavelength in m)`` -> (RA, Dec, wavelength in um)."""
    along, across = _slit_axes(position_angle)
    matrix = np.column_stack(
        [across * slit_width_arcsec * _DEG_PER_ARCSEC, along * unit_length_arcsec * _DEG_PER_ARCSEC]
    )
    slit_to_offsets = am.AffineTransformation2D(
        matrix=matrix, translation=_slit_centre_offset(along, source_offset_arcsec)
    )
    return (slit_to_offsets | _sky_offsets_to_world(source_ra, source_dec)) & am.Scale(1e6)


def _nirspec_wcs(det2slit, slit2world, shape) -> WCS:
    """``detector -> slit_frame -> world`` over the whole cutout."""
    wcs = WCS(
        [(_detector_frame(), det2slit), (_slit_frame(), slit2world), (_sky_world_frame(), None)]
    )
    wcs.bounding_box = _full_frame_bounding_box(shape)
    return wcs


def _lrs_wcs(
    geometry,
    dispersion,
    bounding_box,
    *,
    along,
    pixel_scale_arcsec,
    slit_centre,
    target_ra,
    target_dec,
) -> WCS:
    """``detector -> world`` for MIRI LRS: no slit frame, straight to the sky."""
    # s (pixels along the slit from its centre) -> tangent-plane offsets
    a, b = along * pixel_scale_arcsec * _DEG_PER_ARCSEC
    t0 = slit_centre
    to_offsets = am.Mapping((1, 1, 0)) | (
        am.Polynomial1D(1, c0=t0[0], c1=a) & am.Polynomial1D(1, c0=t0[1], c1=b) & dispersion
    )
    # the offsets lie on the slit line, so projecting them on (a, b) recovers s exactly
    norm = a * a + b * b
    from_offsets = am.Mapping((2, 0, 1)) | dispersion.inverse & _poly2(
        c00=-(t0[0] * a + t0[1] * b) / norm, c10=a / norm, c01=b / norm
    )
    to_offsets.inverse = from_offsets
    sky = _sky_offsets_to_world(target_ra, target_dec)
    to_world = to_offsets | sky & am.Identity(1)
    to_world.inverse = sky.inverse & am.Identity(1) | from_offsets
    det2world = geometry | to_world
    det2world.inverse = to_world.inverse | geometry.inverse
    wcs = WCS([(_detector_frame(), det2world), (_sky_world_frame(), None)])
    wcs.bounding_box = bounding_box
    return wcs


def _detector_to_msa(geometry, dispersion, msa_origin_m, msa_step_m):
    """Detector -> ``(x_msa, y_msa, wavelength)``: a linear map onto the MSA plane."""
    (x0, y0), (ax, by) = msa_origin_m, msa_step_m
    to_msa = am.Mapping((1, 1, 0)) | (
        am.Polynomial1D(1, c0=x0, c1=ax) & am.Polynomial1D(1, c0=y0, c1=by) & dispersion
    )
    # y_msa alone fixes s (x_msa is redundant with it), so the inverse uses only y_msa
    to_msa.inverse = am.Mapping((2, 1), n_inputs=3) | dispersion.inverse & am.Polynomial1D(
        1, c0=-y0 / by, c1=1.0 / by
    )
    det2msa = geometry | to_msa
    det2msa.inverse = to_msa.inverse | geometry.inverse
    return det2msa


def _lamp_wcs(det2msa, shape) -> WCS:
    """``detector -> msa_frame`` over the whole cutout (non-celestial world)."""
    wcs = WCS([(_detector_frame(), det2msa), (_msa_frame(), None)])
    wcs.bounding_box = _full_frame_bounding_box(shape)
    return wcs


def _s_region(ra, dec) -> str:
    values = " ".join(f"{v:.9f}" for pair in zip(ra, dec, strict=True) for v in pair)
    return "POLYGON ICRS  " + values


# ---------------------------------------------------------------------------
# Source and sky models (noiseless pixel values)
# ---------------------------------------------------------------------------


def _trace_coordinates(geometry, shape):
    """``(w, s)`` of every pixel: along the dispersion and from the trace."""
    y, x = np.indices(shape, dtype=np.float64)
    return geometry(x, y)


def _pixels_in_box(shape, bounding_box):
    """Mask of the pixels the bounding box touches, even partly."""
    y, x = np.indices(shape, dtype=np.float64)
    (x_lo, x_hi), (y_lo, y_hi) = bounding_box
    return (
        (x >= math.floor(x_lo + 0.5))
        & (x <= math.ceil(x_hi - 0.5))
        & (y >= math.floor(y_lo + 0.5))
        & (y <= math.ceil(y_hi - 0.5))
    )


def _pixel_fraction(s, centre, sigma):
    """Fraction of a Gaussian (in ``s``, pixels) falling in ``[s - 0.5, s + 0.5]``."""
    erf_v = np.vectorize(math.erf, otypes=[float])
    scale = math.sqrt(2.0) * sigma
    return 0.5 * (erf_v((s + 0.5 - centre) / scale) - erf_v((s - 0.5 - centre) / scale))


def _emission_lines(lam, centres, sigmas, amplitudes):
    total = np.zeros_like(lam)
    for c, sig, a in zip(centres, sigmas, amplitudes, strict=True):
        total += a * np.exp(-0.5 * ((lam - c) / sig) ** 2)
    return total


def _pixel_area(pixel_scale_arcsec):
    """Nominal pixel area, in steradians and in square arcseconds."""
    area_arcsec2 = pixel_scale_arcsec**2
    return area_arcsec2 / _ARCSEC_PER_RAD**2, area_arcsec2


def _in_bunit(truth_mjy_per_pixel, bunit, pixel_area_sr):
    """Convert flux density per pixel (MJy) to ``bunit``."""
    if bunit == "MJy/sr":
        return truth_mjy_per_pixel / pixel_area_sr
    return truth_mjy_per_pixel


def _nirspec_scene(
    geometry,
    dispersion,
    shape,
    *,
    pix_per_unit,
    slit_extent_units,
    wavelength_range_um,
    pixel_scale_arcsec,
    source_offset_arcsec,
    source_flux,
    source_fwhm_pix,
    line_centres_um,
    sky_level,
    bunit,
    narrow_line=None,
):
    """Noiseless NIRSpec slit image (point source + sky) and its off-slit mask.

    ``narrow_line``: ``(centre_um, sigma_pix, equivalent_width_pix)`` of an
    emission line of the source integrated over each pixel along the
    dispersion (unlike the broad lines, sampled at the pixel centres), or None.
    """
    w, s = _trace_coordinates(geometry, shape)
    lam_um = dispersion(w) * 1e6
    y_slit = s / pix_per_unit
    off_slit = (y_slit < slit_extent_units[0]) | (y_slit > slit_extent_units[1])

    src_s = source_offset_arcsec / pixel_scale_arcsec
    lam_mid = math.sqrt(wavelength_range_um[0] * wavelength_range_um[1])
    spectrum = source_flux * (lam_um / lam_mid) ** -1.5
    spectrum *= 1.0 + _emission_lines(
        lam_um, line_centres_um, [0.0015 * c for c in line_centres_um], [2.0] * len(line_centres_um)
    )
    # diffraction: the PSF widens in proportion to the wavelength
    sigma = source_fwhm_pix / 2.3548 * (lam_um / lam_mid)
    profile = _pixel_fraction(s, src_s, sigma)
    if narrow_line is not None:
        spectrum = spectrum + _narrow_line_density(dispersion, w, source_flux, lam_mid,
                                                   *narrow_line)
    pixel_area_sr, _ = _pixel_area(pixel_scale_arcsec)
    sky = sky_level * (1.0 + 0.3 * (lam_um / lam_mid - 1.0)) * pixel_area_sr  # MJy per pixel
    truth = spectrum * profile + sky
    truth[off_slit] = 0.0
    return _in_bunit(truth, bunit, pixel_area_sr), off_slit


def _narrow_line_density(dispersion, w, source_flux, lam_mid, centre_um, sigma_pix,
                         equivalent_width_pix):
    """Flux density (per um of wavelength, as the continuum) of a Gaussian
    line in the pixel coordinate ``w`` along the dispersion: the share of
    its flux falling on each pixel over that pixel's width in wavelength.
    Its flux is ``equivalent_width_pix`` pixels of the continuum at the line."""
    tau = dispersion.tau.value
    w_centre = tau * math.log(centre_um * 1e-6 / dispersion.amplitude.value)
    um_per_pix = np.abs(dispersion(w) * 1e6 / tau)
    um_per_pix_at_line = abs(centre_um / tau)
    continuum = source_flux * (centre_um / lam_mid) ** -1.5
    line_flux = equivalent_width_pix * continuum * um_per_pix_at_line  # MJy um
    return line_flux * _pixel_fraction(w, w_centre, sigma_pix) / um_per_pix


def _lrs_scene(
    geometry,
    dispersion,
    shape,
    bounding_box,
    *,
    lam_ref,
    pixel_scale_arcsec,
    source_offset_arcsec,
    source_flux,
    sky_level,
    bunit,
):
    """Noiseless MIRI LRS image (point source + sky) and the in-box mask."""
    w, s = _trace_coordinates(geometry, shape)
    lam_um = dispersion(w)
    in_box = _pixels_in_box(shape, bounding_box)
    src_s = source_offset_arcsec / pixel_scale_arcsec
    spectrum = source_flux * (lam_um / lam_ref) ** -1.0
    spectrum *= 1.0 + _emission_lines(lam_um, _LRS_LINES_UM, [0.02] * 3, [1.5] * 3)
    spectrum *= 1.0 - 0.4 * np.exp(-0.5 * ((lam_um - 9.7) / 0.5) ** 2)  # silicate
    # FWHM 1.5 px at 5 um, widening with wavelength (diffraction)
    sigma = 1.5 / 2.3548 * lam_um / 5.0
    profile = _pixel_fraction(s, src_s, sigma)
    pixel_area_sr, _ = _pixel_area(pixel_scale_arcsec)
    sky_mjy = sky_level * (lam_um / lam_ref) ** 2 * pixel_area_sr
    truth = spectrum * profile + sky_mjy
    # outside the box: the rest of the detector (imager light, no spectrum)
    truth = np.where(in_box, truth, sky_level * pixel_area_sr)
    return _in_bunit(truth, bunit, pixel_area_sr), in_box


def _lamp_lines(seed, lam_first, lam_last, line_peak):
    """Centres (sorted) and peaks of the nine lamp lines."""
    # a stream of its own: the line list is a property of the lamp, the same
    # in every exposure and whatever n_exposures
    line_rng = np.random.default_rng(np.random.SeedSequence([seed, 15485863]))
    centres = np.sort(line_rng.uniform(lam_first, lam_last, 9))
    strengths = line_peak * line_rng.uniform(0.1, 1.0, 9)
    return centres, strengths


def _lamp_scene(geometry, dispersion, shape, *, slit_length_pix, continuum, centres, strengths):
    """Noiseless lamp image (continuum + lines, in DN/s) and its off-slit mask."""
    w, s = _trace_coordinates(geometry, shape)
    lam = dispersion(w)
    dlam = np.gradient(lam, axis=1)
    off_slit = np.abs(s) > 0.5 * slit_length_pix
    # unresolved lines: their width is set by the spectral resolution, ~1.3 pixels
    truth = continuum + _emission_lines(
        lam, centres, list(1.3 * np.median(dlam) * np.ones(9)), strengths
    )
    truth[off_slit] = 0.0
    return truth, off_slit


# ---------------------------------------------------------------------------
# Noise and flags
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _NoiseAndFlags:
    """How an exposure departs from the truth (see `_noisy_image`, `_flag_pixels`)."""

    snr: float
    noise: bool
    bad_fraction: float
    warn_fraction: float
    unflagged_nan: int


def _noisy_image(truth, peak, snr, rng, noise, outside):
    """Variances for ``truth`` (a per-pixel value) and a noisy draw of it.

    At the brightest pixel (value ``peak``) the total noise is ``peak / snr``:
    36% of that variance is read noise, 64% Poisson; flat-field variance is
    (1% of the signal)^2 on top. The read-noise variance varies by +-10% from
    pixel to pixel so that inverse-variance weights are not all equal.
    """
    sigma_peak = peak / snr
    var_rnoise = (0.6 * sigma_peak) ** 2 * (1.0 + 0.2 * (rng.random(truth.shape) - 0.5))
    gain = (0.8 * sigma_peak) ** 2 / peak
    var_poisson = gain * np.clip(truth, 0.0, None)
    var_flat = (0.01 * truth) ** 2
    total = var_rnoise + var_poisson + var_flat
    draw = rng.standard_normal(truth.shape)
    data = truth + draw * np.sqrt(total) if noise else truth.copy()
    arrays = {
        "data": data,
        "var_rnoise": var_rnoise,
        "var_poisson": var_poisson,
        "var_flat": var_flat,
    }
    arrays = {k: v.astype(np.float32) for k, v in arrays.items()}
    arrays["err"] = np.sqrt(
        arrays["var_rnoise"] + arrays["var_poisson"] + arrays["var_flat"], dtype=np.float32
    )
    if outside is not None:
        # pixels off the slit see no light: keep only the read noise there
        for key in ("var_poisson", "var_flat"):
            arrays[key][outside] = 0.0
    return arrays


def _flag_pixels(arrays, rng, bad_fraction, warn_fraction, unflagged_nan, off_slit, region):
    """Set DQ flags and NaNs in place; returns the DQ array.

    ``off_slit``: boolean mask of pixels outside the slit (DO_NOT_USE +
    NON_SCIENCE, NaN). ``region``: boolean mask of pixels eligible for
    random flags (e.g. the bounding box).
    """
    shape = arrays["data"].shape
    dq = np.zeros(shape, dtype=np.uint32)
    flat_index = np.flatnonzero(region)
    n_bad = int(round(bad_fraction * flat_index.size))
    n_warn = int(round(warn_fraction * flat_index.size))
    chosen = rng.permutation(flat_index)
    bad = chosen[:n_bad]
    warn = chosen[n_bad : n_bad + n_warn]
    nan_only = chosen[n_bad + n_warn : n_bad + n_warn + int(unflagged_nan)]

    reasons = np.array(
        [DQ_FLAGS["HOT"], DQ_FLAGS["OUTLIER"], DQ_FLAGS["DEAD"], DQ_FLAGS["SATURATED"]],
        dtype=np.uint32,
    )
    info = np.array([DQ_FLAGS["JUMP_DET"], DQ_FLAGS["WARM"], DQ_FLAGS["LOW_QE"]], dtype=np.uint32)
    flat_dq = dq.reshape(-1)
    flat_dq[bad] = DQ_FLAGS["DO_NOT_USE"] | rng.choice(reasons, size=bad.size)
    flat_dq[warn] = rng.choice(info, size=warn.size)
    if off_slit is not None:
        dq[off_slit] |= np.uint32(DQ_FLAGS["DO_NOT_USE"] | DQ_FLAGS["NON_SCIENCE"])

    do_not_use = (dq & DQ_FLAGS["DO_NOT_USE"]) != 0
    for key in ("data", "err", "var_rnoise", "var_poisson", "var_flat"):
        arrays[key][do_not_use] = np.nan
    arrays["data"].reshape(-1)[nan_only] = np.nan
    return dq


def _noisy_flagged_arrays(truth, rng, quality: _NoiseAndFlags, *, off_slit, region):
    """``data``, variances, ``err`` and ``dq`` for one exposure of ``truth``.

    Draws from ``rng`` in a fixed order (read-noise scatter, noise, then
    flags) so that a seed always gives the same arrays. ``off_slit`` pixels
    (or ``None``) see no light and are flagged; random flags fall in
    ``region``.
    """
    arrays = _noisy_image(truth, float(np.max(truth)), quality.snr, rng, quality.noise, off_slit)
    arrays["dq"] = _flag_pixels(
        arrays,
        rng,
        quality.bad_fraction,
        quality.warn_fraction,
        quality.unflagged_nan,
        off_slit,
        region,
    )
    return arrays


# ---------------------------------------------------------------------------
# Metadata helpers
# ---------------------------------------------------------------------------

_OBSERVATION = {
    "program_number": "01234",
    "visit_number": "001",
    "visit_group": "03",
    "sequence_id": "1",
    "activity_id": "01",
}


def _instrument_meta(
    *,
    instrument,
    detector,
    filter_name,
    grating,
    exp_type,
    dispersion_direction,
    bunit,
    pixel_scale_arcsec,
    wavelength_range_um,
):
    """Instrument set-up, units and nominal pixel size (``None`` scale: no photometry)."""
    if pixel_scale_arcsec is None:
        area_sr = area_arcsec2 = None
    else:
        area_sr, area_arcsec2 = _pixel_area(pixel_scale_arcsec)
        pixel_scale_arcsec = float(pixel_scale_arcsec)
    return {
        "instrument": instrument,
        "detector": detector,
        "filter": filter_name,
        "grating": grating,
        "exp_type": exp_type,
        "dispersion_direction": dispersion_direction,
        "bunit_data": bunit,
        "bunit_err": bunit,
        "pixel_area_sr": area_sr,
        "pixel_area_arcsec2": area_arcsec2,
        "pixel_scale_arcsec": pixel_scale_arcsec,
        "wavelength_range_um": tuple(float(w) for w in wavelength_range_um),
    }


def _nirspec_instrument_meta(exp_type, bunit, pixel_scale_arcsec, wavelength_range_um):
    """`_instrument_meta` for the NIRSpec G235M sky exposures (fixed slit and MOS)."""
    return _instrument_meta(
        instrument="NIRSPEC",
        detector="NRS1",
        filter_name="F170LP",
        grating="G235M",
        exp_type=exp_type,
        dispersion_direction=1,
        bunit=bunit,
        pixel_scale_arcsec=pixel_scale_arcsec,
        wavelength_range_um=wavelength_range_um,
    )


def _exposure_meta(
    *,
    index,
    observation_number,
    detector,
    exposure_time,
    start_mjd,
    gap_s=120.0,
):
    """Observation identifiers, timing and file name of exposure ``index``."""
    duration = exposure_time + 28.7  # overheads (reset frames, etc.)
    start = start_mjd + index * (duration + gap_s) / _SECONDS_PER_DAY
    end = start + duration / _SECONDS_PER_DAY
    exposure_number = f"{index + 1:05d}"
    obs = dict(_OBSERVATION, observation_number=observation_number, exposure_number=exposure_number)
    filename = (
        f"jw{obs['program_number']}{observation_number}{obs['visit_number']}_"
        f"{obs['visit_group']}{obs['sequence_id']}{obs['activity_id']}_"
        f"{exposure_number}_{detector.lower()}_cal.fits"
    )
    return {
        **obs,
        "exposure_time": float(exposure_time),
        "effective_exposure_time": float(exposure_time),
        "measurement_time": float(exposure_time * 0.97),
        "duration": float(duration),
        "start_time": float(start),
        "end_time": float(end),
        "mid_time": float(0.5 * (start + end)),
        "filename": filename,
    }


def _slit_identity_meta(
    slit_name,
    *,
    slitlet_id=0,
    source_id=1,
    source_name="SRC-0001",
    source_alias="target",
    source_type="POINT",
    stellarity=1.0,
    shutter_state="",
):
    """Slit and source attributes; the defaults describe a single point-source target."""
    return {
        "slit_name": slit_name,
        "slitlet_id": slitlet_id,
        "source_id": source_id,
        "source_name": source_name,
        "source_alias": source_alias,
        "source_type": source_type,
        "stellarity": stellarity,
        "shutter_state": shutter_state,
    }


def _cutout_meta(xstart, ystart, shape, nod_index, nod_offset_arcsec):
    """Where the cutout sits on the detector, and which nod it is."""
    return {
        "xstart": xstart,
        "ystart": ystart,
        "xsize": int(shape[1]),
        "ysize": int(shape[0]),
        "nod_index": nod_index,
        "nod_offset_arcsec": float(nod_offset_arcsec),
    }


def _nirspec_slit_meta(
    slit2world, *, slit_extent_units, lam_ref, source_offset_arcsec, unit_length_arcsec
):
    """Source position, slit extent (slit units) and footprint of a NIRSpec slit."""
    # slit footprint on the sky (x_slit = +-0.5, y_slit at the slit ends)
    corners_x = np.array([-0.5, 0.5, 0.5, -0.5])
    corners_y = np.array([slit_extent_units[0]] * 2 + [slit_extent_units[1]] * 2)
    ra_c, dec_c, _ = slit2world(corners_x, corners_y, np.full(4, lam_ref))
    return {
        "source_xpos": 0.0,
        "source_ypos": float(source_offset_arcsec / unit_length_arcsec),
        "slit_ymin": float(slit_extent_units[0]),
        "slit_ymax": float(slit_extent_units[1]),
        "s_region": _s_region(ra_c, dec_c),
    }


def _mos_shutter_state(nod_offset_shutters, shutters_per_slit):
    """JWST ``shutter_state``: ``"1"`` per open shutter, ``"x"`` for the source's."""
    source_shutter = int(round(nod_offset_shutters)) + shutters_per_slit // 2
    state = ["1"] * shutters_per_slit
    state[min(max(source_shutter, 0), shutters_per_slit - 1)] = "x"
    return "".join(state)


def _mos_slitlet_meta(
    slitlet, *, index, shape, nod_index, nod_offset_shutters, nod_offset_arcsec, shutters_per_slit
):
    """Identity, source position and cutout placement of MOS slitlet ``index``."""
    source_id = slitlet["source_id"]
    return {
        **_slit_identity_meta(
            slitlet["name"],
            slitlet_id=slitlet["slitlet_id"],
            source_id=source_id,
            source_name=f"01234_{source_id}",
            source_alias=f"galaxy-{source_id}",
            source_type="POINT",
            stellarity=0.8,
            shutter_state=_mos_shutter_state(nod_offset_shutters, shutters_per_slit),
        ),
        "source_ra": float(slitlet["ra"]),
        "source_dec": float(slitlet["dec"]),
        # slitlets lie at different places on the detector
        **_cutout_meta(201 + 5 * index, 300 + 40 * index, shape, nod_index, nod_offset_arcsec),
    }


def _lrs_s_region(
    *,
    target_ra,
    target_dec,
    slit_centre,
    along,
    across,
    half_len_pix,
    pixel_scale_arcsec,
    width_arcsec,
):
    """S_REGION of the LRS slit: a rectangle around its centre."""
    half_length = along * half_len_pix * pixel_scale_arcsec * _DEG_PER_ARCSEC
    ends = [slit_centre - half_length, slit_centre + half_length]
    hw = across * 0.5 * width_arcsec * _DEG_PER_ARCSEC
    corners = np.array([ends[0] - hw, ends[1] - hw, ends[1] + hw, ends[0] + hw])
    ra_c, dec_c = _sky_offsets_to_world(target_ra, target_dec)(corners[:, 0], corners[:, 1])
    return _s_region(ra_c, dec_c)


# ---------------------------------------------------------------------------
# Argument checks and nod patterns
# ---------------------------------------------------------------------------


def _check_exposures_and_shape(n_exposures, shape):
    if int(n_exposures) < 1:
        raise ValueError(f"n_exposures must be >= 1, got {n_exposures!r}")
    if len(shape) != 2 or min(shape) < 4:
        raise ValueError(f"shape must be (ny, nx) with both >= 4, got {shape!r}")


def _check_bunit(bunit):
    if bunit not in ("MJy", "MJy/sr"):
        raise ValueError(f"bunit must be 'MJy' or 'MJy/sr', got {bunit!r}")


def _nod_offsets(n_exposures, throw, offsets):
    """``offsets`` checked against ``n_exposures``, or ``n_exposures`` even steps over +-throw."""
    if offsets is not None:
        offsets = [float(o) for o in offsets]
        if len(offsets) != n_exposures:
            raise ValueError(
                f"nod offsets: got {len(offsets)} values for n_exposures={n_exposures}"
            )
        return offsets
    if n_exposures == 1:
        return [0.0]
    return list(np.linspace(-throw, throw, n_exposures))


def _pointing_jitter(rng, jitter_arcsec):
    """Random pointing error (arcsec) of one exposure: nods are never exact."""
    return jitter_arcsec * rng.standard_normal()


# ---------------------------------------------------------------------------
# NIRSpec
# ---------------------------------------------------------------------------


def _nirspec_slit(
    *,
    rng,
    shape,
    wavelength_range_um,
    unit_length_arcsec,
    slit_extent_units,
    slit_width_arcsec,
    pixel_scale_arcsec,
    source_ra,
    source_dec,
    source_offset_arcsec,
    position_angle,
    source_flux,
    source_fwhm_pix,
    sky_level,
    bunit,
    quality,
    trace_slope,
    trace_curvature,
    line_tilt,
    row_offset,
    line_centres_um,
    column_offset=0.0,
    narrow_line=None,
):
    """One NIRSpec slit cutout: ``(arrays with dq and wcs, slit meta)``.

    ``y_slit`` is in units of ``unit_length_arcsec`` (the slit length, or
    the MSA shutter pitch) and the slit spans ``slit_extent_units`` in it;
    ``row_offset`` moves the trace off the central row of the cutout and
    ``column_offset`` moves the spectrum along the dispersion (pixels);
    ``narrow_line``: see `_nirspec_scene`.
    """
    ny, nx = shape
    pix_per_unit = unit_length_arcsec / pixel_scale_arcsec
    lam_first, lam_last = (w * 1e-6 for w in wavelength_range_um)
    lam_ref = math.sqrt(lam_first * lam_last)
    geometry = _detector_geometry(
        0.5 * (nx - 1) + column_offset, 0.5 * (ny - 1) + row_offset, trace_slope,
        trace_curvature, line_tilt, 1
    )
    dispersion = _log_linear_dispersion(lam_ref, lam_first, lam_last, nx - 1)
    slit2world = _nirspec_slit_to_world(
        position_angle=position_angle,
        slit_width_arcsec=slit_width_arcsec,
        unit_length_arcsec=unit_length_arcsec,
        source_offset_arcsec=source_offset_arcsec,
        source_ra=source_ra,
        source_dec=source_dec,
    )
    det2slit = _nirspec_detector_to_slit(geometry, dispersion, pix_per_unit)
    wcs = _nirspec_wcs(det2slit, slit2world, shape)

    truth, off_slit = _nirspec_scene(
        geometry,
        dispersion,
        shape,
        pix_per_unit=pix_per_unit,
        slit_extent_units=slit_extent_units,
        wavelength_range_um=wavelength_range_um,
        pixel_scale_arcsec=pixel_scale_arcsec,
        source_offset_arcsec=source_offset_arcsec,
        source_flux=source_flux,
        source_fwhm_pix=source_fwhm_pix,
        line_centres_um=line_centres_um,
        sky_level=sky_level,
        bunit=bunit,
        narrow_line=narrow_line,
    )
    image = _noisy_flagged_arrays(truth, rng, quality, off_slit=off_slit, region=~off_slit)

    slit_meta = _nirspec_slit_meta(
        slit2world,
        slit_extent_units=slit_extent_units,
        lam_ref=lam_ref,
        source_offset_arcsec=source_offset_arcsec,
        unit_length_arcsec=unit_length_arcsec,
    )
    return {**image, "wcs": wcs}, slit_meta


def nirspec_fixed_slit(
    *,
    n_exposures: int = 3,
    shape: tuple[int, int] = (36, 400),
    seed: int = 0,
    bunit: str = "MJy",
    slit_name: str = "S200A1",
    wavelength_range_um: tuple[float, float] = (1.70, 3.10),
    slit_length_arcsec: float = 3.2,
    slit_width_arcsec: float = 0.2,
    pixel_scale_arcsec: float = 0.1,
    nod_offsets_arcsec: list[float] | None = None,
    pointing_jitter_arcsec: float = 0.004,
    source_flux: float = 2e-11,
    source_fwhm_pix: float = 1.8,
    sky_level: float = 0.3,
    snr: float = 30.0,
    noise: bool = True,
    bad_fraction: float = 0.01,
    warn_fraction: float = 0.005,
    unflagged_nan: int = 0,
    trace_slope: float = 0.002,
    trace_curvature: float = 1.0e-5,
    line_tilt: float = 0.02,
    target_ra: float = 53.16250,
    target_dec: float = -27.79140,
    position_angle: float = 137.5,
) -> list[dict]:
    """NIRSpec fixed-slit exposures of a point source, nodded along the slit.

    Parameters
    ----------
    n_exposures
        Number of exposures (nod positions).
    shape
        ``(ny, nx)`` of each slit cutout; rows beyond the slit length are
        off the slit (flagged ``DO_NOT_USE`` and NaN).
    seed
        Seed of the random generator: same seed, same arrays.
    bunit
        ``"MJy"`` (flux density per pixel) or ``"MJy/sr"``.
    slit_name
        ``meta["slit_name"]``.
    wavelength_range_um
        Wavelength (um) at the first and last column.
    slit_length_arcsec, slit_width_arcsec
        Slit size on the sky; ``y_slit`` is in units of the slit length.
    pixel_scale_arcsec
        Spatial pixel scale along the slit.
    nod_offsets_arcsec
        Source offset along the slit from the slit centre for each
        exposure; default evenly spaced over +-0.5 arcsec.
    pointing_jitter_arcsec
        Random (seeded) error added to each nod offset.
    source_flux
        Source flux density (MJy) at the middle of the band; the spectrum
        falls as lambda^-1.5 and has three emission lines.
    source_fwhm_pix
        Spatial FWHM (pixels) at the middle of the band, growing with
        wavelength.
    sky_level
        Sky surface brightness (MJy/sr).
    snr
        Signal-to-noise ratio at the brightest pixel.
    noise
        When False, ``data`` is the noiseless truth (variances are kept).
    bad_fraction, warn_fraction, unflagged_nan
        See the module notes on flagged pixels.
    trace_slope, trace_curvature, line_tilt
        Detector geometry: trace ``dy = slope * dx + curvature * dx**2``,
        and the change of wavelength (in pixels along x) per pixel along
        the slit.
    target_ra, target_dec, position_angle
        Source position (deg) and slit position angle (deg E of N).

    Returns
    -------
    list of dict
        One spectral image per exposure (see the module docstring).

    Raises
    ------
    ValueError
        ``n_exposures < 1``, ``shape`` not ``(ny, nx)`` with both >= 4, an
        unknown ``bunit``, or ``nod_offsets_arcsec`` not one per exposure.

    Examples
    --------
    >>> from resamplespec import datasets
    >>> images = datasets.nirspec_fixed_slit(n_exposures=2, seed=1)
    >>> len(images), images[0]["data"].shape
    (2, (36, 400))
    >>> [image["meta"]["nod_index"] for image in images]
    [0, 1]
    >>> images[0]["wcs"].available_frames
    ['detector', 'slit_frame', 'world']
    """
    _check_exposures_and_shape(n_exposures, shape)
    _check_bunit(bunit)
    return _fixed_slit_exposures(
        seed=seed,
        nod_offsets=_nod_offsets(n_exposures, 0.5, nod_offsets_arcsec),
        column_offsets=[0.0] * n_exposures,
        pointing_jitter_arcsec=pointing_jitter_arcsec,
        shape=shape,
        bunit=bunit,
        slit_name=slit_name,
        wavelength_range_um=wavelength_range_um,
        pixel_scale_arcsec=pixel_scale_arcsec,
        target_ra=target_ra,
        target_dec=target_dec,
        unit_length_arcsec=slit_length_arcsec,
        slit_extent_units=(-0.5, 0.5),
        slit_width_arcsec=slit_width_arcsec,
        position_angle=position_angle,
        source_flux=source_flux,
        source_fwhm_pix=source_fwhm_pix,
        sky_level=sky_level,
        quality=_NoiseAndFlags(snr, noise, bad_fraction, warn_fraction, unflagged_nan),
        trace_slope=trace_slope,
        trace_curvature=trace_curvature,
        line_tilt=line_tilt,
        line_centres_um=_NIRSPEC_LINES_UM,
    )


def _fixed_slit_exposures(*, seed, nod_offsets, column_offsets, pointing_jitter_arcsec, shape,
                          bunit, slit_name, wavelength_range_um, pixel_scale_arcsec,
                          target_ra, target_dec, **slit):
    """The exposures of a NIRSpec fixed slit, one per nod offset (arcsec
    along the slit) and column offset (pixels along the dispersion); the
    source stays at (target_ra, target_dec).  ``slit``: the other arguments
    of `_nirspec_slit`."""
    seeds = np.random.SeedSequence(seed).spawn(len(nod_offsets))
    images = []
    for k, (nod_offset, column_offset) in enumerate(zip(nod_offsets, column_offsets,
                                                        strict=True)):
        rng = np.random.default_rng(seeds[k])
        offset = nod_offset + _pointing_jitter(rng, pointing_jitter_arcsec)
        image, slit_meta = _nirspec_slit(
            rng=rng,
            shape=shape,
            wavelength_range_um=wavelength_range_um,
            pixel_scale_arcsec=pixel_scale_arcsec,
            source_ra=target_ra,
            source_dec=target_dec,
            source_offset_arcsec=offset,
            bunit=bunit,
            row_offset=0.3,
            column_offset=column_offset,
            **slit,
        )
        meta = {
            **_nirspec_instrument_meta(
                "NRS_FIXEDSLIT", bunit, pixel_scale_arcsec, wavelength_range_um
            ),
            **_exposure_meta(
                index=k,
                observation_number="001",
                detector="NRS1",
                exposure_time=1050.5,
                start_mjd=60310.25,
            ),
            **slit_meta,
            **_slit_identity_meta(slit_name),
            "source_ra": float(target_ra),
            "source_dec": float(target_dec),
            **_cutout_meta(1001, 1015, shape, k, offset),
            "dispersion_offset_pix": float(column_offset),
        }
        images.append({**image, "meta": meta})
    return images


def nirspec_spectral_dither(
    *,
    n_exposures: int = 4,
    shape: tuple[int, int] = (24, 200),
    seed: int = 0,
    bunit: str = "MJy",
    dither_pix: list[float] | None = None,
    wavelength_range_um: tuple[float, float] = (1.70, 3.10),
    line_um: float = 2.4,
    line_sigma_pix: float = 0.2,
    line_equivalent_width_pix: float = 4.0,
    source_flux: float = 2e-11,
    sky_level: float = 0.3,
    snr: float = 100.0,
    noise: bool = True,
    bad_fraction: float = 0.0,
    pointing_jitter_arcsec: float = 0.0,
) -> list[dict]:
    """NIRSpec fixed-slit exposures dithered by fractions of a pixel along the dispersion.

    Undersampled spectra are recovered this way: each exposure sees the
    spectrum moved by ``dither_pix[k]`` pixels along the dispersion (its
    WCS moved with it), the source at the same sky position and slit
    position.  The source has a smooth continuum and one narrow emission
    line, integrated over each pixel along the dispersion, so that its
    width on the detector is that of the pixels: the case for
    ``spectral_sampling`` above 1.  Geometry and metadata as
    :func:`nirspec_fixed_slit` (``meta["dispersion_offset_pix"]`` holds the
    dither); noise and variances as there.

    Parameters
    ----------
    n_exposures
        Number of exposures (dither positions).
    shape
        ``(ny, nx)`` of each cutout.
    seed
        Seed of the random generator: same seed, same arrays.
    bunit
        ``"MJy"`` (flux density per pixel) or ``"MJy/sr"``.
    dither_pix
        Offset of the spectrum along the dispersion (pixels) per exposure;
        default ``k / n_exposures``: 0, 0.25, 0.5, 0.75 for four.
    wavelength_range_um
        Wavelength (um) at the first and last column of the undithered
        exposure.
    line_um, line_sigma_pix, line_equivalent_width_pix
        The narrow line: centre (um), Gaussian sigma in pixels along the
        dispersion (0.2: unresolved), and flux as an equivalent width in
        pixels of the continuum.
    source_flux, sky_level, snr, noise, bad_fraction, pointing_jitter_arcsec
        As for :func:`nirspec_fixed_slit` (no flagged pixels nor pointing
        error by default).

    Returns
    -------
    list of dict
        One spectral image per exposure.

    Raises
    ------
    ValueError
        As :func:`nirspec_fixed_slit`, or ``dither_pix`` not one per
        exposure.

    Examples
    --------
    >>> from resamplespec import datasets
    >>> images = datasets.nirspec_spectral_dither(n_exposures=4, seed=1)
    >>> [image["meta"]["dispersion_offset_pix"] for image in images]
    [0.0, 0.25, 0.5, 0.75]
    """
    _check_exposures_and_shape(n_exposures, shape)
    _check_bunit(bunit)
    if dither_pix is None:
        dither_pix = [k / n_exposures for k in range(n_exposures)]
    dither_pix = [float(d) for d in dither_pix]
    if len(dither_pix) != n_exposures:
        raise ValueError(
            f"dither_pix: got {len(dither_pix)} values for n_exposures={n_exposures}"
        )
    return _fixed_slit_exposures(
        seed=seed,
        nod_offsets=[0.0] * n_exposures,
        column_offsets=dither_pix,
        pointing_jitter_arcsec=pointing_jitter_arcsec,
        shape=shape,
        bunit=bunit,
        slit_name="S200A1",
        wavelength_range_um=wavelength_range_um,
        pixel_scale_arcsec=0.1,
        target_ra=53.16250,
        target_dec=-27.79140,
        unit_length_arcsec=3.2,
        slit_extent_units=(-0.5, 0.5),
        slit_width_arcsec=0.2,
        position_angle=137.5,
        source_flux=source_flux,
        source_fwhm_pix=1.8,
        sky_level=sky_level,
        quality=_NoiseAndFlags(snr, noise, bad_fraction, 0.0, 0),
        trace_slope=0.002,
        trace_curvature=1.0e-5,
        line_tilt=0.02,
        line_centres_um=[],
        narrow_line=(line_um, line_sigma_pix, line_equivalent_width_pix),
    )


def _mos_nod_offsets(n_exposures, nod_offsets_shutters):
    """Nod offsets in shutters; empty or ``None``: even steps over +-1 shutter."""
    default = _nod_offsets(n_exposures, 1.0, None)
    return _nod_offsets(n_exposures, 1.0, nod_offsets_shutters or default)


def _mos_slitlets(
    seed, n_slits, nx, *, field_ra, field_dec, source_flux, wavelength_range_um
) -> list[dict]:
    """Where each slitlet and its source are, and how bright the source is."""
    # a stream of its own: the layout is that of the MSA configuration, the
    # same in every exposure and whatever n_exposures
    layout_rng = np.random.default_rng(np.random.SeedSequence([seed, 7919]))
    slitlets = []
    for i in range(n_slits):
        # the MSA column shifts the spectrum on the detector
        shift = layout_rng.uniform(-0.06, 0.06)  # fractional wavelength shift
        slitlets.append(
            {
                "name": str(12 + 17 * i),
                "slitlet_id": 12 + 17 * i,
                "source_id": 2000 + 31 * i,
                "ra": field_ra + layout_rng.uniform(-40, 40) / 3600.0,
                "dec": field_dec + layout_rng.uniform(-40, 40) / 3600.0,
                "in_shutter": layout_rng.uniform(-0.15, 0.15),  # shutters
                "flux": source_flux * 10 ** layout_rng.uniform(-0.5, 0.5),
                "nx": int(nx - 11 * i),
                "wavelength_range_um": tuple(w * (1.0 + shift) for w in wavelength_range_um),
                "row_offset": layout_rng.uniform(-0.4, 0.4),
                "trace_slope": layout_rng.uniform(-0.003, 0.003),
            }
        )
        if slitlets[-1]["nx"] < 8:
            raise ValueError(f"nx={nx} is too small for {n_slits} slits")
    return slitlets


def _mos_exposure_jitter(seed, nod_index, jitter_arcsec):
    """Pointing error (arcsec) of one MOS exposure."""
    # one pointing per exposure, shared by all its slitlets, so it cannot
    # come from the per-slitlet streams
    jitter_rng = np.random.default_rng(np.random.SeedSequence([seed, 104729, nod_index]))
    return _pointing_jitter(jitter_rng, jitter_arcsec)


def nirspec_mos(
    n_slits: int = 3,
    n_exposures: int = 3,
    *,
    seed: int = 0,
    nx: int = 300,
    bunit: str = "MJy",
    shutters_per_slit: int = 3,
    shutter_pitch_arcsec: float = 0.53,
    shutter_width_arcsec: float = 0.20,
    pixel_scale_arcsec: float = 0.1,
    margin_rows: int = 2,
    wavelength_range_um: tuple[float, float] = (1.70, 3.10),
    nod_offsets_shutters: list[float] | None = None,
    pointing_jitter_arcsec: float = 0.004,
    source_flux: float = 1e-11,
    source_fwhm_pix: float = 1.8,
    sky_level: float = 0.3,
    snr: float = 20.0,
    noise: bool = True,
    bad_fraction: float = 0.01,
    warn_fraction: float = 0.005,
    unflagged_nan: int = 0,
    field_ra: float = 150.10,
    field_dec: float = 2.21,
    position_angle: float = 64.0,
) -> list[list[dict]]:
    """NIRSpec MOS exposures: an ordered list of named slitlets per exposure.

    Each slitlet is ``shutters_per_slit`` shutters tall with one source,
    nodded by whole shutters (default offsets -1, 0, +1 shutter for three
    exposures). Slitlets differ in sky position, source brightness and
    offset within the shutter, cutout width and wavelength coverage (their
    MSA column shifts the spectrum on the detector), as real MOS slitlets do.
    Other parameters are as in `nirspec_fixed_slit`; ``y_slit`` is in
    shutter pitches, 0 at the slitlet centre.

    Parameters
    ----------
    n_slits
        Number of slitlets in each exposure.
    n_exposures
        Number of exposures (nod positions).
    nx
        Width of the first slitlet's cutout; each next one is 11 columns
        narrower. The height holds the slitlet plus ``margin_rows`` off-slit
        rows on each side.
    shutters_per_slit, shutter_pitch_arcsec, shutter_width_arcsec
        Slitlet length in shutters, shutter pitch along the slitlet, and
        shutter width on the sky.
    nod_offsets_shutters
        Source offset along the slitlet for each exposure, in shutter
        pitches; ``None`` (or empty): evenly spaced over +-1 shutter.
    source_flux
        Typical source flux density (MJy); each source is within a factor
        10**0.5 of it.
    field_ra, field_dec, position_angle
        Field centre (deg; the sources lie within 40 arcsec of it) and
        slit position angle (deg E of N).

    Returns
    -------
    list of list of dict
        ``result[k][i]`` is slit ``i`` of exposure ``k``; slit order and
        names are the same in every exposure.

    Raises
    ------
    ValueError
        ``n_slits < 1``, ``n_exposures < 1``, ``nx < 4``, an unknown
        ``bunit``, ``nod_offsets_shutters`` not one per exposure, or ``nx``
        too small for ``n_slits`` slitlets.

    Examples
    --------
    >>> from resamplespec import datasets
    >>> exposures = datasets.nirspec_mos(n_slits=2, n_exposures=3)
    >>> len(exposures), len(exposures[0])
    (3, 2)
    >>> [slit["meta"]["slit_name"] for slit in exposures[0]]
    ['12', '29']
    >>> [exposure[0]["meta"]["shutter_state"] for exposure in exposures]
    ['x11', '1x1', '11x']
    """
    if int(n_slits) < 1:
        raise ValueError(f"n_slits must be >= 1, got {n_slits!r}")
    _check_exposures_and_shape(n_exposures, (20, nx))
    _check_bunit(bunit)
    offsets = _mos_nod_offsets(n_exposures, nod_offsets_shutters)
    half = 0.5 * shutters_per_slit  # slit_extent_units: +-half shutter pitches
    ny = int(math.ceil(2 * half * shutter_pitch_arcsec / pixel_scale_arcsec)) + 2 * margin_rows
    slitlets = _mos_slitlets(
        seed,
        n_slits,
        nx,
        field_ra=field_ra,
        field_dec=field_dec,
        source_flux=source_flux,
        wavelength_range_um=wavelength_range_um,
    )
    quality = _NoiseAndFlags(snr, noise, bad_fraction, warn_fraction, unflagged_nan)
    seeds = np.random.SeedSequence(seed).spawn(n_exposures * n_slits)
    exposures = []
    for k in range(n_exposures):
        jitter = _mos_exposure_jitter(seed, k, pointing_jitter_arcsec)
        exposure_meta = _exposure_meta(
            index=k,
            observation_number="002",
            detector="NRS1",
            exposure_time=2188.6,
            start_mjd=60322.75,
        )
        exposure = []
        for i, slitlet in enumerate(slitlets):
            offset_arcsec = (offsets[k] + slitlet["in_shutter"]) * shutter_pitch_arcsec + jitter
            image, slit_meta = _nirspec_slit(
                rng=np.random.default_rng(seeds[k * n_slits + i]),
                shape=(ny, slitlet["nx"]),
                wavelength_range_um=slitlet["wavelength_range_um"],
                unit_length_arcsec=shutter_pitch_arcsec,
                slit_extent_units=(-half, half),
                slit_width_arcsec=shutter_width_arcsec,
                pixel_scale_arcsec=pixel_scale_arcsec,
                source_ra=slitlet["ra"],
                source_dec=slitlet["dec"],
                source_offset_arcsec=offset_arcsec,
                position_angle=position_angle,
                source_flux=slitlet["flux"],
                source_fwhm_pix=source_fwhm_pix,
                sky_level=sky_level,
                bunit=bunit,
                quality=quality,
                trace_slope=slitlet["trace_slope"],
                trace_curvature=1.0e-5,
                line_tilt=0.015,
                row_offset=slitlet["row_offset"],
                line_centres_um=_NIRSPEC_LINES_UM,
            )
            meta = {
                **_nirspec_instrument_meta(
                    "NRS_MSASPEC", bunit, pixel_scale_arcsec, slitlet["wavelength_range_um"]
                ),
                **exposure_meta,
                **slit_meta,
                **_mos_slitlet_meta(
                    slitlet,
                    index=i,
                    shape=(ny, slitlet["nx"]),
                    nod_index=k,
                    nod_offset_shutters=offsets[k],
                    nod_offset_arcsec=offset_arcsec,
                    shutters_per_slit=shutters_per_slit,
                ),
            }
            exposure.append({**image, "meta": meta})
        exposures.append(exposure)
    return exposures


# ---------------------------------------------------------------------------
# MIRI LRS
# ---------------------------------------------------------------------------


def _lrs_layout(shape, slit_length_arcsec, pixel_scale_arcsec):
    """Reference pixel, dispersed length (pixels), slit half-length and bounding box.

    The bounding box has fractional limits and covers only the slit region
    of the array, as on the real detector.
    """
    ny, nx = shape
    ref_x = 0.47 * nx + 0.3
    ref_y = 0.5 * (ny - 1) + 0.2
    margin = 0.02 * ny
    n_disp = ny - 1 - 2 * margin
    half_len_pix = 0.5 * slit_length_arcsec / pixel_scale_arcsec
    if 2 * half_len_pix + 4 > nx:
        raise ValueError(f"shape {shape!r} is too narrow for the {slit_length_arcsec}'' slit")
    bbox_x = (ref_x - half_len_pix - 0.35, ref_x + half_len_pix + 0.15)
    bbox_y = (ref_y - 0.5 * n_disp + 0.27, ref_y + 0.5 * n_disp - 0.41)
    return (ref_x, ref_y), n_disp, half_len_pix, (bbox_x, bbox_y)


def _lrs_meta(
    *,
    index,
    shape,
    bunit,
    pixel_scale_arcsec,
    wavelength_range_um,
    s_region,
    source_xy,
    target_ra,
    target_dec,
    half_len_pix,
    nod_offset_arcsec,
):
    """``meta`` of one MIRI LRS exposure."""
    source_x, source_y = source_xy
    return {
        **_instrument_meta(
            instrument="MIRI",
            detector="MIRIMAGE",
            filter_name="P750L",
            grating=None,
            exp_type="MIR_LRS-FIXEDSLIT",
            dispersion_direction=2,
            bunit=bunit,
            pixel_scale_arcsec=pixel_scale_arcsec,
            wavelength_range_um=wavelength_range_um,
        ),
        **_exposure_meta(
            index=index,
            observation_number="004",
            detector="MIRIMAGE",
            exposure_time=855.8,
            start_mjd=60405.6,
        ),
        "s_region": s_region,
        **_slit_identity_meta("LRS"),
        "source_xpos": float(source_x),
        "source_ypos": float(source_y),
        "source_ra": float(target_ra),
        "source_dec": float(target_dec),
        # LRS has no slit frame: the slit extent is in pixels along x
        "slit_ymin": float(-half_len_pix),
        "slit_ymax": float(half_len_pix),
        **_cutout_meta(1, 1, shape, index, nod_offset_arcsec),
    }


def miri_lrs(
    *,
    n_exposures: int = 2,
    shape: tuple[int, int] = (400, 80),
    seed: int = 0,
    bunit: str = "MJy/sr",
    wavelength_range_um: tuple[float, float] = (5.0, 12.0),
    slit_length_arcsec: float = 4.7,
    slit_width_arcsec: float = 0.51,
    pixel_scale_arcsec: float = 0.11,
    nod_offsets_arcsec: list[float] | None = None,
    pointing_jitter_arcsec: float = 0.004,
    source_flux: float = 5e-10,
    sky_level: float = 8.0,
    snr: float = 40.0,
    noise: bool = True,
    bad_fraction: float = 0.01,
    warn_fraction: float = 0.005,
    unflagged_nan: int = 0,
    trace_slope: float = 0.004,
    trace_curvature: float = 2.0e-6,
    line_tilt: float = 0.01,
    target_ra: float = 80.48910,
    target_dec: float = -69.49832,
    position_angle: float = 251.3,
) -> list[dict]:
    """MIRI LRS fixed-slit exposures, nodded along the slit.

    Dispersion runs along y with the wavelength *decreasing* as the row
    index grows; the slit runs along x. The WCS goes straight from
    ``detector`` to ``world`` (no slit frame); its bounding box (fractional
    limits) covers only the slit region of the larger array. The PSF
    widens with wavelength (FWHM 1.5 px at 5 um). Other parameters are as
    in `nirspec_fixed_slit`; nod offsets default to +-1 arcsec.

    Parameters
    ----------
    shape
        ``(ny, nx)`` of the array: ``ny`` along the dispersion, ``nx``
        across it, wide enough for the slit and two pixels either side.
    wavelength_range_um
        Wavelength coverage (um), in either order; the longest wavelength
        is at the top of the bounding box (smallest row index).
    source_flux
        Source flux density (MJy) at the middle of the band; the spectrum
        falls as lambda^-1, with three emission lines and the 9.7 um
        silicate absorption.
    sky_level
        Sky surface brightness (MJy/sr) at the middle of the band, rising
        as lambda^2; the array outside the bounding box holds this level.
    nod_offsets_arcsec
        Source offset along the slit from the slit centre for each
        exposure; default evenly spaced over +-1 arcsec.
    trace_slope, trace_curvature, line_tilt
        As in `nirspec_fixed_slit`, with the roles of x and y swapped.

    Returns
    -------
    list of dict
        One spectral image per exposure (see the module docstring).

    Raises
    ------
    ValueError
        ``n_exposures < 1``, ``shape`` not ``(ny, nx)`` with both >= 4, an
        unknown ``bunit``, ``nod_offsets_arcsec`` not one per exposure, or
        ``nx`` too small for the slit.

    Examples
    --------
    >>> from resamplespec import datasets
    >>> image = datasets.miri_lrs(n_exposures=1)[0]
    >>> image["data"].shape, image["meta"]["dispersion_direction"]
    ((400, 80), 2)
    >>> image["wcs"].available_frames
    ['detector', 'world']
    """
    _check_exposures_and_shape(n_exposures, shape)
    _check_bunit(bunit)
    offsets = _nod_offsets(n_exposures, 1.0, nod_offsets_arcsec)
    seeds = np.random.SeedSequence(seed).spawn(n_exposures)
    lam_long, lam_short = max(wavelength_range_um), min(wavelength_range_um)
    lam_ref = math.sqrt(lam_long * lam_short)
    (ref_x, ref_y), n_disp, half_len_pix, bounding_box = _lrs_layout(
        shape, slit_length_arcsec, pixel_scale_arcsec
    )
    # wavelength decreases with y: w = 0 at ref_y, tau < 0
    dispersion = _log_linear_dispersion(lam_ref, lam_long, lam_short, n_disp)
    geometry = _detector_geometry(ref_x, ref_y, trace_slope, trace_curvature, line_tilt, 2)
    along, across = _slit_axes(position_angle)
    quality = _NoiseAndFlags(snr, noise, bad_fraction, warn_fraction, unflagged_nan)
    images = []
    for k in range(n_exposures):
        rng = np.random.default_rng(seeds[k])
        offset = offsets[k] + _pointing_jitter(rng, pointing_jitter_arcsec)
        slit_centre = _slit_centre_offset(along, offset)
        wcs = _lrs_wcs(
            geometry,
            dispersion,
            bounding_box,
            along=along,
            pixel_scale_arcsec=pixel_scale_arcsec,
            slit_centre=slit_centre,
            target_ra=target_ra,
            target_dec=target_dec,
        )
        truth, in_box = _lrs_scene(
            geometry,
            dispersion,
            shape,
            bounding_box,
            lam_ref=lam_ref,
            pixel_scale_arcsec=pixel_scale_arcsec,
            source_offset_arcsec=offset,
            source_flux=source_flux,
            sky_level=sky_level,
            bunit=bunit,
        )
        image = _noisy_flagged_arrays(truth, rng, quality, off_slit=None, region=in_box)
        s_region = _lrs_s_region(
            target_ra=target_ra,
            target_dec=target_dec,
            slit_centre=slit_centre,
            along=along,
            across=across,
            half_len_pix=half_len_pix,
            pixel_scale_arcsec=pixel_scale_arcsec,
            width_arcsec=slit_width_arcsec,
        )
        meta = _lrs_meta(
            index=k,
            shape=shape,
            bunit=bunit,
            pixel_scale_arcsec=pixel_scale_arcsec,
            wavelength_range_um=(lam_short, lam_long),
            s_region=s_region,
            # JWST gives the LRS source position in pixels, at the central wavelength
            source_xy=wcs.invert(target_ra, target_dec, lam_ref, with_bounding_box=False),
            target_ra=target_ra,
            target_dec=target_dec,
            half_len_pix=half_len_pix,
            nod_offset_arcsec=offset,
        )
        images.append({**image, "wcs": wcs, "meta": meta})
    return images


# ---------------------------------------------------------------------------
# Lamp (non-celestial world)
# ---------------------------------------------------------------------------


def _lamp_meta(*, index, shape, wavelength_range_um, slit_length_pix):
    """``meta`` of one lamp exposure: no photometry, no sky position, no source."""
    return {
        **_instrument_meta(
            instrument="NIRSPEC",
            detector="NRS1",
            filter_name="F100LP",
            grating="G140M",
            exp_type="NRS_LAMP",
            dispersion_direction=1,
            bunit="DN/s",
            pixel_scale_arcsec=None,
            wavelength_range_um=wavelength_range_um,
        ),
        **_exposure_meta(
            index=index,
            observation_number="005",
            detector="NRS1",
            exposure_time=290.0,
            start_mjd=60001.1,
        ),
        "s_region": None,
        **_slit_identity_meta(
            "S200A1",
            source_id=0,
            source_name=None,
            source_alias=None,
            source_type=None,
            stellarity=None,
        ),
        "source_xpos": None,
        "source_ypos": None,
        "source_ra": None,
        "source_dec": None,
        "slit_ymin": float(-0.5 * slit_length_pix),
        "slit_ymax": float(0.5 * slit_length_pix),
        **_cutout_meta(1001, 1015, shape, index, 0.0),
    }


def lamp(
    *,
    n_exposures: int = 1,
    shape: tuple[int, int] = (30, 300),
    seed: int = 0,
    wavelength_range_um: tuple[float, float] = (0.97, 1.84),
    slit_length_pix: float = 26.0,
    msa_origin_m: tuple[float, float] = (0.0123, -0.0315),
    msa_step_m: tuple[float, float] = (2.0e-7, 4.1e-5),
    line_peak: float = 150.0,
    continuum: float = 3.0,
    snr: float = 60.0,
    noise: bool = True,
    bad_fraction: float = 0.01,
    warn_fraction: float = 0.005,
    unflagged_nan: int = 0,
    trace_slope: float = 0.002,
    trace_curvature: float = 1.0e-5,
    line_tilt: float = 0.02,
) -> list[dict]:
    """Lamp (lab) exposures of a uniformly lit slit: emission lines, no sky.

    The WCS maps ``detector -> msa_frame`` (``x_msa``, ``y_msa`` in metres
    in the MSA plane, wavelength in um): a non-celestial world. Dispersion
    along x; ``msa_step_m`` is the MSA-plane step per pixel across/along
    the slit. Data are in ``DN/s``; there is no nominal pixel area, no
    S_REGION and no source. Rows beyond ``slit_length_pix`` are off the
    slit (flagged, NaN). Repeated exposures are identical apart from noise.
    Parameters not listed below are as in `nirspec_fixed_slit`.

    Parameters
    ----------
    n_exposures
        Number of exposures.
    shape
        ``(ny, nx)`` of each cutout.
    seed
        Seed of the random generators (line list and noise).
    wavelength_range_um
        Wavelength (um) at the first and last column.
    slit_length_pix
        Length of the lit slit in pixels, centred on the trace.
    msa_origin_m, msa_step_m
        ``(x_msa, y_msa)`` at the trace, and their step per pixel along
        the slit (metres).
    line_peak, continuum
        Peak of the brightest possible line (the nine lines have random
        peaks between 10% and 100% of it) and the continuum level (DN/s).

    Returns
    -------
    list of dict
        One spectral image per exposure (see the module docstring).

    Raises
    ------
    ValueError
        ``n_exposures < 1`` or ``shape`` not ``(ny, nx)`` with both >= 4.

    Examples
    --------
    >>> from resamplespec import datasets
    >>> image = datasets.lamp(shape=(12, 40))[0]
    >>> image["meta"]["bunit_data"], image["meta"]["s_region"]
    ('DN/s', None)
    >>> image["wcs"].available_frames
    ['detector', 'msa_frame']
    """
    _check_exposures_and_shape(n_exposures, shape)
    ny, nx = shape
    lam_first, lam_last = wavelength_range_um
    lam_ref = math.sqrt(lam_first * lam_last)
    dispersion = _log_linear_dispersion(lam_ref, lam_first, lam_last, nx - 1)
    geometry = _detector_geometry(
        0.5 * (nx - 1), 0.5 * (ny - 1) + 0.2, trace_slope, trace_curvature, line_tilt, 1
    )
    det2msa = _detector_to_msa(geometry, dispersion, msa_origin_m, msa_step_m)
    centres, strengths = _lamp_lines(seed, lam_first, lam_last, line_peak)
    # the lamp and the slit do not move: every exposure sees the same truth
    truth, off_slit = _lamp_scene(
        geometry,
        dispersion,
        shape,
        slit_length_pix=slit_length_pix,
        continuum=continuum,
        centres=centres,
        strengths=strengths,
    )
    quality = _NoiseAndFlags(snr, noise, bad_fraction, warn_fraction, unflagged_nan)
    seeds = np.random.SeedSequence(seed).spawn(n_exposures)
    images = []
    for k in range(n_exposures):
        rng = np.random.default_rng(seeds[k])
        image = _noisy_flagged_arrays(truth, rng, quality, off_slit=off_slit, region=~off_slit)
        meta = _lamp_meta(
            index=k,
            shape=shape,
            wavelength_range_um=wavelength_range_um,
            slit_length_pix=slit_length_pix,
        )
        images.append({**image, "wcs": _lamp_wcs(det2msa, shape), "meta": meta})
    return images


# ---------------------------------------------------------------------------
# Outliers
# ---------------------------------------------------------------------------


def _usable_in_box(image: dict) -> np.ndarray:
    """The pixels of an image that a resampling uses: finite, not flagged
    DO_NOT_USE, centre inside the WCS bounding box."""
    data = image["data"]
    usable = np.isfinite(data) & ((image["dq"] & DQ_FLAGS["DO_NOT_USE"]) == 0)
    box = image["wcs"].bounding_box
    if box is not None:
        (x1, x2), (y1, y2) = (tuple(interval) for interval in box)
        y, x = np.indices(data.shape)
        usable &= (x >= x1) & (x <= x2) & (y >= y1) & (y <= y2)
    return usable


def with_outliers(
    exposures: list,
    *,
    cosmic_rays: int = 30,
    hot_pixels: int = 5,
    amplitude: float | tuple[float, float] = 10.0,
    seed: int = 0,
) -> tuple[list, list]:
    """Copies of ``exposures`` with cosmic rays and hot pixels added, and where.

    Parameters
    ----------
    exposures
        What a generator of this module returns: a list of image dicts, or
        (`nirspec_mos`) a list of lists of them.  Not modified.
    cosmic_rays
        Pixels hit in each image, at random among the pixels a resampling
        uses (finite, not ``DO_NOT_USE``, inside the bounding box).
    hot_pixels
        Detector pixels that are high in every exposure of a slit (the same
        array positions in each), chosen among the pixels every exposure uses.
    amplitude
        What each outlier adds, in units of the pixel's ``err``; a pair
        ``(low, high)``: drawn uniformly between them for each outlier.
    seed
        Seed of the random positions.

    Returns
    -------
    exposures, truth
        The copies (arrays other than ``data`` shared), and boolean masks of
        the outliers in the same layout (a list, or a list of lists).

    Examples
    --------
    >>> from resamplespec import datasets
    >>> nods = datasets.nirspec_fixed_slit(n_exposures=2, shape=(20, 60))
    >>> hit, truth = datasets.with_outliers(nods, cosmic_rays=4, hot_pixels=1)
    >>> [int(mask.sum()) for mask in truth]
    [5, 5]
    """
    rng = np.random.default_rng(seed)
    nested = bool(exposures) and isinstance(exposures[0], list)
    layout = [list(exposure) if nested else [exposure] for exposure in exposures]
    copies = [[dict(image, data=np.array(image["data"])) for image in slits]
              for slits in layout]
    truth = [[np.zeros(image["data"].shape, dtype=bool) for image in slits]
             for slits in layout]
    for m in range(max(len(slits) for slits in layout)):
        slit = [(k, copies[k][m]) for k in range(len(copies)) if m < len(copies[k])]
        usable = {k: _usable_in_box(image) for k, image in slit}
        shapes = {image["data"].shape for _, image in slit}
        if hot_pixels and len(shapes) == 1:
            everywhere = np.logical_and.reduce(list(usable.values()))
            hot = rng.choice(np.flatnonzero(everywhere), size=hot_pixels, replace=False)
            for k, _ in slit:
                truth[k][m].flat[hot] = True
        for k, image in slit:
            free = np.flatnonzero(usable[k] & ~truth[k][m])
            truth[k][m].flat[rng.choice(free, size=cosmic_rays, replace=False)] = True
            hit = truth[k][m]
            if np.ndim(amplitude):
                sizes = rng.uniform(*amplitude, size=np.count_nonzero(hit))
            else:
                sizes = np.full(np.count_nonzero(hit), float(amplitude))
            image["data"][hit] += (sizes * image["err"][hit]).astype(np.float32)
    if nested:
        return copies, truth
    return [slits[0] for slits in copies], [masks[0] for masks in truth]
