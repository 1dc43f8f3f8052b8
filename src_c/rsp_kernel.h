/*
 * resamplespec drizzle kernel: the whole contract between the C core and the
 * Cython wrapper (resamplespec/_kernel.pyx).
 *
 * Conventions
 * -----------
 * - Arrays are C-contiguous, row-major; an image of shape (ny, nx) holds pixel
 *   (i, j) at index j * nx + i.
 * - pixmap has shape (ny_in, nx_in, 2): pixmap[j][i] = (x, y) of the centre of
 *   input pixel (i, j) in output pixel coordinates.  Output pixel (ix, iy)
 *   covers [ix - 0.5, ix + 0.5) x [iy - 0.5, iy + 0.5).
 * - The caller (Python) validates shapes and dtypes; the core validates only
 *   what it must to stay inside its arrays, and reports by status code.  It
 *   holds no global state and allocates nothing per pixel: the square kernel
 *   with pixfrac = 1 takes one scratch buffer per call (two rows of shared
 *   footprint corners), and if that allocation fails it maps the corners per
 *   pixel instead, with the same numbers.
 *
 * Accumulators are double precision and hold running sums, never means:
 *   sum_wd[k]  = sum of w * d            d = data * iscale
 *   sum_w[k]   = sum of w
 *   sum_var[v][k]:
 *       RSP_VARIANCE_REFERENCE: sum of w * sqrt(var_v) * iscale
 *       RSP_VARIANCE_EXACT:     sum of w^2 * var_v * iscale^2
 *       RSP_VARIANCE_MEAN:      sum of w * var_v * iscale (planes of values
 *                               averaged as the data are)
 * A negative var_v counts as unknown (NaN) in the two variance modes.
 * where w is the weight an input pixel gives an output pixel: for the square
 * kernel (area of the mapped, pixfrac-shrunk pixel inside the output pixel) /
 * (area of the mapped pixel) * pixel weight; for the point kernel the pixel
 * weight, given to the output pixel that holds the centre.
 */
#ifndef RSP_KERNEL_H
#define RSP_KERNEL_H

#include <stdint.h>

#define RSP_MAX_VARIANCES 8

enum rsp_kernel_type { RSP_KERNEL_SQUARE = 0, RSP_KERNEL_POINT = 1 };

/* How the variance planes are drizzled: REFERENCE and EXACT as the two
 * variance modes of resamplespec (sum of w * sqrt(var), of w^2 * var);
 * MEAN as further data planes (sum of w * value, the data's weights), for
 * maps of values that are not variances (an input's pixel coordinates). */
enum rsp_variance_mode {
    RSP_VARIANCE_REFERENCE = 0,
    RSP_VARIANCE_EXACT = 1,
    RSP_VARIANCE_MEAN = 2
};

enum rsp_status {
    RSP_OK = 0,
    RSP_ERR_SHAPE = 1,    /* an image dimension is < 1 (or < 2 for square) */
    RSP_ERR_BOUNDS = 2,   /* the input section lies outside the input image, or
                             the window outside the grid or its storage */
    RSP_ERR_ARGUMENT = 3  /* pixfrac, kernel, variance count or mode invalid */
};

typedef struct {
    int64_t nx, ny;              /* input image size */
    const float *data;           /* ny * nx */
    const double *pixmap;        /* ny * nx * 2 */
    const float *weights;        /* ny * nx, or NULL for unit weights */
    const uint32_t *dq;          /* ny * nx, or NULL */
    const float *variances[RSP_MAX_VARIANCES]; /* each ny * nx */
    int n_variances;
    double iscale;               /* multiplies data (and sqrt(var)) */
    int64_t xmin, xmax, ymin, ymax; /* inclusive section of the input */
} rsp_input;

typedef struct {
    int64_t nx, ny;              /* output image size (the whole grid) */
    /* The window written: output rows [row_min, row_max) and columns
     * [col_min, col_max) receive contributions; other pixels are left
     * alone.  Threads that own disjoint windows can therefore share the
     * arrays without locks, and the values written do not depend on the
     * window: any split of the grid gives the whole-output result bit for
     * bit (the kernel chooses each footprint's arithmetic from the whole
     * grid, never from the window). */
    int64_t row_min, row_max, col_min, col_max;
    /* Storage: output pixel (ix, iy) is element
     *     (iy - origin_row) * stride + (ix - origin_col)
     * of every array below, which must hold the window: the whole grid
     * (origin 0, 0 and stride nx), or just the window (origin row_min,
     * col_min and stride col_max - col_min), so that a grid too large for
     * memory can be drizzled window by window. */
    int64_t origin_row, origin_col, stride;
    double *sum_wd;
    double *sum_w;
    double *sum_var[RSP_MAX_VARIANCES]; /* n_variances of the input */
    /* Optional (or NULL): sum of w of this input alone.  With it, and the
     * variance sums zeroed before the call, the variances of one input can be
     * normalised on their own while data and weight accumulate across inputs
     * -- the JWST pipeline's per-input variance resampling, in the same pass. */
    double *sum_w_input;
    int32_t *context;            /* the plane of this input, or NULL */
    int32_t context_bit;         /* 1 << (input index % 32) */
    uint32_t *dq;                /* or NULL */
    /* Optional (or NULL): the covariance sums of the output pixels, in
     * exact variance mode (see rsp_covariance below). */
    struct rsp_covariance *covariance;
} rsp_output;

