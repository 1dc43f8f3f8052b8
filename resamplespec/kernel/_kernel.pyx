# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Cython shim over the C drizzle core (src_c/rsp_kernel.h).

The only module that touches pointers.  It trusts its caller
(:class:`resamplespec.kernel.Drizzler`) to have validated shapes, dtypes and values;
what it checks again is only what keeps the C core inside its arrays.
"""
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t

import numpy as np


cdef extern from "rsp_kernel.h" nogil:
    int RSP_MAX_VARIANCES
    int RSP_OK

    ctypedef struct rsp_input:
        int64_t nx, ny
        const float *data
        const double *pixmap
        const float *weights
        const uint32_t *dq
        const float *variances[8]
        int n_variances
        double iscale
        int64_t xmin, xmax, ymin, ymax

    ctypedef struct rsp_output:
        int64_t nx, ny
        int64_t row_min, row_max, col_min, col_max
        int64_t origin_row, origin_col, stride
        double *sum_wd
        double *sum_w
        double *sum_var[8]
        double *sum_w_input
        int32_t *context
        int32_t context_bit
        uint32_t *dq
        rsp_covariance *covariance

    ctypedef struct rsp_covariance:
        int64_t reach_x, reach_y
        double *sum_cov
        int64_t n_planes
        double *cells
        int64_t beyond_reach

    ctypedef struct rsp_params:
        int kernel
        int variance_mode
        double pixfrac
        int per_pixel_corners
        double max_footprint

    ctypedef struct rsp_counts:
        int64_t drawn
        int64_t skipped
        int64_t oversized

    int64_t rsp_fetch_add(int64_t *counter, int64_t delta)
    void rsp_line_ranges(const double *pixmap, int64_t nx, int64_t y0, int64_t y1, int64_t x0,
                         int64_t x1, int component, double *col_low, double *col_high,
                         double *row_low, double *row_high)
    void rsp_line_histogram(const double *pixmap, int64_t n_pixels, int component,
                            int64_t first, int64_t n_lines, int64_t *counts)
    int rsp_drizzle_add(const rsp_input *inp, const rsp_params *par, rsp_output *out,
                        rsp_counts *counts)
    int64_t rsp_covariance_planes(int64_t reach_x, int64_t reach_y)
    int rsp_footprint_reach(const rsp_input *inp, const rsp_params *par, int64_t out_nx,
                            int64_t out_ny, int64_t *reach_x, int64_t *reach_y)
    void rsp_combine_reference_variances(int64_t n, int n_variances, double **sum_var_input,
                                         double *sum_w_input, int inverse_first_variance,
                                         double constant_weight, double **wsum, double **wt)
    void rsp_finish_data(int64_t n, const double *sum_wd, const double *sum_w, double fill,
                         float *data, float *wht)
    void rsp_finish_exact_variance(int64_t n, const double *sum_var, const double *sum_w,
                                   float *variance)
    void rsp_finish_reference_variances(int64_t n, int n_variances, const double **wsum,
                                        const double **wt, const double **sum_var_input,
                                        const double *sum_w_input, int inverse_first_variance,
                                        double constant_weight, float **variances)
    void rsp_finish_pair_sums(int64_t n_planes, int64_t n, const double *sum_cov,
                              const double *sum_w, float *values)
    void rsp_pair_covariance(int64_t ny, int64_t nx, int64_t n_planes, const int64_t *offsets,
                             const float *wht, const float *err, float *values)
    double rsp_quad_pixel_overlap(const double *x, const double *y, double cx, double cy)
    double rsp_quad_area(const double *x, const double *y)
    int rsp_quad_is_valid(const double *x, const double *y)


cdef extern from "rsp_estimates.h" nogil:
    void rsp_interpolate(int64_t nx, int64_t ny, const float *values, const float *variances,
                         int64_t n, const double *x, const double *y, double min_weight,
                         int cubic, double *out_value, double *out_variance)
    void rsp_others_at(int64_t n, const double *points, int64_t grid_ny, int64_t grid_nx,
                       const float *coordinates, int64_t ny, int64_t nx, const float *values,
                       const float *variances, double min_weight, double *out_x,
                       double *out_y, double *out_value, double *out_variance)
    int64_t rsp_steep_slopes(int64_t n, const double *value, const double *variance,
                             const double *x, const double *y, int64_t nx, int64_t ny,
                             const float *data, double significant, int64_t *out_index,
                             double *out_gx, double *out_gy)
    void rsp_neighbour_models(int64_t nx, int64_t ny, const double *values,
                              const double *data, const uint8_t *alone, int slit_along_y,
                              double *model)
    void rsp_combine_estimates(int64_t n, int64_t m, const double *values,
                               const double *variances, double threshold, const uint8_t *where,
                               int64_t n_out, double *scratch, double *out_value,
                               double *out_variance, int32_t *out_count)
    void rsp_judge_pixels(int64_t nx, int64_t ny, const double *data, const double *model,
                          const double *model_variance, const double *sigma,
                          const int32_t *others, const uint8_t *considered, double threshold,
                          double shift, uint8_t *out_mask, int64_t *out_seen,
                          int64_t *out_seen_rejected)


MAX_VARIANCES = RSP_MAX_VARIANCES

_STATUS_MESSAGES = {
    1: "image dimensions are too small for the kernel",
    2: "the input section or the output window lies outside the arrays",
    3: "invalid kernel, pixfrac, variance count or variance mode",
}


cdef int _fill_input(rsp_input *inp, const float[:, ::1] data, const double[:, :, ::1] pixmap,
                     const float[:, ::1] weights, const uint32_t[:, ::1] dq, double iscale,
                     tuple section) except -1:
    """Point ``inp`` at one input's arrays (shapes checked), with its scale
    and section; the variances are the caller's.  The caller keeps the
    arrays alive while C uses them."""
    if pixmap.shape[0] != data.shape[0] or pixmap.shape[1] != data.shape[1] \
            or pixmap.shape[2] != 2:
        raise ValueError("pixmap does not match data")
    inp.nx = data.shape[1]
    inp.ny = data.shape[0]
    inp.data = &data[0, 0]
    inp.pixmap = &pixmap[0, 0, 0]
    inp.weights = NULL
    if weights is not None:
        if weights.shape[0] != inp.ny or weights.shape[1] != inp.nx:
            raise ValueError("weights do not match data")
        inp.weights = &weights[0, 0]
    inp.dq = NULL
    if dq is not None:
        if dq.shape[0] != inp.ny or dq.shape[1] != inp.nx:
            raise ValueError("dq does not match data")
        inp.dq = &dq[0, 0]
    inp.iscale = iscale
    inp.xmin, inp.xmax, inp.ymin, inp.ymax = section
    return 0


def drizzle_add(
    const float[:, ::1] data,
    const double[:, :, ::1] pixmap,
    const float[:, ::1] weights,
    tuple variances,
    const uint32_t[:, ::1] dq,
    double iscale,
    tuple section,
    int kernel,
    int variance_mode,
    double pixfrac,
    double[:, ::1] sum_wd,
    double[:, ::1] sum_w,
    tuple sum_var,
    double[:, ::1] sum_w_input,
    int32_t[:, ::1] context,
    int32_t context_bit,
    uint32_t[:, ::1] dq_out,
    tuple out_shape,
    tuple window,
    tuple origin,
    double max_footprint=1e8,
    bint per_pixel_corners=False,
    double[:, :, ::1] sum_cov=None,
    tuple reach=(0, 0),
):
    """Drizzle one image onto the accumulators; returns (drawn, skipped,
    oversized).

    ``weights``, ``dq``, ``sum_w_input``, ``context`` and ``dq_out`` may be None.
    ``section`` is (xmin, xmax, ymin, ymax), inclusive input bounds;
    ``out_shape`` (ny, nx) the whole output grid; ``window`` (row_min,
    row_max, col_min, col_max) the output pixels written; ``origin`` (row,
    col) the grid pixel held by element [0, 0] of every accumulator, all of
    one shape (the whole grid, or part of it that holds the window).
    ``max_footprint``: footprints wider than this many output pixels are
    skipped and counted as oversized (square kernel).
    ``per_pixel_corners`` maps the footprint corners of every pixel on its own
    instead of sharing them between neighbours (pixfrac = 1): same numbers,
    slower; for tests.  ``sum_cov``: the covariance sums (the accumulators'
    shape, then one per plane: interleaved) of the half-plane offsets of
    ``reach`` (reach_x, reach_y), or None (see rsp_covariance in
    rsp_kernel.h).
    """
    cdef rsp_input inp
    cdef rsp_output out
    cdef rsp_covariance cov
    cdef double[::1] cells
    cdef rsp_params par
    cdef rsp_counts counts
    cdef int status, m
    cdef const float[:, ::1] var_view
    cdef double[:, ::1] acc_view
    cdef list keep = []   # holds the memoryviews alive while C uses them

    if len(variances) != len(sum_var) or len(variances) > RSP_MAX_VARIANCES:
        raise ValueError("variances and their accumulators do not match")
    if sum_wd.shape[0] != sum_w.shape[0] or sum_wd.shape[1] != sum_w.shape[1]:
        raise ValueError("accumulators differ in shape")

    _fill_input(&inp, data, pixmap, weights, dq, iscale, section)
    inp.n_variances = len(variances)

    out.ny, out.nx = out_shape
    out.row_min, out.row_max, out.col_min, out.col_max = window
    out.origin_row, out.origin_col = origin
    out.stride = sum_wd.shape[1]
    # the C core checks the window against the grid and the storage's start
    # and width; its height is checked here, by a difference of two
    # non-negative numbers (a sum could overflow for origins near 2**63)
    if out.origin_row < 0 or out.row_max < 0 or \
            out.row_max - out.origin_row > sum_wd.shape[0]:
        raise ValueError("the accumulators do not hold the output window")
    out.sum_wd = &sum_wd[0, 0]
    out.sum_w = &sum_w[0, 0]
    for m in range(inp.n_variances):
        var_view = variances[m]
        acc_view = sum_var[m]
        if var_view.shape[0] != inp.ny or var_view.shape[1] != inp.nx:
            raise ValueError("a variance array does not match data")
        if acc_view.shape[0] != sum_wd.shape[0] or acc_view.shape[1] != sum_wd.shape[1]:
            raise ValueError("a variance accumulator does not match the output")
        keep.append(var_view)
        keep.append(acc_view)
        inp.variances[m] = &var_view[0, 0]
        out.sum_var[m] = &acc_view[0, 0]
    out.sum_w_input = NULL
    if sum_w_input is not None:
        if sum_w_input.shape[0] != sum_wd.shape[0] or sum_w_input.shape[1] != sum_wd.shape[1]:
            raise ValueError("per-input weight accumulator does not match the output")
        out.sum_w_input = &sum_w_input[0, 0]
    out.context = NULL
    out.context_bit = context_bit
    if context is not None:
        if context.shape[0] != sum_wd.shape[0] or context.shape[1] != sum_wd.shape[1]:
            raise ValueError("context plane does not match the output")
        out.context = &context[0, 0]
    out.dq = NULL
    if dq_out is not None:
        if dq_out.shape[0] != sum_wd.shape[0] or dq_out.shape[1] != sum_wd.shape[1]:
            raise ValueError("output dq does not match the output")
        out.dq = &dq_out[0, 0]

    out.covariance = NULL
    if sum_cov is not None and sum_cov.shape[2] > 0:
        cov.reach_x, cov.reach_y = reach
        if sum_cov.shape[2] != rsp_covariance_planes(cov.reach_x, cov.reach_y) \
                or sum_cov.shape[0] != sum_wd.shape[0] or sum_cov.shape[1] != sum_wd.shape[1]:
            raise ValueError("the covariance planes do not match the reach or the output")
        cells = np.zeros((cov.reach_x + 1) * (cov.reach_y + 1))
        cov.sum_cov = &sum_cov[0, 0, 0]
        cov.n_planes = sum_cov.shape[2]
        cov.cells = &cells[0]
        cov.beyond_reach = 0
        out.covariance = &cov

    par.kernel = kernel
    par.variance_mode = variance_mode
    par.pixfrac = pixfrac
    par.per_pixel_corners = per_pixel_corners
    par.max_footprint = max_footprint

    with nogil:
        status = rsp_drizzle_add(&inp, &par, &out, &counts)
    if status != RSP_OK:
        raise ValueError(_STATUS_MESSAGES.get(status, f"kernel status {status}"))
    if out.covariance != NULL and cov.beyond_reach:
        raise RuntimeError(f"{cov.beyond_reach} pixel pairs lie beyond the covariance "
                           f"reach {reach}: the reach was not taken from these footprints")
    return counts.drawn, counts.skipped, counts.oversized


def footprint_reach(const float[:, ::1] data, const double[:, :, ::1] pixmap,
                    const float[:, ::1] weights, tuple section, int kernel, double pixfrac,
                    tuple out_shape, double max_footprint=1e8):
    """(reach_x, reach_y): the most output columns and rows minus one that
    one drawn footprint of ``section`` spans on the ``out_shape`` grid
    (footprints wider than ``max_footprint``, which drizzle_add skips, left
    out)."""
    cdef rsp_input inp
    cdef rsp_params par
    cdef int64_t reach_x = 0, reach_y = 0, out_ny, out_nx
    cdef int status
    _fill_input(&inp, data, pixmap, weights, None, 1.0, section)
    inp.n_variances = 0
    par.kernel = kernel
    par.variance_mode = 1
    par.pixfrac = pixfrac
    par.per_pixel_corners = 1
    par.max_footprint = max_footprint
    out_ny, out_nx = out_shape
    with nogil:
        status = rsp_footprint_reach(&inp, &par, out_nx, out_ny, &reach_x, &reach_y)
    if status != RSP_OK:
        raise ValueError(_STATUS_MESSAGES.get(status, f"kernel status {status}"))
    return int(reach_x), int(reach_y)


def combine_reference_variances(tuple sum_var_input, double[:, ::1] sum_w_input,
                                bint inverse_first_variance, double constant_weight,
                                tuple wsum, tuple wt):
    """Fold one input's resampled variances into the cross-input sums and
    zero the per-input sums (see rsp_kernel.h)."""
    cdef double *acc[8]
    cdef double *ws[8]
    cdef double *wts[8]
    cdef double[:, ::1] view
    cdef int m, n_var = len(sum_var_input)
    cdef int64_t n = sum_w_input.shape[0] * sum_w_input.shape[1]
    if n_var > RSP_MAX_VARIANCES or len(wsum) != n_var or len(wt) != n_var:
        raise ValueError("variance accumulators do not match")
    keep = []
    for m in range(n_var):
        for views in (sum_var_input, wsum, wt):
            view = views[m]
            if view.shape[0] != sum_w_input.shape[0] or view.shape[1] != sum_w_input.shape[1]:
                raise ValueError("variance accumulators differ in shape")
            keep.append(view)
        view = sum_var_input[m]
        acc[m] = &view[0, 0]
        view = wsum[m]
        ws[m] = &view[0, 0]
        view = wt[m]
        wts[m] = &view[0, 0]
    with nogil:
        rsp_combine_reference_variances(n, n_var, acc, &sum_w_input[0, 0],
                                        inverse_first_variance, constant_weight, ws, wts)


def _same_shape(name, view, shape):
    if view.shape[0] != shape[0] or view.shape[1] != shape[1]:
        raise ValueError(f"{name} does not match the output shape")


def finish_data(const double[:, ::1] sum_wd, const double[:, ::1] sum_w, double fill):
    """Weighted mean (``fill`` where the weight is 0) and weight, as float32."""
    shape = (sum_wd.shape[0], sum_wd.shape[1])
    _same_shape("sum_w", sum_w, shape)
    data = np.empty(shape, dtype=np.float32)
    wht = np.empty(shape, dtype=np.float32)
    cdef float[:, ::1] data_view = data
    cdef float[:, ::1] wht_view = wht
    cdef int64_t n = shape[0] * shape[1]
    with nogil:
        rsp_finish_data(n, &sum_wd[0, 0], &sum_w[0, 0], fill, &data_view[0, 0],
                        &wht_view[0, 0])
    return data, wht


def finish_means(const double[:, :, ::1] sums, const double[:, ::1] sum_w, double fill,
                 float[:, :, ::1] out):
    """out[m] = sums[m] / sum_w as float32 (``fill`` where the weight is 0 in
    float32), as finish_data's data, for every plane m."""
    shape = (sum_w.shape[0], sum_w.shape[1])
    if sums.shape[0] != out.shape[0]:
        raise ValueError("finish_means: sums and out differ in planes")
    _same_shape("sums", sums[0], shape)
    _same_shape("out", out[0], shape)
    cdef int64_t n = shape[0] * shape[1]
    cdef Py_ssize_t m
    if n == 0:
        return
    for m in range(sums.shape[0]):
        with nogil:
            rsp_finish_data(n, &sums[m, 0, 0], &sum_w[0, 0], fill, &out[m, 0, 0], NULL)


