/*
 * The drizzle loops: square (exact overlap) and point kernels.
 * See rsp_kernel.h for the contract and rsp_geometry.h for the geometry.
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "rsp_geometry.h"
#include "rsp_kernel.h"

#if defined(_MSC_VER)
#include <intrin.h>
#endif

/* Largest footprint extent, in output pixels, that the square kernel draws
 * whatever rsp_params.max_footprint says: beyond it the overlaps would come
 * from differences of numbers ~1e8 times larger than a pixel. */
#define RSP_MAX_FOOTPRINT 1e8
/* Footprints with a smaller area / bounding-box area, or a smaller area in
 * output pixels, are skipped: slivers and specks whose area is round-off. */
#define RSP_MIN_AREA_FRACTION 1e-9
#define RSP_MIN_AREA 1e-12

/* Per-pixel values of an input pixel that are the same for every output
 * pixel it touches; computed once per input pixel. */
typedef struct {
    double d;                         /* data * iscale */
    double var[RSP_MAX_VARIANCES];    /* sqrt(var)*iscale, var*iscale^2 or var*iscale */
    uint32_t dq;
    /* Set once per call: only sums to deposit (no per-input weights, no
     * context, no DQ), which the 2 x 2 fast path writes straight. */
    int plain;
} pixel_values;

/*
 * Position of input point (xc, yc) on the output grid: bilinear interpolation
 * of the pixmap between the four surrounding pixel centres.  Outside the
 * image the border cell is extended linearly, so corners of edge pixels are
 * extrapolated from the same cell that interpolates their inside.  Requires
 * nx >= 2 and ny >= 2 (the wrapper pads thinner images).
 */
static inline void map_point(const double *pixmap, int64_t nx, int64_t ny,
                             double xc, double yc, double *xo, double *yo)
{
    double fi = floor(xc), fj = floor(yc);
    if (fi < 0.0) fi = 0.0;
    if (fi > (double)(nx - 2)) fi = (double)(nx - 2);
    if (fj < 0.0) fj = 0.0;
    if (fj > (double)(ny - 2)) fj = (double)(ny - 2);
    const int64_t i0 = (int64_t)fi, j0 = (int64_t)fj;
    const double fx = xc - fi, fy = yc - fj;
    const double *p00 = pixmap + 2 * (j0 * nx + i0);
    const double *p10 = p00 + 2;
    const double *p01 = p00 + 2 * nx;
    const double *p11 = p01 + 2;
    const double w00 = (1.0 - fx) * (1.0 - fy), w10 = fx * (1.0 - fy);
    const double w01 = (1.0 - fx) * fy, w11 = fx * fy;
    *xo = w00 * p00[0] + w10 * p10[0] + w01 * p01[0] + w11 * p11[0];
    *yo = w00 * p00[1] + w10 * p10[1] + w01 * p01[1] + w11 * p11[1];
}

/* The input pixel's value and weight, or 0 when it must contribute nothing
 * (non-finite data, or a weight that is not a positive finite number). */
static inline int read_pixel(const rsp_input *in, const rsp_params *par, int64_t idx,
                             pixel_values *v, double *weight)
{
    const double d = in->data[idx];
    if (!isfinite(d)) {
        return 0;
    }
    const double w = in->weights ? (double)in->weights[idx] : 1.0;
    if (!(w > 0.0) || !isfinite(w)) {
        return 0;
    }
    *weight = w;
    v->d = d * in->iscale;
    /* A negative variance is no variance: unknown, as NaN is.  sqrt makes it
     * NaN in reference mode (the reference's np.sqrt does the same); exact
     * mode says so explicitly.  Either way the output variance it reaches
     * is NaN (exact) or leaves this input out (reference combination).
     * MEAN planes are values of any sign, taken as they are. */
    for (int k = 0; k < in->n_variances; ++k) {
        const double var = in->variances[k][idx];
        switch (par->variance_mode) {
        case RSP_VARIANCE_EXACT:
            v->var[k] = var >= 0.0 ? var * in->iscale * in->iscale : NAN;
            break;
        case RSP_VARIANCE_MEAN:
            v->var[k] = var * in->iscale;
            break;
        default:
            v->var[k] = sqrt(var) * in->iscale;
        }
    }
    v->dq = in->dq ? in->dq[idx] : 0u;
    return 1;
}

static inline void deposit(rsp_output *out, int n_variances, int variance_mode,
                           int64_t k, double w, const pixel_values *v)
{
    out->sum_wd[k] += w * v->d;
    out->sum_w[k] += w;
    if (out->sum_w_input) {
        out->sum_w_input[k] += w;
    }
    const double wv = variance_mode == RSP_VARIANCE_EXACT ? w * w : w;
    for (int m = 0; m < n_variances; ++m) {
        out->sum_var[m][k] += wv * v->var[m];
    }
    if (out->context) {
        out->context[k] |= out->context_bit;
    }
    if (out->dq) {
        out->dq[k] |= v->dq;
    }
}

/* Element of output pixel (ix, iy) in the accumulators (see rsp_output). */
static inline int64_t out_index(const rsp_output *out, int64_t ix, int64_t iy)
{
    return (iy - out->origin_row) * out->stride + (ix - out->origin_col);
}

static inline int in_window(const rsp_output *out, int64_t ix, int64_t iy)
{
    return iy >= out->row_min && iy < out->row_max && ix >= out->col_min && ix < out->col_max;
}

/*
 * Output indices of the pixels meeting [lo, hi] (pixel k spans
 * [k - 0.5, k + 0.5)), clamped to [first, last]; returns 0 when none.  The
 * comparisons are made on doubles before any integer conversion, so huge or
 * NaN coordinates can never overflow one; after clamping the values are
 * non-negative and truncation is floor.
 */
static inline int index_range(double lo, double hi, int64_t first, int64_t last,
                              int64_t *i0, int64_t *i1)
{
    double a = lo + 0.5, b = hi + 0.5;
    if (!(b >= (double)first) || !(a < (double)last + 1.0)) {
        return 0;
    }
    if (a < (double)first) a = (double)first;
    if (b > (double)last) b = (double)last;
    *i0 = (int64_t)a;
    *i1 = (int64_t)b;
    return *i0 <= *i1;
}

/*
 * Corners of the footprint of an interior pixel (i, j), 0 < i < nx - 1 and
 * 0 < j < ny - 1.  Each corner lies in the cell between the pixel and one
 * diagonal neighbour, at fractional offset h from the pixel, so the bilinear
 * weights are the same for all four: (1-h)^2 on the pixel, h(1-h) on the two
 * edge neighbours, h^2 on the diagonal one.  Same values as map_point (to
 * round-off), with no cell search.  Used for shrunk pixels (pixfrac < 1),
 * whose corners belong to one pixel only.
 */
