"""Outliers found while combining: :func:`group_outlier_masks`.

The method, for one slit group of K >= 2 exposures on their common grid
(measured against a median of the drizzled ``single=True`` products blotted
back to each input: see ``benchmarks/README.md``):

1. where each input's pixels are, seen from the grid: its pixel
   coordinates drizzled (the inverse of its pixel map);
2. for every usable pixel of input k, the value every other input j has at
   the same place: k's pixel map to the grid, j's coordinate map back to
   j's pixels, cubic interpolation of j's data (and of its variance);
   no drizzle smoothing, so that nodded exposures (whole-pixel offsets)
   agree to their noise even on a bright trace.  The misalignment of j
   against k (pointing errors: hundredths of a pixel, many times the noise
   of a bright trace) is fitted by least squares and corrected;
3. the model of the pixel: one other's value as it is; two others' mean,
   or, where they disagree beyond the threshold, the lower; three or more
   others' median (with pi / 2 times the variance of their mean);
4. a pixel is an outlier when ``data - model > outlier_threshold * noise +
   outlier_shift * slope``: ``noise`` is the square root of the pixel's
   variance (``err``, else the sum of its variances) plus the model's,
   ``slope`` the largest step of the model from the pixel to one of its
   four neighbours, so that ``outlier_shift`` is the misalignment (pixels)
   tolerated on a steep model.  Against three others or more a pixel
   *below* its model by as much is an outlier too; against one or two only
   pixels above count (cosmic rays and hot pixels are high; a low pixel
   against one other is the other's outlier);
5. pixels no other exposure sees (the ends of nodded slits) are judged
   against the nearer (in value) of two medians of their own neighbours,
   two on each side along the slit and along the dispersion (a cosmic ray
   is far from both; a trace is smooth along the dispersion, a line along
   the slit);
6. steps 2-4 are run a second time with the outliers found in the other
   exposures left out of the models (two exposures hit at the same place).

Inputs without errors: the noise of the differences is estimated for each
input from the differences themselves (1.4826 times their median absolute
deviation), one value for the whole input, with an :class:`OutlierWarning`.
"""

from __future__ import annotations

import logging
import math
import tempfile
import warnings
from typing import Any

import numpy as np

from ..dqflags import JWST_DQ_FLAGS
from ..kernel import (
    Drizzler,
    combine_estimates,
    coordinate_maps,
    interpolate,
    interpolate_through,
    judge_pixels,
    neighbour_models,
    steep_slopes,
)
from ..models import VARIANCE_NAMES, LazyImages, SpectralImage
from ..options import ResampleOptions
from ._metadata import _metas
from ._weights import intensity_scale, match_nans_and_flags, pixel_weights

log = logging.getLogger(__name__)

_DO_NOT_USE = JWST_DQ_FLAGS["DO_NOT_USE"]
#: Flag of an output pixel that lost a contribution to outlier rejection.
OUTLIER = JWST_DQ_FLAGS["OUTLIER"]
# The part of the interpolation weight that known neighbours must hold.
_KNOWN_WEIGHT = 0.5
# Fewest pixels a shift between two exposures is fitted on.
_FIT_PIXELS = 50
# Model values this many times their noise are fitted and shifted.
_SIGNIFICANT = 5.0
# Consistency factor of the median absolute deviation of a Gaussian.
_MAD_TO_SIGMA = 1.4826


class OutlierWarning(UserWarning):
    """Outlier rejection could not work as asked: an input without errors
    (noise estimated from the data), or an input rejected entirely."""


class GroupOutliers:
    """What :func:`group_outlier_masks` found for one group.

    Attributes
    ----------
    masks : list of bool arrays
        Per input (group order), its shape: True for the outliers.
    lost : list of bool arrays or None
        Per input, the output pixels its outliers would have reached
        (None where it has none); only when asked for (``marks='each'``).
    lost_any : bool array or None
        The output pixels that lost a contribution of any input (None if
        none did); only when asked for (``marks='any'``).
    """

    def __init__(self, masks: list[np.ndarray], *, lost: list[np.ndarray | None] | None = None,
                 lost_any: np.ndarray | None = None):
        self.masks = masks
        self.lost = lost
        self.lost_any = lost_any

    @property
    def counts(self) -> tuple[int, ...]:
        return tuple(int(np.count_nonzero(mask)) for mask in self.masks)


