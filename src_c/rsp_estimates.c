/*
 * Interpolation, models and verdicts of the outlier search: see
 * rsp_estimates.h for the contract.
 */
#include <float.h>
#include <math.h>
#include <stddef.h>

#include "rsp_estimates.h"

/* pi as Python's math.pi (M_PI is not C99) */
static const double RSP_PI = 3.14159265358979323846;

/* Keys' cubic convolution weights (a = -0.5) of the samples at offsets
 * -1, 0, 1, 2 from a point t in [0, 1) past the sample at offset 0. */
static inline void cubic_weights(double t, double w[4])
{
    const double t2 = t * t, t3 = t2 * t;
    w[0] = -0.5 * t3 + t2 - 0.5 * t;
    w[1] = 1.5 * t3 - 2.5 * t2 + 1.0;
    w[2] = -1.5 * t3 + 2.0 * t2 + 0.5 * t;
    w[3] = 0.5 * t3 - 0.5 * t2;
}

/* The cubic interpolation at (ix + fx, iy + fy) if its 16 samples are all
 * inside and finite (returns 1), else 0 and nothing written. */
static inline int cubic_at(int64_t nx, int64_t ny, const float *values, const float *variances,
                           int64_t ix, int64_t iy, double fx, double fy, double *value,
                           double *variance)
{
    if (ix < 1 || iy < 1 || ix + 2 >= nx || iy + 2 >= ny) {
        return 0;
    }
    double wx[4], wy[4];
    cubic_weights(fx, wx);
    cubic_weights(fy, wy);
    /* separable: each row's sum along x, then the rows' along y (the
     * variance with the squared weights) */
    double total = 0.0, spread = 0.0;
    for (int b = 0; b < 4; ++b) {
        const int64_t row = (iy - 1 + b) * nx + ix - 1;
        const double v0 = values[row], v1 = values[row + 1], v2 = values[row + 2],
                     v3 = values[row + 3];
        if (!(v0 == v0 && v1 == v1 && v2 == v2 && v3 == v3)) {
            return 0;
        }
        total += wy[b] * (((wx[0] * v0 + wx[1] * v1) + wx[2] * v2) + wx[3] * v3);
        if (variances) {
            const float *s = variances + row;
            spread += wy[b] * wy[b] *
                      (((wx[0] * wx[0] * s[0] + wx[1] * wx[1] * s[1]) + wx[2] * wx[2] * s[2]) +
                       wx[3] * wx[3] * s[3]);
        }
    }
    *value = total;
    *variance = spread;
    return 1;
}

/* floor(v) for a finite v > -1 whose floor fits int64, without a call to
 * libm's floor (not inlined without SSE4.1): truncation, one less for a
 * negative fraction.  The same integer as floor, so x - floor(x) is the
 * same double. */
static inline int64_t floor_above_minus_one(double v)
{
    const int64_t truncated = (int64_t)v;
    return v < (double)truncated ? truncated - 1 : truncated;
}

/* The bilinear weights, at fractions (fx, fy) of a cell, of its pixels
 * (ix, iy), (ix + 1, iy), (ix, iy + 1) and (ix + 1, iy + 1). */
static inline void cell_weights(double fx, double fy, double w[4])
{
    w[0] = (1.0 - fx) * (1.0 - fy);
    w[1] = fx * (1.0 - fy);
    w[2] = (1.0 - fx) * fy;
    w[3] = fx * fy;
}

/* The mean of four known values with a cell's weights: the sums of
 * interpolate_at, in its order (a weight of 0 adds +0.0 to sums that
 * start at +0.0, as the neighbours it skips would). */
static inline double cell_mean(const double w[4], double v0, double v1, double v2, double v3)
{
    return (((w[0] * v0 + w[1] * v1) + w[2] * v2) + w[3] * v3) /
           (((w[0] + w[1]) + w[2]) + w[3]);
}

/* One point of rsp_interpolate (needed_fraction: min_weight less the
 * round-off slack); the variance is computed when variances is not NULL. */