static inline void interior_corners(const double *pixmap, int64_t nx, int64_t i, int64_t j,
                                    double h, double x[4], double y[4])
{
    const double wc = (1.0 - h) * (1.0 - h), we = h * (1.0 - h), wd = h * h;
    const double *c = pixmap + 2 * (j * nx + i);
    const int64_t row = 2 * nx;
    /* Neighbour offsets (dx, dy) of the corners, counter-clockwise. */
    static const int dx[4] = {-1, 1, 1, -1}, dy[4] = {-1, -1, 1, 1};
    for (int k = 0; k < 4; ++k) {
        const double *ex = c + 2 * dx[k];       /* neighbour along x */
        const double *ey = c + row * dy[k];     /* neighbour along y */
        const double *dg = ey + 2 * dx[k];      /* diagonal neighbour */
        x[k] = wc * c[0] + we * (ex[0] + ey[0]) + wd * dg[0];
        y[k] = wc * c[1] + we * (ex[1] + ey[1]) + wd * dg[1];
    }
}

/*
 * Overlaps of a footprint that has one corner in each of the four output
 * pixels around the grid point C they share, visited in cyclic order -- the
 * usual case when input and output pixels are about the same size.  Then
 * each edge crosses exactly one of the two grid lines through C, and the part
 * of the footprint in the pixel of corner k is the quadrilateral C, X_in,
 * P_k, X_out, where X_in and X_out are the crossings of its incoming and
 * outgoing edges.  With C as origin that is half of cross(X_in, P_k) +
 * cross(P_k, X_out): four divisions for the four crossings and a few
 * products, with no clipping cases.  Opposite edges lie on opposite sides of
 * a grid line, so such a footprint cannot cross itself: no bow-tie test is
 * needed.
 *
 * (pu[k], pv[k]) are the corners relative to C.  Edges `first` and
 * first + 2 cross the vertical line u = 0, the other two the horizontal line
 * v = 0.  area_k[k] receives the signed overlap with the pixel of corner k.
 */
static inline void four_cell_areas(const double pu[4], const double pv[4], int first,
                                   double area_k[4])
{
    double to_next[4], from_prev[4];
    for (int k = 0; k < 4; ++k) {
        const int n = (k + 1) & 3;
        const double cross = pu[k] * pv[n] - pv[k] * pu[n];
        if (((k - first) & 1) == 0) {
            /* Crosses u = 0 at (0, a); pu[k] and pu[n] differ in sign. */
            const double a = -cross / (pu[n] - pu[k]);
            to_next[k] = pu[k] * a;
            from_prev[n] = -a * pu[n];
        } else {
            /* Crosses v = 0 at (b, 0). */
            const double b = cross / (pv[n] - pv[k]);
            to_next[k] = -pv[k] * b;
            from_prev[n] = b * pv[n];
        }
    }
    for (int k = 0; k < 4; ++k) {
        area_k[k] = 0.5 * (from_prev[k] + to_next[k]);
    }
}

/*
 * Is this the four-pixel pattern, and which edges cross u = 0?  `right` and
 * `above` hold bit k set when corner k lies right of / above C.  Walking
 * round the pattern, the side in u changes on two opposite edges and the
 * side in v on the other two: right is 0b1001 or 0b0110 (edges 0 and 2
 * cross u = 0) and above 0b0011 or 0b1100, or the same with u and v
 * swapped (edges 1 and 3 cross u = 0).  Returns that first edge, or -1.
 */
static inline int four_cell_pattern(int right, int above)
{
    const int odd = right == 0x9 || right == 0x6, even = right == 0x3 || right == 0xC;
    if (odd && (above == 0x3 || above == 0xC)) {
        return 0;
    }
    if (even && (above == 0x9 || above == 0x6)) {
        return 1;
    }
    return -1;
}

/*
 * Corners of the footprints of one row of input pixels when pixfrac = 1:
 * the points (i - 0.5, yc) for i = i_first .. i_first + n - 1, each mapped
 * once.  A corner of a whole pixel is shared by the four pixels around it, so
 * mapping each one once (instead of four times, once per pixel) cuts the
 * interpolation work by four, and neighbouring footprints share their edges
 * exactly: they tile the output with no gap or overlap from round-off.
 */
static void map_corner_row(const double *pixmap, int64_t nx, int64_t ny, double yc,
                           int64_t i_first, int64_t n, double *xo, double *yo)
{
    /* Corners between two pixel centres in both directions sit in the middle
     * of their cell, where map_point's four weights are exactly 1/4; this is
     * map_point's sum, term for term in its order, without the cell search. */
    const int64_t j0 = (int64_t)floor(yc);
    const int inner_row = yc > 0.0 && yc < (double)(ny - 1);
    for (int64_t c = 0; c < n; ++c) {
        const int64_t i = i_first + c;
        if (inner_row && i >= 1 && i <= nx - 1) {
            const double *p00 = pixmap + 2 * (j0 * nx + i - 1);
            const double *p10 = p00 + 2;
            const double *p01 = p00 + 2 * nx;
            const double *p11 = p01 + 2;
            xo[c] = 0.25 * p00[0] + 0.25 * p10[0] + 0.25 * p01[0] + 0.25 * p11[0];
            yo[c] = 0.25 * p00[1] + 0.25 * p10[1] + 0.25 * p01[1] + 0.25 * p11[1];
        } else {
            map_point(pixmap, nx, ny, (double)i - 0.5, yc, &xo[c], &yo[c]);
        }
    }
}

/* Corners (x[k], y[k]) of the footprint of input pixel (i, j), counter-
 * clockwise in the input frame, computed for this pixel alone. */
static inline void pixel_corners(const rsp_input *in, double h, int64_t i, int64_t j,
                                 double x[4], double y[4])
{
    if (h < 0.5 && i > 0 && i < in->nx - 1 && j > 0 && j < in->ny - 1) {
        interior_corners(in->pixmap, in->nx, i, j, h, x, y);
        return;
    }
    /* pixfrac = 1 always goes through map_point, so that these corners are
     * the very numbers map_corner_row gives: the shared path equals this one
     * bit for bit. */
    map_point(in->pixmap, in->nx, in->ny, i - h, j - h, &x[0], &y[0]);
    map_point(in->pixmap, in->nx, in->ny, i + h, j - h, &x[1], &y[1]);
    map_point(in->pixmap, in->nx, in->ny, i + h, j + h, &x[2], &y[2]);
    map_point(in->pixmap, in->nx, in->ny, i - h, j + h, &x[3], &y[3]);
}

/* Corners of the footprint of input pixel (i, j): from the corner rows
 * mapped once per row pair (below_x non-NULL: pixfrac = 1), else from
 * pixel_corners; the same numbers either way. */
static inline void footprint_corners(const rsp_input *in, double h, int64_t i, int64_t j,
                                     const double *below_x, const double *below_y,
                                     const double *above_x, const double *above_y,
                                     double x[4], double y[4])
{
    if (!below_x) {
        pixel_corners(in, h, i, j, x, y);
        return;
    }
    const int64_t c = i - in->xmin;
    x[0] = below_x[c]; y[0] = below_y[c];
    x[1] = below_x[c + 1]; y[1] = below_y[c + 1];
    x[2] = above_x[c + 1]; y[2] = above_y[c + 1];
    x[3] = above_x[c]; y[3] = above_y[c];
}

/* The widest footprint drawn, in output pixels: the caller's limit, capped. */
static inline double footprint_limit(const rsp_params *par)
{
    return par->max_footprint < RSP_MAX_FOOTPRINT ? par->max_footprint : RSP_MAX_FOOTPRINT;
}

