"""The processing chain: :func:`resample`.

For each group of inputs (one slit, or one named slit across the exposures of
a multi-slit set), in order:

1. copies of the inputs with NaN and DO_NOT_USE made consistent
   (:func:`resamplespec.weights.match_nans_and_flags`);
2. the output grid (:mod:`resamplespec.wcs`), unless ``output_wcs`` is given;
3. per input: the pixel map (:mod:`resamplespec.pixmap`), the weights and the
   intensity scale (:mod:`resamplespec.weights`), and one kernel pass
   (:class:`resamplespec.Drizzler`) for data, weight, context, the three
   variances and DQ;
4. errors from the variances, ``fillval``, and the output metadata.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import multiprocessing
import os
import tempfile
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .dqflags import DEFAULT_GOOD_BITS
from .drizzler import Drizzler
from .models import (
    VARIANCE_NAMES,
    ExposureTimes,
    MultiSlitImage,
    ResampleRecord,
    SlitInfo,
    SpectralImage,
    _OwnedImage,
    as_spectral_inputs,
)
from .options import ResampleOptions, validate_flag, validate_n_jobs
from .weights import exposure_weight_time, intensity_scale, match_nans_and_flags, pixel_weights

__all__ = ["resample"]

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
        Linear shrink factor of input pixels, 0 < pixfrac <= 1.
    kernel : {'square', 'point'}
        Other drizzle kernels do not conserve spectral flux and are refused.
    fillval : str or float
        Data value where no input contributed: 'NAN', 'INDEF' (0), a number
        or a number string.
    weight_type : {'ivm', 'exptime', None}
        Input weighting: inverse read-noise variance per pixel, the
        measurement time (else the exposure time), or equal weights.
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
        time, and released after use (:mod:`resamplespec.lazy`); with
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
    progress_bar : bool
        Show a progress bar (tqdm, on stderr, one step per input drawn;
        off when stderr is not a terminal).
    output_dir : str or path-like, optional
        Where ``single=True`` products go with ``in_memory=False`` (default:
        a new temporary folder, logged); ignored otherwise.
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
        a WCS without spectral axis, inputs that do not overlap the grid.

    Notes
    -----
    Differences from the reference: see the Drizzler notes (edge pixels, NaN
    handling); 'exact' variance is an addition.

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
    )
    progress_bar = validate_flag("progress_bar", progress_bar)
    n_jobs = validate_n_jobs(n_jobs)
    writer = None
    if options.single and not options.in_memory:
        writer = _SingleWriter(output_dir)
    from .lazy import _OPEN_FILES

    try:
        # in_memory=False: the multi-slit files opened for their metadata here
        # stay open for the slits' reads, and are closed below
        multi_slit, groups = _slit_groups(models, options)
        with _progress(progress_bar, sum(len(images) for images in groups.values())) as bar:
            per_group = _map_groups(groups, options, tick=bar.update, writer=writer,
                                    n_jobs=n_jobs)
    finally:
        _OPEN_FILES.clear()  # the multi-slit files read slit by slit (in_memory=False)
    return _collect(per_group, multi_slit=multi_slit, single=options.single,
                    written=writer is not None)


def _slit_groups(models: Any, options: ResampleOptions) -> tuple[bool, dict[Any, list[Any]]]:
    """Whether the inputs are multi-slit, and their groups (one per output slit):
    the images of each, read or (``in_memory=False``) deferred.

    The images share the caller's arrays: :func:`_resample_group` copies a
    group's images when it starts on them, so that copies of every input of
    a multi-slit set are never in memory at once.
    """
    exposures = as_spectral_inputs(models, defer_paths=not options.in_memory,
                                   copy_arrays=False)
    multi_slit = any(isinstance(exposure, list) for exposure in exposures)
    groups = _group_by_slit(exposures) if multi_slit else {("input", "all"): list(exposures)}
    return multi_slit, groups


def _collect(per_group: list[list[Any]], *, multi_slit: bool, single: bool, written: bool):
    """What :func:`resample` returns, from the outputs of every group in order."""
    if not multi_slit:
        outputs = per_group[0]
        return outputs if single else outputs[0]
    slits = [slit for outputs in per_group for slit in outputs]
    if written:
        return slits
    return MultiSlitImage(slits, meta=slits[0].meta if slits else None)


class _SingleWriter:
    """Writes single=True products as they are made (in_memory=False).

    ``overwrite``: replace a file of the same name (a task that Dask runs
    again after losing its worker must be able to write its products again).
    """

    def __init__(self, output_dir: str | os.PathLike | None, *, overwrite: bool = False) -> None:
        self.overwrite = overwrite
        if output_dir is None:
            output_dir = tempfile.mkdtemp(prefix="resamplespec-single-")
            log.info("single products go to %s", output_dir)
        elif not isinstance(output_dir, (str, os.PathLike)):
            raise TypeError(f"output_dir must be a folder name, got {output_dir!r}")
        self.folder = Path(output_dir)
        self.folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, product: SpectralImage, source: Any) -> Path:
        from .io import write

        stem = Path(source.path).stem if hasattr(source, "path") else (
            Path(source.meta.filename).stem if source.meta.filename else "input")
        name = f"_{product.name}" if product.name else ""
        path = self.folder / f"{stem}{name}_single_s2d.asdf"
        return write(product, path, overwrite=self.overwrite)


def _progress(enabled: bool, total: int):
    """A tqdm bar over the inputs drawn (disabled: a no-op with the same API,
    without importing tqdm, whose modules cost 1.5 MB on first use)."""
    if not enabled:
        return _NoProgress()
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="input", desc="resampling", leave=False, disable=None)


class _NoProgress:
    """The progress bar when it is off."""

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False

    def update(self, steps: int) -> None:
        pass


def _map_groups(
    groups: dict[Any, list[Any]],
    options: ResampleOptions,
    *,
    tick: Callable[[int], Any] | None,
    writer: Any,
    n_jobs: int,
) -> list[list[Any]]:
    """:func:`_resample_group` over every group, in the groups' order, on up to
    ``n_jobs`` processes (:func:`_map_groups_in_processes`) or else threads
    (the threads left over split each group's output rows)."""
    def run(key, images, bands):
        log.info("resampling %s %s from %d exposure(s)", *key, len(images))
        return _resample_group(images, options, tick=tick, writer=writer, n_jobs=bands)

    workers = min(n_jobs, len(groups))
    if len(groups) == 1:
        images = next(iter(groups.values()))
        return [_resample_group(images, options, tick=tick, writer=writer, n_jobs=n_jobs)]
    if workers <= 1:
        return [run(key, images, n_jobs) for key, images in groups.items()]
    if _can_fork():
        return _map_groups_in_processes(list(groups.values()), options, tick=tick,
                                        writer=writer, workers=workers,
                                        bands=max(1, n_jobs // workers))
    log.info("n_jobs=%d: slits in threads, not processes (%s)", n_jobs,
             "another thread runs in this process"
             if "fork" in multiprocessing.get_all_start_methods() else "no fork here")
    if tick is not None:
        tick = _locked(tick)
    # warnings.catch_warnings (used down the chain) is not thread-safe: the
    # filters the threads save and restore can interleave.  Restoring them
    # here, once every thread is done, leaves the caller's filters as found.
    with warnings.catch_warnings(), ThreadPoolExecutor(
        workers, thread_name_prefix="resample-slit"
    ) as pool:
        futures = [pool.submit(run, key, images, max(1, n_jobs // len(groups)))
                   for key, images in groups.items()]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _can_fork() -> bool:
    """Whether slit groups may run in forked processes: the platform forks,
    and no other thread runs here (a fork copies only the calling thread,
    and locks another thread holds would stay locked in the child).  tqdm's
    monitor thread (of our progress bar or the caller's) is no obstacle: it
    only touches tqdm's own lock, and the children draw no bars."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    from tqdm._monitor import TMonitor

    others = [t for t in threading.enumerate() if t is not threading.current_thread()]
    return all(isinstance(t, TMonitor) for t in others)


def _map_groups_in_processes(
    groups: list[list[Any]], options: ResampleOptions, *, tick, writer, workers: int,
    bands: int = 1,
) -> list[list[Any]]:
    """:func:`_resample_group` over the groups on ``workers`` processes: this
    one and ``workers - 1`` forked children (:func:`._forked.map_forked`).

    Most of a group's time is Python holding the GIL (building the output
    WCS with astropy, the per-input bookkeeping), so threads overlap little
    but the kernel; processes overlap everything.  The children inherit the
    inputs; only their products (or, written by the children, their file
    names) come back, their arrays through shared memory.  Each process runs
    the same code on the same inputs as one thread would: the results are
    identical bit for bit.  The largest groups are handed out first, so
    that the processes end together.
    """
    from ._forked import map_forked

    def run(k: int) -> list[Any]:
        return _resample_group(groups[k], options, writer=writer, n_jobs=bands)

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


def _locked(tick: Callable[[int], Any]) -> Callable[[int], Any]:
    """``tick`` made safe to call from several threads."""
    lock = threading.Lock()

    def locked_tick(steps: int) -> None:
        with lock:
            tick(steps)

    return locked_tick


def _group_by_slit(exposures: Sequence[Any]) -> dict[Any, list[SpectralImage]]:
    """Slits of a multi-slit set grouped by source across exposures.

    The key is, as in the reference, the source name, else the source id;
    slits with neither are grouped by slit name.  Groups keep the order in
    which they are first seen (exposure by exposure, slit by slit).
    """
    groups: dict[Any, list[SpectralImage]] = {}
    for k, exposure in enumerate(exposures):
        slits = exposure if isinstance(exposure, list) else [exposure]
        for m, slit in enumerate(slits):
            info = slit.meta.slit
            if info.source_name:
                key = ("source", info.source_name)
            elif info.source_id is not None:
                key = ("source", str(info.source_id))
            elif slit.name is not None:
                key = ("slit", slit.name)
            else:
                key = ("input", f"models[{k}][{m}]")
            groups.setdefault(key, []).append(slit)
    return groups


def _check_inputs(images: list[SpectralImage]) -> None:
    from .wcs import _check_spectral_wcs

    for k, image in enumerate(images):
        label = image.name or image.meta.filename or f"input {k}"
        _check_spectral_wcs(image.wcs, label)
        if np.isnan(np.asarray(image.data, dtype=np.float64)).all():
            raise ValueError(f"{label}: every data value is NaN; nothing to resample")


def _check_frame(frame: Any) -> None:
    """Check the WCS of an input read without its arrays (in_memory=False)."""
    from .wcs import _check_spectral_wcs

    label = f"{frame.label} (slit {frame.name})" if frame.name else frame.label
    _check_spectral_wcs(frame.wcs, label)


def _prepare(image: SpectralImage) -> None:
    """Check one input and make its NaN and DO_NOT_USE agree (in place, on a copy)."""
    _check_inputs([image])
    match_nans_and_flags(image)


def _resample_group(
    images: list[Any], options: ResampleOptions, *, tick=None, writer=None, n_jobs: int = 1
) -> list[Any]:
    """Resample one group (one slit); returns one image, or one per input if single.

    The whole chain for one slit, self-contained: what a thread of
    :func:`resample` or a task of :func:`resamplespec.dask.resample` runs.
    ``images``: SpectralImage (copied here before anything changes them,
    unless resamplespec read it from a file itself) or DeferredImage (read
    here); ``writer``: where single products go (else
    they are returned); ``n_jobs``: threads that share the kernel passes by
    bands of the output.
    """
    from .lazy import DeferredImage, LazyImages
    from .pixmap import pixel_map
    from .wcs import build_output_grid, load_output_wcs

    images = [image if isinstance(image, (DeferredImage, _OwnedImage))
              else image.copy(share_wcs=True) for image in images]
    deferred = any(isinstance(image, DeferredImage) for image in images)
    if deferred:
        for image in images:
            if not isinstance(image, DeferredImage):
                _prepare(image)
        images = LazyImages(images, prepare=_prepare, check=_check_frame)
    else:
        _check_inputs(images)
        for image in images:
            match_nans_and_flags(image)
    # no name here may hold an input: _drizzle releases each once drawn
    image = None

    if options.output_wcs is not None:
        grid = load_output_wcs(options.output_wcs, options.output_shape, images=images)
    else:
        grid = build_output_grid(
            images,
            pixel_scale_ratio=options.pixel_scale_ratio,
            pixel_scale=options.pixel_scale,
            output_shape=options.output_shape,
            good_bits=options.good_bits,
            keep_samples=not deferred,
            n_jobs=n_jobs,
        )
    # The variances every input has are resampled; a missing one is None out.
    variance_names = [
        name for name in VARIANCE_NAMES
        if all(_has_array(images, k, name) for k in range(len(images)))
    ]
    if options.single:
        outputs = []
        for k in range(len(images)):
            image = images[k]
            product = _finish(
                _drizzle([image], grid, options, variance_names, pixel_map, single=True,
                         tick=tick, n_jobs=n_jobs, by_windows=deferred),
                [image], grid, options, variance_names, single=True,
            )
            if writer is not None:
                source = images._deferred[k] if isinstance(images, LazyImages) else image
                product = writer(product, source)
            if isinstance(images, list):
                images[k] = _DrawnInput.of(image)
            del image
            outputs.append(product)
        return outputs
    # no reference kept here: _finish releases the accumulators once finished
    return [_finish(_drizzle(images, grid, options, variance_names, pixel_map, single=False,
                             tick=tick, n_jobs=n_jobs, by_windows=deferred),
                    images, grid, options, variance_names, single=False)]


@dataclasses.dataclass(frozen=True)
class _DrawnInput:
    """What is left of an input once drawn: the metadata and WCS that the
    output's metadata needs, without its arrays (released right away, so
    that a group's inputs do not outlive their kernel pass)."""

    meta: Any
    wcs: Any

    @classmethod
    def of(cls, image: SpectralImage) -> _DrawnInput:
        return cls(image.meta, image.wcs)


def _drizzle(images, grid, options, variance_names, pixel_map, *, single, tick=None,
             n_jobs=1, by_windows=False):
    """The Drizzler (or, ``by_windows``, for inputs read from files, the
    :class:`~resamplespec.windows.WindowedDrizzle`) holding ``images``
    drawn onto ``grid``.  The inputs of a list (copies owned here) are
    replaced in it by :class:`_DrawnInput` as they are drawn."""
    from .windows import WindowedDrizzle

    if single and options.variance == "reference":
        # The reference drizzles the error array like data for single outputs
        # (and no variances); err**2 through the per-input variance path is
        # the same weighted mean, squared.
        n_variances = 1 if all(im.err is not None for im in images) else 0
    else:
        n_variances = len(variance_names)

    def make_drizzler(window=None):
        return Drizzler(
            grid.shape,
            kernel=options.kernel,
            pixfrac=options.pixfrac,
            fillval=options.fillval,
            n_variances=n_variances,
            variance_mode=options.variance,
            propagate_dq=options.propagate_dq,
            context=True,
            n_jobs=n_jobs,
            window=window,
        )

    draws = _input_draws(images, grid, options, variance_names, pixel_map, single=single,
                         n_variances=n_variances)
    if by_windows:
        # read from files: the sums go window by window, within one input's size
        drizzler = WindowedDrizzle(make_drizzler, grid.shape, grid.dispersion_axis,
                                   point=options.kernel == "point")
        drizzler.run(draws, len(images), tick)
        drawn = drizzler.drawn
    else:
        drizzler = make_drizzler()
        drawn = 0
        for draw in draws:
            drawn += draw.add_to(drizzler).drawn
            del draw
            if tick is not None:
                tick(1)
    if drawn == 0:
        names = ", ".join(str(m.slit.name or m.filename) for m in _metas(images))
        raise ValueError(f"no input pixel of {names} falls on the output grid")
    return drizzler


def _input_draws(images, grid, options, variance_names, pixel_map, *, single, n_variances):
    """For each input in turn, what its kernel pass takes (an InputDraw);
    an input of a list (a copy owned here) is replaced in it by
    :class:`_DrawnInput` once its draw is made, so that its arrays go
    before the next input's are made."""
    from .lazy import LazyImages
    from .windows import InputDraw

    for k in range(len(images)):
        image = images[k]
        if single and options.variance == "reference":
            variances = (np.square(image.err),) if n_variances else ()
        else:
            variances = tuple(getattr(image, name) for name in variance_names)
        draw = InputDraw(
            data=image.data,
            pixmap=pixel_map(image, grid),
            weights=pixel_weights(image, options.weight_type, options.good_bits),
            iscale=intensity_scale(image, grid.pixel_scale_ratio),
            variances=variances,
            dq=image.dq if options.propagate_dq else None,
            variance_weight=_variance_weight(image, options, variance_names, single),
            section=_input_section(image),
        )
        if isinstance(images, list):
            images[k] = _DrawnInput.of(image)
        del image, variances
        yield draw
        del draw
    if isinstance(images, LazyImages):
        images.release()  # the last input read goes before the windows are drawn


def _variance_weight(image, options, variance_names, single):
    if options.variance != "reference" or single:
        return None
    if options.weight_type == "ivm":
        return "ivm" if variance_names and variance_names[0] == "var_rnoise" else None
    if options.weight_type == "exptime":
        return exposure_weight_time(image)
    return None


def _input_section(image: SpectralImage) -> dict[str, int]:
    """The input pixels inside the WCS bounding box, as the reference picks them:
    box limits rounded half up, clipped to the array."""
    from .pixmap import bounding_box_limits

    limits = bounding_box_limits(image.wcs)
    if limits is None:
        return {}
    ny, nx = image.shape
    (x1, x2), (y1, y2) = limits
    xmin = min(max(0, int(x1 + 0.5)), nx - 1)
    ymin = min(max(0, int(y1 + 0.5)), ny - 1)
    xmax = max(xmin, min(nx - 1, int(x2 + 0.5)))
    ymax = max(ymin, min(ny - 1, int(y2 + 0.5)))
    return {"xmin": xmin, "xmax": xmax, "ymin": ymin, "ymax": ymax}


def _finish(drizzler, images, grid, options, variance_names, *, single) -> SpectralImage:
    """The output image from a Drizzler that nothing else holds: its
    double-precision accumulators are released once finished, before the
    errors are computed."""
    result = drizzler.finish()
    del drizzler
    ratio = grid.pixel_scale_ratio
    arrays: dict[str, np.ndarray | None] = {name: None for name in VARIANCE_NAMES}
    err = None
    if single and options.variance == "reference":
        if result.variances:
            # drizzled err, scaled as the reference scales it
            err = (np.sqrt(result.variances[0]) * math.sqrt(ratio)).astype(np.float32)
    else:
        # The reference multiplies resampled variances by the pixel scale
        # ratio; exact variances are already those of the output values.
        scale = ratio if options.variance == "reference" else 1.0
        for name, values in zip(variance_names, result.variances, strict=True):
            # in place: the float32 product of values * float32(scale), no copy
            arrays[name] = np.multiply(values, np.float32(scale), out=values)
        if variance_names:
            err = _error_from_variances([arrays[name] for name in variance_names])
    return SpectralImage(
        data=result.data,
        wcs=grid.wcs,
        meta=_output_meta(images, grid, options),
        dq=result.dq,
        err=err,
        wht=result.wht,
        con=result.con,
        **arrays,
    )


def _error_from_variances(variances: list[np.ndarray]) -> np.ndarray:
    """sqrt of the sum of the variances, NaN ignored; NaN where all are NaN.

    The sum is ``np.nansum`` of the stacked variances, in its order (the
    first, plus the second, plus the third), made one variance at a time
    so that no stack of them is ever made: the temporaries stay one
    product's size."""
    total = np.array(variances[0], dtype=np.float32)
    all_nan = np.isnan(total)
    total[all_nan] = 0.0
    for values in variances[1:]:
        missing = np.isnan(values)
        all_nan &= missing
        np.add(total, values, out=total, where=~missing)
    err = np.sqrt(total, out=total)
    err[all_nan] = np.nan
    return err


def _metas(images) -> list:
    """The inputs' metadata (without reading deferred inputs' arrays)."""
    from .lazy import LazyImages

    if isinstance(images, LazyImages):
        return [images.meta(k) for k in range(len(images))]
    return [image.meta for image in images]


def _has_array(images, index: int, name: str) -> bool:
    from .lazy import LazyImages

    if isinstance(images, LazyImages):
        return images.has_array(index, name)
    return getattr(images[index], name) is not None


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
    from .wcs import _is_sky_like

    if not _is_sky_like(grid.wcs.output_frame):
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
    from gwcs.wcstools import grid_from_bounding_box

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
        from .wcs import _apply

        ra, dec = _apply(grid.wcs.forward_transform, x.ravel(), y.ravel())[:2]
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
    from astropy import units as u
    from astropy.coordinates import SkyCoord

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