def finish_exact_variance(const double[:, ::1] sum_var, const double[:, ::1] sum_w):
    """sum(w^2 var) / sum(w)^2 as float32, NaN where the weight is 0."""
    shape = (sum_var.shape[0], sum_var.shape[1])
    _same_shape("sum_w", sum_w, shape)
    variance = np.empty(shape, dtype=np.float32)
    cdef float[:, ::1] view = variance
    cdef int64_t n = shape[0] * shape[1]
    with nogil:
        rsp_finish_exact_variance(n, &sum_var[0, 0], &sum_w[0, 0], &view[0, 0])
    return variance


def finish_reference_variances(int n_variances, tuple wsum, tuple wt, tuple sum_var_input,
                               sum_w_input, bint inverse_first_variance,
                               double constant_weight, tuple shape):
    """Reference-mode variances as float32 (see rsp_kernel.h).

    ``wsum`` and ``wt`` may be empty tuples (no input folded in yet);
    ``sum_var_input`` may be empty and ``sum_w_input`` None (no input pending).
    """
    cdef const double *ws[8]
    cdef const double *wts[8]
    cdef const double *pending[8]
    cdef float *outs[8]
    cdef const double[:, ::1] view
    cdef float[:, ::1] out_view
    cdef const double *pending_w = NULL
    cdef int m, n_var = n_variances
    cdef int have_sums = len(wsum) > 0
    cdef int64_t n = shape[0] * shape[1]
    if not 0 <= n_var <= RSP_MAX_VARIANCES or (have_sums and (len(wsum) != n_var or
                                                             len(wt) != n_var)) or \
            (sum_w_input is not None and len(sum_var_input) != n_var):
        raise ValueError("variance accumulators do not match")
    keep = []
    results = []
    for m in range(n_var):
        if have_sums:
            view = wsum[m]
            _same_shape("wsum", view, shape)
            keep.append(view)
            ws[m] = &view[0, 0]
            view = wt[m]
            _same_shape("wt", view, shape)
            keep.append(view)
            wts[m] = &view[0, 0]
        if sum_w_input is not None:
            view = sum_var_input[m]
            _same_shape("sum_var_input", view, shape)
            keep.append(view)
            pending[m] = &view[0, 0]
        result = np.empty(shape, dtype=np.float32)
        out_view = result
        keep.append(out_view)
        outs[m] = &out_view[0, 0]
        results.append(result)
    if sum_w_input is not None:
        view = sum_w_input
        _same_shape("sum_w_input", view, shape)
        keep.append(view)
        pending_w = &view[0, 0]
    with nogil:
        rsp_finish_reference_variances(n, n_var, ws if have_sums else NULL,
                                       wts if have_sums else NULL, pending, pending_w,
                                       inverse_first_variance, constant_weight, outs)
    return tuple(results)