def group_outlier_masks(
    images: Any, grid: Any, options: ResampleOptions, pixel_map, *, section_of,
    marks: str | None = None,
) -> GroupOutliers:
    """The outliers of each input of one group (see the module notes).

    ``images``: the group's prepared inputs (a list, or LazyImages read on
    access); ``pixel_map(image, grid)``: each input's pixel map;
    ``section_of(image)``: the input pixels to drizzle (bounding box);
    ``marks``: the output pixels that lost a contribution, found for each
    input (``'each'``: single products), for all together (``'any'``) or
    not at all (None).
    """
    n_inputs = len(images)
    if n_inputs < 2:
        warnings.warn(
            f"{_names(images)}: in one exposure only; nothing to judge its pixels against, "
            "so no outlier is rejected there", OutlierWarning, stacklevel=4)
        return GroupOutliers([np.zeros(images[0].shape, dtype=bool)],
                             lost=[None] if marks == "each" else None)
    deferred = isinstance(images, LazyImages)
    # Where each input's pixels are, seen from the output grid: its pixel
    # coordinates drizzled (weight 1 over its whole section, flags ignored,
    # so that bad pixels leave no hole): the inverse of its pixel map.
    coordinates = _product_stack(n_inputs, (2, *grid.shape), on_disk=deferred)
    for j in range(n_inputs):
        image = images[j]
        coordinate_maps(pixel_map(image, grid), grid.shape, kernel=options.kernel,
                        pixfrac=options.pixfrac, out=coordinates[j], **section_of(image))
        del image

    # Twice: the second time without the outliers the first found in the
    # other exposures, which would otherwise raise the models near them
    cache = _Inputs(images, options, grid, on_disk=deferred)
    first = _judge_each(cache, coordinates, grid, options, pixel_map, exclude=None)
    second = _judge_each(cache, coordinates, grid, options, pixel_map,
                         exclude=[judged.mask for judged in first])
    del cache
    masks: list[np.ndarray] = []
    reach = _Reach(grid, options, marks)
    without_errors = []
    for k, (before, judged) in enumerate(zip(first, second, strict=True)):
        image = images[k]
        label = _label(image, k)
        mask = before.mask | judged.mask
        if before.estimated:
            without_errors.append(label)
        if before.all_judged:
            warnings.warn(
                f"{label}: every one of its pixels that another exposure judged was rejected "
                "as an outlier; it contributes nothing there (is it of the same scene, flux "
                "scale and background as the others?)",
                OutlierWarning, stacklevel=4)
        masks.append(mask)
        reach.add(mask, image, pixel_map(image, grid), section_of(image))
        del image
    if without_errors:
        warnings.warn(
            f"{', '.join(without_errors)}: no err or variance arrays; the outlier threshold "
            "is in units of a noise estimated from the data (1.4826 x the median absolute "
            "deviation of each input's differences from the model)",
            OutlierWarning, stacklevel=4)
    log.info("outliers rejected per input: %s", [int(m.sum()) for m in masks])
    return GroupOutliers(masks, lost=reach.each, lost_any=reach.any())


def check_outlier_groups(groups: dict[Any, list[Any]], options: ResampleOptions) -> None:
    """Raise before any work if ``reject_outliers`` has nothing to judge:
    no slit seen in two exposures or more."""
    if options.reject_outliers and all(len(images) < 2 for images in groups.values()):
        raise ValueError(
            "reject_outliers needs at least two exposures of a slit to judge a pixel "
            f"against; got one exposure of {len(groups)} slit(s)")


def _names(images) -> str:
    return ", ".join(sorted({str(m.slit.name or m.filename or "input") for m in _metas(images)}))


