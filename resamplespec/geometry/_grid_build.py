"""The output grid: the rectified spatial x wavelength frame every input is drizzled onto.

Steps 2 and 3 of the processing chain.  :func:`build_output_grid` builds the
grid the JWST pipeline (jwst 3.0, ``ResampleSpec``) builds from the inputs;
:func:`load_output_wcs` takes a user's grid instead.  Either gives an
:class:`OutputGrid`: a ``gwcs.WCS`` plus what the later steps need (shape,
dispersion axis, pixel scale ratio, pixel areas, the wavelength of every
column or row) and a closed-form inverse used by
:func:`resamplespec.geometry.pixel_map`.

Three kinds of grid, chosen from the first input's WCS:

``'nirspec'`` -- celestial world with a ``slit_frame`` (NIRSpec fixed slit, MOS)
    Frames ``detector -> slit_frame -> world``.  Spatial axis: a straight
    line in the tangent plane at the source (the intensity-weighted slit
    position of the reference input), fitted along the central dispersion
    column of that input and sampled at ``pixel_scale_ratio`` output pixels
    per input pixel; long enough for every input, with the data centred.
    Wavelengths: the per-column medians of the first input, extended by
    the ranges of the others, near-duplicates removed, half a pixel
    extrapolated at both ends (NaN beyond).  The ``slit_frame`` keeps
    ``x_slit = 0`` and a ``y_slit`` lookup per row so that source positions
    stay computable.
``'interpolated'`` -- celestial world without a slit frame (MIRI LRS, generic)
    Frames ``detector -> world``.  Spatial sampling from the first input,
    tangent point at the centre of all inputs, grid centred on it;
    wavelengths the union of the per-row (or per-column) medians, linearly
    extrapolated beyond the ends; MIRI LRS keeps its descending order.
``'lamp'`` -- non-celestial world (lamp and lab data)
    Frames ``detector -> world`` with the input's spatial frame: linear
    fits of both spatial coordinates along the slit of the first input,
    ``ceil(n_spatial * pixel_scale_ratio)`` rows.

A fourth kind, ``'custom'``, is a user's gwcs (:func:`load_output_wcs`); it
is inverted through gwcs.

Deliberate differences from the reference are listed in the Notes of each
function; in short: the NIRSpec red-end half-pixel extrapolation is done
as intended (the reference extrapolates from the wrong point), ``output_shape``
is honoured without ``output_wcs`` (the reference ignores it), and several
inputs on which the reference crashes get a grid or a clear error.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from gwcs import WCS

from ..dqflags import DEFAULT_GOOD_BITS
from ..models import LazyImages, SpectralImage
from ..options import parse_output_shape, validate_n_jobs
from ._grid_interpolated import _build_interpolated
from ._grid_lamp import _build_lamp
from ._grid_nirspec import _build_nirspec
from ._grid_parts import _name, _positive, _reference_input
from ._grid_size import GridSizeError, check_grid_size, implausible_grid
from ._output_grid import _ARCSEC2_PER_SR, GridWarning, OutputGrid
from ._sampling import sample_inputs
from ._sky import spatial_pixel_scale
from ._spectral_grid import SpectralGrid
from ._wcs_utils import check_spectral_wcs, is_sky_like

log = logging.getLogger(__name__)


def _as_images(images: Any) -> Sequence[SpectralImage]:
    if isinstance(images, LazyImages):
        # read on access, one or two at a time (in_memory=False); the WCS of
        # each input is checked by resample() as it is read
        if not len(images):
            raise ValueError("images: at least one input image is needed to build an output grid")
        return images
    if isinstance(images, (SpectralImage, Mapping)):
        images = [images]
    try:
        images = list(images)
    except TypeError:
        raise TypeError(
            f"images must be a sequence of SpectralImage, got {type(images).__name__}"
        ) from None
    if not images:
        raise ValueError("images: at least one input image is needed to build an output grid")
    out = []
    for k, image in enumerate(images):
        if isinstance(image, Mapping):
            image = SpectralImage.from_dict(image)
        if not isinstance(image, SpectralImage):
            raise TypeError(f"images[{k}] must be a SpectralImage, got {type(image).__name__}")
        check_spectral_wcs(image.wcs, _name(image, k))
        out.append(image)
    return out


def _grid_kind(image: SpectralImage) -> str:
    if not is_sky_like(image.wcs.output_frame):
        return "lamp"
    return "nirspec" if "slit_frame" in image.wcs.available_frames else "interpolated"


def _ratio_from_pixel_scale(
    first: SpectralImage, label: str, kind: str, ratio: float, pixel_scale: float | None
) -> float:
    if pixel_scale is None:
        return ratio
    if kind == "lamp":
        warnings.warn(
            f"pixel_scale={pixel_scale} ignored: the world frame of {label} is not "
            "celestial; using pixel_scale_ratio",
            GridWarning,
            stacklevel=3,
        )
        return ratio
    if first.meta.pixel_area_sr is None:
        warnings.warn(
            f"pixel_scale={pixel_scale} ignored: {label} has no nominal pixel area "
            "(pixel_area_sr); using pixel_scale_ratio",
            GridWarning,
            stacklevel=3,
        )
        return ratio
    input_scale = spatial_pixel_scale(first.wcs, first.meta.dispersion_direction)
    if not (math.isfinite(input_scale) and input_scale > 0):
        warnings.warn(
            f"pixel_scale={pixel_scale} ignored: the input pixel scale of {label} "
            "cannot be measured from its WCS",
            GridWarning,
            stacklevel=3,
        )
        return ratio
    if ratio != 1.0:
        log.warning("pixel_scale_ratio=%s ignored in favour of pixel_scale=%s", ratio, pixel_scale)
    return input_scale / pixel_scale


def _set_size(wcs: WCS, nx: int, ny: int) -> None:
    wcs.bounding_box = ((-0.5, nx - 0.5), (-0.5, ny - 0.5))
    wcs.array_shape = (ny, nx)


def build_output_grid(
    images: Sequence[SpectralImage],
    *,
    pixel_scale_ratio: float = 1.0,
    pixel_scale: float | None = None,
    output_shape: tuple[int, int] | str | None = None,
    good_bits: Any = DEFAULT_GOOD_BITS,
    keep_samples: bool = True,
    n_jobs: int = 1,
    spectral_grid: Any = "native",
    spectral_sampling: float = 1.0,
) -> OutputGrid:
    """Build the output grid of one slit from its inputs, as the JWST pipeline does.

    Parameters
    ----------
    images : sequence of SpectralImage (or dataset dicts)
        The inputs of one slit (one group of a multi-slit set), each with a
        gwcs ``detector -> world`` WCS whose world frame is (2 spatial
        axes, wavelength in um).  NaN and DO_NOT_USE should already agree
        (the reference builds the grid after that step).
    pixel_scale_ratio : float
        Input / output spatial pixel scale: 2 gives two output rows per
        input pixel along the slit.  Wavelength sampling is unaffected.
    pixel_scale : float, optional
        Output spatial pixel scale (arcsec); overrides ``pixel_scale_ratio``
        with ``input scale / pixel_scale``, the input scale measured from
        the first input's WCS at its centre.  Ignored (with a
        :class:`~resamplespec.geometry.GridWarning`) for a non-celestial world or without a
        nominal pixel area, as in the reference.
    output_shape : (nx, ny) or 'nx,ny', optional
        Size of the output.  The transform is unchanged; only the size
        and bounding box change (new columns of a NIRSpec grid beyond its
        wavelength table have NaN wavelengths).
    good_bits : int, str or None
        DQ bits that count as good when choosing the NIRSpec reference
        input (the reference's fixed ``'~DO_NOT_USE+NON_SCIENCE'``).
    keep_samples : bool
        Keep each input's pixel map, made from the WCS evaluation the
        builder needs anyway, so that :func:`resamplespec.geometry.pixel_map`
        hands it out (once) instead of evaluating the WCS again.
    n_jobs : int
        Threads that evaluate the inputs' WCSs (numpy releases the GIL in
        that arithmetic), -1 for every core; the grid does not depend on it.
    spectral_grid : {'native', 'linear', 'log'} or array_like
        The wavelength grid: the reference's (``'native'``, the default),
        constant steps in wavelength (``'linear'``) or in its logarithm
        (``'log'``, constant resolving power per pixel) over the range of
        the native centres, or the wavelength centres (um) of an array,
        strictly monotonic, kept as given.  See the Notes.
    spectral_sampling : float
        Output pixels per native pixel along the dispersion: with
        ``'native'`` each native pixel is split into that many (its
        centres on the native piecewise-linear table); with ``'linear'`` or
        ``'log'`` the step is the median native step (in wavelength or in
        its logarithm) divided by it.  Not with an array.

    Returns
    -------
    OutputGrid

    Raises
    ------
    TypeError
        An input is not a SpectralImage with a gwcs; an option has the
        wrong type.
    ValueError
        A non-positive ``pixel_scale_ratio``, ``pixel_scale`` or
        ``spectral_sampling``, a bad ``output_shape`` or ``spectral_grid``
        (an unknown name; an array that is not strictly monotonic, holds
        NaN, fewer than 2 values or overlaps no input), a grid too large
        for this machine's memory, a WCS without (2 spatial, 1 spectral) world axes,
        or inputs from which no grid can be built (no finite wavelength,
        a single wavelength, no sky position along the slit, ...); the
        message names the input.

    Notes
    -----
    The grid kind follows from the first input (see the module notes):
    sky-like world units (deg or arcsec) with a ``slit_frame`` give the
    ``'nirspec'`` grid, sky-like without one the ``'interpolated'`` grid,
    anything else the ``'lamp'`` grid.  The reference chooses between the
    first two by instrument name (NIRSPEC or not); for JWST data the two
    rules agree.

    What the reference does, and where this differs:

    * NIRSpec reference input: the first with more than 100 good,
      finite, non-zero pixels, else the first.  Its data, shifted to a
      minimum of 0 and clipped at 100 sigma, weight the mean slit position
      of the source; that position at the mean wavelength is the tangent
      point.  The spatial line is fitted along bounding-box grid column
      ``int(mean(x limits))`` (the middle of the grid when that index is
      off the grid; the reference fails).  ``ny = ceil(span /
      |slope|) + 1`` along the tangent coordinate that changes faster.
    * NIRSpec wavelengths: the reference extrapolates the red end of the
      table from the wrong point (``lam[n-2] + slope * (n - 0.5)`` instead
      of ``lam[n-1] + slope / 2``), so that inputs redder than the last
      column centre are squeezed into the last half column; here the
      half-pixel extrapolation is done as intended.  Column wavelengths
      (centres) are the same.
    * Inputs whose bounding-box grid differs from the data shape are
      handled (the reference fails to broadcast); a first input with a
      single column takes its duplicate tolerance from the others (the
      reference fails).
    * Interpolated grids: tangent point at the centre of the RA/Dec range
      of all inputs (one input: the mean position along its central
      slit), grid centred on it, ``ny = ceil(span / |slope|)``;
      wavelengths ascending, reversed for MIRI LRS.  Near a pole (RA
      spread over 10 deg) the centre of the unit vectors replaces the
      mean of RA, which can fall far off the data.
    * Lamp grids: the reference always inverts the second spatial
      coordinate and assumes dispersion along x; here the coordinate that
      changes faster is inverted (the same choice for NIRSpec lamps) and
      dispersion along y is handled.
    * ``output_shape`` without ``output_wcs`` is ignored by the reference;
      here it sets the size.
    * The output pixel area is the first input's nominal area divided by
      the ratio (one spatial axis: not squared), as in the reference.
    * ``spectral_grid`` and ``spectral_sampling`` are additions (the
      reference always takes the native grid).  A grid keeps its kind's
      wavelength table: between centres the wavelength is linear in the
      pixel, so the edge between two output pixels is the mean of their
      centres (for ``'log'`` that differs from the geometric mean by
      about ``(step / 2)**2 / 2`` of a pixel, relative: 1e-7 for NIRSpec);
      NIRSpec grids end half a pixel beyond their end centres, the others
      continue their end segments.  Generated grids keep the native order
      (MIRI LRS descends).  Where an explicit array's steps change, a
      column has one dispersion each side of its centre while the kernel
      spreads flux evenly in pixels: ``sum(data x column width)`` then
      holds to a few 1e-4 of the flux rather than to rounding.  On NIRSpec
      grids other than the native one, the pixel maps continue the
      wavelength table beyond its ends (the gwcs gives NaN there, as for
      the native grid), so that input pixels straddling an end of the grid
      give their inside part.

    Examples
    --------
    >>> from resamplespec import SpectralImage, datasets
    >>> images = [SpectralImage.from_dict(d) for d in datasets.nirspec_fixed_slit(
    ...     n_exposures=2, shape=(24, 96), seed=1)]
    >>> grid = build_output_grid(images, pixel_scale_ratio=2.0)
    >>> grid.kind, grid.shape, grid.pixel_scale_ratio
    ('nirspec', (68, 96), 2.0)
    """
    ratio = _positive("pixel_scale_ratio", pixel_scale_ratio)
    spectral = SpectralGrid.from_options(spectral_grid, spectral_sampling)
    if pixel_scale is not None:
        pixel_scale = _positive("pixel_scale", pixel_scale)
    size = parse_output_shape(output_shape)
    n_jobs = validate_n_jobs(n_jobs)
    images = _as_images(images)
    # of the first input only its WCS and metadata are needed here (inputs
    # read from files are not read whole for them)
    first = images.frame(0) if isinstance(images, LazyImages) else images[0]
    label = _name(first, 0)
    disp = first.meta.dispersion_direction
    kind = _grid_kind(first)
    ratio = _ratio_from_pixel_scale(first, label, kind, ratio, pixel_scale)

    try:
        if kind == "nirspec":
            ref_index = _reference_input(images, good_bits)
            samples = sample_inputs(images, slit_frame_index=ref_index, n_jobs=n_jobs)
            built = _build_nirspec(images, samples, ref_index, ratio, spectral)
        else:
            samples = sample_inputs(images, n_jobs=n_jobs)
            builder = _build_interpolated if kind == "interpolated" else _build_lamp
            built = builder(images, samples, ratio, spectral)
    except GridSizeError as exc:
        raise implausible_grid(str(exc), images) from None

    n_spectral = built.spectral.pixels.size - (2 if kind == "nirspec" else 0)
    nx, ny = (n_spectral, built.n_spatial) if disp == 1 else (built.n_spatial, n_spectral)
    if size is not None:
        if size != (nx, ny):
            log.info("output grid size %s replaced by output_shape %s", (nx, ny), size)
        nx, ny = size
    check_grid_size((ny, nx), images, computed=size is None, pixel_scale_ratio=ratio)
    _set_size(built.wcs, nx, ny)
    n_out = nx if disp == 1 else ny
    wavelength = built.spectral.to_wavelength(np.arange(n_out, dtype=np.float64))

    nominal = first.meta.pixel_area_sr
    area_sr = None if nominal is None else float(nominal) / ratio
    grid = OutputGrid(
        wcs=built.wcs,
        shape=(ny, nx),
        dispersion_axis=disp,
        pixel_scale_ratio=ratio,
        pixel_area_sr=area_sr,
        pixel_area_arcsec2=None if area_sr is None else area_sr * _ARCSEC2_PER_SR,
        wavelength=wavelength,
        kind=kind,
        spectral_grid=spectral.kind,
        spectral_sampling=spectral.sampling,
        _spatial=built.spatial,
        _spectral=built.spectral,
    )
    if keep_samples and isinstance(samples, list):
        # Of each input only its pixel map (2 arrays) is kept, not its world,
        # slit and tangent-plane samples (5 to 7 arrays): each sample is
        # dropped as soon as its map is made.
        for k, image in enumerate(images):
            sample, samples[k] = samples[k], None
            grid._keep_pixel_map(image, sample)
            del sample
    return grid