def finish_pair_sums(const double[:, :, ::1] sum_cov, const double[:, ::1] sum_w):
    """sum_cov / sum_w as float32 planes (planes first; 0 where the weight
    is 0), from the interleaved sums (planes last)."""
    shape = (sum_cov.shape[0], sum_cov.shape[1])
    _same_shape("sum_w", sum_w, shape)
    values = np.empty((sum_cov.shape[2], *shape), dtype=np.float32)
    cdef float[:, :, ::1] view = values
    cdef int64_t n = shape[0] * shape[1], n_planes = sum_cov.shape[2]
    if n_planes and n:
        with nogil:
            rsp_finish_pair_sums(n_planes, n, &sum_cov[0, 0, 0], &sum_w[0, 0], &view[0, 0, 0])
    return values


def pair_covariance(const int64_t[:, ::1] offsets, float[:, :, ::1] values,
                    const float[:, ::1] wht, const float[:, ::1] err=None):
    """Covariance (or with ``err`` correlation) planes from pair sums over the
    holder's weight (see rsp_pair_covariance), computed in ``values``."""
    shape = (wht.shape[0], wht.shape[1])
    if offsets.shape[1] != 2 or offsets.shape[0] != values.shape[0] \
            or values.shape[1] != shape[0] or values.shape[2] != shape[1]:
        raise ValueError("pair offsets, values and weights do not match")
    if err is not None:
        _same_shape("err", err, shape)
    cdef const float *err_ptr = NULL
    cdef int64_t ny = shape[0], nx = shape[1], n_planes = values.shape[0]
    if err is not None:
        err_ptr = &err[0, 0]
    if n_planes:
        with nogil:
            rsp_pair_covariance(ny, nx, n_planes, &offsets[0, 0], &wht[0, 0], err_ptr,
                                &values[0, 0, 0])


