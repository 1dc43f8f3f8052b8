"""The chain for one slit group: :func:`resample_group`.

1. copies of the inputs with NaN and DO_NOT_USE made consistent
   (``match_nans_and_flags``);
2. the output grid (:func:`resamplespec.geometry.build_output_grid`), or the
   user's (:func:`resamplespec.geometry.load_output_wcs`);
3. per input: the pixel map (:func:`resamplespec.geometry.pixel_map`), the
   weights and the intensity scale (``_weights``), and one kernel pass
   (:class:`resamplespec.kernel.Drizzler`, or window by window
   :class:`resamplespec.kernel.WindowedDrizzle` for inputs read from files)
   for data, weight, context, the variances and DQ;
4. errors from the variances, ``fillval``, and the output metadata
   (``_metadata``).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import warnings
from typing import Any

import numpy as np

from ..geometry import (
    bounding_box_limits,
    build_output_grid,
    check_spectral_wcs,
    load_output_wcs,
    pixel_map,
)
from ..io import DeferredImage
from ..kernel import Drizzler, InputDraw, PairSums, WindowedDrizzle, pair_covariance
from ..models import (
    VARIANCE_NAMES,
    LazyImages,
    OwnedImage,
    PixelCorrelation,
    SpectralImage,
)
from ..options import ResampleOptions
from ._checks import (
    InputWarning,
    check_inputs_belong_together,
    input_label,
    nan_arrays,
    usable_inputs,
    warn_about_ivm_weights,
)
from ._metadata import _metas, _output_meta
from ._outliers import OUTLIER, MaskedImages, apply_mask, group_outlier_masks
from ._weights import exposure_weight_time, intensity_scale, match_nans_and_flags, pixel_weights

log = logging.getLogger(__name__)


def _check_inputs(images: list[SpectralImage]) -> None:
    for k, image in enumerate(images):
        check_spectral_wcs(image.wcs, input_label(image.meta, k))


def _check_frame(frame: Any) -> None:
    """Check the WCS of an input read without its arrays (in_memory=False)."""
    label = f"{frame.label} (slit {frame.name})" if frame.name else frame.label
    check_spectral_wcs(frame.wcs, label)


def _prepare(image: SpectralImage) -> None:
    """Check one input read from its file and make its NaN and DO_NOT_USE
    agree (in place, on a copy).  Read only when needed, it is already part
    of the grid: an input without a usable pixel is drawn as nothing, with
    a warning (an error comes only if no input draws anything)."""
    _check_inputs([image])
    causes = nan_arrays(image)
    match_nans_and_flags(image)
    if not np.isfinite(image.data).any():
        because = f" (its {', '.join(causes)} NaN everywhere)" if causes else ""
        warnings.warn(f"{input_label(image.meta, 0)}: every data value is NaN (or "
                      f"DO_NOT_USE){because}; it adds nothing to the result",
                      InputWarning, stacklevel=2)


def resample_group(
    images: list[Any], options: ResampleOptions, *, tick=None, writer=None, n_jobs: int = 1
) -> list[Any]:
    """Resample one group (one slit); returns one image, or one per input if single.

    The whole chain for one slit, self-contained: what a thread of
    :func:`resample` or a task of :func:`resamplespec.dask.resample` runs.
    ``images``: SpectralImage (copied here before anything changes them,
    unless resamplespec read it from a file itself) or DeferredImage (read
    here); ``writer``: where single products go (else
    they are returned); ``n_jobs``: threads that share the kernel passes by
    bands of the output.  With ``options.reject_outliers`` the outliers of
    every input (:func:`group_outliers`) are left out of every kernel pass.
    """
    images, deferred, _ = _prepared(images)
    if options.weight_type == "ivm" and not deferred:
        warn_about_ivm_weights(images)
    grid = _group_grid(images, options, deferred, n_jobs)
    if options.weight_type == "ivm" and deferred:
        # after the grid: a bad WCS (met while building it) is the error to report
        warn_about_ivm_weights(images)
    # The variances every input has are resampled; a missing one is None out.
    variance_names = [
        name for name in VARIANCE_NAMES
        if all(_has_array(images, k, name) for k in range(len(images)))
    ]
    draw_map = pixel_map
    outliers = None
    if options.reject_outliers:
        maps = _PixelMaps(keep=not deferred)
        outliers = group_outlier_masks(images, grid, options, maps, section_of=_input_section,
                                       marks="each" if options.single else "any")
        if deferred:
            images = MaskedImages(images, outliers.masks)
        else:
            for image, mask in zip(images, outliers.masks, strict=True):
                apply_mask(image, mask)
        draw_map = maps.take
    # no name here may hold an input: _drizzle releases each once drawn
    image = None
    if options.single:
        outputs = []
        for k in range(len(images)):
            image = images[k]
            product = _finish(
                _drizzle([image], grid, options, variance_names, draw_map, single=True,
                         tick=tick, n_jobs=n_jobs, by_windows=deferred),
                [image], grid, options, variance_names, single=True,
            )
            if outliers is not None:
                _mark_outliers(product, outliers.lost[k], outliers.counts[k:k + 1])
            if writer is not None:
                source = images._deferred[k] if isinstance(images, LazyImages) else image
                product = writer(product, source)
            if isinstance(images, list):
                images[k] = _DrawnInput.of(image)
            del image
            outputs.append(product)
        return outputs
    # no reference kept here: _finish releases the accumulators once finished
    product = _finish(_drizzle(images, grid, options, variance_names, draw_map, single=False,
                               tick=tick, n_jobs=n_jobs, by_windows=deferred),
                      images, grid, options, variance_names, single=False)
    if outliers is not None:
        _mark_outliers(product, outliers.lost_any, outliers.counts)
    return [product]


def group_outliers(images: list[Any], options: ResampleOptions, *, n_jobs: int = 1) -> list[Any]:
    """The outlier masks of one group's inputs (in its order), found on the
    grid :func:`resample_group` would use with the same ``options``."""
    originals = list(images)
    images, deferred, kept = _prepared(images)
    grid = _group_grid(images, options, deferred, n_jobs)
    found = group_outlier_masks(images, grid, options, _PixelMaps(keep=not deferred),
                                section_of=_input_section).masks
    # an input left out (nothing usable; never one still in its file) has no
    # outliers: an empty mask in its place
    masks: list[Any] = [None] * len(originals)
    for k, mask in zip(kept, found, strict=True):
        masks[k] = mask
    return [np.zeros(np.shape(originals[k].data), dtype=bool) if mask is None else mask
            for k, mask in enumerate(masks)]


def _prepared(images: list[Any]) -> tuple[Any, bool, list[int]]:
    """The group's inputs as copies with NaN and DO_NOT_USE made to agree
    (a list, without the inputs that have no usable pixel, each named in a
    warning), or, where some are still in files, a LazyImages that reads
    and prepares them on access; whether it is the latter; and the indices
    of the inputs kept.  Inputs that do not belong together are refused
    first."""
    images = [image if isinstance(image, (DeferredImage, OwnedImage))
              else image.copy(share_wcs=True) for image in images]
    check_inputs_belong_together(_metas(images))
    deferred = any(isinstance(image, DeferredImage) for image in images)
    if deferred:
        for image in images:
            if not isinstance(image, DeferredImage):
                _prepare(image)
        lazy = LazyImages(images, prepare=_prepare, check=_check_frame)
        return lazy, True, list(range(len(images)))
    _check_inputs(images)
    causes = {k: nan_arrays(image) for k, image in enumerate(images)}
    for image in images:
        match_nans_and_flags(image)
    kept = usable_inputs(images, causes)
    return [images[k] for k in kept], False, kept

def _group_grid(images, options: ResampleOptions, deferred: bool, n_jobs: int):
    if options.output_wcs is not None:
        return load_output_wcs(options.output_wcs, options.output_shape, images=images)
    return build_output_grid(
        images,
        pixel_scale_ratio=options.pixel_scale_ratio,
        pixel_scale=options.pixel_scale,
        output_shape=options.output_shape,
        good_bits=options.good_bits,
        keep_samples=not deferred,
        n_jobs=n_jobs,
        spectral_grid=options.spectral_grid,
        spectral_sampling=options.spectral_sampling,
    )


class _PixelMaps:
    """:func:`pixel_map` made once per input and kept (``keep``: inputs in
    memory, whose maps the outlier search and the kernel passes share) for
    :meth:`take`, which hands each over for the last time."""

    def __init__(self, *, keep: bool):
        self._keep = keep
        self._maps: dict[int, np.ndarray] = {}

    def __call__(self, image, grid) -> np.ndarray:
        if not self._keep:
            return pixel_map(image, grid)
        key = id(image)
        if key not in self._maps:
            self._maps[key] = pixel_map(image, grid)
        return self._maps[key]

    def take(self, image, grid) -> np.ndarray:
        found = self._maps.pop(id(image), None)
        return pixel_map(image, grid) if found is None else found


def _mark_outliers(product: SpectralImage, lost, counts: tuple[int, ...]) -> None:
    """Flag OUTLIER the output pixels that lost a contribution, and record
    the input pixels left out."""
    if lost is not None:
        if product.dq is None:
            product.dq = np.zeros(product.shape, dtype=np.uint32)
        product.dq[lost] |= np.asarray(OUTLIER, dtype=product.dq.dtype)
    record = dataclasses.replace(product.meta.resample, outliers_rejected=counts)
    product.meta = product.meta.replace(resample=record)


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
    :class:`~resamplespec.kernel.WindowedDrizzle`) holding ``images``
    drawn onto ``grid``.  The inputs of a list (copies owned here) are
    replaced in it by :class:`_DrawnInput` as they are drawn."""
    if single and options.variance == "reference":
        # The reference drizzles the error array like data for single outputs
        # (and no variances); err**2 through the per-input variance path is
        # the same weighted mean, squared.
        n_variances = 1 if all(im.err is not None for im in images) else 0
    else:
        n_variances = len(variance_names)
    if options.covariance and n_variances == 0:
        names = ", ".join(str(m.slit.name or m.filename) for m in _metas(images))
        raise ValueError(f"covariance=True needs variance arrays (var_rnoise, var_poisson or "
                         f"var_flat) in every input; {names} have none in common")

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
            covariance=options.covariance,
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
    correlation = None
    if result.pairs is not None:
        correlation = _correlation(result.pairs, result.wht, err)
    return SpectralImage(
        data=result.data,
        wcs=grid.wcs,
        meta=_output_meta(images, grid, options),
        dq=result.dq,
        err=err,
        wht=result.wht,
        con=result.con,
        correlation=correlation,
        **arrays,
    )


def _correlation(pairs: PairSums, wht: np.ndarray, err: np.ndarray) -> PixelCorrelation:
    """The correlation planes of the product, without the planes that are 0
    everywhere (offsets a footprint's bounding box reached but no weight
    did), so that the planes kept do not depend on how the grid was split
    into windows."""
    # the sums are the finished result's own: turned into correlations in place
    correlation = pair_covariance(pairs, wht, err, overwrite=True)
    keep = [p for p in range(len(correlation)) if correlation[p].any()]
    if len(keep) == len(correlation):  # nothing to drop: no copy of the planes
        return PixelCorrelation(offsets=pairs.offsets, values=correlation)
    # a copy of the kept planes, so that the product holds only those
    return PixelCorrelation(offsets=pairs.offsets[keep], values=correlation[keep])


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


def _has_array(images, index: int, name: str) -> bool:
    if isinstance(images, LazyImages):
        return images.has_array(index, name)
    return getattr(images[index], name) is not None


