/*
 * Plane geometry of the square kernel: the exact area of a quadrilateral
 * inside an axis-aligned unit square.
 *
 * The area comes from Green's theorem: the area of a simple polygon P is
 * -sum over its directed edges of the integral of y dx.  Restricting the
 * integrand to the unit box B = [0, 1]^2 -- integrating clamp(y, 0, 1) over
 * x in [0, 1] -- gives the area of P intersected with B, for convex and
 * non-convex polygons alike, because every edge is treated independently and
 * the clamping is the same operation for all of them.  The result carries the
 * orientation of P, so dividing by the polygon's own signed area gives a
 * positive fraction for either parity.
 */
#ifndef RSP_GEOMETRY_H
#define RSP_GEOMETRY_H

#include <math.h>

/*
 * Integral over a segment of length `len` of max(y, 0), where y runs
 * linearly from ya to yb.  When the segment crosses zero only the positive
 * triangle counts: its height is the positive end and its base the fraction
 * of the segment above zero, p / (|ya| + |yb|).
 */
static inline double rsp_positive_part_integral(double ya, double yb, double len)
{
    if (ya >= 0.0 && yb >= 0.0) {
        return 0.5 * (ya + yb) * len;
    }
    if (ya <= 0.0 && yb <= 0.0) {
        return 0.0;
    }
    const double p = ya > yb ? ya : yb;
    return 0.5 * p * p * len / (fabs(ya) + fabs(yb));
}

/*
 * Signed integral of clamp(y, 0, 1) dx along the directed segment
 * (x1, y1) -> (x2, y2), for x restricted to [0, 1].  clamp(y, 0, 1) equals
 * max(y, 0) - max(y - 1, 0), which turns the clipped trapezoid into two
 * ramps with no case analysis on where the segment enters or leaves the box.
 */
static inline double rsp_edge_integral(double x1, double y1, double x2, double y2)
{
    double xlo, ylo, xhi, yhi, sign;
    if (x2 > x1) {
        xlo = x1; ylo = y1; xhi = x2; yhi = y2; sign = 1.0;
    } else if (x2 < x1) {
        xlo = x2; ylo = y2; xhi = x1; yhi = y1; sign = -1.0;
    } else {
        return 0.0; /* vertical edges enclose no area under themselves */
    }
    if (xlo >= 1.0 || xhi <= 0.0) {
        return 0.0;
    }
    const double slope = (yhi - ylo) / (xhi - xlo);
    const double xa = xlo > 0.0 ? xlo : 0.0;
    const double xb = xhi < 1.0 ? xhi : 1.0;
    const double ya = ylo + (xa - xlo) * slope;
    const double yb = ylo + (xb - xlo) * slope;
    const double len = xb - xa;
    return sign * (rsp_positive_part_integral(ya, yb, len) -
                   rsp_positive_part_integral(ya - 1.0, yb - 1.0, len));
}

/*
 * Signed area of quadrilateral (x[k], y[k]) inside the unit square whose
 * lower-left corner is (x0, y0).
 */
static inline double rsp_quad_box_area(const double x[4], const double y[4],
                                       double x0, double y0)
{
    double area = 0.0;
    for (int k = 0; k < 4; ++k) {
        const int n = (k + 1) & 3;
        area -= rsp_edge_integral(x[k] - x0, y[k] - y0, x[n] - x0, y[n] - y0);
    }
    return area;
}

/* Shoelace area of a quadrilateral: half the cross product of its diagonals. */
static inline double rsp_quad_signed_area(const double x[4], const double y[4])
{
    return 0.5 * ((x[2] - x[0]) * (y[3] - y[1]) - (x[3] - x[1]) * (y[2] - y[0]));
}

static inline double rsp_cross(double ax, double ay, double bx, double by,
                               double cx, double cy)
{
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

/* Do the closed segments p-q and r-s cross at a point interior to both? */
static inline int rsp_segments_cross(double px, double py, double qx, double qy,
                                     double rx, double ry, double sx, double sy)
{
    const double d1 = rsp_cross(px, py, qx, qy, rx, ry);
    const double d2 = rsp_cross(px, py, qx, qy, sx, sy);
    const double d3 = rsp_cross(rx, ry, sx, sy, px, py);
    const double d4 = rsp_cross(rx, ry, sx, sy, qx, qy);
    return ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0)) &&
           ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0));
}

/*
 * A footprint is usable when its corners are finite, its area is not zero
 * and it does not cross itself.  A quadrilateral whose four turns have the
 * same sense is convex and therefore simple; otherwise it is simple exactly
 * when neither pair of opposite edges crosses.  A self-intersecting
 * ("bow-tie") footprint has no meaningful area -- its lobes cancel -- so it
 * contributes nothing.
 */
static inline int rsp_quad_usable(const double x[4], const double y[4], double area)
{
    for (int k = 0; k < 4; ++k) {
        if (!isfinite(x[k]) || !isfinite(y[k])) {
            return 0;
        }
    }
    if (!(fabs(area) > 0.0) || !isfinite(area)) {
        return 0;
    }
    int positive = 0, negative = 0;
    for (int k = 0; k < 4; ++k) {
        const int p = (k + 3) & 3, n = (k + 1) & 3;
        const double turn = rsp_cross(x[p], y[p], x[k], y[k], x[n], y[n]);
        positive += turn > 0.0;
        negative += turn < 0.0;
    }
    if (positive == 0 || negative == 0) {
        return 1;
    }
    return !rsp_segments_cross(x[0], y[0], x[1], y[1], x[2], y[2], x[3], y[3]) &&
           !rsp_segments_cross(x[1], y[1], x[2], y[2], x[3], y[3], x[0], y[0]);
}

#endif /* RSP_GEOMETRY_H */