def quad_pixel_overlap(x, y, double cx, double cy):
    """Signed area of quadrilateral (x, y) inside the unit pixel centred on (cx, cy)."""
    cdef double xs[4]
    cdef double ys[4]
    for k in range(4):
        xs[k] = x[k]
        ys[k] = y[k]
    return rsp_quad_pixel_overlap(xs, ys, cx, cy)


def quad_area(x, y):
    """Signed (counter-clockwise positive) area of quadrilateral (x, y)."""
    cdef double xs[4]
    cdef double ys[4]
    for k in range(4):
        xs[k] = x[k]
        ys[k] = y[k]
    return rsp_quad_area(xs, ys)


def quad_is_valid(x, y):
    """True if the quadrilateral is finite, of non-zero area and simple."""
    cdef double xs[4]
    cdef double ys[4]
    for k in range(4):
        xs[k] = x[k]
        ys[k] = y[k]
    return bool(rsp_quad_is_valid(xs, ys))


def fetch_add(int64_t[::1] counters, Py_ssize_t index, int64_t delta):
    """Add ``delta`` to ``counters[index]`` atomically; returns the value
    before.  Atomic across processes when ``counters`` lies in memory they
    share (an anonymous shared mapping made before a fork)."""
    if index < 0 or index >= counters.shape[0]:
        raise IndexError(f"counter {index} out of range")
    return rsp_fetch_add(&counters[index], delta)