/*
 * Deposit one overlap `a` (signed, in output pixel areas) as the weight
 * a * scale, where scale = weight / area carries the footprint's sign, so
 * that a mirrored footprint's negative overlaps give positive weights.
 * Overlaps below `tiny` are round-off of the differences that made them,
 * not geometry, and are dropped.  Returns 1 if it deposited.
 */
static inline int deposit_overlap(const rsp_input *in, const rsp_params *par, rsp_output *out,
                                  int64_t k, double a, double scale, double tiny,
                                  const pixel_values *v)
{
    const double w = a * scale;
    if (fabs(a) > tiny && w > 0.0) {
        deposit(out, in->n_variances, par->variance_mode, k, w, v);
        return 1;
    }
    return 0;
}

/*
 * Signed area and bounding box [xlo, xhi] x [ylo, yhi] of the footprint
 * (x, y); returns 0 when it is no drawable footprint: not finite, of zero
 * area, or a sliver or speck whose area is round-off.
 */
static inline int footprint_area_and_box(const double x[4], const double y[4], double *area,
                                         double *xlo, double *xhi, double *ylo, double *yhi)
{
    /* The area involves all eight coordinates, and a NaN or infinity in any
     * of them makes it NaN or infinite (inf - inf, inf * 0, or inf left
     * standing): a finite non-zero area proves the corners finite. */
    const double a = rsp_quad_signed_area(x, y);
    const double size = fabs(a);
    if (!(size > 0.0 && size < INFINITY)) {
        return 0;
    }
    double x0 = x[0], x1 = x[0], y0 = y[0], y1 = y[0];
    for (int c = 1; c < 4; ++c) {
        x0 = x[c] < x0 ? x[c] : x0;
        x1 = x[c] > x1 ? x[c] : x1;
        y0 = y[c] < y0 ? y[c] : y0;
        y1 = y[c] > y1 ? y[c] : y1;
    }
    /* A sliver whose area is below 1e-9 of its bounding box, or a speck
     * below 1e-12 output pixels, has an area made of round-off, not
     * geometry (hostile maps: corners 1e-300 apart): the overlaps' own
     * round-off times weight / area would overflow the float32 outputs.
     * No pixel footprint is that thin or that small (a pixel-scale ratio
     * of a million). */
    if (!(size > RSP_MIN_AREA && size > RSP_MIN_AREA_FRACTION * (x1 - x0) * (y1 - y0))) {
        return 0;
    }
    *area = a;
    *xlo = x0;
    *xhi = x1;
    *ylo = y0;
    *yhi = y1;
    return 1;
}

/* ---- Covariance of the output pixels (see rsp_covariance in the header) ---- */

/* V of an input pixel: the sum of its finite variances, times iscale^2
 * (exact mode keeps var * iscale^2 in v->var). */
static inline double total_variance(int n_variances, const pixel_values *v)
{
    double total = 0.0;
    for (int m = 0; m < n_variances; ++m) {
        if (isfinite(v->var[m])) {
            total += v->var[m];
        }
    }
    return total;
}

/*
 * deposit_pairs for a box larger than the reach (which rsp_footprint_reach
 * rules out): each pair's offset checked, those beyond the reach counted
 * instead of added.
 */
static void deposit_pairs_checked(rsp_output *out, int64_t ix0, int64_t iy0, int64_t ncols,
                          int64_t nrows, const double *w, double variance)
{
    rsp_covariance *cov = out->covariance;
    const int64_t rx = cov->reach_x, ry = cov->reach_y;
    for (int64_t ra = 0; ra < nrows; ++ra) {
        for (int64_t ca = 0; ca < ncols; ++ca) {
            const double wa = w[ra * ncols + ca];
            if (!(wa > 0.0) || !in_window(out, ix0 + ca, iy0 + ra)) {
                continue;
            }
            const int64_t k = out_index(out, ix0 + ca, iy0 + ra);
            const double wa_var = wa * variance;
            for (int64_t rb = ra; rb < nrows; ++rb) {
                for (int64_t cb = rb == ra ? ca + 1 : 0; cb < ncols; ++cb) {
                    const double wb = w[rb * ncols + cb];
                    if (!(wb > 0.0)) {
                        continue;
                    }
                    const int64_t dx = cb - ca, dy = rb - ra;
                    if (dx > rx || dx < -rx || dy > ry) {
                        ++cov->beyond_reach;
                        continue;
                    }
                    cov->sum_cov[k * cov->n_planes + rsp_covariance_plane(dx, dy, rx)] +=
                        wa_var * wb;
                }
            }
        }
    }
}

/*
 * The pairs of one footprint: w[r * ncols + c] is the weight it gives output
 * pixel (ix0 + c, iy0 + r) of the whole grid (0 where none).  Each pair is
 * added at its owner (the first of the two in row-major order), if the
 * owner lies in the window.  In a box within the reach every offset has its
 * plane, and the plane of (dx, dy) is q(dx, dy) - 1 with q = dy * (2 reach_x
 * + 1) + dx (rsp_covariance_plane: for dy = 0 it is dx - 1), so the partner
 * at (cb, rb) of the box lands at q(cb, rb) - q(ca, ra) - 1 of its owner's
 * sums: one index per owner, no test per pair.  Each sum gets at most one
 * term per footprint, the same term in the same order as the checked form.
 */
static void deposit_pairs(rsp_output *out, int64_t ix0, int64_t iy0, int64_t ncols,
                          int64_t nrows, const double *w, double variance)
{
    rsp_covariance *cov = out->covariance;
    if (ncols - 1 > cov->reach_x || nrows - 1 > cov->reach_y) {
        deposit_pairs_checked(out, ix0, iy0, ncols, nrows, w, variance);
        return;
    }
    const int64_t plane_row = 2 * cov->reach_x + 1, n_planes = cov->n_planes;
    double *const sum_cov = cov->sum_cov;
    for (int64_t ra = 0; ra < nrows; ++ra) {
        for (int64_t ca = 0; ca < ncols; ++ca) {
            const double wa = w[ra * ncols + ca];
            if (!(wa > 0.0) || !in_window(out, ix0 + ca, iy0 + ra)) {
                continue;
            }
            /* sums[q] is the plane of the partner at q(cb, rb) = q */
            const int64_t owner = out_index(out, ix0 + ca, iy0 + ra) * n_planes;
            const int64_t shift = owner - (ra * plane_row + ca) - 1;
            const double wa_var = wa * variance;
            for (int64_t cb = ca + 1; cb < ncols; ++cb) {
                const double wb = w[ra * ncols + cb];
                if (wb > 0.0) {
                    sum_cov[shift + ra * plane_row + cb] += wa_var * wb;
                }
            }
            for (int64_t rb = ra + 1; rb < nrows; ++rb) {
                const double *w_row = w + rb * ncols;
                const int64_t row = shift + rb * plane_row;
                for (int64_t cb = 0; cb < ncols; ++cb) {
                    if (w_row[cb] > 0.0) {
                        sum_cov[row + cb] += wa_var * w_row[cb];
                    }
                }
            }
        }
    }
}

/* Whether the n variance planes' values of a pixel are all finite. */
static inline int finite_planes(int n, const pixel_values *v)
{
    for (int m = 0; m < n; ++m) {
        if (!isfinite(v->var[m])) {
            return 0;
        }
    }
    return 1;
}