static inline void interpolate_at(int64_t nx, int64_t ny, const float *values,
                                  const float *variances, double x, double y,
                                  double needed_fraction, int cubic, double *out_value,
                                  double *out_variance)
{
    double value = NAN, variance = NAN;
    /* NaN and points far outside fail here (comparisons with NaN are false) */
    if (x > -1.0 && x < (double)nx && y > -1.0 && y < (double)ny) {
        const int64_t ix = floor_above_minus_one(x), iy = floor_above_minus_one(y);
        const double fx = x - (double)ix, fy = y - (double)iy;
        if (cubic && cubic_at(nx, ny, values, variances, ix, iy, fx, fy, out_value,
                              out_variance)) {
            return;
        }
        double w[4];
        cell_weights(fx, fy, w);
        if (!variances && ix >= 0 && iy >= 0 && ix + 1 < nx && iy + 1 < ny) {
            /* All four inside and finite (the usual case): the sums below
             * without their tests, the same bits. */
            const float *row = values + iy * nx + ix;
            const double v0 = row[0], v1 = row[1], v2 = row[nx], v3 = row[nx + 1];
            if (v0 == v0 && v1 == v1 && v2 == v2 && v3 == v3) {
                *out_value = cell_mean(w, v0, v1, v2, v3);
                *out_variance = 0.0;
                return;
            }
        }
        double total = 0.0, weight = 0.0, spread = 0.0;
        for (int c = 0; c < 4; ++c) {
            const int64_t i = ix + (c & 1), j = iy + (c >> 1);
            if (w[c] <= 0.0 || i < 0 || i >= nx || j < 0 || j >= ny) {
                continue;
            }
            const double v = (double)values[j * nx + i];
            if (v != v) {
                continue;
            }
            total += w[c] * v;
            weight += w[c];
            if (variances) {
                spread += w[c] * w[c] * (double)variances[j * nx + i];
            }
        }
        /* the weights of the four neighbours always sum to 1 */
        if (weight > 0.0 && weight >= needed_fraction) {
            value = total / weight;
            variance = spread / (weight * weight);
        }
    }
    *out_value = value;
    *out_variance = variance;
}

/* relative slack so that "all of the weight" survives round-off */
static inline double needed_weight(double min_weight)
{
    return min_weight * (1.0 - 1e-9);
}

void rsp_interpolate(int64_t nx, int64_t ny, const float *values, const float *variances,
                     int64_t n, const double *x, const double *y, double min_weight, int cubic,
                     double *out_value, double *out_variance)
{
    const double needed_fraction = needed_weight(min_weight);
    for (int64_t p = 0; p < n; ++p) {
        double variance;
        interpolate_at(nx, ny, values, variances, x[p], y[p], needed_fraction, cubic,
                       &out_value[p], &variance);
        if (variances && out_variance) {
            out_variance[p] = variance;
        }
    }
}

void rsp_others_at(int64_t n, const double *points, int64_t grid_ny, int64_t grid_nx,
                   const float *coordinates, int64_t ny, int64_t nx, const float *values,
                   const float *variances, double min_weight, double *out_x, double *out_y,
                   double *out_value, double *out_variance)
{
    const double all_of_it = needed_weight(1.0), needed_fraction = needed_weight(min_weight);
    const float *map_y = coordinates + grid_ny * grid_nx;
    /* Two loops: the places of all the points, then the values there.  Each
     * point's value waits on its place (a division, then the loads it
     * addresses); with the places known first, consecutive points' work
     * overlaps in the processor instead of waiting in turn. */
    for (int64_t p = 0; p < n; ++p) {
        const double gx = points[2 * p], gy = points[2 * p + 1];
        if (gx >= 0.0 && gy >= 0.0 && gx < (double)(grid_nx - 1) &&
            gy < (double)(grid_ny - 1)) {
            /* inside, with its four neighbours: the two maps share the
             * cell and the weights; where all eight values are finite,
             * interpolate_at's sums, computed once for both */
            const int64_t ix = floor_above_minus_one(gx), iy = floor_above_minus_one(gy);
            const double fx = gx - (double)ix, fy = gy - (double)iy;
            const int64_t k = iy * grid_nx + ix;
            const double a0 = coordinates[k], a1 = coordinates[k + 1],
                         a2 = coordinates[k + grid_nx], a3 = coordinates[k + grid_nx + 1];
            const double b0 = map_y[k], b1 = map_y[k + 1], b2 = map_y[k + grid_nx],
                         b3 = map_y[k + grid_nx + 1];
            if (a0 == a0 && a1 == a1 && a2 == a2 && a3 == a3 && b0 == b0 && b1 == b1 &&
                b2 == b2 && b3 == b3) {
                double w[4];
                cell_weights(fx, fy, w);
                out_x[p] = cell_mean(w, a0, a1, a2, a3);
                out_y[p] = cell_mean(w, b0, b1, b2, b3);
                continue;
            }
        }
        double unused;
        interpolate_at(grid_nx, grid_ny, coordinates, NULL, gx, gy, all_of_it, 0, &out_x[p],
                       &unused);
        interpolate_at(grid_nx, grid_ny, map_y, NULL, gx, gy, all_of_it, 0, &out_y[p],
                       &unused);
    }
    for (int64_t p = 0; p < n; ++p) {
        double variance;
        interpolate_at(nx, ny, values, variances, out_x[p], out_y[p], needed_fraction, 1,
                       &out_value[p], &variance);
        if (variances) {
            out_variance[p] = variance;
        }
    }
}

