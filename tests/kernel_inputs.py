"""Drizzler inputs shared by the kernel and parallel tests."""

import numpy as np


def nodded_inputs(seed, ny, nx, n_inputs, scale, angle, curvature):
    """Drizzler inputs mapped by a rotation + scale + a curved trace +
    jitter, each input shifted by a fraction of a pixel (nods): (pixmaps,
    [(data, weights, variances, dq)], output shape)."""
    rng = np.random.default_rng(seed)
    y, x = np.indices((ny, nx), dtype=np.float64)
    c, s = np.cos(angle), np.sin(angle)
    pixmaps, inputs = [], []
    for k in range(n_inputs):
        out_x = scale * (c * x - s * y) + 3.0 * scale * ny + 2.3
        out_y = scale * (s * x + c * y) + 3.0 * scale * nx * abs(s) + 1.7 + 0.37 * k
        out_y = out_y + curvature * (x - nx / 2) ** 2
        pixmap = np.dstack([out_x, out_y]) + rng.normal(0.0, 0.03, (ny, nx, 2))
        pixmaps.append(pixmap)
        data = rng.normal(1.0, 0.5, (ny, nx)).astype(np.float32)
        data[rng.random((ny, nx)) < 0.05] = np.nan
        weights = rng.uniform(0.2, 2.0, (ny, nx)).astype(np.float32)
        variances = tuple(rng.uniform(0.01, 1.0, (ny, nx)).astype(np.float32)
                          for _ in range(2))
        dq = rng.integers(0, 16, (ny, nx)).astype(np.uint32)
        inputs.append((data, weights, variances, dq))
    span = int(scale * (nx + ny) * 4 + 8 + curvature * nx * nx)
    return pixmaps, inputs, (span, span)