/*
 * Deposit the weights w_cell of the 2 x 2 output pixels whose lower-left
 * one is (ix, iy), indexed by position (bit 0 right, bit 1 above); a weight
 * of 0 marks a pixel the footprint does not reach.  Returns 1 if some pixel
 * of the window received weight.
 */
static inline int deposit_four_cells(const rsp_input *in, const rsp_params *par,
                                     rsp_output *out, int64_t ix, int64_t iy,
                                     const double w_cell[4], const pixel_values *v)
{
    if (v->plain && finite_planes(in->n_variances, v) && iy >= out->row_min &&
        iy + 1 < out->row_max && ix >= out->col_min && ix + 1 < out->col_max) {
        /* Only sums, all four pixels in the window: straight sums, as
         * deposit makes them.  A pixel left at weight 0 gets + 0.0, which
         * changes no sum (they start at +0.0 and never become -0.0); hence
         * finite values only (0 * inf would be NaN where deposit adds
         * nothing). */
        const int64_t k0 = out_index(out, ix, iy);
        double *wd = out->sum_wd + k0, *sw = out->sum_w + k0;
        const int64_t up = out->stride;
        wd[0] += w_cell[0] * v->d;
        wd[1] += w_cell[1] * v->d;
        wd[up] += w_cell[2] * v->d;
        wd[up + 1] += w_cell[3] * v->d;
        sw[0] += w_cell[0];
        sw[1] += w_cell[1];
        sw[up] += w_cell[2];
        sw[up + 1] += w_cell[3];
        const int squared = par->variance_mode == RSP_VARIANCE_EXACT;
        for (int m = 0; m < in->n_variances; ++m) {
            double *sv = out->sum_var[m] + k0;
            const double s = v->var[m];
            sv[0] += (squared ? w_cell[0] * w_cell[0] : w_cell[0]) * s;
            sv[1] += (squared ? w_cell[1] * w_cell[1] : w_cell[1]) * s;
            sv[up] += (squared ? w_cell[2] * w_cell[2] : w_cell[2]) * s;
            sv[up + 1] += (squared ? w_cell[3] * w_cell[3] : w_cell[3]) * s;
        }
        return w_cell[0] > 0.0 || w_cell[1] > 0.0 || w_cell[2] > 0.0 || w_cell[3] > 0.0;
    }
    int hit = 0;
    for (int c = 0; c < 4; ++c) {
        const int64_t col = ix + (c & 1), row = iy + (c >> 1);
        if (w_cell[c] > 0.0 && in_window(out, col, row)) {
            deposit(out, in->n_variances, par->variance_mode, out_index(out, col, row),
                    w_cell[c], v);
            hit = 1;
        }
    }
    return hit;
}

/*
 * The common case, tried first: the footprint lies inside the output,
 * meets exactly 2 x 2 output pixels and has one corner in each
 * (four_cell_areas).  The choice of path looks at the whole output, never
 * at the window, so that a pixel's overlaps are the same numbers whatever
 * the windows: a window only decides which of them it writes.  Returns 1 if
 * it did and the pixel was drawn,
 * setting *hit; 0 to hand the footprint to the general path.  The bounding
 * box is already known to be finite.
 */
static inline int draw_four_cells(const rsp_input *in, const rsp_params *par, rsp_output *out,
                                  const double x[4], const double y[4], double area,
                                  double xlo, double xhi, double ylo, double yhi,
                                  double weight, const pixel_values *v, int *hit)
{
    /* Inside the output the shifted coordinates are >= 0, where truncation
     * to an integer is floor. */
    const double a0 = xlo + 0.5, a1 = xhi + 0.5, b0 = ylo + 0.5, b1 = yhi + 0.5;
    if (!(a0 >= 0.0 && a1 < (double)out->nx && b0 >= 0.0 && b1 < (double)out->ny)) {
        return 0;
    }
    const int64_t ix = (int64_t)a0, iy = (int64_t)b0;
    if ((int64_t)a1 != ix + 1 || (int64_t)b1 != iy + 1) {
        return 0;
    }
    /* Corners relative to the grid point C shared by the four pixels. */
    const double cx = (double)ix + 0.5, cy = (double)iy + 0.5;
    double pu[4], pv[4];
    int right = 0, above = 0;
    for (int c = 0; c < 4; ++c) {
        pu[c] = x[c] - cx;
        pv[c] = y[c] - cy;
        right |= (pu[c] >= 0.0) << c;
        above |= (pv[c] >= 0.0) << c;
    }
    const int first = four_cell_pattern(right, above);
    if (first < 0) {
        return 0;
    }
    double area_k[4];
    four_cell_areas(pu, pv, first, area_k);
    /* Weight per unit of overlap area, and the round-off threshold, as in
     * deposit_overlap. */
    const double scale = weight / area, tiny = 1e-12 * fabs(area);
    /* Weights of the four pixels, by position: bit 0 right, bit 1 above. */
    double w_cell[4] = {0.0, 0.0, 0.0, 0.0};
    for (int c = 0; c < 4; ++c) {
        const double w = area_k[c] * scale;
        if (fabs(area_k[c]) > tiny && w > 0.0) {
            w_cell[((right >> c) & 1) | (((above >> c) & 1) << 1)] = w;
        }
    }
    *hit = deposit_four_cells(in, par, out, ix, iy, w_cell, v);
    if (out->covariance) {
        /* w_cell is already row-major: index = column + 2 * row */
        deposit_pairs(out, ix, iy, 2, 2, w_cell, total_variance(in->n_variances, v));
    }
    return 1;
}

/* Output pixels a footprint meets: columns [ix0, ix1] and rows [iy0, iy1]
 * inside the output; columns [col0, col1] and rows [row0, row1] of them lie
 * in the window and are written. */
typedef struct {
    int64_t ix0, ix1, iy0, iy1;
    int64_t col0, col1, row0, row1;
} pixel_range;

/*
 * The output pixels that the footprint with bounding box [xlo, xhi] x
 * [ylo, yhi] meets, in *r; returns 0 when it writes none (outside the
 * output or the window), -1 when it is more than max_extent output pixels
 * across: no pixel footprint (a wild extrapolation or a folded map), whose
 * cost would grow with its area.
 */
static inline int footprint_pixel_range(const rsp_output *out, double max_extent, double xlo,
                                        double xhi, double ylo, double yhi, pixel_range *r)
{
    if (xhi - xlo > max_extent || yhi - ylo > max_extent) {
        return -1;
    }
    if (!index_range(xlo, xhi, 0, out->nx - 1, &r->ix0, &r->ix1) ||
        !index_range(ylo, yhi, 0, out->ny - 1, &r->iy0, &r->iy1)) {
        return 0;
    }
    r->col0 = r->ix0 > out->col_min ? r->ix0 : out->col_min;
    r->col1 = r->ix1 < out->col_max - 1 ? r->ix1 : out->col_max - 1;
    r->row0 = r->iy0 > out->row_min ? r->iy0 : out->row_min;
    r->row1 = r->iy1 < out->row_max - 1 ? r->iy1 : out->row_max - 1;
    return r->col0 <= r->col1 && r->row0 <= r->row1;
}