def apply_mask(image: SpectralImage, mask: np.ndarray) -> None:
    """Leave the pixels of ``mask`` out of ``image`` (a copy): flagged
    DO_NOT_USE, hence NaN in data and errors."""
    if mask is not None and mask.any():
        if image.dq is None:
            image.dq = np.zeros(image.shape, dtype=np.uint32)
        image.dq[mask] |= np.asarray(_DO_NOT_USE, dtype=image.dq.dtype)
        arrays = [image.data] + [getattr(image, name) for name in ("err", *VARIANCE_NAMES)]
        arrays = [values for values in arrays if values is not None]
        if all(values.dtype.kind == "f" for values in arrays):
            for values in arrays:
                values[mask] = np.nan
        else:  # not made float yet: the whole image made to agree
            match_nans_and_flags(image)


class MaskedImages(LazyImages):
    """The images of a LazyImages with their outliers left out whenever read."""

    def __init__(self, images: LazyImages, masks: list[np.ndarray]):
        super().__init__(images._deferred, images._prepare, images._check)
        self._masks = masks

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        image = super().__getitem__(index)
        apply_mask(image, self._masks[range(len(self))[index]])
        return image


def _drizzler(shape, options: ResampleOptions) -> Drizzler:
    return Drizzler(shape, kernel=options.kernel, pixfrac=options.pixfrac, fillval="NAN",
                    n_variances=0, context=False)


def _product_stack(n_inputs: int, shape, *, on_disk: bool) -> np.ndarray:
    """Room for K arrays of ``shape``: in memory, or (inputs read from
    files, ``in_memory=False``) in a temporary file mapped to memory."""
    if not on_disk:
        return np.empty((n_inputs, *shape), dtype=np.float32)
    with tempfile.TemporaryFile(prefix="resamplespec-outliers-") as handle:
        # the mapping outlives the file's handle (and the file its name)
        return np.memmap(handle, dtype=np.float32, mode="w+", shape=(n_inputs, *shape))


def _judge_each(cache: _Inputs, coordinates, grid, options, pixel_map, *,
                exclude) -> list[_Judged]:
    """Every input judged against the others; with ``exclude``, without
    those pixels of the others, and only where that changes a model (the
    pixels whose models took some of them, and their neighbours, whose
    slopes did: elsewhere the judgement would be the same)."""
    found = []
    for k in range(len(cache.images)):
        judge_only = None
        own = None if exclude is None else exclude[k]
        if exclude is not None and cache.variance(k) is not None:
            touched = _touched(cache, k, cache.usable(k), coordinates, exclude)
            # and the pixels whose own neighbours (two on each side) were found
            judge_only = _grown(touched) | _grown(_grown(own))
            if not judge_only.any():
                found.append(_Judged(np.zeros(own.shape, dtype=bool), False, False))
                continue
        image = cache.images[k]
        pixmap = pixel_map(image, grid)
        # the first pass's (kept for inputs in memory), or made again
        usable = cache.modelled.get(k)
        if usable is None:
            usable = cache.usable(k) & _mapped(pixmap)
        modelled = usable if judge_only is None else usable & _grown(judge_only)
        models = _models_from_others(cache, k, pixmap, modelled, coordinates, grid, options,
                                     exclude)
        found.append(_judge(image, usable, models, options, judge_only=judge_only,
                            own_outliers=own))
        if exclude is None:
            cache.places[k] = _places(pixmap, found[-1].mask)
        del image, pixmap, models
    return found


def _touched(cache: _Inputs, k, usable, coordinates, exclude) -> np.ndarray:
    """The usable pixels of input ``k`` whose models may take some
    ``exclude`` pixel of another input (the first outliers found): those
    pixels' places on the grid taken to k's pixels (k's coordinate map), and the
    pixels up to three from them (the cubic interpolation and the slopes
    reach two and a half pixels)."""
    touched = np.zeros(usable.shape, dtype=bool)
    ny, nx = usable.shape
    for j in range(len(cache.images)):
        if j == k or not exclude[j].any():
            continue
        places = cache.places[j]
        x = interpolate(coordinates[k][0], places[:, 0], places[:, 1])[0]
        y = interpolate(coordinates[k][1], places[:, 0], places[:, 1])[0]
        known = np.isfinite(x) & np.isfinite(y)
        ix = np.clip(np.floor(x[known] + 0.5).astype(np.int64), 0, nx - 1)
        iy = np.clip(np.floor(y[known] + 0.5).astype(np.int64), 0, ny - 1)
        touched[iy, ix] = True
    return _grown(_grown(_grown(touched))) & usable