typedef struct {
    int kernel;                  /* enum rsp_kernel_type */
    int variance_mode;           /* enum rsp_variance_mode */
    double pixfrac;              /* 0 < pixfrac <= 1 */
    /* 0 (the normal setting): with pixfrac = 1 each footprint corner is
     * mapped once and shared by the four pixels around it.  1: every pixel
     * maps its own four corners.  Both give the same numbers, bit for bit;
     * the switch exists so that tests can prove it. */
    int per_pixel_corners;
    /* Largest footprint extent, in output pixels along x or y, that the
     * square kernel draws (> 0).  A footprint that wide is no input pixel
     * (a pixel map that diverges, or is folded): it is skipped and counted
     * as oversized, which also bounds the work per input pixel. */
    double max_footprint;
} rsp_params;

typedef struct {
    int64_t drawn;   /* input pixels that gave some output pixel weight > 0 */
    int64_t skipped; /* input pixels of the section that gave nothing */
    int64_t oversized; /* of the skipped: footprints wider than max_footprint */
} rsp_counts;

/*
 * Covariance of drizzled pixels (exact variance mode).  Output pixels k and
 * l that share input pixels i have the covariance
 *     cov(k, l) = sum_i w_ik w_il V_i / (W_k W_l),
 *     V_i = iscale^2 * (sum of the finite variances of input pixel i),
 * W_k = sum_i w_ik.  The kernel accumulates the numerator of every pair
 * once, at its owner k: the pixel from which l lies at an offset (dx, dy)
 * of the half-plane
 *     dy == 0 and 0 < dx <= reach_x,  or  0 < dy <= reach_y and |dx| <= reach_x,
 * into plane p = rsp_covariance_plane(dx, dy, reach_x) of sum_cov.  The
 * planes are interleaved, so that the pairs of one pixel share its cache
 * lines: the sum of pixel k (its element in the other accumulators, same
 * origin and stride) and plane p is sum_cov[k * n_planes + p], n_planes =
 * rsp_covariance_planes(reach_x, reach_y).  Only owners inside the window
 * are written.  The partner l may lie outside the window: the footprint's
 * weights are computed on the whole grid, so that a pair across a window
 * or band edge is counted once, whole, by the window of its owner, and any
 * split of the grid gives the same sums bit for bit.  The reach must cover
 * every footprint (rsp_footprint_reach); a pair beyond it is not counted
 * but counted in beyond_reach.  `cells` is scratch of
 * (reach_x + 1) * (reach_y + 1) doubles.
 */
typedef struct rsp_covariance {
    int64_t reach_x, reach_y;
    double *sum_cov;
    int64_t n_planes;
    double *cells;
    int64_t beyond_reach;   /* out: pairs not counted (0 when the reach is right) */
} rsp_covariance;

/* Number of offsets (planes) of a reach, and the plane of offset (dx, dy). */
static inline int64_t rsp_covariance_planes(int64_t reach_x, int64_t reach_y)
{
    return reach_y * (2 * reach_x + 1) + reach_x;
}

static inline int64_t rsp_covariance_plane(int64_t dx, int64_t dy, int64_t reach_x)
{
    return dy == 0 ? dx - 1 : reach_x + (dy - 1) * (2 * reach_x + 1) + (dx + reach_x);
}

/*
 * The reach of the footprints of the input section on an output grid of
 * nx x ny: the largest (number of output columns - 1) and (rows - 1) that
 * one drawable footprint spans on the grid (0, 0 for the point kernel).
 * The same corners and the same whole-grid pixel ranges the drawing uses,
 * so the reach covers every pair it makes.  Returns an rsp_status.
 */
int rsp_footprint_reach(const rsp_input *in, const rsp_params *par, int64_t out_nx,
                        int64_t out_ny, int64_t *reach_x, int64_t *reach_y);

/*
 * Drizzle one input image onto the output accumulators.  Thread-safe for
 * distinct outputs or disjoint windows; never reads or writes outside the
 * arrays whatever values the pixmap holds (NaN, inf, huge, folded).
 * Returns an rsp_status.
 */
int rsp_drizzle_add(const rsp_input *in, const rsp_params *par, rsp_output *out,
                    rsp_counts *counts);

/*
 * Reference-mode variance combination (the JWST pipeline's), for one input
 * just drizzled with sum_w_input set: for every output pixel k where the
 * input contributed,
 *     v_m = (sum_var_input[m][k] / sum_w_input[k])^2          (per variance m)
 *     W   = 1 / v_0 if ivm (0 unless v_0 > 0 and finite), else constant_weight
 *     where v_m is finite and >= 0 and W > 0:
 *         wsum[m][k] += v_m * W * W;  wt[m][k] += W
 * then the per-input sums are zeroed for the next input.  n pixels.
 */