/*
 * Whether the cumulative small-box form applies: at most RSP_SMALL_BOX
 * pixels each way, and the box holds the whole footprint -- the form counts
 * everything below the first and above the last boundary, so in a box
 * clipped by the edge of the output its outer cells would take in the part
 * of the footprint beyond the edge.
 */
static inline int small_box_holds_footprint(const pixel_range *r, double xlo, double xhi,
                                            double ylo, double yhi)
{
    const int64_t ncols = r->ix1 - r->ix0 + 1, nrows = r->iy1 - r->iy0 + 1;
    return ncols <= RSP_SMALL_BOX && nrows <= RSP_SMALL_BOX &&
           xlo + 0.5 >= (double)r->ix0 && xhi + 0.5 < (double)(r->ix1 + 1) &&
           ylo + 0.5 >= (double)r->iy0 && yhi + 0.5 < (double)(r->iy1 + 1);
}

/*
 * Overlaps of a footprint held by a box of at most RSP_SMALL_BOX x
 * RSP_SMALL_BOX output pixels (small_box_holds_footprint), all computed at
 * once from cumulative areas; the window's part of them deposited.
 * Returns 1 if some output pixel received weight.
 */
static inline int draw_small_box(const rsp_input *in, const rsp_params *par, rsp_output *out,
                                 const double x[4], const double y[4], double area,
                                 const pixel_range *r, double scale, double tiny,
                                 const pixel_values *v)
{
    const int64_t ncols = r->ix1 - r->ix0 + 1, nrows = r->iy1 - r->iy0 + 1;
    /* Local coordinates: origin at the box's lower-left corner. */
    const double u0 = (double)r->ix0 - 0.5, v0 = (double)r->iy0 - 0.5;
    double u[4], vv[4];
    for (int c = 0; c < 4; ++c) {
        u[c] = x[c] - u0;
        vv[c] = y[c] - v0;
    }
    rsp_edge edges[4];
    rsp_quad_edges(u, vv, edges);
    double cells[RSP_SMALL_BOX][RSP_SMALL_BOX];
    if (ncols == 2 && nrows == 2) {
        double two[2][2];
        rsp_two_by_two_areas(edges, area, two);
        cells[0][0] = two[0][0]; cells[0][1] = two[0][1];
        cells[1][0] = two[1][0]; cells[1][1] = two[1][1];
    } else {
        rsp_small_box_areas(edges, (int)ncols, (int)nrows, cells);
    }
    int hit = 0;
    const int64_t c0 = r->col0 - r->ix0, c1 = r->col1 - r->ix0;
    const int64_t r0 = r->row0 - r->iy0, r1 = r->row1 - r->iy0;
    for (int64_t c = c0; c <= c1; ++c) {
        for (int64_t k = r0; k <= r1; ++k) {
            if (deposit_overlap(in, par, out, out_index(out, r->ix0 + c, r->iy0 + k),
                                cells[c][k], scale, tiny, v)) {
                hit = 1;
            }
        }
    }
    if (out->covariance) {
        /* the weights of the whole box, as deposit_overlap makes them */
        double w[RSP_SMALL_BOX * RSP_SMALL_BOX];
        for (int64_t k = 0; k < nrows; ++k) {
            for (int64_t c = 0; c < ncols; ++c) {
                const double wc = cells[c][k] * scale;
                w[k * ncols + c] = fabs(cells[c][k]) > tiny && wc > 0.0 ? wc : 0.0;
            }
        }
        deposit_pairs(out, r->ix0, r->iy0, ncols, nrows, w, total_variance(in->n_variances, v));
    }
    return hit;
}

/*
 * Overlaps of any footprint: each column of the window's range clipped to
 * the footprint's edges, then walked up its rows.  Returns 1 if some output
 * pixel received weight.
 */
static inline int draw_by_columns(const rsp_input *in, const rsp_params *par, rsp_output *out,
                                  const double x[4], const double y[4], const pixel_range *r,
                                  double scale, double tiny, const pixel_values *v)
{
    rsp_edge edges[4];
    rsp_quad_edges(x, y, edges);
    int hit = 0;
    const int64_t col0 = r->col0, col1 = r->col1, row0 = r->row0, row1 = r->row1;
    for (int64_t ix = col0; ix <= col1; ++ix) {
        rsp_column_edge column[4];
        const int n_edges = rsp_column_clip(edges, (double)ix - 0.5, column);
        if (n_edges == 0) {
            continue;
        }
        /* Each row's overlap depends on its own boundaries only, not on
         * where the walk starts. */
        double y_row = (double)row0 - 0.5;
        rsp_column_start(column, n_edges, y_row);
        for (int64_t iy = row0; iy <= row1; ++iy, y_row += 1.0) {
            const double a = rsp_column_next_row(column, n_edges, y_row);
            if (deposit_overlap(in, par, out, out_index(out, ix, iy), a, scale, tiny, v)) {
                hit = 1;
            }
        }
    }
    return hit;
}

/*
 * draw_by_columns with the covariance: the footprint's weights on its whole
 * range of the grid (not only the window's part) go to the covariance
 * scratch, the window's part of them is deposited, then the pairs.  Each
 * overlap depends on its own column and row boundaries only, so the
 * window's weights are those draw_by_columns gives.  A footprint wider than
 * the reach (which rsp_footprint_reach rules out) is drawn without its
 * pairs, and counted.
 */
static int draw_by_columns_with_pairs(const rsp_input *in, const rsp_params *par,
                                      rsp_output *out, const double x[4], const double y[4],
                                      const pixel_range *r, double scale, double tiny,
                                      const pixel_values *v)
{
    rsp_covariance *cov = out->covariance;
    const int64_t ncols = r->ix1 - r->ix0 + 1, nrows = r->iy1 - r->iy0 + 1;
    if (ncols - 1 > cov->reach_x || nrows - 1 > cov->reach_y) {
        ++cov->beyond_reach;
        return draw_by_columns(in, par, out, x, y, r, scale, tiny, v);
    }
    rsp_edge edges[4];
    rsp_quad_edges(x, y, edges);
    double *w = cov->cells;
    for (int64_t c = 0; c < ncols; ++c) {
        rsp_column_edge column[4];
        const int n_edges = rsp_column_clip(edges, (double)(r->ix0 + c) - 0.5, column);
        double y_row = (double)r->iy0 - 0.5;
        if (n_edges > 0) {
            rsp_column_start(column, n_edges, y_row);
        }
        for (int64_t k = 0; k < nrows; ++k, y_row += 1.0) {
            const double a = n_edges > 0 ? rsp_column_next_row(column, n_edges, y_row) : 0.0;
            const double wc = a * scale;
            w[k * ncols + c] = fabs(a) > tiny && wc > 0.0 ? wc : 0.0;
        }
    }
    int hit = 0;
    for (int64_t iy = r->row0; iy <= r->row1; ++iy) {
        for (int64_t ix = r->col0; ix <= r->col1; ++ix) {
            const double wc = w[(iy - r->iy0) * ncols + (ix - r->ix0)];
            if (wc > 0.0) {
                deposit(out, in->n_variances, par->variance_mode, out_index(out, ix, iy), wc, v);
                hit = 1;
            }
        }
    }
    deposit_pairs(out, r->ix0, r->iy0, ncols, nrows, w, total_variance(in->n_variances, v));
    return hit;
}

