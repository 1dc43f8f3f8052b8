"""A slow, independent reference for the drizzle square and point kernels.

The overlap of a mapped input pixel (a quadrilateral) with an output pixel (an
axis-aligned unit square) is computed here by Sutherland-Hodgman clipping of
the quadrilateral against the four half-planes of the square, then the
shoelace area of what is left.  This is a different method from the one in
the C kernel (edge integrals / Green's theorem), so agreement between the two
is evidence that both are right.  Sutherland-Hodgman is exact (up to floating
point) for any simple subject polygon, convex or not, when the clip window is
convex: a concave subject may leave zero-width "bridges" in the output
polygon, but they carry no area.

Everything is plain Python on floats; it is meant for images of a few dozen
pixels.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "polygon_area",
    "clip_to_box",
    "overlap_with_pixel",
    "is_valid_quad",
    "footprint",
    "pixel_fractions",
    "reference_square",
    "reference_point",
    "reference_drizzle",
]


def polygon_area(poly):
    """Signed shoelace area (positive counter-clockwise in x-right, y-up)."""
    n = len(poly)
    if n < 3:
        return 0.0
    s = 0.0
    for k in range(n):
        x0, y0 = poly[k]
        x1, y1 = poly[(k + 1) % n]
        s += x0 * y1 - x1 * y0
    return 0.5 * s


def _clip_half_plane(poly, inside, cross):
    out = []
    n = len(poly)
    for k in range(n):
        cur = poly[k]
        prev = poly[k - 1]
        cur_in = inside(cur)
        prev_in = inside(prev)
        if cur_in:
            if not prev_in:
                out.append(cross(prev, cur))
            out.append(cur)
        elif prev_in:
            out.append(cross(prev, cur))
    return out


def _cross_x(xc):
    def cross(p, q):
        t = (xc - p[0]) / (q[0] - p[0])
        return (xc, p[1] + t * (q[1] - p[1]))

    return cross


def _cross_y(yc):
    def cross(p, q):
        t = (yc - p[1]) / (q[1] - p[1])
        return (p[0] + t * (q[0] - p[0]), yc)

    return cross


def clip_to_box(poly, xmin, xmax, ymin, ymax):
    """Sutherland-Hodgman clip of ``poly`` (list of (x, y)) to a rectangle."""
    poly = [(float(x), float(y)) for x, y in poly]
    for inside, cross in (
        (lambda p: p[0] >= xmin, _cross_x(xmin)),
        (lambda p: p[0] <= xmax, _cross_x(xmax)),
        (lambda p: p[1] >= ymin, _cross_y(ymin)),
        (lambda p: p[1] <= ymax, _cross_y(ymax)),
    ):
        if not poly:
            break
        poly = _clip_half_plane(poly, inside, cross)
    return poly


def overlap_with_pixel(quad, ix, iy):
    """Unsigned area of ``quad`` inside output pixel (ix, iy), which covers
    [ix - 0.5, ix + 0.5] x [iy - 0.5, iy + 0.5]."""
    clipped = clip_to_box(quad, ix - 0.5, ix + 0.5, iy - 0.5, iy + 0.5)
    return abs(polygon_area(clipped))


def _orient(a, b, c):
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _segments_intersect(a, b, c, d):
    """Closed segments ab and cd share a point (touching counts)."""
    d1 = _orient(c, d, a)
    d2 = _orient(c, d, b)
    d3 = _orient(a, b, c)
    d4 = _orient(a, b, d)
    if ((d1 > 0 and d2 < 0) or (d1 < 0 and d2 > 0)) and (
        (d3 > 0 and d4 < 0) or (d3 < 0 and d4 > 0)
    ):
        return True

    def on_segment(p, q, r):  # r collinear with pq: is it between?
        return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(
            p[1], q[1]
        )

    return (
        (d1 == 0 and on_segment(c, d, a))
        or (d2 == 0 and on_segment(c, d, b))
        or (d3 == 0 and on_segment(a, b, c))
        or (d4 == 0 and on_segment(a, b, d))
    )


def is_valid_quad(quad, rel_eps=1e-12):
    """Finite, non-zero area and not self-intersecting (opposite edges
    disjoint)."""
    if not all(math.isfinite(v) for p in quad for v in p):
        return False
    area = abs(polygon_area(quad))
    scale = max(max(abs(p[0]), abs(p[1])) for p in quad) or 1.0
    if not area > rel_eps * scale * scale:
        return False
    p0, p1, p2, p3 = quad
    return not (_segments_intersect(p0, p1, p2, p3) or _segments_intersect(p1, p2, p3, p0))


def _padded_pixmap(pixmap):
    """Give a one-pixel-wide map a second column/row, as the spec says: the
    missing derivative is perpendicular to the known one, of the same length,
    with the parity of the identity (a 1x1 map becomes a unit square)."""
    ny, nx = pixmap.shape[:2]
    if ny >= 2 and nx >= 2:
        return pixmap
    if ny == 1 and nx == 1:
        along_x = np.array([1.0, 0.0])
        along_y = np.array([0.0, 1.0])
        pm = np.empty((2, 2, 2))
        pm[0, 0] = pixmap[0, 0]
        pm[0, 1] = pixmap[0, 0] + along_x
        pm[1, 0] = pixmap[0, 0] + along_y
        pm[1, 1] = pixmap[0, 0] + along_x + along_y
        return pm
    if nx == 1:  # a column: known derivative along y
        along_y = np.gradient(pixmap[:, 0, :], axis=0)
        along_x = np.stack([along_y[:, 1], -along_y[:, 0]], axis=-1)
        return np.stack([pixmap[:, 0, :], pixmap[:, 0, :] + along_x], axis=1)
    along_x = np.gradient(pixmap[0, :, :], axis=0)  # a row
    along_y = np.stack([-along_x[:, 1], along_x[:, 0]], axis=-1)
    return np.stack([pixmap[0], pixmap[0] + along_y], axis=0)


def _interpolate(pm, x, y):
    """Bilinear interpolation of the map at input position (x, y), extended
    linearly beyond the outermost pixel centres."""
    ny, nx = pm.shape[:2]
    i0 = min(max(math.floor(x), 0), nx - 2)
    j0 = min(max(math.floor(y), 0), ny - 2)
    tx, ty = x - i0, y - j0
    p00, p10 = pm[j0, i0], pm[j0, i0 + 1]
    p01, p11 = pm[j0 + 1, i0], pm[j0 + 1, i0 + 1]
    v = (
        p00 * (1 - tx) * (1 - ty)
        + p10 * tx * (1 - ty)
        + p01 * (1 - tx) * ty
        + p11 * tx * ty
    )
    return float(v[0]), float(v[1])


def footprint(pixmap, i, j, pixfrac=1.0):
    """The four output corners of input pixel (i, j) shrunk by ``pixfrac``,
    in order around the pixel."""
    pm = _padded_pixmap(np.asarray(pixmap, dtype=np.float64))
    h = 0.5 * pixfrac
    with np.errstate(all="ignore"):
        return [
            _interpolate(pm, i - h, j - h),
            _interpolate(pm, i + h, j - h),
            _interpolate(pm, i + h, j + h),
            _interpolate(pm, i - h, j + h),
        ]


def pixel_fractions(pixmap, i, j, out_shape, pixfrac=1.0):
    """[(iy, ix, fraction)] of input pixel (i, j)'s footprint in each output
    pixel it overlaps (fraction of the footprint's area); [] when the
    footprint is invalid or misses the output."""
    quad = footprint(pixmap, i, j, pixfrac)
    if not is_valid_quad(quad):
        return []
    area = abs(polygon_area(quad))
    ny, nx = out_shape
    xs = [p[0] for p in quad]
    ys = [p[1] for p in quad]
    ix0 = max(math.floor(min(xs) + 0.5), 0)
    ix1 = min(math.floor(max(xs) + 0.5), nx - 1)
    iy0 = max(math.floor(min(ys) + 0.5), 0)
    iy1 = min(math.floor(max(ys) + 0.5), ny - 1)
    out = []
    for iy in range(iy0, iy1 + 1):
        for ix in range(ix0, ix1 + 1):
            a = overlap_with_pixel(quad, ix, iy)
            if a > 0.0:
                out.append((iy, ix, a / area))
    return out


def _valid_weight(d, w):
    return math.isfinite(d) and math.isfinite(w) and w > 0


def reference_drizzle(
    data,
    pixmap,
    out_shape,
    pixfrac=1.0,
    weights=None,
    *,
    kernel="square",
    iscale=1.0,
    variances=(),
    fillval=np.nan,
):
    """Drizzle one image the slow way.

    Returns a dict: ``data`` and ``wht`` (float64, ``fillval`` where nothing
    landed), ``con`` (bool: where some pixel gave weight > 0), ``drawn``
    (number of input pixels giving weight > 0 somewhere), ``var_exact``
    (sum w^2 v iscale^2 / (sum w)^2) and ``var_reference``
    ((sum w sqrt(v) iscale / sum w)^2), one per variance array.
    """
    data = np.asarray(data, dtype=np.float64)
    pixmap = np.asarray(pixmap, dtype=np.float64)
    ny_in, nx_in = data.shape
    weights = np.ones_like(data) if weights is None else np.asarray(weights, np.float64)
    variances = [np.asarray(v, dtype=np.float64) for v in variances]
    sum_wd = np.zeros(out_shape)
    sum_w = np.zeros(out_shape)
    sum_v_exact = [np.zeros(out_shape) for _ in variances]
    sum_s_ref = [np.zeros(out_shape) for _ in variances]
    drawn = 0
    for j in range(ny_in):
        for i in range(nx_in):
            d, wpix = float(data[j, i]), float(weights[j, i])
            if not _valid_weight(d, wpix):
                continue
            if kernel == "square":
                parts = pixel_fractions(pixmap, i, j, out_shape, pixfrac)
            else:
                x, y = pixmap[j, i]
                parts = []
                if math.isfinite(x) and math.isfinite(y):
                    ix, iy = math.floor(x + 0.5), math.floor(y + 0.5)
                    if 0 <= ix < out_shape[1] and 0 <= iy < out_shape[0]:
                        parts = [(iy, ix, 1.0)]
            if parts:
                drawn += 1
            for iy, ix, frac in parts:
                w = frac * wpix
                sum_wd[iy, ix] += w * d * iscale
                sum_w[iy, ix] += w
                for k, v in enumerate(variances):
                    sum_v_exact[k][iy, ix] += w * w * v[j, i] * iscale * iscale
                    sum_s_ref[k][iy, ix] += w * math.sqrt(v[j, i]) * iscale
    covered = sum_w > 0
    with np.errstate(all="ignore"):
        out = np.where(covered, sum_wd / sum_w, fillval)
        var_exact = [np.where(covered, s / sum_w**2, np.nan) for s in sum_v_exact]
        var_ref = [np.where(covered, (s / sum_w) ** 2, np.nan) for s in sum_s_ref]
    return {
        "data": out,
        "wht": sum_w,
        "con": covered,
        "drawn": drawn,
        "var_exact": var_exact,
        "var_reference": var_ref,
    }


def reference_square(data, pixmap, out_shape, pixfrac=1.0, weights=None, **kwargs):
    """(data, wht) of the square kernel, float64, NaN where wht == 0."""
    r = reference_drizzle(data, pixmap, out_shape, pixfrac, weights, kernel="square", **kwargs)
    return r["data"], r["wht"]


def reference_point(data, pixmap, out_shape, weights=None, **kwargs):
    """(data, wht) of the point kernel, float64, NaN where wht == 0."""
    r = reference_drizzle(data, pixmap, out_shape, 1.0, weights, kernel="point", **kwargs)
    return r["data"], r["wht"]
