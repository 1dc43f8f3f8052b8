/*
 * The drizzle loops: square (exact overlap) and point kernels.
 * See rsp_kernel.h for the contract and rsp_geometry.h for the geometry.
 */
#include <math.h>
#include <stddef.h>

#include "rsp_geometry.h"
#include "rsp_kernel.h"

/* Largest footprint extent, in output pixels, that the square kernel draws. */
#define RSP_MAX_FOOTPRINT 1e8

/* Per-pixel values of an input pixel that are the same for every output
 * pixel it touches; computed once per input pixel. */
typedef struct {
    double d;                         /* data * iscale */
    double var[RSP_MAX_VARIANCES];    /* sqrt(var)*iscale or var*iscale^2 */
    uint32_t dq;
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
    for (int k = 0; k < in->n_variances; ++k) {
        const double var = in->variances[k][idx];
        v->var[k] = par->variance_mode == RSP_VARIANCE_EXACT
                        ? var * in->iscale * in->iscale
                        : sqrt(var) * in->iscale;
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
 * edge neighbours, h^2 on the diagonal one.  Same values as map_point, with
 * no cell search.
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

static void add_square(const rsp_input *in, const rsp_params *par, rsp_output *out,
                       rsp_counts *counts)
{
    const double h = 0.5 * par->pixfrac;
    const int64_t last_col = out->nx - 1, last_row = out->row_max - 1;
    pixel_values v;
    double weight;

    for (int64_t j = in->ymin; j <= in->ymax; ++j) {
        for (int64_t i = in->xmin; i <= in->xmax; ++i) {
            const int64_t idx = j * in->nx + i;
            int hit = 0;
            double x[4], y[4];
            if (!read_pixel(in, par, idx, &v, &weight)) {
                goto done;
            }
            /* Corners counter-clockwise in the input frame. */
            if (i > 0 && i < in->nx - 1 && j > 0 && j < in->ny - 1) {
                interior_corners(in->pixmap, in->nx, i, j, h, x, y);
            } else {
                map_point(in->pixmap, in->nx, in->ny, i - h, j - h, &x[0], &y[0]);
                map_point(in->pixmap, in->nx, in->ny, i + h, j - h, &x[1], &y[1]);
                map_point(in->pixmap, in->nx, in->ny, i + h, j + h, &x[2], &y[2]);
                map_point(in->pixmap, in->nx, in->ny, i - h, j + h, &x[3], &y[3]);
            }
            const double area = rsp_quad_signed_area(x, y);
            if (!rsp_quad_usable(x, y, area)) {
                goto done;
            }
            double xlo = x[0], xhi = x[0], ylo = y[0], yhi = y[0];
            for (int c = 1; c < 4; ++c) {
                xlo = x[c] < xlo ? x[c] : xlo;
                xhi = x[c] > xhi ? x[c] : xhi;
                ylo = y[c] < ylo ? y[c] : ylo;
                yhi = y[c] > yhi ? y[c] : yhi;
            }
            /* A footprint more than 1e8 output pixels across is no pixel
             * footprint (a wild extrapolation): its overlaps would come from
             * differences of numbers ~1e8 times larger than a pixel, losing
             * the precision the kernel promises, so it is skipped. */
            if (xhi - xlo > RSP_MAX_FOOTPRINT || yhi - ylo > RSP_MAX_FOOTPRINT) {
                goto done;
            }
            int64_t ix0, ix1, iy0, iy1;
            if (!index_range(xlo, xhi, 0, last_col, &ix0, &ix1) ||
                !index_range(ylo, yhi, out->row_min, last_row, &iy0, &iy1)) {
                goto done;
            }
            /* Weight per unit of overlap area; the sign of the area cancels
             * the sign the overlap carries for a mirrored footprint. */
            const double scale = weight / area;
            const int64_t ncols = ix1 - ix0 + 1, nrows = iy1 - iy0 + 1;
            /* Overlaps smaller than this fraction of the footprint are
             * round-off of the differences below, not geometry. */
            const double tiny = 1e-12 * fabs(area);
            /* The cumulative form counts everything below the first and above
             * the last boundary, so it needs a box that holds the whole
             * footprint: not clipped by the edge of the output. */
            if (ncols <= RSP_SMALL_BOX && nrows <= RSP_SMALL_BOX &&
                xlo + 0.5 >= (double)ix0 && xhi + 0.5 < (double)(ix1 + 1) &&
                ylo + 0.5 >= (double)iy0 && yhi + 0.5 < (double)(iy1 + 1)) {
                /* Local coordinates: origin at the box's lower-left corner. */
                const double u0 = (double)ix0 - 0.5, v0 = (double)iy0 - 0.5;
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
                for (int64_t c = 0; c < ncols; ++c) {
                    for (int64_t r = 0; r < nrows; ++r) {
                        const double a = cells[c][r];
                        if (fabs(a) > tiny) {
                            const double w = a * scale;
                            if (w > 0.0) {
                                deposit(out, in->n_variances, par->variance_mode,
                                        (iy0 + r) * out->nx + ix0 + c, w, &v);
                                hit = 1;
                            }
                        }
                    }
                }
                goto done;
            }
            rsp_edge edges[4];
            rsp_quad_edges(x, y, edges);
            for (int64_t ix = ix0; ix <= ix1; ++ix) {
                rsp_column_edge column[4];
                const int n_edges = rsp_column_clip(edges, (double)ix - 0.5, column);
                if (n_edges == 0) {
                    continue;
                }
                double r = (double)iy0 - 0.5;
                rsp_column_start(column, n_edges, r);
                for (int64_t iy = iy0; iy <= iy1; ++iy, r += 1.0) {
                    const double a = rsp_column_next_row(column, n_edges, r);
                    const double w = a * scale;
                    if (fabs(a) > tiny && w > 0.0) {
                        deposit(out, in->n_variances, par->variance_mode,
                                iy * out->nx + ix, w, &v);
                        hit = 1;
                    }
                }
            }
        done:
            if (hit) {
                ++counts->drawn;
            } else {
                ++counts->skipped;
            }
        }
    }
}

static void add_point(const rsp_input *in, const rsp_params *par, rsp_output *out,
                      rsp_counts *counts)
{
    const int64_t last_col = out->nx - 1, last_row = out->row_max - 1;
    pixel_values v;
    double weight;

    for (int64_t j = in->ymin; j <= in->ymax; ++j) {
        for (int64_t i = in->xmin; i <= in->xmax; ++i) {
            const int64_t idx = j * in->nx + i;
            const double *p = in->pixmap + 2 * idx;
            int64_t ix, iy, unused;
            /* index_range with lo == hi finds the pixel holding the centre. */
            if (read_pixel(in, par, idx, &v, &weight) && isfinite(p[0]) && isfinite(p[1]) &&
                index_range(p[0], p[0], 0, last_col, &ix, &unused) &&
                index_range(p[1], p[1], out->row_min, last_row, &iy, &unused)) {
                deposit(out, in->n_variances, par->variance_mode, iy * out->nx + ix,
                        weight, &v);
                ++counts->drawn;
            } else {
                ++counts->skipped;
            }
        }
    }
}

int rsp_drizzle_add(const rsp_input *in, const rsp_params *par, rsp_output *out,
                    rsp_counts *counts)
{
    counts->drawn = 0;
    counts->skipped = 0;
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
    if (out->row_min < 0 || out->row_max > out->ny || out->row_min >= out->row_max) {
        return RSP_ERR_BOUNDS;
    }
    if (!(par->pixfrac > 0.0 && par->pixfrac <= 1.0) || in->n_variances < 0 ||
        in->n_variances > RSP_MAX_VARIANCES ||
        (par->variance_mode != RSP_VARIANCE_REFERENCE &&
         par->variance_mode != RSP_VARIANCE_EXACT)) {
        return RSP_ERR_ARGUMENT;
    }
    switch (par->kernel) {
    case RSP_KERNEL_SQUARE:
        add_square(in, par, out, counts);
        return RSP_OK;
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

void rsp_combine_reference_variances(int64_t n, int n_variances, double *sum_var_input[],
                                     double *sum_w_input, int inverse_first_variance,
                                     double constant_weight, double *wsum[], double *wt[])
{
    for (int64_t k = 0; k < n; ++k) {
        const double w_in = sum_w_input[k];
        if (!(w_in > 0.0)) {
            continue;
        }
        double v[RSP_MAX_VARIANCES];
        for (int m = 0; m < n_variances; ++m) {
            const double sigma = sum_var_input[m][k] / w_in;
            v[m] = sigma * sigma;
            sum_var_input[m][k] = 0.0;
        }
        sum_w_input[k] = 0.0;
        double weight = constant_weight;
        if (inverse_first_variance) {
            weight = (n_variances > 0 && isfinite(v[0]) && v[0] > 0.0) ? 1.0 / v[0] : 0.0;
        }
        if (!(weight > 0.0)) {
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