/*
 * Spread one input pixel with footprint (x, y) over the output.  Returns 1
 * if some output pixel received a positive weight, -1 if the footprint is
 * too large to draw (see footprint_pixel_range), else 0.
 */
static int draw_footprint(const rsp_input *in, const rsp_params *par, rsp_output *out,
                          const double x[4], const double y[4], double weight,
                          const pixel_values *v)
{
    double area, xlo, xhi, ylo, yhi;
    if (!footprint_area_and_box(x, y, &area, &xlo, &xhi, &ylo, &yhi)) {
        return 0;
    }
    int hit = 0;
    if (draw_four_cells(in, par, out, x, y, area, xlo, xhi, ylo, yhi, weight, v, &hit)) {
        return hit;
    }
    pixel_range r;
    const double max_extent = footprint_limit(par);
    const int range = footprint_pixel_range(out, max_extent, xlo, xhi, ylo, yhi, &r);
    if (range <= 0) {
        return range;
    }
    if (!rsp_quad_usable(x, y, area)) {
        return 0;
    }
    /* Weight per unit of overlap area (its sign that of the footprint) and
     * the round-off threshold, for deposit_overlap. */
    const double scale = weight / area;
    const double tiny = 1e-12 * fabs(area);
    if (small_box_holds_footprint(&r, xlo, xhi, ylo, yhi)) {
        return draw_small_box(in, par, out, x, y, area, &r, scale, tiny, v);
    }
    if (out->covariance) {
        return draw_by_columns_with_pairs(in, par, out, x, y, &r, scale, tiny, v);
    }
    return draw_by_columns(in, par, out, x, y, &r, scale, tiny, v);
}

static void add_square(const rsp_input *in, const rsp_params *par, rsp_output *out,
                       rsp_counts *counts, double *corner_rows)
{
    const double h = 0.5 * par->pixfrac;
    const int64_t n_corners = in->xmax - in->xmin + 2;
    /* Corner rows below (y = j - 0.5) and above (y = j + 0.5) input row j,
     * swapped after each row; only with pixfrac = 1 and a scratch buffer. */
    double *below_x = NULL, *below_y = NULL, *above_x = NULL, *above_y = NULL;
    if (corner_rows) {
        below_x = corner_rows;
        below_y = below_x + n_corners;
        above_x = below_y + n_corners;
        above_y = above_x + n_corners;
        map_corner_row(in->pixmap, in->nx, in->ny, (double)in->ymin - 0.5, in->xmin, n_corners,
                       below_x, below_y);
    }
    pixel_values v;
    v.plain = !out->sum_w_input && !out->context && !out->dq;
    double weight;

    for (int64_t j = in->ymin; j <= in->ymax; ++j) {
        if (corner_rows) {
            map_corner_row(in->pixmap, in->nx, in->ny, (double)j + 0.5, in->xmin, n_corners,
                           above_x, above_y);
        }
        for (int64_t i = in->xmin; i <= in->xmax; ++i) {
            const int64_t idx = j * in->nx + i;
            int hit = 0;
            if (read_pixel(in, par, idx, &v, &weight)) {
                double x[4], y[4];
                footprint_corners(in, h, i, j, below_x, below_y, above_x, above_y, x, y);
                hit = draw_footprint(in, par, out, x, y, weight, &v);
            }
            if (hit > 0) {
                ++counts->drawn;
            } else {
                ++counts->skipped;
                counts->oversized += hit < 0;
            }
        }
        if (corner_rows) {
            double *swap_x = below_x, *swap_y = below_y;
            below_x = above_x; below_y = above_y;
            above_x = swap_x; above_y = swap_y;
        }
    }
}

/*
 * The pixel k of a line of n output pixels that holds coordinate c (pixel k
 * spans [k - 0.5, k + 0.5)); returns 0 when none does (NaN included).  The
 * pixel is found on the whole line and converted to an integer before any
 * comparison with a window: windows are compared on integers, as doubles
 * above 2**53 cannot tell neighbouring pixels apart.
 */
static inline int pixel_holding(double c, int64_t n, int64_t *k)
{
    const double a = c + 0.5;
    if (!(a >= 0.0 && a < (double)n)) {
        return 0;
    }
    *k = (int64_t)a;  /* a >= 0: truncation is floor; a < 2**63 */
    return *k < n;    /* (double)n may have rounded up */
}

static void add_point(const rsp_input *in, const rsp_params *par, rsp_output *out,
                      rsp_counts *counts)
{
    pixel_values v;
    double weight;

    for (int64_t j = in->ymin; j <= in->ymax; ++j) {
        for (int64_t i = in->xmin; i <= in->xmax; ++i) {
            const int64_t idx = j * in->nx + i;
            const double *p = in->pixmap + 2 * idx;
            int64_t ix, iy;
            if (read_pixel(in, par, idx, &v, &weight) && pixel_holding(p[0], out->nx, &ix) &&
                pixel_holding(p[1], out->ny, &iy) && in_window(out, ix, iy)) {
                deposit(out, in->n_variances, par->variance_mode, out_index(out, ix, iy),
                        weight, &v);
                ++counts->drawn;
            } else {
                ++counts->skipped;
            }
        }
    }
}

int rsp_footprint_reach(const rsp_input *in, const rsp_params *par, int64_t out_nx,
                        int64_t out_ny, int64_t *reach_x, int64_t *reach_y)
{
    *reach_x = 0;
    *reach_y = 0;
    if (in->nx < 2 || in->ny < 2 || out_nx < 1 || out_ny < 1) {
        return par->kernel == RSP_KERNEL_POINT ? RSP_OK : RSP_ERR_SHAPE;
    }
    if (in->xmin < 0 || in->ymin < 0 || in->xmax >= in->nx || in->ymax >= in->ny ||
        in->xmin > in->xmax || in->ymin > in->ymax) {
        return RSP_ERR_BOUNDS;
    }
    if (!(par->pixfrac > 0.0 && par->pixfrac <= 1.0)) {
        return RSP_ERR_ARGUMENT;
    }
    if (par->kernel == RSP_KERNEL_POINT) {
        return RSP_OK; /* one output pixel per input pixel: no pairs */
    }
    /* The whole grid as the window: the ranges the drawing computes before
     * it looks at any window. */
    rsp_output grid = {0};
    grid.nx = out_nx;
    grid.ny = out_ny;
    grid.row_max = out_ny;
    grid.col_max = out_nx;
    const double h = 0.5 * par->pixfrac;
    const double max_extent = footprint_limit(par);
    /* pixfrac = 1: corners mapped once per row pair, as add_square maps
     * them (the same numbers as pixel_corners, bit for bit) */
    const int64_t n_corners = in->xmax - in->xmin + 2;
    double *rows = par->pixfrac == 1.0 ? malloc(4 * (size_t)n_corners * sizeof(double)) : NULL;
    double *below_x = rows, *below_y = rows ? rows + n_corners : NULL;
    double *above_x = rows ? rows + 2 * n_corners : NULL;
    double *above_y = rows ? rows + 3 * n_corners : NULL;
    if (rows) {
        map_corner_row(in->pixmap, in->nx, in->ny, (double)in->ymin - 0.5, in->xmin, n_corners,
                       below_x, below_y);
    }
    pixel_values v;
    double weight;
    for (int64_t j = in->ymin; j <= in->ymax; ++j) {
        if (rows) {
            map_corner_row(in->pixmap, in->nx, in->ny, (double)j + 0.5, in->xmin, n_corners,
                           above_x, above_y);
        }
        for (int64_t i = in->xmin; i <= in->xmax; ++i) {
            if (!read_pixel(in, par, j * in->nx + i, &v, &weight)) {
                continue;
            }
            double x[4], y[4], area, xlo, xhi, ylo, yhi;
            pixel_range r;
            footprint_corners(in, h, i, j, below_x, below_y, above_x, above_y, x, y);
            /* footprints the drawing skips as too wide reach nothing */
            if (!footprint_area_and_box(x, y, &area, &xlo, &xhi, &ylo, &yhi) ||
                footprint_pixel_range(&grid, max_extent, xlo, xhi, ylo, yhi, &r) <= 0) {
                continue;
            }
            if (r.ix1 - r.ix0 > *reach_x) *reach_x = r.ix1 - r.ix0;
            if (r.iy1 - r.iy0 > *reach_y) *reach_y = r.iy1 - r.iy0;
        }
        if (rows) {
            double *swap_x = below_x, *swap_y = below_y;
            below_x = above_x; below_y = above_y;
            above_x = swap_x; above_y = swap_y;
        }
    }
    free(rows);
    return RSP_OK;
}

