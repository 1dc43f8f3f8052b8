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
 * A directed edge prepared once per footprint: its end points ordered by x,
 * its slope, and the sign of its direction in x.  Vertical edges enclose no
 * area under themselves and get sign 0.
 */
typedef struct {
    double xlo, ylo, xhi, yhi, slope, sign;
} rsp_edge;

static inline void rsp_edge_prepare(rsp_edge *e, double x1, double y1, double x2, double y2)
{
    if (x2 > x1) {
        e->xlo = x1; e->ylo = y1; e->xhi = x2; e->yhi = y2; e->sign = 1.0;
    } else {
        e->xlo = x2; e->ylo = y2; e->xhi = x1; e->yhi = y1;
        e->sign = x2 < x1 ? -1.0 : 0.0;
    }
    e->slope = e->sign != 0.0 ? (e->yhi - e->ylo) / (e->xhi - e->xlo) : 0.0;
}

/*
 * Signed integral of clamp(y - y0, 0, 1) dx along the edge, for x restricted
 * to [x0, x0 + 1].  clamp(y, 0, 1) equals max(y, 0) - max(y - 1, 0), which
 * turns the clipped trapezoid into two ramps with no case analysis on where
 * the edge enters or leaves the box.
 */
static inline double rsp_edge_box_integral(const rsp_edge *e, double x0, double y0)
{
    const double xlo = e->xlo - x0, xhi = e->xhi - x0;
    if (e->sign == 0.0 || xlo >= 1.0 || xhi <= 0.0) {
        return 0.0;
    }
    const double xa = xlo > 0.0 ? xlo : 0.0;
    const double xb = xhi < 1.0 ? xhi : 1.0;
    const double ya = e->ylo - y0 + (xa - xlo) * e->slope;
    const double yb = e->ylo - y0 + (xb - xlo) * e->slope;
    const double len = xb - xa;
    return e->sign * (rsp_positive_part_integral(ya, yb, len) -
                      rsp_positive_part_integral(ya - 1.0, yb - 1.0, len));
}

/* The four edges of quadrilateral (x[k], y[k]), k -> k + 1. */
static inline void rsp_quad_edges(const double x[4], const double y[4], rsp_edge edges[4])
{
    for (int k = 0; k < 4; ++k) {
        const int n = (k + 1) & 3;
        rsp_edge_prepare(&edges[k], x[k], y[k], x[n], y[n]);
    }
}

/*
 * Signed area of the quadrilateral with these edges inside the unit square
 * whose lower-left corner is (x0, y0).
 */
static inline double rsp_edges_box_area(const rsp_edge edges[4], double x0, double y0)
{
    return -(rsp_edge_box_integral(&edges[0], x0, y0) + rsp_edge_box_integral(&edges[1], x0, y0) +
             rsp_edge_box_integral(&edges[2], x0, y0) + rsp_edge_box_integral(&edges[3], x0, y0));
}

static inline double rsp_quad_box_area(const double x[4], const double y[4],
                                       double x0, double y0)
{
    rsp_edge edges[4];
    rsp_quad_edges(x, y, edges);
    return rsp_edges_box_area(edges, x0, y0);
}

/*
 * Overlap of a footprint with a column of output pixels, row by row.
 *
 * For the row whose bottom is r, an edge contributes R(r) - R(r + 1), where
 * R(r) is the integral of max(y - r, 0) over the part of the edge inside the
 * column (the clamp identity above).  Consecutive rows share R at their
 * common boundary, so a column of n rows costs n + 1 ramps per edge, and the
 * edge is clipped to the column only once.
 */
typedef struct {
    double ya, yb, len, sign; /* the edge clipped to the column: y at its ends */
    double upper;             /* R at the bottom of the current row */
} rsp_column_edge;

/* Clip the footprint's edges to the column [x0, x0 + 1]; returns how many
 * cross it with non-zero width. */
static inline int rsp_column_clip(const rsp_edge edges[4], double x0,
                                  rsp_column_edge clipped[4])
{
    int n = 0;
    const double x1 = x0 + 1.0;
    for (int k = 0; k < 4; ++k) {
        const rsp_edge *e = &edges[k];
        if (e->sign == 0.0 || e->xlo >= x1 || e->xhi <= x0) {
            continue;
        }
        const double xa = e->xlo > x0 ? e->xlo : x0;
        const double xb = e->xhi < x1 ? e->xhi : x1;
        if (!(xb > xa)) {
            continue;
        }
        rsp_column_edge *c = &clipped[n++];
        c->ya = xa == e->xlo ? e->ylo : e->ylo + (xa - e->xlo) * e->slope;
        c->yb = xb == e->xhi ? e->yhi : e->ylo + (xb - e->xlo) * e->slope;
        c->len = xb - xa;
        c->sign = e->sign;
    }
    return n;
}

/* Start the row walk at the boundary y = r. */
static inline void rsp_column_start(rsp_column_edge clipped[4], int n, double r)
{
    for (int k = 0; k < n; ++k) {
        clipped[k].upper = rsp_positive_part_integral(clipped[k].ya - r, clipped[k].yb - r,
                                                      clipped[k].len);
    }
}