def line_ranges(const double[:, :, ::1] pixmap, Py_ssize_t y0, Py_ssize_t y1, Py_ssize_t x0,
                Py_ssize_t x1, int component):
    """(column low, column high, row low, row high): the range of
    ``pixmap[..., component]`` over each input column and row of
    [y0, y1) x [x0, x1), NaN passed over (NaN where a line has nothing
    else), as numpy's nanmin and nanmax along each axis."""
    if not (0 <= y0 < y1 <= pixmap.shape[0] and 0 <= x0 < x1 <= pixmap.shape[1]) \
            or pixmap.shape[2] != 2 or component not in (0, 1):
        raise ValueError("line_ranges: section or component out of range")
    col_low = np.empty(x1 - x0)
    col_high = np.empty(x1 - x0)
    row_low = np.empty(y1 - y0)
    row_high = np.empty(y1 - y0)
    cdef double[::1] cl = col_low, ch = col_high, rl = row_low, rh = row_high
    with nogil:
        rsp_line_ranges(&pixmap[0, 0, 0], pixmap.shape[1], y0, y1, x0, x1, component,
                        &cl[0], &ch[0], &rl[0], &rh[0])
    return col_low, col_high, row_low, row_high


def line_histogram(const double[:, :, ::1] pixmap, int component, int64_t first,
                   Py_ssize_t n_lines):
    """Pixel centres of ``pixmap`` per output line ``first + k`` of its
    component (0: x, 1: y), k in [0, n_lines); NaN and lines outside
    not counted."""
    if pixmap.shape[2] != 2 or component not in (0, 1) or n_lines < 1:
        raise ValueError("line_histogram: bad component or number of lines")
    counts = np.zeros(n_lines, dtype=np.int64)
    cdef int64_t[::1] view = counts
    with nogil:
        rsp_line_histogram(&pixmap[0, 0, 0], pixmap.shape[0] * pixmap.shape[1], component,
                           first, n_lines, &view[0])
    return counts