def _takes_from(pixels: np.ndarray, x, y) -> np.ndarray:
    """Whether a model at (x, y) of an image takes any of its ``pixels``:
    the cubic interpolation's 4 x 4 and the slopes half a pixel on each
    side reach two pixels from the point's cell."""
    reach = _grown(_grown(pixels))
    return interpolate(reach.astype(np.float32), x, y, min_weight=1e-9)[0] > 0


def _places(pixmap: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``pixmap[mask]``: the (n, 2) grid places of the pixels of ``mask``,
    taken as rows of the flattened map (20 times faster than indexing the
    map with a 2D mask)."""
    return np.compress(mask.ravel(), pixmap.reshape(-1, 2), axis=0)


def _mapped(pixmap: np.ndarray) -> np.ndarray:
    """The pixels whose place on the grid (both coordinates) is finite:
    ``np.isfinite(pixmap).all(axis=-1)``, whose reduction over pairs is 25
    times slower than reading each pair of flags as one 16-bit word."""
    finite = np.empty(pixmap.shape, dtype=bool)  # C order, whatever the map's
    np.isfinite(pixmap, out=finite)
    return finite.view(np.uint16)[..., 0] == 0x0101


def _grown(mask: np.ndarray) -> np.ndarray:
    """``mask`` and the four neighbours of each of its pixels."""
    grown = mask.copy()
    grown[1:] |= mask[:-1]
    grown[:-1] |= mask[1:]
    grown[:, 1:] |= mask[:, :-1]
    grown[:, :-1] |= mask[:, 1:]
    return grown


class _Inputs:
    """The group's inputs and what judging takes from each again and again:
    its data as float32 (NaN where unusable), its variance and its
    intensity scale, made once: in memory for inputs in memory, in a
    temporary file mapped to memory for inputs read from files (so that
    judging an input reads the others from there, not from their files);
    and the shift fitted between each pair."""

    def __init__(self, images, options, grid, *, on_disk: bool):
        self.images = images
        self._options = options
        self._ratio = grid.pixel_scale_ratio
        self._on_disk = on_disk
        self._arrays: dict[int, tuple] = {}
        self.shifts: dict[tuple[int, int], np.ndarray | None] = {}
        #: per input, the grid positions of the outliers found first
        self.places: dict[int, np.ndarray] = {}
        #: inputs in memory: per pair (k, j), what the first pass found at
        #: k's modelled pixels (``modelled[k]``): j's aligned values, their
        #: variances and j's pixel coordinates, which the second pass takes
        #: again at some of those pixels
        self.modelled: dict[int, np.ndarray] = {}
        self.found: dict[tuple[int, int], tuple] = {}

    @property
    def keeps_pairs(self) -> bool:
        """Whether the first pass's values are kept for the second (inputs
        in memory: files read on demand keep the memory bound instead)."""
        return not self._on_disk

    def _made(self, k: int) -> tuple:
        if k in self._arrays:
            return self._arrays[k]
        image = self.images[k]
        usable = _usable(image, self._options)
        sigma = _input_sigma(image)
        stack = _product_stack(1 if sigma is None else 2, image.shape, on_disk=self._on_disk)
        stack[0] = np.where(usable, image.data, np.float32(np.nan))
        if sigma is not None:
            stack[1] = np.square(sigma)
        made = (stack[0], None if sigma is None else stack[1],
                intensity_scale(image, self._ratio))
        self._arrays[k] = made
        return made

    def usable(self, k: int) -> np.ndarray:
        return np.isfinite(self._made(k)[0])

    def data(self, k: int) -> np.ndarray:
        return self._made(k)[0]

    def variance(self, k: int) -> np.ndarray | None:
        return self._made(k)[1]

    def intensity_scale(self, k: int) -> float:
        return self._made(k)[2]


def _usable(image, options) -> np.ndarray:
    """The pixels that would contribute: good DQ, positive weight, finite data."""
    weights = pixel_weights(image, options.weight_type, options.good_bits)
    return (weights > 0) & np.isfinite(image.data)


class _Models:
    """What the other exposures say about one input's pixels.

    Attributes: ``value`` (NaN where none says anything), ``variance`` (of
    ``value``), ``others`` (how many exposures made it), all of the input's
    shape.
    """

    def __init__(self, value, variance, others):
        self.value = value
        self.variance = variance
        self.others = others


def _models_from_others(cache: _Inputs, k, pixmap, usable, coordinates, grid, options,
                        exclude) -> _Models:
    """For each usable pixel of input ``k``, the value of every other input
    at the same place (its pixel map to the grid, the other's coordinate map
    back to the other's pixels, cubic interpolation of the other's data
    over its usable pixels), aligned, combined: one other as it is, two
    averaged (the lower where they disagree), three or more their median."""
    iscale = cache.intensity_scale(k)
    again = exclude is not None and k in cache.modelled
    if again:
        # the first pass's values at these pixels, interpolated there again
        # would be the same
        taken = np.flatnonzero(usable[cache.modelled[k]])
        n_points = taken.size
    else:
        points = _places(pixmap, usable)
        n_points = len(points)
        variance_k = cache.variance(k)
        own = (cache.data(k)[usable], None if variance_k is None else variance_k[usable])
        if exclude is None and cache.keeps_pairs:
            cache.modelled[k] = usable
    n_others = len(cache.images) - 1
    values = np.empty((n_others, n_points))
    variances = np.empty((n_others, n_points))
    for row, j in enumerate(j for j in range(len(cache.images)) if j != k):
        scale = cache.intensity_scale(j) / iscale
        if again:
            value, variance, xj, yj = (None if a is None else a.take(taken)
                                       for a in cache.found[k, j])
        else:
            value, variance, xj, yj = _aligned(cache, k, j, points, own, coordinates)
            if exclude is None and cache.keeps_pairs:
                cache.found[k, j] = (value, variance, xj, yj)
        if exclude is not None and exclude[j].any():
            # the other's outliers found so far: it has no say about these
            # pixels (value is this call's own: fresh, or a selection)
            value[_takes_from(exclude[j], xj, yj)] = np.nan
        np.multiply(value, scale, out=values[row])
        if variance is None:
            variances[row] = np.nan
        else:
            np.multiply(variance, scale**2, out=variances[row])
        del xj, yj
    # one or two others: their mean (the lower of two that disagree); three
    # or more: their median; one pass of the C core
    return _Models(*combine_estimates(values, variances, options.outlier_threshold,
                                      where=usable))


def _aligned(cache: _Inputs, k, j, points, own, coordinates):
    """Input j's values at the grid ``points`` of input k's usable pixels
    (cubic interpolation over its usable pixels, aligned to k by the shift
    fitted between them), their variances (None without), and where the
    points are in j's pixels.  ``own``: k's data and variances (or None) at
    those pixels."""
    data_j = cache.data(j)
    scale = cache.intensity_scale(j) / cache.intensity_scale(k)
    xj, yj, value, variance = interpolate_through(coordinates[j], points, data_j,
                                                  variances=cache.variance(j),
                                                  min_weight=_KNOWN_WEIGHT)
    # where the model stands out of its noise: where a shift matters
    # (on the sky, a hundredth of a pixel times a slope of the noise's
    # size is nothing) and where it can be measured
    steep, gx, gy = steep_slopes(data_j, xj, yj, value, variance, significant=_SIGNIFICANT)
    if (k, j) not in cache.shifts:
        own_data, own_variance = own
        cache.shifts[k, j] = _fitted_shift(
            value[steep], variance[steep] if variance is not None else None, (gx, gy),
            scale, own_data[steep], None if own_variance is None else own_variance[steep])
    shift = cache.shifts[k, j]
    if shift is not None:
        # to first order: a shifted interpolation would smooth the model
        value[steep] += shift[0] * np.nan_to_num(gx) + shift[1] * np.nan_to_num(gy)
    return value, variance, xj, yj


def _fitted_shift(value, variance, slopes, scale, target, target_variance
                  ) -> np.ndarray | None:
    """The shift (dx, dy), in the pixels of another exposure, that best
    matches ``scale`` times its interpolated values (``value``, of
    ``variance``, with ``slopes`` d/dx and d/dy) to ``target`` (this
    exposure's values at the same points): least squares of target - model
    = dx d(model)/dx + dy d(model)/dy, fitted twice (the second time
    without the points more than 5 noise away from the first fit); None if
    it cannot be fitted or is not within half a pixel.  Pointing errors
    between exposures shift a bright trace by hundredths of a pixel: many
    times its noise."""
    if target_variance is None or variance is None:
        return None
    gx, gy = slopes
    residual = target - scale * value
    noise2 = scale**2 * variance + target_variance
    fit = np.isfinite(gx) & np.isfinite(gy) & np.isfinite(residual) & (noise2 > 0)
    if np.count_nonzero(fit) < _FIT_PIXELS:
        return None
    gx, gy = scale * gx[fit], scale * gy[fit]
    residual, noise2 = residual[fit], noise2[fit]
    shift = np.zeros(2)
    for _ in range(2):
        close = np.square(residual - shift[0] * gx - shift[1] * gy) < 25.0 * noise2
        w = 1.0 / noise2[close]
        x, y, r = gx[close], gy[close], residual[close]
        wx, wy = w * x, w * y
        # the normal equations [[sxx, sxy], [sxy, syy]] shift = [bx, by],
        # refused when their condition number (the ratio of their
        # eigenvalues) is over 1e12 or they are singular
        sxx, sxy, syy = float(wx @ x), float(wx @ y), float(wy @ y)
        bx, by = float(wx @ r), float(wy @ r)
        half_trace, gap = 0.5 * (sxx + syy), math.hypot(0.5 * (sxx - syy), sxy)
        low, high = half_trace - gap, half_trace + gap
        if not (low > 0.0 and high <= 1e12 * low):
            return None
        determinant = sxx * syy - sxy * sxy
        shift = np.array([syy * bx - sxy * by, sxx * by - sxy * bx]) / determinant
    return shift if np.all(np.abs(shift) <= 0.5) else None


class _Judged:
    def __init__(self, mask: np.ndarray, all_judged: bool, estimated: bool):
        self.mask = mask
        self.all_judged = all_judged
        self.estimated = estimated


def _judge(image, usable, models: _Models, options, *, judge_only=None,
           own_outliers=None) -> _Judged:
    """The outliers of one input against its models: above the model by
    more than the tolerance (or, against three others or more, below it);
    where no other exposure says anything, against the pixel's neighbours
    (above only), without ``own_outliers`` (found before).  ``judge_only``:
    the pixels to judge (default: all)."""
    data = np.asarray(image.data, dtype=np.float64)
    # the models are this judgement's own (made for it, used once)
    model = models.value
    model_variance = models.variance
    considered = usable if judge_only is None else usable & judge_only
    alone = considered & ~np.isfinite(model)
    sigma = _input_sigma(image)
    estimated = sigma is None
    if alone.any():
        # the closer of two: along the slit (right for sky lines), along the
        # dispersion (right on a trace); a cosmic ray is far from both
        values = np.where(usable, data, np.nan)
        if own_outliers is not None:
            values[own_outliers] = np.nan
        neighbour_models(values, data, alone, model,
                         slit_axis=0 if image.meta.dispersion_direction == 1 else 1)
        if sigma is not None:
            # the median of (up to) four neighbours: about pi / 8 of a pixel's variance
            model_variance[alone] = np.square(sigma[alone]) * (math.pi / 8.0)
    if not estimated:
        # noise, slope, tolerance and verdict: one pass of the C core
        mask, seen, seen_rejected = judge_pixels(
            data, model, model_variance, sigma, models.others, considered,
            threshold=options.outlier_threshold, shift=options.outlier_shift)
        return _Judged(mask, seen > 0 and seen_rejected == seen, estimated)
    judged = considered & np.isfinite(model)
    residual = data - model
    slope = np.nan_to_num(_steepest_step(model))
    noise = np.full(data.shape, _estimated_noise(residual[judged]))
    judged &= np.isfinite(noise) & (noise > 0)
    tolerance = options.outlier_threshold * noise + options.outlier_shift * slope
    with np.errstate(invalid="ignore"):
        high = residual > tolerance
        low = (models.others >= 3) & (-residual > tolerance)
    mask = judged & (high | low)
    # every pixel another exposure judged: the input disagrees with the others
    by_others = judged & (models.others > 0)
    all_judged = bool(by_others.any()) and bool(np.array_equal(mask & by_others, by_others))
    return _Judged(mask, all_judged, estimated)


def _estimated_noise(residuals: np.ndarray) -> float:
    """1.4826 x the median absolute deviation: the standard deviation of
    Gaussian noise, robust to the outliers among them."""
    if not residuals.size:
        return 0.0
    return _MAD_TO_SIGMA * float(np.median(np.abs(residuals - np.median(residuals))))


def _input_sigma(image) -> np.ndarray | None:
    """The noise of each input pixel: ``err``, else the square root of the
    sum of the variances it has, else None."""
    if image.err is not None:
        return np.asarray(image.err, dtype=np.float64)
    variances = [getattr(image, name) for name in VARIANCE_NAMES
                 if getattr(image, name) is not None]
    if not variances:
        return None
    return np.sqrt(np.sum([np.asarray(v, dtype=np.float64) for v in variances], axis=0))


def _steepest_step(values: np.ndarray) -> np.ndarray:
    """Per pixel, the largest absolute difference from its four neighbours
    (NaN neighbours ignored; NaN where all are)."""
    step = np.full(values.shape, np.nan)
    with np.errstate(invalid="ignore"):
        along_y = np.abs(values[1:] - values[:-1])
        along_x = np.abs(values[:, 1:] - values[:, :-1])
    step[1:] = np.fmax(step[1:], along_y)
    step[:-1] = np.fmax(step[:-1], along_y)
    step[:, 1:] = np.fmax(step[:, 1:], along_x)
    step[:, :-1] = np.fmax(step[:, :-1], along_x)
    return step


class _Reach:
    """The output pixels the outliers would have contributed to (the same
    kernel passes, with weight only on them): per input (``marks='each'``,
    in :attr:`each`), all together in one pass of all inputs (``'any'``,
    :meth:`any`), or not at all (None)."""

    def __init__(self, grid, options, marks: str | None):
        self._grid, self._options, self._marks = grid, options, marks
        self.each: list[np.ndarray | None] | None = [] if marks == "each" else None
        self._drizzler: Drizzler | None = None

    def add(self, mask, image, pixmap, section) -> None:
        if self._marks is None:
            return
        if not mask.any():
            if self.each is not None:
                self.each.append(None)
            return
        if self._drizzler is None or self.each is not None:
            self._drizzler = _drizzler(self._grid.shape, self._options)
        self._drizzler.add(np.ones(image.shape, dtype=np.float32), pixmap,
                           weights=mask.astype(np.float32), **section)
        if self.each is not None:
            self.each.append(self._drizzler.finish().wht > 0)

    def any(self) -> np.ndarray | None:
        if self._marks != "any" or self._drizzler is None:
            return None
        return self._drizzler.finish().wht > 0


def _label(image, k: int) -> str:
    meta = image.meta
    name = meta.filename or f"input {k}"
    return f"{name} (slit {image.name})" if image.name else name