/* Signed overlap with the row [r, r + 1] (r: the boundary given last), then
 * move to the next row.  The boundary r + 1 (exact: boundaries are
 * half-integers) is subtracted in one step, as rsp_column_start does, so R
 * at a boundary is the same number whichever row the walk started from. */
static inline double rsp_column_next_row(rsp_column_edge clipped[4], int n, double r)
{
    double area = 0.0;
    const double next = r + 1.0;
    for (int k = 0; k < n; ++k) {
        rsp_column_edge *c = &clipped[k];
        const double lower = rsp_positive_part_integral(c->ya - next, c->yb - next, c->len);
        area -= c->sign * (c->upper - lower);
        c->upper = lower;
    }
    return area;
}

/*
 * Overlaps of a small footprint with every output pixel of its bounding box
 * (at most 3 x 3 pixels), from a cumulative area.
 *
 * In coordinates (u, v) whose origin is the lower-left corner of the bounding
 * box, let G(X, Y) be the area of the footprint with u <= X and v <= Y.  The
 * overlap with cell (c, r) (column c, row r, both from 0) is
 *     G(c+1, r+1) - G(c, r+1) - G(c+1, r) + G(c, r),
 * where G(0, .) = G(., 0) = 0 and the last boundary in each direction is at
 * infinity: the box must hold the whole footprint.  By Green's theorem,
 *     G(X, Y) = -sum over edges clipped to u <= X of the integral of min(v, Y) du
 *             = -sum sign * mean(v) * len + sum sign * ramp(v - Y),
 * with min(v, Y) = v - max(v - Y, 0).  A 2 x 2 box needs four clips and
 * eight ramps, against sixteen edge-box integrals done pixel by pixel.
 */
#define RSP_SMALL_BOX 3

static inline void rsp_small_box_areas(const rsp_edge edges[4], int ncols, int nrows,
                                       double cells[RSP_SMALL_BOX][RSP_SMALL_BOX])
{
    double previous[RSP_SMALL_BOX + 1] = {0.0, 0.0, 0.0, 0.0}; /* G at column c */
    for (int c = 1; c <= ncols; ++c) {
        const double X = c < ncols ? (double)c : INFINITY;
        double current[RSP_SMALL_BOX + 1] = {0.0, 0.0, 0.0, 0.0};
        for (int k = 0; k < 4; ++k) {
            const rsp_edge *e = &edges[k];
            if (e->sign == 0.0 || e->xlo >= X) {
                continue;
            }
            const double xb = e->xhi < X ? e->xhi : X;
            const double ya = e->ylo;
            const double yb = xb == e->xhi ? e->yhi : e->ylo + (xb - e->xlo) * e->slope;
            const double len = xb - e->xlo;
            const double full = e->sign * 0.5 * (ya + yb) * len;
            for (int r = 1; r < nrows; ++r) {
                current[r] += e->sign * rsp_positive_part_integral(ya - r, yb - r, len) - full;
            }
            current[nrows] -= full;
        }
        for (int r = 1; r <= nrows; ++r) {
            cells[c - 1][r - 1] = current[r] - previous[r] - current[r - 1] + previous[r - 1];
        }
        for (int r = 1; r <= nrows; ++r) {
            previous[r] = current[r];
        }
    }
}

/*
 * The same for the most common box, 2 x 2, written out: four values of G
 * (one of them the whole area) give the four cells.
 * cells[c][r] as above.
 */
static inline void rsp_two_by_two_areas(const rsp_edge edges[4], double area,
                                        double cells[2][2])
{
    double left = 0.0;        /* G(1, inf): the part with u <= 1 */
    double left_below = 0.0;  /* G(1, 1) */
    double below = area;      /* G(inf, 1) */
    for (int k = 0; k < 4; ++k) {
        const rsp_edge *e = &edges[k];
        if (e->sign == 0.0) {
            continue;
        }
        below += e->sign * rsp_positive_part_integral(e->ylo - 1.0, e->yhi - 1.0,
                                                      e->xhi - e->xlo);
        if (e->xlo >= 1.0) {
            continue;
        }
        const double xb = e->xhi < 1.0 ? e->xhi : 1.0;
        const double yb = xb == e->xhi ? e->yhi : e->ylo + (xb - e->xlo) * e->slope;
        const double len = xb - e->xlo;
        left -= e->sign * 0.5 * (e->ylo + yb) * len;
        left_below += e->sign * rsp_positive_part_integral(e->ylo - 1.0, yb - 1.0, len);
    }
    left_below += left;
    cells[0][0] = left_below;
    cells[0][1] = left - left_below;
    cells[1][0] = below - left_below;
    cells[1][1] = area - left - below + left_below;
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
    /* One test for all eight coordinates: a NaN or infinity in any of them
     * makes the sum non-finite (finite values so large that the sum
     * overflows are rejected too; they are no footprint either). */
    if (!isfinite(x[0] + x[1] + x[2] + x[3] + y[0] + y[1] + y[2] + y[3])) {
        return 0;
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
