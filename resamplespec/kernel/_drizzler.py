"""Low-level drizzle onto a fixed output grid: :class:`Drizzler`.

This is the array API under :func:`resamplespec.resample`, public so that
downstream libraries (imaging included) can drive the kernel with their own
pixel maps.  It validates and converts every argument, then hands plain
C-contiguous arrays to the C core (``src_c/``) through ``_kernel.pyx``.

The output grid accumulates running sums in double precision (sum of w*d,
sum of w, and the variance sums); :meth:`Drizzler.finish` turns them into the
weighted mean, the weight and the variances, so adding inputs in any order
gives the same result to double round-off.
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import limits
from ..options import (
    parse_fillval,
    validate_choice,
    validate_count,
    validate_flag,
    validate_kernel,
    validate_n_jobs,
    validate_pixfrac,
    validate_positive_finite,
)
from . import _kernel

_KERNEL_CODES = {"square": 0, "point": 1}
_VARIANCE_MODES = ("reference", "exact")
# the C core's mode that drizzles the variance planes as further data
_VARIANCE_MEAN = 2
_CONTEXT_BITS = 32


class DrizzleWarning(UserWarning):
    """Input pixels that :class:`Drizzler` left out for a reason the caller
    may not expect (footprints too large to be pixels)."""


class AddCounts(NamedTuple):
    """What one :meth:`Drizzler.add` did with the input pixels of its section."""

    drawn: int
    """Pixels that gave at least one output pixel a positive weight."""
    skipped: int
    """Pixels that gave nothing: outside the output, NaN data, weight <= 0,
    or a degenerate footprint, or one more than
    ``limits.MAX_FOOTPRINT_PIXELS`` output pixels across (a
    :class:`DrizzleWarning` says how many)."""


@dataclass(frozen=True)
class PairSums:
    """The covariance sums of a Drizzler's output pixels with their neighbours.

    ``offsets[p] = (dy, dx)``: plane ``p`` of ``values`` pairs output pixel
    (y, x) with pixel (y + dy, x + dx); the offsets are a half-plane (``dy >
    0``, or ``dy == 0`` and ``dx > 0``), so that every pair is held once, by
    its first pixel in row-major order.  ``values[p, y, x]`` is
    sum_i w_ik w_il V_i / W_k (float32; 0 where nothing is shared), W_k the
    weight of the holding pixel k: divided by the weight W_l of the partner
    it is the covariance (:func:`pair_covariance`).  The partner may lie
    outside a window, whose sums are nevertheless complete.
    """

    offsets: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class DrizzleResult:
    """The resampled arrays, all of the Drizzler's ``shape`` (``con``: planes first)."""

    data: np.ndarray
    wht: np.ndarray
    con: np.ndarray | None
    variances: tuple[np.ndarray, ...]
    dq: np.ndarray | None
    pairs: PairSums | None = None