int64_t rsp_steep_slopes(int64_t n, const double *value, const double *variance,
                         const double *x, const double *y, int64_t nx, int64_t ny,
                         const float *data, double significant, int64_t *out_index,
                         double *out_gx, double *out_gy)
{
    const double needed_fraction = needed_weight(0.5);
    int64_t m = 0;
    for (int64_t p = 0; p < n; ++p) {
        const int steep = variance ? fabs(value[p]) > significant * sqrt(variance[p])
                                   : isfinite(value[p]);
        if (!steep) {
            continue;
        }
        double right, left, above, below, unused;
        interpolate_at(nx, ny, data, NULL, x[p] + 0.5, y[p], needed_fraction, 0, &right,
                       &unused);
        interpolate_at(nx, ny, data, NULL, x[p] - 0.5, y[p], needed_fraction, 0, &left,
                       &unused);
        interpolate_at(nx, ny, data, NULL, x[p], y[p] + 0.5, needed_fraction, 0, &above,
                       &unused);
        interpolate_at(nx, ny, data, NULL, x[p], y[p] - 0.5, needed_fraction, 0, &below,
                       &unused);
        out_index[m] = p;
        out_gx[m] = right - left;
        out_gy[m] = above - below;
        ++m;
    }
    return m;
}

/* The median of the finite values among the two pixels on each side of
 * pixel (ix, iy) along x (step 1) or y (step nx), inside the image; NaN
 * with fewer than two. */
static double neighbour_median(int64_t nx, int64_t ny, const double *values, int64_t ix,
                               int64_t iy, int along_y)
{
    double found[4];
    int n = 0;
    for (int offset = -2; offset <= 2; ++offset) {
        if (offset == 0) {
            continue;
        }
        const int64_t i = along_y ? ix : ix + offset, j = along_y ? iy + offset : iy;
        if (i < 0 || i >= nx || j < 0 || j >= ny) {
            continue;
        }
        const double v = values[j * nx + i];
        if (!(v == v)) {
            continue;
        }
        /* insertion: found[0..n] stays sorted */
        int k = n++;
        while (k > 0 && found[k - 1] > v) {
            found[k] = found[k - 1];
            --k;
        }
        found[k] = v;
    }
    return n >= 2 ? 0.5 * (found[(n - 1) / 2] + found[n / 2]) : NAN;
}

void rsp_neighbour_models(int64_t nx, int64_t ny, const double *values, const double *data,
                          const uint8_t *alone, int slit_along_y, double *model)
{
    for (int64_t iy = 0; iy < ny; ++iy) {
        for (int64_t ix = 0; ix < nx; ++ix) {
            const int64_t p = iy * nx + ix;
            if (!alone[p]) {
                continue;
            }
            const double along_slit = neighbour_median(nx, ny, values, ix, iy, slit_along_y);
            const double along_dispersion =
                neighbour_median(nx, ny, values, ix, iy, !slit_along_y);
            const double here = data[p];
            const double closer = fabs(here - along_dispersion) < fabs(here - along_slit)
                                      ? along_dispersion
                                      : along_slit;
            model[p] = isfinite(along_slit) ? closer : along_dispersion;
        }
    }
}

/* The median of the c sorted values of sorted (the mean of the middle two
 * for even c), sorted in place by insertion (c is the number of exposures). */
static double median_of(double *sorted, int64_t c)
{
    for (int64_t a = 1; a < c; ++a) {
        const double v = sorted[a];
        int64_t b = a;
        while (b > 0 && sorted[b - 1] > v) {
            sorted[b] = sorted[b - 1];
            --b;
        }
        sorted[b] = v;
    }
    return 0.5 * (sorted[(c - 1) / 2] + sorted[c / 2]);
}