int rsp_drizzle_add(const rsp_input *in, const rsp_params *par, rsp_output *out,
                    rsp_counts *counts)
{
    counts->drawn = 0;
    counts->skipped = 0;
    counts->oversized = 0;
    if (in->nx < 1 || in->ny < 1 || out->nx < 1 || out->ny < 1) {
        return RSP_ERR_SHAPE;
    }
    if (par->kernel == RSP_KERNEL_SQUARE && (in->nx < 2 || in->ny < 2)) {
        return RSP_ERR_SHAPE;
    }
    if (in->xmin < 0 || in->ymin < 0 || in->xmax >= in->nx || in->ymax >= in->ny ||
        in->xmin > in->xmax || in->ymin > in->ymax) {
        return RSP_ERR_BOUNDS;
    }
    if (out->row_min < 0 || out->row_max > out->ny || out->row_min >= out->row_max ||
        out->col_min < 0 || out->col_max > out->nx || out->col_min >= out->col_max) {
        return RSP_ERR_BOUNDS;
    }
    /* The storage must start at or before the window and be wide enough
     * for it; the caller guarantees that it has rows down to row_max. */
    if (out->origin_row < 0 || out->origin_col < 0 || out->origin_row > out->row_min ||
        out->origin_col > out->col_min || out->stride < out->col_max - out->origin_col) {
        return RSP_ERR_BOUNDS;
    }
    if (!(par->pixfrac > 0.0 && par->pixfrac <= 1.0) || !(par->max_footprint > 0.0) ||
        in->n_variances < 0 ||
        in->n_variances > RSP_MAX_VARIANCES ||
        (par->variance_mode != RSP_VARIANCE_REFERENCE &&
         par->variance_mode != RSP_VARIANCE_EXACT &&
         par->variance_mode != RSP_VARIANCE_MEAN)) {
        return RSP_ERR_ARGUMENT;
    }
    /* Pairs need the exact-mode variances and a plane layout that holds
     * the storage. */
    if (out->covariance &&
        (par->variance_mode != RSP_VARIANCE_EXACT || !out->covariance->sum_cov ||
         !out->covariance->cells || out->covariance->reach_x < 0 ||
         out->covariance->reach_y < 0 ||
         out->covariance->n_planes !=
             rsp_covariance_planes(out->covariance->reach_x, out->covariance->reach_y))) {
        return RSP_ERR_ARGUMENT;
    }
    switch (par->kernel) {
    case RSP_KERNEL_SQUARE: {
        /* Whole pixels share their corners with their neighbours: map each
         * corner once (see map_corner_row).  Without the scratch buffer the
         * per-pixel corners give the same numbers, only slower. */
        double *corner_rows = NULL;
        if (par->pixfrac == 1.0 && !par->per_pixel_corners) {
            corner_rows = malloc(4 * (size_t)(in->xmax - in->xmin + 2) * sizeof(double));
        }
        add_square(in, par, out, counts, corner_rows);
        free(corner_rows);
        return RSP_OK;
    }
    case RSP_KERNEL_POINT:
        add_point(in, par, out, counts);
        return RSP_OK;
    default:
        return RSP_ERR_ARGUMENT;
    }
}

double rsp_quad_pixel_overlap(const double x[4], const double y[4], double cx, double cy)
{
    return rsp_quad_box_area(x, y, cx - 0.5, cy - 0.5);
}

double rsp_quad_area(const double x[4], const double y[4])
{
    return rsp_quad_signed_area(x, y);
}

int rsp_quad_is_valid(const double x[4], const double y[4])
{
    return rsp_quad_usable(x, y, rsp_quad_signed_area(x, y));
}

/*
 * One input's contribution at output pixel k to the reference-mode
 * combination: its variances v[m] (resampled standard deviations, squared)
 * and their weight W.  Returns 0 where the input did not contribute or
 * W <= 0.  The same numbers whether folded into the sums after each input
 * or straight into the finished variances.
 */
static inline int input_variance_terms(int64_t k, int n_variances,
                                       const double *const sum_var_input[],
                                       const double *sum_w_input, int inverse_first_variance,
                                       double constant_weight, double v[], double *weight)
{
    const double w_in = sum_w_input[k];
    if (!(w_in > 0.0)) {
        return 0;
    }
    for (int m = 0; m < n_variances; ++m) {
        const double sigma = sum_var_input[m][k] / w_in;
        v[m] = sigma * sigma;
    }
    double w = constant_weight;
    if (inverse_first_variance) {
        w = (n_variances > 0 && isfinite(v[0]) && v[0] > 0.0) ? 1.0 / v[0] : 0.0;
    }
    *weight = w;
    return w > 0.0;
}

void rsp_combine_reference_variances(int64_t n, int n_variances, double *sum_var_input[],
                                     double *sum_w_input, int inverse_first_variance,
                                     double constant_weight, double *wsum[], double *wt[])
{
    for (int64_t k = 0; k < n; ++k) {
        double v[RSP_MAX_VARIANCES], weight = 0.0;
        const int contributes = input_variance_terms(
            k, n_variances, (const double *const *)sum_var_input, sum_w_input,
            inverse_first_variance, constant_weight, v, &weight);
        if (sum_w_input[k] != 0.0) {
            /* Cleared for the next input. */
            for (int m = 0; m < n_variances; ++m) {
                sum_var_input[m][k] = 0.0;
            }
            sum_w_input[k] = 0.0;
        }
        if (!contributes) {
            continue;
        }
        for (int m = 0; m < n_variances; ++m) {
            if (isfinite(v[m]) && v[m] >= 0.0) {
                wsum[m][k] += v[m] * weight * weight;
                wt[m][k] += weight;
            }
        }
    }
}