class Drizzler:
    """Drizzle images onto one output grid with the ``square`` or ``point`` kernel.

    Parameters
    ----------
    out_shape : (int, int)
        Output shape in numpy order, ``(ny, nx)``.
    kernel : {'square', 'point'}
        ``square``: each input pixel, shrunk by ``pixfrac`` about its centre,
        is mapped to the output as a quadrilateral whose corners are bilinearly
        interpolated from the pixel map; it gives each output pixel the exact
        fraction of its area that falls there.  ``point``: the whole pixel goes
        to the output pixel holding its centre.
    pixfrac : float
        Linear shrink factor of input pixels, ``limits.MIN_PIXFRAC`` (0.001)
        <= pixfrac <= 1 (square only).
    fillval : str or float
        Value of data pixels that received no weight: ``'NAN'``, ``'INDEF'``
        (keep the initial value, NaN, as drizzle does for a fresh output), a
        number or a number string.  Variances
        are NaN there whatever the fill value.
    n_variances : int
        Number of variance arrays every :meth:`add` call brings (0 to 8).
    variance_mode : {'reference', 'exact'}
        ``reference``, as the JWST pipeline does: for each input on its own,
        sqrt(variance) is averaged with the data's weights and squared; the
        per-input variances are then combined with per-pixel weights W given
        by :meth:`add` (``variance_weight``): sum(W**2 var) / sum(W)**2.
        ``exact``: the variance of the weighted mean of the data,
        sum(w**2 var) / sum(w)**2 over all contributing input pixels.
        Both come out of the same kernel pass as the data.
    propagate_dq : bool
        Accumulate the bitwise OR of the DQ flags of contributing pixels.
    context : bool
        Keep the context image: bit ``k % 32`` of plane ``k // 32`` marks the
        output pixels input ``k`` contributed to.
    n_jobs : int
        Threads that share each :meth:`add`: the output rows or columns are
        split into up to ``n_jobs`` bands (at least 4 rows or columns each)
        drizzled in parallel; -1 uses every core.  The results are
        identical, bit for bit, to ``n_jobs=1``.  Only the square kernel
        is split, and only for inputs of a million pixels or more: below
        that, and for the point kernel, one pass is faster.
    window : (row_start, row_stop, col_start, col_stop), optional
        Drizzle only the output pixels of rows ``row_start:row_stop`` and
        columns ``col_start:col_stop`` of the ``out_shape`` grid: the
        accumulators and the results hold only that window (``shape``), and
        their values are those of the same pixels of a Drizzler of the
        whole grid, bit for bit.  A grid too large for memory can so be
        drizzled window by window; inputs are best given with the section
        (``xmin``...) of the pixels that reach the window.  Default: the
        whole grid.
    covariance : bool
        Also accumulate the covariance of every pair of output pixels that
        share an input pixel, sum_i w_ik w_il V_i (V_i the sum of input
        pixel i's finite variances, times ``iscale**2``), in the same kernel
        pass: ``variance_mode='exact'`` and at least one variance only.
        :meth:`finish` returns the sums as :class:`PairSums`.  The neighbour
        offsets held are those the footprints reach (found from each input
        before it is drawn); bit for bit the same sums in any window or band.

    Notes
    -----
    Differences from the ``drizzle`` package, on purpose: an input pixel that
    straddles the edge of the output contributes the part of it that lies
    inside (drizzle drops pixels whose centre falls outside); NaN data and
    non-positive or NaN weights contribute nothing (in drizzle a NaN poisons
    its output pixels); images one pixel wide are drizzled, the missing
    direction of the footprint taken perpendicular to the known one, with
    the same length.  Accumulation is in double precision.

    A Drizzler is not thread-safe, but separate Drizzlers may run in
    separate threads: the kernel releases the GIL.

    With ``n_jobs > 1`` every band writes its own rows (or columns) of the
    same accumulators (no memory per band), and drizzles only the input
    pixels whose footprints can reach it.  Input pixels near a band edge
    are mapped by both bands, so the work grows by a few pixels per band.

    Examples
    --------
    >>> import numpy as np
    >>> from resamplespec import Drizzler
    >>> y, x = np.indices((3, 4), dtype=float)
    >>> pixmap = np.dstack([x + 0.5, y])          # shift by half a pixel in x
    >>> d = Drizzler((3, 5))
    >>> d.add(np.ones((3, 4), np.float32), pixmap)
    AddCounts(drawn=12, skipped=0)
    >>> out = d.finish()
    >>> out.wht[0]
    array([0.5, 1. , 1. , 1. , 0.5], dtype=float32)
    """

    def __init__(
        self,
        out_shape: tuple[int, int],
        *,
        kernel: str = "square",
        pixfrac: float = 1.0,
        fillval: str | float = "NAN",
        n_variances: int = 0,
        variance_mode: str = "reference",
        propagate_dq: bool = False,
        context: bool = True,
        n_jobs: int = 1,
        window: tuple[int, int, int, int] | None = None,
        covariance: bool = False,
    ) -> None:
        self.out_shape = _validate_shape(out_shape)
        #: the output pixels drawn: (row_start, row_stop, col_start, col_stop)
        self.window = _validate_window(window, self.out_shape)
        row_start, row_stop, col_start, col_stop = self.window
        #: shape of the accumulators and of every result: the window's
        self.shape = (row_stop - row_start, col_stop - col_start)
        self.kernel = validate_kernel(kernel)
        self.pixfrac = validate_pixfrac(pixfrac)
        self.fillval = fillval
        self._fill = parse_fillval(fillval)
        self.n_variances = validate_count("n_variances", n_variances, 0, _kernel.MAX_VARIANCES)
        self.variance_mode = validate_choice("variance_mode", variance_mode, _VARIANCE_MODES)
        self.propagate_dq = validate_flag("propagate_dq", propagate_dq)
        self.context = validate_flag("context", context)
        self.covariance = validate_flag("covariance", covariance)
        if self.covariance and (self.variance_mode != "exact" or self.n_variances == 0):
            raise ValueError(
                "covariance=True needs variance_mode='exact' and at least one variance "
                f"(got variance_mode={self.variance_mode!r}, n_variances={self.n_variances}): "
                "the covariance is that of the exact variances' weighted means"
            )
        # (reach_x, reach_y) of the covariance planes held, and the planes
        self._reach = (0, 0)
        # the sums, interleaved: plane p of pixel (y, x) at [y, x, p]
        self._sum_cov = np.zeros((*self.shape, 0), dtype=np.float64)

        self._sum_wd = np.zeros(self.shape, dtype=np.float64)
        self._sum_w = np.zeros(self.shape, dtype=np.float64)
        self._sum_var = tuple(
            np.zeros(self.shape, dtype=np.float64) for _ in range(self.n_variances)
        )
        self._var_wt: tuple[np.ndarray, ...] = ()
        if self.variance_mode == "reference" and self.n_variances:
            # Per-input sums (zeroed for each input) and the cross-input
            # sums of W**2 var and W, one W sum per variance as the mask of
            # valid values differs between them.
            self._input_var = tuple(
                np.zeros(self.shape, dtype=np.float64) for _ in range(self.n_variances)
            )
            self._input_w = np.zeros(self.shape, dtype=np.float64)
            self._var_wt = tuple(
                np.zeros(self.shape, dtype=np.float64) for _ in range(self.n_variances)
            )
        # Reference mode folds an input's variances into the cross-input sums
        # only when the next input arrives; finish() counts a pending input
        # without folding it.  A single input never touches the cross-input
        # sums (no page of them is ever written), the usual case.
        self._pending_weight: str | float | None = None
        self._has_pending = False
        self._has_folded = False
        self._context_planes: list[np.ndarray] = []
        self._dq = np.zeros(self.shape, dtype=np.uint32) if self.propagate_dq else None
        self.n_inputs = 0
        self.n_jobs = validate_n_jobs(n_jobs)
        # the windows of the bands for n_jobs > 1, laid out at the first
        # add(), when the pixels the inputs fall on are known
        self._bands: list[tuple[int, int, int, int]] = []

    def add(
        self,
        data: np.ndarray,
        pixmap: np.ndarray,
        *,
        weights: np.ndarray | None = None,
        iscale: float = 1.0,
        variances: tuple[np.ndarray, ...] | list[np.ndarray] = (),
        dq: np.ndarray | None = None,
        xmin: int | None = None,
        xmax: int | None = None,
        ymin: int | None = None,
        ymax: int | None = None,
        variance_weight: str | float | None = None,
    ) -> AddCounts:
        """Drizzle one image onto the output.

        Parameters
        ----------
        data : (ny_in, nx_in) array
            Input values (converted to float32).
        pixmap : (ny_in, nx_in, 2) array
            Output (x, y) of every input pixel centre; NaN where undefined.
        weights : (ny_in, nx_in) array, optional
            Per-pixel weights; pixels with weight <= 0 or NaN contribute
            nothing.  Default: 1.
        iscale : float
            Multiplies data (and the standard deviations) before drizzling.
        variances : sequence of (ny_in, nx_in) arrays
            Exactly ``n_variances`` arrays, drizzled in the same pass.  A
            negative variance is unknown, as NaN is: the output variance it
            reaches is NaN (``exact``), or this input is left out of the
            combination there (``reference``, as the JWST pipeline, whose
            square root of it is NaN).
        dq : (ny_in, nx_in) unsigned integer array, optional
            Flags ORed into the output DQ (``propagate_dq=True`` only).
        xmin, xmax, ymin, ymax : int, optional
            Inclusive section of the input to drizzle; default: all of it.
        variance_weight : 'ivm', float or None
            ``variance_mode='reference'`` only: the weight W of this input's
            resampled variances in the combination across inputs.  ``'ivm'``:
            the inverse of its first resampled variance (the read noise, in
            the JWST convention) where that is positive and finite, else 0;
            a number: that constant (an exposure time); None: 1.

        Returns
        -------
        AddCounts
            How many input pixels of the section were drawn and skipped.
            With bands (``n_jobs > 1``) the counts are summed over the bands,
            each over the pixels that may reach it: a pixel whose footprint
            reaches two bands counts twice, and ``drawn`` is 0 exactly when
            a single pass (``n_jobs=1``) draws nothing.

        Raises
        ------
        TypeError
            An array has a dtype that cannot be converted without loss of
            meaning (complex, object, a float ``dq``), or an argument has the
            wrong type.
        ValueError
            Shapes disagree, the section lies outside the image, ``iscale`` is
            not a positive finite number, ``variance_weight`` is a number
            outside ``limits.VARIANCE_WEIGHT_RANGE``, or ``variances``/``dq``
            do not match how the Drizzler was made.

        Warns
        -----
        DrizzleWarning
            Footprints more than ``limits.MAX_FOOTPRINT_PIXELS`` output
            pixels across were skipped.
        """
        data = _as_image("data", data, np.float32)
        shape = data.shape
        pixmap = _as_pixmap(pixmap, shape)
        if weights is not None:
            weights = _as_image("weights", weights, np.float32, shape)
        iscale = validate_positive_finite("iscale", iscale)
        variances = _as_variances(variances, self.n_variances, shape)
        if dq is not None:
            if not self.propagate_dq:
                raise ValueError("dq was given but this Drizzler has propagate_dq=False")
            dq = _as_dq(dq, shape)
        section = _validate_section(shape, xmin, xmax, ymin, ymax)
        if isinstance(variance_weight, str):  # a choice: any case, as every choice
            variance_weight = variance_weight.strip().lower()
        if variance_weight is not None and not (
            variance_weight == "ivm" if isinstance(variance_weight, str) else True
        ):
            raise ValueError(
                f"variance_weight must be 'ivm', a positive number or None, "
                f"got {variance_weight!r}"
            )
        if variance_weight is not None and not isinstance(variance_weight, str):
            variance_weight = _validate_variance_weight(variance_weight)

        if self.kernel == "square" and min(shape) < 2:
            data, pixmap, weights, variances, dq = _pad_thin_image(
                data, pixmap, weights, variances, dq
            )

        if self.covariance:
            self._cover_reach(data, pixmap, weights, section)
        point = self.kernel == "point"
        if self.n_jobs > 1 and self.n_inputs == 0 and self.kernel in limits.BANDED_KERNELS:
            self._bands, sections = _best_bands(self.window, self.n_jobs, pixmap, section,
                                                point=point, out_shape=self.out_shape)
        elif self._bands:
            sections = window_sections(pixmap, section, self._bands, point=point,
                                       out_shape=self.out_shape)
        context = self._begin_input()

        def run(band_section, band):
            if band_section is None:  # no footprint reaches the band
                return 0, 0, 0
            return self._kernel_pass(data, pixmap, weights, variances, dq, iscale,
                                     band_section, context, band)

        if not self._bands:
            counts = [run(section, self.window)]
        else:
            with ThreadPoolExecutor(len(self._bands),
                                    thread_name_prefix="drizzle-band") as pool:
                counts = list(pool.map(run, sections, self._bands))
        self.n_inputs += 1
        if self._per_input_variances:
            self._has_pending = True
            self._pending_weight = variance_weight
        _warn_oversized(sum(c[2] for c in counts), stacklevel=2)
        return AddCounts(sum(c[0] for c in counts), sum(c[1] for c in counts))

    def skip_input(self) -> None:
        """Count an input that does not reach this Drizzler's window: it takes
        its context bit and contributes nothing, exactly as :meth:`add` of
        an input whose footprints all fall outside the window."""
        self._begin_input()
        self.n_inputs += 1

    def bytes_per_pixel(self, n_inputs: int) -> int:
        """Bytes of the accumulators per output pixel once ``n_inputs``
        inputs are added (the context takes a plane per 32 inputs)."""
        sums = 2 + self.n_variances
        if self._per_input_variances:
            sums += 2 * self.n_variances + 1  # per-input sums, weights of the combination
        planes = -(-max(n_inputs, 1) // _CONTEXT_BITS) if self.context else 0
        if self.covariance:
            # before the first input the reach is unknown: that of
            # footprints of about one output pixel (2 x 2), 4 planes
            sums += max(self._sum_cov.shape[2], 4)
        return 8 * sums + 4 * planes + (4 if self.propagate_dq else 0)

    def _cover_reach(self, data, pixmap, weights, section):
        """Widen the covariance planes to the reach of this input's footprints."""
        reach = _kernel.footprint_reach(data, pixmap, weights, section,
                                        _KERNEL_CODES[self.kernel], self.pixfrac,
                                        self.out_shape, limits.MAX_FOOTPRINT_PIXELS)
        wanted = (max(reach[0], self._reach[0]), max(reach[1], self._reach[1]))
        if wanted == self._reach:
            return
        offsets = half_plane_offsets(*wanted)
        if len(offsets) > limits.COVARIANCE_MAX_PLANES:
            raise ValueError(
                f"covariance=True: an input pixel's footprint spans {reach[0] + 1} x "
                f"{reach[1] + 1} output pixels, which needs {len(offsets)} covariance planes "
                f"(limit {limits.COVARIANCE_MAX_PLANES}, resamplespec.limits."
                "COVARIANCE_MAX_PLANES); lower pixel_scale_ratio, or check the pixel map "
                "for wild values"
            )
        planes = np.zeros((*self.shape, len(offsets)), dtype=np.float64)
        index = {offset: p for p, offset in enumerate(offsets)}
        for p, offset in enumerate(half_plane_offsets(*self._reach)):
            planes[..., index[offset]] = self._sum_cov[..., p]
        self._reach, self._sum_cov = wanted, planes

    @property
    def _per_input_variances(self) -> bool:
        """Reference mode: each input's variances are resampled on their own
        (``_input_var``) and folded into the cross-input sums afterwards."""
        return self.variance_mode == "reference" and self.n_variances > 0

    def _begin_input(self):
        """Ready the accumulators for the next input: fold the last input's
        variances (reference mode); returns its (context plane, bit)."""
        plane, bit = divmod(self.n_inputs, _CONTEXT_BITS)
        context_plane = None
        if self.context:
            if plane == len(self._context_planes):
                self._context_planes.append(np.zeros(self.shape, dtype=np.int32))
            context_plane = self._context_planes[plane]
        # Bit 31 is the sign bit of int32: wrap it as the reference does.
        context_bit = int(np.uint32(1 << bit).view(np.int32))
        if self._per_input_variances:
            self._fold_pending_input()
        return context_plane, context_bit

    def _kernel_pass(self, data, pixmap, weights, variances, dq, iscale, section, context,
                     band):
        """One kernel call writing the output pixels of ``band`` (a window
        inside this Drizzler's), of checked arrays; ``context``: the (plane,
        bit) of :meth:`_begin_input`.  Returns (drawn, skipped, oversized)."""
        context_plane, context_bit = context
        per_input = self._per_input_variances
        drawn, skipped, oversized = _kernel.drizzle_add(
            data,
            pixmap,
            weights,
            variances,
            dq,
            iscale,
            section,
            _KERNEL_CODES[self.kernel],
            _VARIANCE_MODES.index(self.variance_mode),
            self.pixfrac,
            self._sum_wd,
            self._sum_w,
            self._input_var if per_input else self._sum_var,
            self._input_w if per_input else None,
            context_plane,
            context_bit,
            self._dq if dq is not None else None,
            self.out_shape,
            band,
            (self.window[0], self.window[2]),
            limits.MAX_FOOTPRINT_PIXELS,
            sum_cov=self._sum_cov if self.covariance else None,
            reach=self._reach,
        )
        return int(drawn), int(skipped), int(oversized)

    def _fold_pending_input(self):
        """Fold the last input's resampled variances into the cross-input
        sums (reference mode) and clear the per-input sums for the next one."""
        if not self._has_pending:
            return
        ivm, constant = _variance_weight_codes(self._pending_weight)
        _kernel.combine_reference_variances(
            self._input_var, self._input_w, ivm, constant, self._sum_var, self._var_wt
        )
        self._has_pending = False
        self._has_folded = True

    def finish(self) -> DrizzleResult:
        """Weighted means, weights, variances and context of what was added so far.

        ``fillval`` is applied to data where the weight is 0; variances are
        NaN there.
        May be called any number of times; later :meth:`add` calls continue
        the same accumulation.
        """
        # 'INDEF' keeps an output pixel's initial value, and a fresh grid
        # starts as NaN (as in drizzle): the same as 'NAN' here.
        fill = np.nan if self._fill is None else self._fill
        data, wht = _kernel.finish_data(self._sum_wd, self._sum_w, fill)
        # Variances are undefined (NaN) where nothing contributed, whatever
        # fillval says: a fill value is not a measurement with an error.
        if self.variance_mode == "exact":
            variances = tuple(
                _kernel.finish_exact_variance(acc, self._sum_w) for acc in self._sum_var
            )
        elif self.n_variances:
            ivm, constant = _variance_weight_codes(self._pending_weight)
            variances = _kernel.finish_reference_variances(
                self.n_variances,
                self._sum_var if self._has_folded else (),
                self._var_wt if self._has_folded else (),
                self._input_var if self._has_pending else (),
                self._input_w if self._has_pending else None,
                ivm,
                constant,
                self.shape,
            )
            # Their weights are not the data's: where the data's weight
            # rounded to 0 in float32 (finish_data), no variance either.
            no_weight = wht == 0
            for values in variances:
                values[no_weight] = np.nan
        else:
            variances = ()
        con = None
        if self.context:
            planes = self._context_planes or [np.zeros(self.shape, dtype=np.int32)]
            con = np.stack(planes)
        dq = self._dq.copy() if self._dq is not None else None
        pairs = self._pair_sums() if self.covariance else None
        return DrizzleResult(data=data, wht=wht, con=con, variances=variances, dq=dq,
                             pairs=pairs)

    def _pair_sums(self) -> PairSums:
        """The covariance sums divided by the weight of their holding pixel."""
        offsets = np.array([(dy, dx) for dx, dy in half_plane_offsets(*self._reach)],
                           dtype=np.int64).reshape(-1, 2)
        return PairSums(offsets=offsets,
                        values=_kernel.finish_pair_sums(self._sum_cov, self._sum_w))


def half_plane_offsets(reach_x: int, reach_y: int) -> list[tuple[int, int]]:
    """The neighbour offsets (dx, dy) of a covariance reach, in the order of
    the kernel's planes (``rsp_covariance_plane``): dy = 0 with dx = 1 ..
    reach_x, then each dy = 1 .. reach_y with dx = -reach_x .. reach_x --
    the order of (dy, dx)."""
    offsets = [(dx, 0) for dx in range(1, reach_x + 1)]
    offsets += [(dx, dy) for dy in range(1, reach_y + 1) for dx in range(-reach_x, reach_x + 1)]
    return offsets


def pair_covariance(pairs: PairSums, wht: np.ndarray, err: np.ndarray | None = None, *,
                    overwrite: bool = False) -> np.ndarray:
    """Covariance planes from the :class:`PairSums` of a whole grid and its
    weight ``wht``: ``values[p, y, x] / wht[y + dy, x + dx]``; with ``err``
    the correlation coefficients, further divided by ``err[y, x] * err[y +
    dy, x + dx]``.  float32; 0 where the partner lies outside the grid, has
    no weight, or the ratio is not finite.  ``overwrite``: computed in
    ``pairs.values`` itself (float32, C-contiguous), which is returned."""
    wht = np.ascontiguousarray(wht, dtype=np.float32)
    if err is not None:
        err = np.ascontiguousarray(err, dtype=np.float32)
    values = pairs.values
    if not (overwrite and values.dtype == np.float32 and values.flags.c_contiguous
            and values.flags.writeable):
        values = np.array(values, dtype=np.float32, order="C")  # a copy, changed
    _kernel.pair_covariance(np.ascontiguousarray(pairs.offsets, dtype=np.int64), values, wht,
                            err)
    return values


def coordinate_maps(
    pixmap: np.ndarray,
    out_shape: tuple[int, int],
    *,
    kernel: str = "square",
    pixfrac: float = 1.0,
    xmin: int | None = None,
    xmax: int | None = None,
    ymin: int | None = None,
    ymax: int | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Where an input's pixels are, seen from the output grid.

    The input's pixel coordinates x and y drizzled with unit weights, in one
    kernel pass: on each output pixel the mean of the centres of the input
    pixels that overlap it, weighted by the overlaps (for a pixel map that
    is affine over a footprint, the input position of the output pixel's
    centre).  The inverse of ``pixmap``, on the grid.

    Parameters
    ----------
    pixmap : (ny_in, nx_in, 2) array
        Output (x, y) of every input pixel centre; NaN where undefined.
    out_shape : (ny, nx)
        The output grid.
    kernel, pixfrac
        As for :class:`Drizzler`.
    xmin, xmax, ymin, ymax : int, optional
        Inclusive section of the input to drizzle; default: all of it.
    out : (2, ny, nx) float32 array, optional
        Where to write the maps (C-contiguous, writeable: an array or a
        memory map): returned.

    Returns
    -------
    (2, ny, nx) float32 array
        The x map, then the y map; NaN where no input pixel reaches.

    Warns
    -----
    DrizzleWarning
        As :meth:`Drizzler.add`, for footprints too wide to be pixels.

    Examples
    --------
    >>> import numpy as np
    >>> from resamplespec.kernel import coordinate_maps
    >>> y, x = np.indices((3, 4), dtype=float)
    >>> shifted = np.stack([x + 1.0, y], axis=-1)   # one output pixel to the right
    >>> coordinate_maps(shifted, (3, 6))[0][1]
    array([nan,  0.,  1.,  2.,  3., nan], dtype=float32)
    """
    out_shape = _validate_shape(out_shape)
    if out is not None and not (
            isinstance(out, np.ndarray) and out.shape == (2, *out_shape)
            and out.dtype == np.float32 and out.flags.c_contiguous and out.flags.writeable):
        raise ValueError(f"out must be a writeable C-contiguous float32 array of shape "
                         f"{(2, *out_shape)}")
    kernel = validate_kernel(kernel)
    pixfrac = validate_pixfrac(pixfrac)
    array = np.asarray(pixmap)
    if array.ndim != 3:
        raise ValueError(f"pixmap must have shape (ny, nx, 2), got {array.shape}")
    shape = array.shape[:2]
    pixmap = _as_pixmap(array, shape)
    section = _validate_section(shape, xmin, xmax, ymin, ymax)
    rows, columns = np.indices(shape, dtype=np.float32)
    variances: tuple[np.ndarray, ...] = (rows,)
    if kernel == "square" and min(shape) < 2:
        columns, pixmap, _, variances, _ = _pad_thin_image(columns, pixmap, None, variances,
                                                           None)
    # the sums of w * x and w * y, then of w: one allocation
    sums = np.zeros((3, *out_shape))
    ny, nx = out_shape
    _, _, oversized = _kernel.drizzle_add(
        columns, pixmap, None, variances, None, 1.0, section, _KERNEL_CODES[kernel],
        _VARIANCE_MEAN, pixfrac, sums[0], sums[2], (sums[1],), None, None, 0, None, out_shape,
        (0, ny, 0, nx), (0, 0), limits.MAX_FOOTPRINT_PIXELS)
    _warn_oversized(oversized, stacklevel=3)
    if out is None:
        out = np.empty((2, *out_shape), dtype=np.float32)
    _kernel.finish_means(sums[:2], sums[2], np.nan, out)
    return out


def _warn_oversized(oversized: int, *, stacklevel: int) -> None:
    if oversized:
        warnings.warn(
            f"{oversized} input pixel(s) skipped: their footprints are more than "
            f"{limits.MAX_FOOTPRINT_PIXELS:g} output pixels across "
            "(limits.MAX_FOOTPRINT_PIXELS), which no input pixel is; the pixel map "
            "diverges or folds there",
            DrizzleWarning,
            stacklevel=stacklevel + 1,
        )


def _validate_variance_weight(value):
    """A constant variance weight as a float inside ``limits.VARIANCE_WEIGHT_RANGE``."""
    weight = validate_positive_finite("variance_weight", value)
    low, high = limits.VARIANCE_WEIGHT_RANGE
    if not low <= weight <= high:
        raise ValueError(
            f"variance_weight={value!r} is outside [{low:g}, {high:g}]: its square would "
            "overflow or underflow in the variance combination; only ratios of the "
            "weights matter, so scale them all by one factor"
        )
    return weight


def _variance_weight_codes(variance_weight):
    """(inverse of the first variance?, constant weight) for the C core."""
    ivm = isinstance(variance_weight, str)  # validated in add(): only 'ivm'
    constant = 1.0 if variance_weight is None or ivm else float(variance_weight)
    return ivm, constant


def _validate_shape(out_shape):
    try:
        dims = tuple(out_shape)
    except TypeError:
        raise TypeError(f"out_shape must be a pair of positive integers (ny, nx), "
                        f"got {out_shape!r}") from None
    if len(dims) != 2 or not all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0 for n in dims
    ):
        raise ValueError(f"out_shape must be a pair of positive integers (ny, nx), "
                         f"got {out_shape!r}")
    return int(dims[0]), int(dims[1])


def _validate_window(window, out_shape):
    ny, nx = out_shape
    if window is None:
        return (0, ny, 0, nx)
    try:
        bounds = tuple(window)
    except TypeError:
        bounds = ()
    if len(bounds) != 4 or not all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in bounds
    ):
        raise TypeError(f"window must be four integers (row_start, row_stop, col_start, "
                        f"col_stop), got {window!r}")
    row_start, row_stop, col_start, col_stop = (int(n) for n in bounds)
    if not (0 <= row_start < row_stop <= ny and 0 <= col_start < col_stop <= nx):
        raise ValueError(f"window={window!r} is not a non-empty part of the {ny} x {nx} "
                         f"output grid (rows 0 to {ny}, columns 0 to {nx})")
    return row_start, row_stop, col_start, col_stop


def _check_numeric(name, array):
    kind = array.dtype.kind
    if kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")


def _as_image(name, values, dtype, shape=None):
    array = np.asarray(values)
    _check_numeric(name, array)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2D array, got shape {array.shape}")
    if shape is not None and array.shape != shape:
        raise ValueError(f"{name} has shape {array.shape}, but data has shape {shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    return np.ascontiguousarray(array, dtype=dtype)


def _as_pixmap(pixmap, shape):
    array = np.asarray(pixmap)
    _check_numeric("pixmap", array)
    expected = (*shape, 2)
    if array.shape != expected:
        raise ValueError(
            f"pixmap must have shape (ny, nx, 2) = {expected} to match data, "
            f"got {array.shape}"
        )
    return np.ascontiguousarray(array, dtype=np.float64)


def _as_variances(variances, expected, shape):
    if isinstance(variances, np.ndarray) and variances.ndim == 2:
        variances = (variances,)
    try:
        arrays = tuple(variances)
    except TypeError:
        raise TypeError(f"variances must be a sequence of arrays, got {variances!r}") from None
    if len(arrays) != expected:
        raise ValueError(
            f"variances must hold n_variances={expected} arrays, got {len(arrays)}"
        )
    return tuple(_as_image(f"variances[{k}]", v, np.float32, shape) for k, v in enumerate(arrays))


def _as_dq(dq, shape):
    array = np.asarray(dq)
    if array.dtype.kind not in "bui":
        raise TypeError(f"dq must hold unsigned integer bit flags, got dtype {array.dtype}")
    if array.ndim != 2 or array.shape != shape:
        raise ValueError(f"dq has shape {array.shape}, but data has shape {shape}")
    if array.dtype.kind == "i" and array.size and array.min() < 0:
        raise ValueError("dq holds negative values; bit flags must be >= 0")
    if array.dtype.itemsize > 4 and array.size and int(array.max()) > np.iinfo(np.uint32).max:
        raise ValueError("dq holds values that do not fit in 32 bits")
    return np.ascontiguousarray(array, dtype=np.uint32)


def _validate_section(shape, xmin, xmax, ymin, ymax):
    ny, nx = shape
    bounds = []
    for name, value, default, size in (
        ("xmin", xmin, 0, nx),
        ("xmax", xmax, nx - 1, nx),
        ("ymin", ymin, 0, ny),
        ("ymax", ymax, ny - 1, ny),
    ):
        if value is None:
            value = default
        elif isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an integer pixel index, got {value!r}")
        if not 0 <= value < size:
            raise ValueError(f"{name}={value} is outside the input image (0 to {size - 1})")
        bounds.append(int(value))
    if bounds[0] > bounds[1] or bounds[2] > bounds[3]:
        raise ValueError(
            f"the input section is empty: xmin={bounds[0]}, xmax={bounds[1]}, "
            f"ymin={bounds[2]}, ymax={bounds[3]}"
        )
    return tuple(bounds)


def _pad_thin_image(data, pixmap, weights, variances, dq):
    """Give a 1-pixel-wide image a second column/row so corners can be mapped.

    The pixel map of a single column says nothing about where its pixels'
    left and right edges go.  The added column is placed one footprint-width
    away, perpendicular to the column's own direction and with the same
    length (square pixels stay square, parity kept); its pixels lie outside
    the drizzled section, so they only shape the footprints of the real ones.
    """
    ny, nx = data.shape
    with np.errstate(invalid="ignore", over="ignore"):  # inf/NaN maps: footprints skipped
        return _pad_thin_arrays(data, pixmap, weights, variances, dq, ny, nx)


def _pad_thin_arrays(data, pixmap, weights, variances, dq, ny, nx):
    if nx == 1 and ny == 1:
        along_x = np.array([1.0, 0.0])[None, None, :]
        along_y = np.array([0.0, 1.0])[None, None, :]
    elif nx == 1:
        along_y = np.gradient(pixmap, axis=0)
        along_x = np.stack([along_y[..., 1], -along_y[..., 0]], axis=-1)
    else:
        along_x = np.gradient(pixmap, axis=1)
        along_y = np.stack([-along_x[..., 1], along_x[..., 0]], axis=-1)

    if nx == 1:
        pixmap = np.concatenate([pixmap, pixmap + along_x], axis=1)
    if ny == 1:
        pixmap = np.concatenate([pixmap, pixmap + along_y], axis=0)

    def pad(image, value):
        if image is None:
            return None
        out = np.full(pixmap.shape[:2], value, dtype=image.dtype)
        out[:ny, :nx] = image
        return out

    return (
        pad(data, np.nan),
        np.ascontiguousarray(pixmap),
        pad(weights, 0),
        tuple(pad(v, 0) for v in variances),
        pad(dq, 0),
    )


def _best_bands(window, n_jobs, pixmap, section, *, point, out_shape):
    """The bands of ``window`` for ``n_jobs`` threads and the input section
    of each: bands of rows or of columns, whichever needs the smaller input
    section for its largest band; none when one pass pays better (see
    ``limits.BAND_SHARE_LIMIT`` and ``limits.MIN_BAND_PIXELS``)."""
    if _section_size(section) < limits.MIN_BAND_PIXELS:
        return [], None
    best = None
    for axis in (0, 1):
        bands = _bands_along(window, axis, n_jobs, pixmap)
        if not bands:
            continue
        sections = window_sections(pixmap, section, bands, point=point, out_shape=out_shape)
        largest = max((_section_size(part) for part in sections if part is not None),
                      default=0)
        if best is None or largest < best[0]:
            best = (largest, bands, sections)
    if best is None or best[0] > limits.BAND_SHARE_LIMIT * _section_size(section):
        return [], None
    return best[1], best[2]


def _section_size(section) -> int:
    xmin, xmax, ymin, ymax = section
    return (xmax - xmin + 1) * (ymax - ymin + 1)


def _bands_along(window, axis, n_jobs, pixmap):
    """Up to ``n_jobs`` bands of ``window``, split along ``axis`` (0: rows,
    1: columns), as windows, with about equal numbers of the pixel centres
    of ``pixmap`` in each; none when one band would do."""
    first, stop = window[2 * axis], window[2 * axis + 1]
    n_lines = stop - first
    n_bands = min(n_jobs, n_lines // limits.MIN_BAND_ROWS)
    if n_bands < 2:
        return []
    # pixmap holds (x, y): columns are its component 0, rows component 1
    counts = _kernel.line_histogram(np.ascontiguousarray(pixmap, dtype=np.float64), 1 - axis,
                                    first, n_lines)
    cumulative = np.cumsum(counts)
    edges = [0]
    for k in range(1, n_bands):
        edge = int(np.searchsorted(cumulative, k * cumulative[-1] / n_bands)) + 1
        # every band keeps at least limits.MIN_BAND_ROWS lines
        low = edges[-1] + limits.MIN_BAND_ROWS
        high = n_lines - (n_bands - k) * limits.MIN_BAND_ROWS
        edges.append(min(max(edge, low), high))
    edges.append(n_lines)
    bands = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        band = list(window)
        band[2 * axis], band[2 * axis + 1] = first + lo, first + hi
        bands.append(tuple(band))
    return bands


def window_sections(pixmap, section, windows, *, point, out_shape=None):
    """For each output window (row_start, row_stop, col_start, col_stop),
    the part of input ``section`` (xmin, xmax, ymin, ymax) holding every
    pixel whose footprint may reach the window (None: no pixel does).
    ``out_shape``: the output grid, when known: a direction in which no
    window is narrower than the grid then costs nothing.

    The bound is generous, never tight, and costs one pass over the pixel
    map per direction (``_kernel.line_ranges``). An interior footprint
    corner is a convex combination of the pixel map over the pixel's 3 x 3
    neighbourhood (clipped at the image edge), and an edge pixel's corners
    are extrapolated from the same values by at most 1.75 times their
    spread, so every corner lies within the neighbourhood's range widened by
    twice its spread. Here the range is taken over a whole input column and
    its two neighbours (or a whole row and its two neighbours), which holds
    every neighbourhood in it: the columns (rows) whose widened range meets
    the window, plus a pixel of slack, bound the section; of the two bounds
    the window gets their intersection. The point kernel needs only each
    pixel's own centre. Non-finite values are passed over: a footprint with
    such a corner is skipped by the kernel.
    """
    xmin, xmax, ymin, ymax = section
    pixmap = np.ascontiguousarray(pixmap, dtype=np.float64)
    ny, nx = pixmap.shape[:2]
    limits = (0, np.inf, 0, np.inf) if out_shape is None else (0, out_shape[0], 0, out_shape[1])
    # one more pixel on each side of the section, where the image has it
    y0, y1 = (ymin, ymax + 1) if point else (max(0, ymin - 1), min(ny, ymax + 2))
    x0, x1 = (xmin, xmax + 1) if point else (max(0, xmin - 1), min(nx, xmax + 2))
    # [first, last] input columns and rows that may reach each window
    bounds = [[xmin, xmax, ymin, ymax] for _ in windows]
    # Pixel maps come from the caller: inf - inf and the like mean "unusable".
    with np.errstate(invalid="ignore", over="ignore"):
        for axis, component in ((0, 1), (1, 0)):  # output rows: y; columns: x
            if all(w[2 * axis] <= limits[2 * axis] and w[2 * axis + 1] >= limits[2 * axis + 1]
                   for w in windows):
                continue  # every window spans the grid this way
            # the range of each input column and row over the other direction
            col_low, col_high, row_low, row_high = _kernel.line_ranges(
                pixmap, y0, y1, x0, x1, component)
            for input_axis, (first, last, offset), low, high in (
                    (1, (xmin, xmax, x0), col_low, col_high),
                    (0, (ymin, ymax, y0), row_low, row_high)):
                if not point:
                    low, high = _with_neighbours(low, high)
                    spread = high - low
                    low, high = low - 2.0 * spread, high + 2.0 * spread
                lines = slice(first - offset, last - offset + 1)
                # Output line k spans [k - 0.5, k + 0.5).
                reach_low = np.floor(low[lines] + 0.5)
                reach_high = np.floor(high[lines] + 0.5)
                for bound, window in zip(bounds, windows, strict=True):
                    start, stop = window[2 * axis], window[2 * axis + 1]
                    hits = np.flatnonzero((reach_high >= start - 1) & (reach_low <= stop))
                    k = 2 * (1 - input_axis)  # columns: bound[0:2]; rows: bound[2:4]
                    if hits.size == 0:
                        bound[k], bound[k + 1] = 1, 0  # empty
                    else:
                        bound[k] = max(bound[k], first + int(hits[0]))
                        bound[k + 1] = min(bound[k + 1], first + int(hits[-1]))
    return [tuple(b) if b[0] <= b[1] and b[2] <= b[3] else None for b in bounds]


def _with_neighbours(low, high):
    """Minimum and maximum of each element and its two neighbours, NaN passed over."""
    low, high = low.copy(), high.copy()
    for extreme, out in ((np.fmin, low), (np.fmax, high)):
        source = out.copy()
        extreme(out[1:], source[:-1], out=out[1:])
        extreme(out[:-1], source[1:], out=out[:-1])
    return low, high
