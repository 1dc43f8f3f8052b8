"""The public call: :func:`resample`, its options checked once, its slit
groups run one after another or on several workers."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from typing import Any

from ..dqflags import DEFAULT_GOOD_BITS
from ..io import close_open_files
from ..models import MultiSlitImage, SpectralImage
from ..options import (
    OUTLIER_SHIFT,
    OUTLIER_THRESHOLD,
    ResampleOptions,
    validate_flag,
    validate_n_jobs,
)
from ..parallel import can_fork, locked, map_forked, map_threads, progress
from ._chain import group_outliers, resample_group
from ._groups import collect_outputs, slit_groups
from ._metadata import _metas
from ._writers import SingleWriter

log = logging.getLogger(__name__)


def resample(
    models: Any,
    *,
    pixfrac: float = 1.0,
    kernel: str = "square",
    fillval: str | float = "NAN",
    weight_type: str | None = "ivm",
    output_shape: tuple[int, int] | str | None = None,
    pixel_scale_ratio: float = 1.0,
    pixel_scale: float | None = None,
    output_wcs: Any = None,
    single: bool = False,
    blendheaders: bool = True,
    in_memory: bool = True,
    propagate_dq: bool = False,
    good_bits: Any = DEFAULT_GOOD_BITS,
    variance: str = "reference",
    covariance: bool = False,
    spectral_grid: Any = "native",
    spectral_sampling: float = 1.0,
    reject_outliers: bool = False,
    outlier_threshold: float = OUTLIER_THRESHOLD,
    outlier_shift: float = OUTLIER_SHIFT,
    progress_bar: bool = False,
    output_dir: str | os.PathLike | None = None,
    n_jobs: int = 1,
) -> SpectralImage | MultiSlitImage | list[SpectralImage]:
    """Rectify and combine 2D spectra onto a common spatial x wavelength grid.

    Parameters
    ----------
    models : SpectralImage, MultiSlitImage, dict, JWST datamodel, path, or a sequence
        The inputs: single-slit images (combined into one output), or
        multi-slit exposures (slits grouped by name across exposures, in
        first-seen order).  They are never modified.
    pixfrac : float
        Linear shrink factor of input pixels, 0.001 <= pixfrac <= 1 (smaller
        footprints are drawn or not as round-off decides: the point kernel
        is the limit of a vanishing pixfrac).
    kernel : {'square', 'point'}
        Other drizzle kernels do not conserve spectral flux and are refused.
        This and every other string choice is read in any case
        (``'SQUARE'``, ``'IVM'``, ``'Exact'``).
    fillval : str or float
        Data value where no input contributed: 'NAN', 'INDEF' (0), a number
        or a number string.
    weight_type : {'ivm', 'exptime', None}
        Input weighting: inverse read-noise variance per pixel, the
        measurement time (else the exposure time), or equal weights (None,
        or the string ``'none'`` as on the command line).
        With 'ivm', an input without ``var_rnoise`` weighs 1 per pixel (as
        in the reference), beside inverse variances of the others that
        may be ~1e20 or more, and an input whose ``var_rnoise`` has no
        positive finite value weighs 0: both are named in an
        :class:`~resamplespec.pipeline.InputWarning`.
    output_shape : (nx, ny) or 'nx,ny', optional
        Output size; overrides the size of the grid or of ``output_wcs``.
    pixel_scale_ratio : float
        Input / output spatial pixel scale (cross-dispersion only).  Ignored
        when ``pixel_scale`` or ``output_wcs`` is given.
    pixel_scale : float, optional
        Output spatial pixel scale in arcsec; ignored with ``output_wcs``.
    output_wcs : gwcs.WCS, str or dict, optional
        A custom output grid: a gwcs, an ASDF file name, or a dict with
        ``wcs`` and optional ``pixel_area``, ``pixel_shape``, ``array_shape``.
    single : bool
        Resample each input onto its own copy of the common grid.
    blendheaders : bool
        Combine the inputs' exposure metadata (start = min, end = max,
        exposure, measurement time and duration summed); otherwise the
        output takes the first input's.
    in_memory : bool
        False: inputs given as paths are read when needed, one or two at a
        time, and released after use (:class:`resamplespec.io.DeferredImage`); with
        ``single=True`` each product is written to ``output_dir`` as it is
        made and the paths are returned.  Inputs given as objects are in
        memory already either way.
    propagate_dq : bool
        Output DQ = bitwise OR of the flags of contributing input pixels.
    good_bits : int, str or None
        DQ bits that still count as good (JWST flag names understood).
    variance : {'reference', 'exact'}
        'reference': variances and errors as the JWST pipeline computes them.
        'exact': the variance of the weighted mean, sum(w^2 var) / sum(w)^2
        with the overlap weights w of the same kernel pass.
    covariance : bool
        Also compute the covariance of neighbouring output pixels, which
        drizzling correlates (``variance='exact'`` only): the products carry
        it as ``correlation`` (:class:`resamplespec.PixelCorrelation`), and
        :func:`resamplespec.extract` uses it for the errors of sums of
        pixels.  Same kernel pass; zero off the diagonal for the point
        kernel.
    spectral_grid : {'native', 'linear', 'log'} or array_like
        The output's wavelength grid: 'native' (the reference's: per-column
        medians of the first input, extended by the others), 'linear'
        (constant step in wavelength), 'log' (constant step in ln
        wavelength: constant resolving power per pixel) over the native
        range, or the wavelength centres (um) of a strictly monotonic
        array, kept as given (its columns beyond every input get
        ``fillval``).  Not with ``output_wcs``, which sets its own.
    spectral_sampling : float
        Output pixels per native pixel along the dispersion (> 0): 'native'
        splits each native pixel into that many; 'linear' and 'log' take
        the median native step divided by it.  Not with an array.
    reject_outliers : bool
        Leave out of the combination the input pixels that
        :func:`find_outliers` judges outliers (cosmic rays, hot pixels), as
        if flagged DO_NOT_USE: the product's DQ flags OUTLIER the output
        pixels that lost a contribution, and ``meta.resample.outliers_rejected``
        counts the pixels left out per input.  Needs two exposures or more
        of a slit (a slit of a multi-slit set seen once is combined without
        rejection, with an ``OutlierWarning``).  The inputs are not modified.
    outlier_threshold : float
        How far from the other exposures a pixel is an outlier, in units of
        the noise of the difference (>= 1; default 5).
    outlier_shift : float
        The misalignment, in input pixels, tolerated where the scene is steep
        (a bright trace) after the fitted shift between exposures is
        corrected: the threshold grows by ``outlier_shift`` times the
        largest step of the model to a neighbouring pixel (0 to 10;
        default 0.02).
    progress_bar : bool
        Show a progress bar (tqdm, on stderr, one step per input drawn;
        off when stderr is not a terminal).
    output_dir : str or path-like, optional
        Where ``single=True`` products go with ``in_memory=False`` (default:
        a new temporary folder, logged); ignored otherwise.  Checked (a
        folder, or one that can be made, that this process may write into)
        before any work.
    n_jobs : int
        Workers to use; -1: every core this process may use.  The slits of
        a multi-slit set are resampled in parallel, on this process and
        forked children where the platform forks and no other thread of
        this process runs (else in threads); one large slit (from 1 Mpx per
        input) shares its threads by bands of its output (columns or rows).
        The results are identical, bit for bit, to ``n_jobs=1``.
        For many machines see :func:`resamplespec.dask.resample`.

    Returns
    -------
    SpectralImage, MultiSlitImage or list of SpectralImage
        A SpectralImage for single-slit inputs; a MultiSlitImage for
        multi-slit inputs; with ``single=True`` one image per input (a list,
        or a MultiSlitImage holding every slit of every input), or with
        ``in_memory=False`` the list of the files they were written to
        (resamplespec ASDF, named after the input file and slit).

    Raises
    ------
    ValueError, TypeError
        A bad option value or type, no inputs, inputs of mismatched shapes,
        a WCS without spectral axis, inputs that do not overlap the grid,
        ``output_wcs`` with a ``spectral_grid`` or ``spectral_sampling`` of
        its own, a wavelength grid too large for memory; inputs of one
        group that do not belong together (different instruments, gratings,
        filters or data units, e.g. ``MJy`` and ``MJy/sr``); no input with
        a usable pixel; an output grid of implausible size for its inputs
        (more than ``limits.MAX_GRID_PER_INPUT_PIXEL`` output pixels per
        input pixel: targets far apart, a WCS that diverges; the message
        names the inputs) or, the user's ``output_shape`` and
        ``output_wcs`` included, larger than the memory available.  All
        before any resampling.

    Warns
    -----
    resamplespec.pipeline.InputWarning
        An exposure without a usable pixel (all NaN or DO_NOT_USE, e.g.
        its ``var_poisson`` NaN everywhere) among good ones: it is left out
        of the result (with ``in_memory=False``, read only when drawn, it
        adds nothing to it, though its WCS and times count).  The
        ``weight_type='ivm'`` cases above.

    Notes
    -----
    Differences from the reference: see the Drizzler notes (edge pixels, NaN
    handling); 'exact' variance, ``spectral_grid`` and ``spectral_sampling``
    are additions.

    On every wavelength grid the data stay densities along the dispersion
    (each output pixel the weighted mean of what lands on it), so that the
    integral over wavelength of each row, sum(data x column width), is
    conserved; the column widths follow from ``meta.wavelength`` (the edge
    between two columns is the mean of their centres).

    A negative variance value is no variance: unknown, as NaN is.  The
    reference takes its square root (NaN) and so leaves that input out of
    the combination of that variance at the output pixels it reaches; the
    'reference' mode does the same, and 'exact' makes the output variance
    NaN there.  ``err`` is the square root of the sum of the variances that
    are known (NaN ones left out, as in the reference), so it stays finite
    where the data are.

    With ``n_jobs > 1`` the slits of a multi-slit set run in separate
    processes: most of a slit's time is Python building its output WCS with
    astropy, which holds the GIL.  The children inherit the inputs (nothing
    is pickled on the way in); each product comes back as soon as it is
    made, its arrays in a shared-memory file mapped here, not copied.
    Within one large slit, threads share the kernel passes (which release
    the GIL).
    """
    options = ResampleOptions.validated(
        pixfrac=pixfrac,
        kernel=kernel,
        fillval=fillval,
        weight_type=weight_type,
        output_shape=output_shape,
        pixel_scale_ratio=pixel_scale_ratio,
        pixel_scale=pixel_scale,
        output_wcs=output_wcs,
        single=single,
        blendheaders=blendheaders,
        in_memory=in_memory,
        propagate_dq=propagate_dq,
        good_bits=good_bits,
        variance=variance,
        covariance=covariance,
        spectral_grid=spectral_grid,
        spectral_sampling=spectral_sampling,
        reject_outliers=reject_outliers,
        outlier_threshold=outlier_threshold,
        outlier_shift=outlier_shift,
    )
    show_progress = validate_flag("progress_bar", progress_bar)
    n_jobs = validate_n_jobs(n_jobs)
    writer = None
    if options.single and not options.in_memory:
        writer = SingleWriter(output_dir)
    try:
        # in_memory=False: the multi-slit files opened for their metadata here
        # stay open for the slits' reads, and are closed below
        multi_slit, groups = slit_groups(models, options)
        with progress(show_progress, sum(len(images) for images in groups.values())) as bar:
            per_group = _map_groups(groups, options, tick=bar.update, writer=writer,
                                    n_jobs=n_jobs)
    finally:
        close_open_files()  # the multi-slit files read slit by slit (in_memory=False)
    return collect_outputs(per_group, multi_slit=multi_slit, single=options.single,
                    written=writer is not None)


def _map_groups(
    groups: dict[Any, list[Any]],
    options: ResampleOptions,
    *,
    tick: Callable[[int], Any] | None,
    writer: Any,
    n_jobs: int,
    run_group: Callable[..., list[Any]] = resample_group,
) -> list[list[Any]]:
    """:func:`resample_group` over every group, in the groups' order, on up to
    ``n_jobs`` processes (:func:`_map_groups_in_processes`) or else threads
    (the threads left over split each group's output rows)."""
    def run(key, images, bands):
        log.info("resampling %s %s from %d exposure(s)", *key, len(images))
        return run_group(images, options, tick=tick, writer=writer, n_jobs=bands)

    workers = min(n_jobs, len(groups))
    if len(groups) == 1:
        images = next(iter(groups.values()))
        return [run_group(images, options, tick=tick, writer=writer, n_jobs=n_jobs)]
    if workers <= 1:
        return [run(key, images, n_jobs) for key, images in groups.items()]
    if can_fork():
        return _map_groups_in_processes(list(groups.values()), options, tick=tick,
                                        writer=writer, workers=workers,
                                        bands=max(1, n_jobs // workers), run_group=run_group)
    log.info("n_jobs=%d: slits in threads, not processes (%s)", n_jobs,
             "another thread runs in this process"
             if "fork" in multiprocessing.get_all_start_methods() else "no fork here")
    if tick is not None:
        tick = locked(tick)
    bands = max(1, n_jobs // len(groups))
    return map_threads(lambda item: run(*item, bands), list(groups.items()), workers=workers,
                       name="resample-slit")


def _map_groups_in_processes(
    groups: list[list[Any]], options: ResampleOptions, *, tick, writer, workers: int,
    bands: int = 1, run_group: Callable[..., list[Any]] = resample_group,
) -> list[list[Any]]:
    """:func:`resample_group` over the groups on ``workers`` processes: this
    one and ``workers - 1`` forked children (:func:`resamplespec.parallel.map_forked`).

    Most of a group's time is Python holding the GIL (building the output
    WCS with astropy, the per-input bookkeeping), so threads overlap little
    but the kernel; processes overlap everything.  The children inherit the
    inputs; only their products (or, written by the children, their file
    names) come back, their arrays through shared memory.  Each process runs
    the same code on the same inputs as one thread would: the results are
    identical bit for bit.  The largest groups are handed out first, so
    that the processes end together.
    """
    def run(k: int) -> list[Any]:
        return run_group(groups[k], options, writer=writer, n_jobs=bands)

    def describe(k: int) -> str:
        return "slit " + ", ".join(sorted({str(m.slit.name or m.filename)
                                           for m in _metas(groups[k])}))

    costs = _group_costs(groups)
    order = sorted(range(len(groups)), key=lambda k: -costs[k])
    by_group = map_forked(run, order, workers=workers, describe=describe,
                          on_finished=None if tick is None else _ticks_of(tick, groups, order))
    return [by_group[k] for k in range(len(groups))]


def _group_costs(groups: list[list[Any]]) -> list[int]:
    """What each group's run costs, roughly: its input pixels, or, where some
    inputs are still in their files, its number of inputs."""
    if all(isinstance(image, SpectralImage) for images in groups for image in images):
        return [sum(image.data.size for image in images) for images in groups]
    return [len(images) for images in groups]


def _ticks_of(tick, groups, order):
    """Progress in inputs from progress in groups (finished, roughly, in the
    order handed out)."""
    sizes = [len(groups[k]) for k in order]
    finished = 0

    def on_finished(n: int) -> None:
        nonlocal finished
        tick(sum(sizes[finished:finished + n]))
        finished += n

    return on_finished


def find_outliers(models: Any, *, n_jobs: int = 1, **options: Any) -> list[Any]:
    """The input pixels that differ from the other exposures beyond their noise.

    What ``resample(models, reject_outliers=True, **options)`` leaves out:
    cosmic rays, hot pixels and other outliers, found on the same grid,
    with the same kernel, weights and options.

    Parameters
    ----------
    models : as for :func:`resample`
        Two exposures or more of each slit.  They are never modified.
    n_jobs : int
        Workers, as for :func:`resample`; the masks are the same.
    **options
        Any option of :func:`resample` (``pixfrac``, ``kernel``,
        ``weight_type``, ``good_bits``, ``output_wcs``...), and:

        ``outlier_threshold`` (float >= 1, default 5)
            How far from the other exposures a pixel is an outlier, in
            units of the noise of the difference.
        ``outlier_shift`` (float, pixels, 0 to 10, default 0.02)
            The misalignment tolerated where the scene is steep.

    Returns
    -------
    list
        One entry per input, in input order: a boolean array of the input's
        shape, True for its outliers; for a multi-slit exposure, a dict of
        such arrays by slit name.

    Raises
    ------
    ValueError, TypeError
        A bad option, or no slit seen in two exposures.

    Warns
    -----
    OutlierWarning
        An input without err or variance arrays (the noise is then estimated
        from the data: 1.4826 times the median absolute deviation of its
        differences from the model, one value per input); an input whose
        every judged pixel was rejected; a slit of a multi-slit set seen in
        one exposure only (not judged: its mask is all False).

    Notes
    -----
    For each slit, every pixel of an input is compared with what the other
    exposures saw at the same place on the sky and wavelength: the pixel's
    centre is taken to the common grid (its pixel map) and from there to
    each other exposure's pixels (that exposure's pixel coordinates,
    drizzled onto the grid), where its data are interpolated (cubic).
    The shift that best aligns each other exposure with this one
    (least squares, within half a pixel) is corrected.  The model is one
    other's value, two others' mean (the lower of the two where they
    disagree beyond the threshold), or the median of three or more.  A
    pixel is an outlier when ``data - model > outlier_threshold * noise +
    outlier_shift * slope``, ``noise`` the square root of the pixel's
    variance (``err``, else the sum of its variances) plus the model's, and
    ``slope`` the largest step of the model from the pixel to a
    neighbour; against three or more others a pixel as far *below* is one
    too (against one or two, a low pixel is the other's outlier).  Pixels
    no other exposure sees (the ends of a nodded slit) are compared with
    the median of their neighbours, two on each side, along the slit or
    along the dispersion, whichever is nearer, above only.  All this is
    done twice, the second time without the outliers found in the other
    exposures.  A pixel flagged already (not among ``good_bits``) is never
    an outlier.

    Measured on the ``datasets`` cases (fixed slit 3 nods, MOS 3 exposures,
    MIRI LRS 2 nods, a peak-SNR-200 curved trace) with cosmic rays and hot
    pixels injected in 0.4% of the pixels (``tests/pipeline/test_outliers.py``,
    ``benchmarks/bench_outliers.py``): of outliers of 10 to 30 times the
    pixel's noise, 99.5-100% found; of exactly 10 times, 98.5-100% (against
    one other exposure the difference has sqrt(2) times a pixel's noise:
    10 sigma is 7 of it); of 5 times, 10-20%.  False flags: under 0.1% of
    the good pixels, with and without outliers, on the bright trace too.
    Not found: outliers that hit two exposures at the same place when only
    those two see it.  The output grid is the one the inputs give without
    rejection.

    Examples
    --------
    >>> import numpy as np
    >>> import resamplespec
    >>> from resamplespec import datasets
    >>> nods = datasets.nirspec_fixed_slit(n_exposures=3, shape=(30, 120), seed=1)
    >>> nods[1]["data"][15, 60] += 100 * nods[1]["err"][15, 60]   # a cosmic ray
    >>> masks = resamplespec.find_outliers(nods)
    >>> [bool(mask[15, 60]) for mask in masks]
    [False, True, False]
    """
    if "reject_outliers" in options:
        raise TypeError("reject_outliers is an option of resample(); find_outliers always "
                        "finds them")
    settings = ResampleOptions.validated(reject_outliers=True, **options)
    n_jobs = validate_n_jobs(n_jobs)
    places: dict[Any, list[Any]] = {}
    try:
        _, groups = slit_groups(models, settings, places=places)
        per_group = _map_groups(groups, settings, tick=None, writer=None, n_jobs=n_jobs,
                                run_group=_outliers_of_group)
    finally:
        close_open_files()
    found: dict[int, Any] = {}
    for (key, images), masks in zip(groups.items(), per_group, strict=True):
        for (k, m), image, mask in zip(places[key], images, masks, strict=True):
            if m is None:
                found[k] = mask
            else:
                found.setdefault(k, {})[image.name if image.name is not None else m] = mask
    return [found[k] for k in range(len(found))]


def _outliers_of_group(images, options, *, tick=None, writer=None, n_jobs=1):
    return group_outliers(images, options, n_jobs=n_jobs)