def interpolate(const float[:, ::1] values, const double[::1] x, const double[::1] y,
                double min_weight, int cubic, variances=None):
    """(value, variance or None) of ``values`` interpolated bilinearly at
    the points ``x``, ``y`` (see rsp_interpolate)."""
    if x.shape[0] != y.shape[0]:
        raise ValueError("interpolate: x and y differ in length")
    cdef const float[:, ::1] spread
    cdef const float *spread_ptr = NULL
    if variances is not None:
        spread = variances
        if spread.shape[0] != values.shape[0] or spread.shape[1] != values.shape[1]:
            raise ValueError("interpolate: variances and values differ in shape")
        spread_ptr = &spread[0, 0]
    cdef Py_ssize_t n = x.shape[0]
    value = np.empty(n)
    variance = np.empty(n) if variances is not None else None
    cdef double[::1] out = value
    cdef double[::1] out_var
    cdef double *out_var_ptr = NULL
    if variance is not None:
        out_var = variance
        out_var_ptr = &out_var[0] if n else NULL
    if n == 0:
        return value, variance
    with nogil:
        rsp_interpolate(values.shape[1], values.shape[0], &values[0, 0], spread_ptr, n, &x[0],
                        &y[0], min_weight, cubic, &out[0], out_var_ptr)
    return value, variance