void rsp_finish_data(int64_t n, const double *sum_wd, const double *sum_w, double fill,
                     float *data, float *wht)
{
    const float fill32 = (float)fill;
    for (int64_t k = 0; k < n; ++k) {
        const double w = sum_w[k];
        /* A weight that rounds to 0 in float32 (weights near 1e-45 times a
         * partial overlap) counts as none: finite data never sit where the
         * product's wht says nothing contributed. */
        const float w32 = (float)w;
        data[k] = w32 > 0.0f ? (float)(sum_wd[k] / w) : fill32;
        if (wht) {
            wht[k] = w32;
        }
    }
}

void rsp_finish_exact_variance(int64_t n, const double *sum_var, const double *sum_w,
                               float *variance)
{
    for (int64_t k = 0; k < n; ++k) {
        const double w = sum_w[k];
        /* as rsp_finish_data: none where the float32 weight is 0 */
        variance[k] = (float)w > 0.0f ? (float)(sum_var[k] / (w * w)) : NAN;
    }
}

void rsp_finish_reference_variances(int64_t n, int n_variances, const double *const wsum[],
                                    const double *const wt[],
                                    const double *const sum_var_input[],
                                    const double *sum_w_input, int inverse_first_variance,
                                    double constant_weight, float *variances[])
{
    for (int64_t k = 0; k < n; ++k) {
        double total[RSP_MAX_VARIANCES], weight_sum[RSP_MAX_VARIANCES];
        for (int m = 0; m < n_variances; ++m) {
            total[m] = wsum ? wsum[m][k] : 0.0;
            weight_sum[m] = wt ? wt[m][k] : 0.0;
        }
        double v[RSP_MAX_VARIANCES], weight = 0.0;
        if (sum_w_input &&
            input_variance_terms(k, n_variances, sum_var_input, sum_w_input,
                                 inverse_first_variance, constant_weight, v, &weight)) {
            /* Exactly the update rsp_combine_reference_variances makes. */
            for (int m = 0; m < n_variances; ++m) {
                if (isfinite(v[m]) && v[m] >= 0.0) {
                    total[m] += v[m] * weight * weight;
                    weight_sum[m] += weight;
                }
            }
        }
        for (int m = 0; m < n_variances; ++m) {
            const double ws = weight_sum[m];
            variances[m][k] = ws > 0.0 ? (float)(total[m] / (ws * ws)) : NAN;
        }
    }
}

int64_t rsp_fetch_add(int64_t *counter, int64_t delta)
{
#if defined(_MSC_VER)
    return _InterlockedExchangeAdd64((volatile __int64 *)counter, delta);
#else
    return __atomic_fetch_add(counter, delta, __ATOMIC_SEQ_CST);
#endif
}

void rsp_line_ranges(const double *pixmap, int64_t nx, int64_t y0, int64_t y1, int64_t x0,
                     int64_t x1, int component, double *col_low, double *col_high,
                     double *row_low, double *row_high)
{
    const int64_t width = x1 - x0;
    for (int64_t i = 0; i < width; ++i) {
        col_low[i] = NAN;
        col_high[i] = NAN;
    }
    for (int64_t j = y0; j < y1; ++j) {
        const double *row = pixmap + 2 * (j * nx + x0) + component;
        double low = NAN, high = NAN;
        for (int64_t i = 0; i < width; ++i) {
            const double v = row[2 * i];
            if (v != v) {
                continue;
            }
            /* a NaN extreme is "none yet": comparisons with it are false */
            if (!(v >= low)) {
                low = v;
            }
            if (!(v <= high)) {
                high = v;
            }
            if (!(v >= col_low[i])) {
                col_low[i] = v;
            }
            if (!(v <= col_high[i])) {
                col_high[i] = v;
            }
        }
        row_low[j - y0] = low;
        row_high[j - y0] = high;
    }
}

void rsp_line_histogram(const double *pixmap, int64_t n_pixels, int component, int64_t first,
                        int64_t n_lines, int64_t *counts)
{
    for (int64_t p = 0; p < n_pixels; ++p) {
        const double line = floor(pixmap[2 * p + component] + 0.5) - (double)first;
        if (line >= 0.0 && line < (double)n_lines) { /* NaN compares false */
            counts[(int64_t)line] += 1;
        }
    }
}

void rsp_finish_pair_sums(int64_t n_planes, int64_t n, const double *sum_cov,
                          const double *sum_w, float *values)
{
    /* A transpose (pixel-major sums to plane-major values) in blocks of
     * pixels whose sums stay in the cache while every plane is written. */
    enum { BLOCK = 64 };
    for (int64_t k0 = 0; k0 < n; k0 += BLOCK) {
        const int64_t k1 = k0 + BLOCK < n ? k0 + BLOCK : n;
        for (int64_t p = 0; p < n_planes; ++p) {
            float *plane = values + p * n;
            for (int64_t k = k0; k < k1; ++k) {
                /* divided unconditionally, chosen after: vectorizes */
                const double w = sum_w[k];
                const float mean = (float)(sum_cov[k * n_planes + p] / w);
                plane[k] = w > 0.0 ? mean : 0.0f;
            }
        }
    }
}

void rsp_pair_covariance(int64_t ny, int64_t nx, int64_t n_planes, const int64_t *offsets,
                         const float *wht, const float *err, float *values)
{
    for (int64_t p = 0; p < n_planes; ++p) {
        const int64_t dy = offsets[2 * p], dx = offsets[2 * p + 1];
        float *plane = values + p * ny * nx;
        /* the columns whose partner column x + dx is on the grid */
        const int64_t x0 = dx < 0 ? (-dx < nx ? -dx : nx) : 0;
        const int64_t x1 = dx > 0 ? (dx < nx ? nx - dx : 0) : nx;
        for (int64_t y = 0; y < ny; ++y) {
            float *row = plane + y * nx;
            const int64_t yl = y + dy;
            if (yl < 0 || yl >= ny || x0 >= x1) {
                for (int64_t x = 0; x < nx; ++x) {
                    row[x] = 0.0f;
                }
                continue;
            }
            for (int64_t x = 0; x < x0; ++x) {
                row[x] = 0.0f;
            }
            for (int64_t x = x1; x < nx; ++x) {
                row[x] = 0.0f;
            }
            const int64_t pixel = y * nx, partner = yl * nx + dx;
            /* Both divisions are made unconditionally and their results
             * chosen after, so that the loop vectorizes (setup.py builds
             * with -fno-trapping-math); a quotient by 0 is never chosen. */
            if (err) {
                for (int64_t x = x0; x < x1; ++x) {
                    const double w = wht[partner + x];
                    const double scale = (double)err[pixel + x] * (double)err[partner + x];
                    const double covariance = (double)row[x] / w;
                    const double correlation = (w > 0.0 ? covariance : 0.0) / scale;
                    const double value = scale > 0.0 ? correlation : 0.0;
                    row[x] = isfinite(value) ? (float)value : 0.0f;
                }
            } else {
                for (int64_t x = x0; x < x1; ++x) {
                    const double w = wht[partner + x];
                    const double covariance = (double)row[x] / w;
                    const double value = w > 0.0 ? covariance : 0.0;
                    row[x] = isfinite(value) ? (float)value : 0.0f;
                }
            }
        }
    }
}