void rsp_combine_estimates(int64_t n, int64_t m, const double *values, const double *variances,
                           double threshold, const uint8_t *where, int64_t n_out,
                           double *scratch, double *out_value, double *out_variance,
                           int32_t *out_count)
{
    int64_t i = 0;
    for (int64_t q = 0; q < (where ? n_out : n); ++q) {
        if (where && (!where[q] || i >= n)) {
            out_count[q] = 0;
            out_value[q] = NAN;
            out_variance[q] = NAN;
            continue;
        }
        double sum = 0.0, sum_var = 0.0;
        int32_t count = 0;
        /* the first two present, for the rule of two */
        int64_t first = -1, second = -1;
        for (int64_t j = 0; j < m; ++j) {
            const double v = values[j * n + i];
            const int has = isfinite(v);
            sum += has ? v : 0.0;
            sum_var += has ? variances[j * n + i] : 0.0;
            if (has) {
                if (scratch) {
                    scratch[count] = v;
                }
                if (first < 0) {
                    first = j;
                } else if (second < 0) {
                    second = j;
                }
                ++count;
            }
        }
        out_count[q] = count;
        if (count == 0) {
            out_value[q] = NAN;
            out_variance[q] = NAN;
        } else if (count >= 3) {
            out_value[q] = median_of(scratch, count);
            out_variance[q] = sum_var / (double)((int64_t)count * count) * (RSP_PI / 2.0);
        } else {
            out_value[q] = sum / (double)count;
            out_variance[q] = sum_var / (double)((int64_t)count * count);
            if (count == 2) {
                const double a = values[first * n + i], b = values[second * n + i];
                const double a_var = variances[first * n + i], b_var = variances[second * n + i];
                if (fabs(a - b) > threshold * sqrt(a_var + b_var)) {
                    /* two that disagree: the lower */
                    out_value[q] = b < a ? b : a;
                    out_variance[q] = b < a ? b_var : a_var;
                }
            }
        }
        ++i;
    }
}

/* numpy's nan_to_num: NaN as 0, infinities as the largest finite doubles */
static double finite_or_zero(double v)
{
    if (isnan(v)) {
        return 0.0;
    }
    if (isinf(v)) {
        return v > 0 ? DBL_MAX : -DBL_MAX;
    }
    return v;
}

/* the larger of a step and the largest so far, NaN steps ignored (fmax) */
static double larger_step(double so_far, double a, double b)
{
    return fmax(so_far, fabs(a - b));
}

void rsp_judge_pixels(int64_t nx, int64_t ny, const double *data, const double *model,
                      const double *model_variance, const double *sigma, const int32_t *others,
                      const uint8_t *considered, double threshold, double shift,
                      uint8_t *out_mask, int64_t *out_seen, int64_t *out_seen_rejected)
{
    int64_t seen = 0, seen_rejected = 0;
    for (int64_t iy = 0; iy < ny; ++iy) {
        for (int64_t ix = 0; ix < nx; ++ix) {
            const int64_t p = iy * nx + ix;
            const double here = model[p];
            out_mask[p] = 0;
            if (!considered[p] || !isfinite(here)) {
                continue;
            }
            const double noise = sqrt(sigma[p] * sigma[p] + finite_or_zero(model_variance[p]));
            if (!(isfinite(noise) && noise > 0.0)) {
                continue;
            }
            double step = NAN;
            if (iy > 0) {
                step = larger_step(step, here, model[p - nx]);
            }
            if (iy + 1 < ny) {
                step = larger_step(step, model[p + nx], here);
            }
            if (ix > 0) {
                step = larger_step(step, here, model[p - 1]);
            }
            if (ix + 1 < nx) {
                step = larger_step(step, model[p + 1], here);
            }
            const double tolerance = threshold * noise + shift * finite_or_zero(step);
            const double residual = data[p] - here;
            const int outlier = residual > tolerance || (others[p] >= 3 && -residual > tolerance);
            out_mask[p] = (uint8_t)outlier;
            if (others[p] > 0) {
                seen += 1;
                seen_rejected += outlier;
            }
        }
    }
    *out_seen = seen;
    *out_seen_rejected = seen_rejected;
}
