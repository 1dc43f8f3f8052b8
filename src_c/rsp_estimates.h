/*
 * The outlier search's numerical core: interpolation of an image at
 * scattered points, the model of a pixel from the other exposures' values,
 * and the verdict on each pixel (resamplespec/pipeline/_outliers.py says
 * what the method is; resamplespec/kernel/_estimates.py and
 * _interpolate.py are the array API).  Same conventions as rsp_kernel.h:
 * C-contiguous row-major arrays, an image of shape (ny, nx) holds pixel
 * (i, j) at index j * nx + i; the caller validates shapes; nothing here
 * allocates or keeps state.
 */
#ifndef RSP_ESTIMATES_H
#define RSP_ESTIMATES_H

#include <stdint.h>

/*
 * Bilinear interpolation of an image (ny x nx, row-major, pixel centres at
 * integer coordinates) at n points (x[p], y[p]): the neighbours that are
 * outside or NaN are left out and the weights of the others renormalised,
 * if those hold at least min_weight of the points' total weight (1: all of
 * it), else the value is NaN (so it is for a NaN point).  With variances
 * (may be NULL; then out_variance is not written) the variance of the
 * interpolated value, sum(w^2 var) / sum(w)^2, over the same neighbours.
 * cubic != 0: Keys' cubic convolution (a = -0.5) over the 4 x 4 nearest
 * samples where all are inside and finite (sharp features, such as a
 * trace only a pixel or two wide, are smoothed far less), else bilinear
 * as above.
 */
void rsp_interpolate(int64_t nx, int64_t ny, const float *values, const float *variances,
                     int64_t n, const double *x, const double *y, double min_weight, int cubic,
                     double *out_value, double *out_variance);

/*
 * The values of an image (ny x nx: values, and variances or NULL) at n
 * points of an output grid (points[2p], points[2p + 1]: x, y), through the
 * image's coordinate maps on that grid (coordinates: two grid_ny x grid_nx
 * planes, x then y: where each grid pixel is in the image).  Each point's
 * place in the image (out_x, out_y) is interpolated bilinearly in the maps
 * with all four neighbours needed; the values there as rsp_interpolate with
 * cubic = 1 and min_weight (out_variance written when variances is not
 * NULL).  The same numbers as those three calls of rsp_interpolate.
 */
void rsp_others_at(int64_t n, const double *points, int64_t grid_ny, int64_t grid_nx,
                   const float *coordinates, int64_t ny, int64_t nx, const float *values,
                   const float *variances, double min_weight, double *out_x, double *out_y,
                   double *out_value, double *out_variance);

/*
 * The points p < n whose value stands out of its noise: |value[p]| >
 * significant * sqrt(variance[p]), or, without variances (NULL), a finite
 * value.  Their indices (ascending) go to out_index and, at their places
 * (x[p], y[p]) in an image (ny x nx, data), its slopes along x and y to
 * out_gx and out_gy: differences across one pixel centred on the point,
 * each side interpolated as rsp_interpolate with min_weight 0.5 and no
 * cubic (NaN where a side is unknown).  Returns how many there are; the
 * outputs must hold n.
 */
int64_t rsp_steep_slopes(int64_t n, const double *value, const double *variance,
                         const double *x, const double *y, int64_t nx, int64_t ny,
                         const float *data, double significant, int64_t *out_index,
                         double *out_gx, double *out_gy);

/*
 * The model of each pixel p of an nx x ny image with alone[p] != 0 (no
 * other exposure sees it), from its own neighbours: the medians of the
 * finite values (values: NaN where unusable) among the two pixels on each
 * side along the slit (along y if slit_along_y, else along x) and along
 * the dispersion (the other axis), each NaN with fewer than two; model[p]
 * is the one nearer data[p], the one along the dispersion where the other
 * is NaN (or where both are equally near: the one along the slit).  The
 * median of two or four is the mean of the middle two.  Other pixels of
 * model are left as they are.
 */
void rsp_neighbour_models(int64_t nx, int64_t ny, const double *values, const double *data,
                          const uint8_t *alone, int slit_along_y, double *model);

/*
 * Per point i < n, m >= 1 estimates of a value: values[j * n + i] (NaN:
 * that estimate is missing) with the variances variances[j * n + i].
 * out_count[i]: the c estimates present.  out_value[i], out_variance[i]:
 *   c = 0: NaN, NaN;
 *   c = 1 or 2: their mean and the variance of the mean (the sum of the
 *     variances over c^2); where two differ by more than threshold times
 *     the square root of their summed variances, the lower (the first if
 *     equal) with its own variance;
 *   c >= 3: their median (the mean of the middle two for even c), with
 *     pi / 2 times the variance of their mean.
 * The sums run in the order of j, with 0 for a missing estimate (numpy's
 * sum over the first axis of the same stack gives the same bits).
 * scratch holds m doubles (for m >= 3; may be NULL otherwise).  With where
 * (or NULL), the outputs have n_out elements and point i goes to the i-th
 * element q with where[q] != 0, the others getting NaN, NaN and 0 (an
 * image of the pixels whose estimates these are).
 */
void rsp_combine_estimates(int64_t n, int64_t m, const double *values, const double *variances,
                           double threshold, const uint8_t *where, int64_t n_out,
                           double *scratch, double *out_value, double *out_variance,
                           int32_t *out_count);

/*
 * The outliers of an image of nx x ny pixels (row-major) against its
 * models: out_mask[p] = 1 where considered[p], model[p] finite, the noise
 * sqrt(sigma^2 + v) finite and positive (v: model_variance[p], 0 if NaN)
 * and data[p] - model[p] > tolerance, or, where others[p] >= 3,
 * model[p] - data[p] > tolerance; tolerance = threshold * noise + shift *
 * slope, slope the largest absolute step of model from p to one of its
 * four neighbours (NaN steps ignored; 0 if all are).  Infinite variances
 * and slopes count as +-DBL_MAX (numpy's nan_to_num).  Returns, through
 * the two counters, the judged pixels with others[p] > 0 and how many of
 * those are outliers.
 */
void rsp_judge_pixels(int64_t nx, int64_t ny, const double *data, const double *model,
                      const double *model_variance, const double *sigma, const int32_t *others,
                      const uint8_t *considered, double threshold, double shift,
                      uint8_t *out_mask, int64_t *out_seen, int64_t *out_seen_rejected);

#endif /* RSP_ESTIMATES_H */