void rsp_combine_reference_variances(int64_t n, int n_variances, double *sum_var_input[],
                                     double *sum_w_input, int inverse_first_variance,
                                     double constant_weight, double *wsum[], double *wt[]);

/*
 * Finishing: the accumulators turned into float32 results, one pass each,
 * n pixels.  Where the weight is 0 (or rounds to 0 in float32) data get
 * `fill` and variances NaN.
 *   rsp_finish_data:      data = sum_wd / sum_w, wht = sum_w (wht may be NULL).
 *   rsp_finish_exact_variance: variance = sum_var / sum_w^2.
 *   rsp_finish_reference_variances: variance_m = wsum_m / wt_m^2, where the
 *     last input may still be pending in sum_var_input / sum_w_input (or
 *     NULL): it is counted exactly as rsp_combine_reference_variances would
 *     count it, without touching any accumulator, so finishing reads the
 *     per-input sums once instead of folding them in first.  wsum and wt
 *     may be NULL when no input has been folded in yet.
 */
void rsp_finish_data(int64_t n, const double *sum_wd, const double *sum_w, double fill,
                     float *data, float *wht);
void rsp_finish_exact_variance(int64_t n, const double *sum_var, const double *sum_w,
                               float *variance);
void rsp_finish_reference_variances(int64_t n, int n_variances, const double *const wsum[],
                                    const double *const wt[],
                                    const double *const sum_var_input[],
                                    const double *sum_w_input, int inverse_first_variance,
                                    double constant_weight, float *variances[]);

/*
 * Covariance finishing.
 *   rsp_finish_pair_sums: values[p * n + k] = sum_cov[k * n_planes + p] /
 *     sum_w[k] as float32 (0 where sum_w[k] is 0), n pixels: the
 *     interleaved sums to contiguous planes.
 *   rsp_pair_covariance: on a whole ny x nx grid, in place, plane p pairing
 *     pixel (y, x) with (y + dy, x + dx), offsets[2p] = dy, offsets[2p+1] = dx:
 *     values = values / wht[partner] -- the covariance -- and, with err
 *     (else NULL), divided by err[pixel] * err[partner] -- the correlation;
 *     0 where the partner is off the grid, has no weight, or the division
 *     is not finite.
 */
void rsp_finish_pair_sums(int64_t n_planes, int64_t n, const double *sum_cov,
                          const double *sum_w, float *values);
void rsp_pair_covariance(int64_t ny, int64_t nx, int64_t n_planes, const int64_t *offsets,
                         const float *wht, const float *err, float *values);

/*
 * Exact area of the intersection of the quadrilateral (x[k], y[k]),
 * k = 0..3, with the unit-area output pixel centred on (cx, cy).  Signed: the
 * sign of the quadrilateral's orientation (positive counter-clockwise).
 * Exposed for testing the geometry on its own.
 */
double rsp_quad_pixel_overlap(const double x[4], const double y[4], double cx, double cy);

/*
 * Signed area of the quadrilateral, and whether it is a usable drizzle
 * footprint: finite, non-zero area and not self-intersecting.
 */
double rsp_quad_area(const double x[4], const double y[4]);
int rsp_quad_is_valid(const double x[4], const double y[4]);

/*
 * Ranges of one component (0: x, 1: y) of a pixel map (ny x nx x 2) over
 * the input columns and rows of [y0, y1) x [x0, x1): for each column
 * i in [x0, x1), col_low[i - x0] and col_high[i - x0] are its minimum and
 * maximum over the rows, and for each row likewise over the columns.  NaN
 * is passed over; a line with no other value gets NaN (as numpy's nanmin
 * and nanmax).  One pass, for the band sections of rsp_drizzle_add's callers.
 */
void rsp_line_ranges(const double *pixmap, int64_t nx, int64_t y0, int64_t y1, int64_t x0,
                     int64_t x1, int component, double *col_low, double *col_high,
                     double *row_low, double *row_high);

/*
 * Number of pixel centres of a pixel map (ny x nx x 2) whose component
 * (0: x, 1: y) rounds to each output line first + k, k in [0, n_lines):
 * line k spans [k - 0.5, k + 0.5).  counts must hold n_lines zeros.
 */
void rsp_line_histogram(const double *pixmap, int64_t n_pixels, int component, int64_t first,
                        int64_t n_lines, int64_t *counts);

/*
 * Atomically add delta to *counter and return its value before: a counter
 * that processes forked from one parent share in an anonymous shared
 * mapping, to hand out work without a lock (a lock held by a process that
 * is killed would stay held).
 */
int64_t rsp_fetch_add(int64_t *counter, int64_t delta);

#endif /* RSP_KERNEL_H */