def others_at(const double[:, ::1] points, const float[:, :, ::1] coordinates,
              const float[:, ::1] values, variances, double min_weight):
    """(x, y, value, variance or None) at the grid ``points`` (n x 2: x, y)
    through the (2, ny, nx) ``coordinates`` maps (see rsp_others_at)."""
    if points.shape[1] != 2 or coordinates.shape[0] != 2:
        raise ValueError("others_at: points must be (n, 2) and coordinates (2, ny, nx)")
    cdef const float[:, ::1] spread
    cdef const float *spread_ptr = NULL
    if variances is not None:
        spread = variances
        if spread.shape[0] != values.shape[0] or spread.shape[1] != values.shape[1]:
            raise ValueError("others_at: variances and values differ in shape")
        spread_ptr = &spread[0, 0]
    cdef Py_ssize_t n = points.shape[0]
    x, y, value = np.empty(n), np.empty(n), np.empty(n)
    variance = np.empty(n) if variances is not None else None
    cdef double[::1] x_view = x, y_view = y, value_view = value
    cdef double[::1] variance_view
    cdef double *variance_ptr = NULL
    if n == 0:
        return x, y, value, variance
    if variance is not None:
        variance_view = variance
        variance_ptr = &variance_view[0]
    with nogil:
        rsp_others_at(n, &points[0, 0], coordinates.shape[1], coordinates.shape[2],
                      &coordinates[0, 0, 0], values.shape[0], values.shape[1], &values[0, 0],
                      spread_ptr, min_weight, &x_view[0], &y_view[0], &value_view[0],
                      variance_ptr)
    return x, y, value, variance


def steep_slopes(const float[:, ::1] data, const double[::1] x, const double[::1] y,
                 const double[::1] value, variance, double significant):
    """(index, gx, gy): see rsp_steep_slopes; ``variance`` may be None."""
    cdef Py_ssize_t n = value.shape[0]
    if x.shape[0] != n or y.shape[0] != n:
        raise ValueError("steep_slopes: x, y and value differ in length")
    cdef const double[::1] spread
    cdef const double *spread_ptr = NULL
    if variance is not None:
        spread = variance
        if spread.shape[0] != n:
            raise ValueError("steep_slopes: variance and value differ in length")
        spread_ptr = &spread[0] if n else NULL
    index = np.empty(n, dtype=np.int64)
    gx = np.empty(n)
    gy = np.empty(n)
    if n == 0:
        return index, gx, gy
    cdef int64_t[::1] index_view = index
    cdef double[::1] gx_view = gx, gy_view = gy
    cdef int64_t m
    with nogil:
        m = rsp_steep_slopes(n, &value[0], spread_ptr, &x[0], &y[0], data.shape[1],
                             data.shape[0], &data[0, 0], significant, &index_view[0],
                             &gx_view[0], &gy_view[0])
    return index[:m], gx[:m], gy[:m]


def neighbour_models(const double[:, ::1] values, const double[:, ::1] data,
                     const uint8_t[:, ::1] alone, bint slit_along_y, double[:, ::1] model):
    """Write in ``model`` the neighbours' model of each ``alone`` pixel (see
    rsp_neighbour_models)."""
    shape = (values.shape[0], values.shape[1])
    _same_shape("data", data, shape)
    _same_shape("alone", alone, shape)
    _same_shape("model", model, shape)
    cdef int64_t ny = shape[0], nx = shape[1]
    if ny == 0 or nx == 0:
        return
    with nogil:
        rsp_neighbour_models(nx, ny, &values[0, 0], &data[0, 0], &alone[0, 0], slit_along_y,
                             &model[0, 0])


def combine_estimates(const double[:, ::1] values, const double[:, ::1] variances,
                      double threshold, where=None):
    """(value, variance, count) of m >= 1 estimates per point (see
    rsp_combine_estimates); with ``where`` (a bool image holding at least
    as many True pixels as there are points, checked by the caller),
    images of its shape."""
    if values.shape[0] < 1:
        raise ValueError("combine_estimates: at least one estimate per point")
    if variances.shape[0] != values.shape[0] or variances.shape[1] != values.shape[1]:
        raise ValueError("combine_estimates: values and variances differ in shape")
    cdef Py_ssize_t n = values.shape[1]
    shape = (n,) if where is None else where.shape
    value = np.empty(shape)
    variance = np.empty(shape)
    count = np.empty(shape, dtype=np.int32)
    cdef const uint8_t[::1] chosen
    cdef const uint8_t *where_ptr = NULL
    cdef int64_t n_out = value.size
    if where is not None:
        chosen = where.reshape(-1).view(np.uint8)
        where_ptr = &chosen[0] if n_out else NULL
    if n_out == 0:
        return value, variance, count
    cdef double[::1] out_value = value.reshape(-1)
    cdef double[::1] out_variance = variance.reshape(-1)
    cdef int32_t[::1] out_count = count.reshape(-1)
    scratch = np.empty(values.shape[0])
    cdef double[::1] scratch_view = scratch
    cdef const double *values_ptr = &values[0, 0] if n else NULL
    cdef const double *variances_ptr = &variances[0, 0] if n else NULL
    with nogil:
        rsp_combine_estimates(n, values.shape[0], values_ptr, variances_ptr, threshold,
                              where_ptr, n_out, &scratch_view[0], &out_value[0],
                              &out_variance[0], &out_count[0])
    return value, variance, count


def judge_pixels(const double[:, ::1] data, const double[:, ::1] model,
                 const double[:, ::1] model_variance, const double[:, ::1] sigma,
                 const int32_t[:, ::1] others, const uint8_t[:, ::1] considered,
                 double threshold, double shift):
    """(mask, seen, seen_rejected): see rsp_judge_pixels."""
    cdef Py_ssize_t ny = data.shape[0], nx = data.shape[1]
    for name, array in (("model", model), ("model_variance", model_variance),
                        ("sigma", sigma), ("others", others), ("considered", considered)):
        if array.shape[0] != ny or array.shape[1] != nx:
            raise ValueError(f"judge_pixels: {name} and data differ in shape")
    mask = np.zeros((ny, nx), dtype=np.uint8)
    if ny == 0 or nx == 0:
        return mask.view(bool), 0, 0
    cdef uint8_t[:, ::1] out = mask
    cdef int64_t seen = 0, seen_rejected = 0
    with nogil:
        rsp_judge_pixels(nx, ny, &data[0, 0], &model[0, 0], &model_variance[0, 0],
                         &sigma[0, 0], &others[0, 0], &considered[0, 0], threshold, shift,
                         &out[0, 0], &seen, &seen_rejected)
    return mask.view(bool), seen, seen_rejected
