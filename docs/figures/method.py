"""Figures of the documentation, drawn at build time.

Each public function draws one figure with matplotlib's current figure
machinery; the pages call them through the plot directive
(``.. plot:: figures/method.py kernels``).  They use only
``resamplespec.datasets`` and the public API, with small arrays and fixed
seeds, so the build is quick and the pictures are the same every time.
"""

from __future__ import annotations

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.patches import Polygon

import resamplespec
from resamplespec import Drizzler, SpectralImage, datasets
from resamplespec.geometry import build_output_grid, pixel_map, tangent_offsets

#: colour map and colours used throughout
CMAP = "magma"
OURS, REFERENCE, TRUTH = "C0", "C3", "0.3"


def show_image(ax, image, title, **kwargs):
    """An image in display order (row 0 at the bottom), scaled on its
    central 1-99.5 percentiles."""
    finite = image[np.isfinite(image)]
    low, high = np.percentile(finite, [1, 99.5]) if finite.size else (0, 1)
    shown = ax.imshow(image, origin="lower", cmap=CMAP, vmin=low, vmax=high,
                      aspect="auto", interpolation="nearest", **kwargs)
    ax.set_title(title, fontsize=9)
    return shown


def overview():
    """Three nodded NIRSpec fixed-slit exposures and their combination."""
    nods = datasets.nirspec_fixed_slit(n_exposures=3, shape=(36, 400))
    s2d = resamplespec.resample(nods)
    fig = plt.figure(figsize=(7.4, 4.6))
    grid = fig.add_gridspec(4, 3, height_ratios=[1, 0.15, 1.35, 0.35], hspace=0.05)
    for index, nod in enumerate(nods):
        ax = fig.add_subplot(grid[0, index])
        show_image(ax, nod["data"], f"input {index + 1}: detector cutout")
        ax.set_xticks([])
        ax.set_yticks([])
    ax = fig.add_subplot(grid[2, :])
    show_image(ax, s2d.data, "resampled and combined: rows = slit position, columns = wavelength",
          extent=_extent(s2d))
    ax.set_xlabel("wavelength (µm)")
    ax.set_ylabel("output row")


def _extent(product):
    """imshow extent with the wavelength along x."""
    wavelength = product.meta.wavelength
    ny = product.data.shape[0]
    return (wavelength[0], wavelength[-1], -0.5, ny - 0.5)


def output_grid():
    """The spatial axis (a line fitted in the tangent plane) and the
    wavelength table of a NIRSpec grid."""
    nods = [SpectralImage.from_dict(nod) for nod in
            datasets.nirspec_fixed_slit(n_exposures=3, shape=(36, 200))]
    grid = build_output_grid(nods)
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.4, 3.6))
    column = nods[0].data.shape[1] // 2
    ra0, dec0 = grid.wcs(column, grid.shape[0] / 2)[:2]
    for index, nod in enumerate(nods):
        rows = np.arange(nod.data.shape[0], dtype=float)
        ra, dec, _ = nod.wcs(np.full_like(rows, column), rows)
        x, y = tangent_offsets(ra, dec, ra0, dec0)
        left.plot(x * 3600, y * 3600, ".", ms=4, label=f"input {index + 1} pixel centres")
    rows = np.arange(grid.shape[0], dtype=float)
    ra, dec, _ = grid.wcs(np.full_like(rows, column), rows)
    x, y = tangent_offsets(ra, dec, ra0, dec0)
    left.plot(x * 3600, y * 3600, "k-", lw=0.8, label="output rows (fitted line)")
    left.plot(x[::5] * 3600, y[::5] * 3600, "k+", ms=7)
    left.set_aspect("equal", adjustable="datalim")
    left.set_xlabel("tangent plane x (arcsec, east)")
    left.set_ylabel("tangent plane y (arcsec, north)")
    left.set_title("spatial axis, central column", fontsize=9)
    left.legend(fontsize=8, loc="best")
    medians = np.nanmedian(nods[0].wcs(*np.meshgrid(np.arange(200.0), np.arange(36.0)))[2],
                           axis=0)
    right.plot(np.arange(grid.shape[1]), grid.wavelength, "k-", lw=1, label="output columns")
    right.plot(np.arange(medians.size), medians, ".", ms=2, color=OURS,
               label="input 1 column medians")
    right.set_xlabel("output column")
    right.set_ylabel("wavelength (µm)")
    right.set_title(f"wavelength table ({grid.shape[1]} columns)", fontsize=9)
    right.legend(fontsize=8)
    fig.tight_layout()


def pixel_maps():
    """Lines of constant output row and column drawn over a NIRSpec input
    whose trace bends and whose spectral lines tilt (both exaggerated)."""
    nod = SpectralImage.from_dict(datasets.nirspec_fixed_slit(
        n_exposures=1, shape=(36, 200), trace_curvature=2e-4, line_tilt=0.15)[0])
    grid = build_output_grid([nod])
    pixmap = pixel_map(nod, grid)
    fig, ax = plt.subplots(figsize=(7.4, 3.4))
    show_image(ax, nod.data, "")
    rows = ax.contour(pixmap[..., 1], levels=np.arange(0, grid.shape[0], 4),
                      colors="w", linewidths=0.6)
    ax.clabel(rows, fontsize=6, fmt="row %d")
    ax.contour(pixmap[..., 0], levels=np.arange(0, grid.shape[1], 20), colors="c",
               linewidths=0.6)
    ax.set_xlabel("input column")
    ax.set_ylabel("input row")
    ax.set_title("pixel map of one input: output rows (white, labelled) and every 20th "
                 "output column (cyan)", fontsize=9)
    fig.tight_layout()


def _rotated_map(shape, angle_deg, scale, offset):
    """Pixel map of a ``shape`` input rotated by ``angle_deg`` and scaled."""
    rows, cols = np.indices(shape, dtype=float)
    angle = np.radians(angle_deg)
    x = scale * (np.cos(angle) * cols - np.sin(angle) * rows) + offset[0]
    y = scale * (np.sin(angle) * cols + np.cos(angle) * rows) + offset[1]
    return np.dstack([x, y])


def _footprint(pixmap, row, col, pixfrac):
    """Corners of pixel (row, col) on the output, shrunk by ``pixfrac``:
    the kernel's bilinear interpolation of the map at the pixel's corners."""
    centre = pixmap[row, col]
    corners = []
    for dy, dx in ((-1, -1), (-1, 1), (1, 1), (1, -1)):
        neighbours = [pixmap[row + a, col + b] for a in (0, dy) for b in (0, dx)]
        corner = np.mean(neighbours, axis=0)
        corners.append(centre + pixfrac * (corner - centre))
    return np.array(corners)


def kernels():
    """What one input pixel gives each output pixel, square kernel with
    pixfrac 1 and 0.5 and the point kernel."""
    shape, out_shape = (5, 5), (8, 8)
    pixmap = _rotated_map(shape, 25.0, 1.2, (3.1, 0.6))
    data = np.ones(shape)
    weights = np.zeros(shape)
    weights[2, 2] = 1.0  # only the central input pixel is drawn
    cases = (("square", 1.0), ("square", 0.5), ("point", 1.0))
    fig, axes = plt.subplots(1, 3, figsize=(7.4, 3.3))
    for ax, (kernel, pixfrac) in zip(axes, cases, strict=True):
        drizzler = Drizzler(out_shape, kernel=kernel, pixfrac=pixfrac)
        drizzler.add(data, pixmap, weights=weights)
        wht = drizzler.finish().wht
        ax.imshow(np.where(wht > 0, wht, np.nan), origin="lower", cmap="Blues", vmin=0,
                  vmax=1.5 if kernel == "square" else 1.0,
                  extent=(-0.5, out_shape[1] - 0.5, -0.5, out_shape[0] - 0.5))
        for (row, col), value in np.ndenumerate(wht):
            if value > 0.005:
                ax.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=7.5)
        if kernel == "square":
            ax.add_patch(Polygon(_footprint(pixmap, 2, 2, pixfrac), fill=False,
                                 edgecolor=REFERENCE, lw=1.2))
        ax.plot(*pixmap[2, 2], "x", color=REFERENCE)
        ax.set_xticks(np.arange(-0.5, out_shape[1]), minor=True)
        ax.set_yticks(np.arange(-0.5, out_shape[0]), minor=True)
        ax.grid(which="minor", color="0.7", lw=0.6)
        ax.tick_params(which="minor", length=0)
        ax.set_xlim(0.5, 6.5)
        ax.set_ylim(0.5, 6.5)
        label = f"pixfrac={pixfrac}" if kernel == "square" else "centre only"
        ax.set_title(f"{kernel} kernel, {label}\nweight sum {wht.sum():.3f}", fontsize=9)
    fig.tight_layout()


def _spatial_profile(product):
    """Sum over the central 40 % of the columns, per output row."""
    nx = product.data.shape[1]
    return np.nansum(product.data[:, int(0.3 * nx):int(0.7 * nx)], axis=1)


def weights():
    """Output weight per row of three nods, inverse read-noise against
    exposure-time weighting."""
    nods = datasets.nirspec_fixed_slit(n_exposures=3, shape=(36, 200))
    fig, ax = plt.subplots(figsize=(6.2, 3.2))
    for weight_type, style in (("ivm", "-"), ("exptime", "--")):
        product = resamplespec.resample(nods, weight_type=weight_type)
        wht = np.nanmedian(product.wht, axis=1)
        ax.plot(wht / np.nanmax(wht), style, label=f"weight_type={weight_type!r}")
    ax.set_xlabel("output row")
    ax.set_ylabel("median weight / maximum")
    ax.set_title("output weight: three nods overlap in the middle rows", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()


def monte_carlo_variance(n_draws=150, seed=1):
    """Predicted and measured variance of each output pixel.

    The noiseless truth of a lamp exposure plus Gaussian noise drawn from
    its variance arrays, resampled ``n_draws`` times; the scatter of each
    output pixel over the draws is compared with the variance that one
    resampling predicts in either mode.
    """
    truth = datasets.lamp(shape=(14, 40), noise=False, seed=seed)[0]
    sigma = np.sqrt(truth["var_rnoise"] + truth["var_poisson"] + truth["var_flat"])
    rng = np.random.default_rng(seed)
    options = dict(pixel_scale_ratio=1.5, pixfrac=0.8)
    draws = []
    for _ in range(n_draws):
        noisy = dict(truth, data=truth["data"] + rng.normal(size=sigma.shape) * sigma)
        draws.append(resamplespec.resample([noisy], **options).data)
    measured = np.nanvar(np.array(draws), axis=0, ddof=1)
    predicted = {mode: resamplespec.resample([truth], variance=mode, **options)
                 for mode in ("reference", "exact")}
    return measured, {mode: product.err**2 for mode, product in predicted.items()}


def variances():
    """Monte Carlo check of the two variance modes."""
    measured, predicted = monte_carlo_variance()
    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    ok = np.isfinite(measured) & (measured > 0)
    top = np.nanpercentile(measured[ok], 99.5) * 1.3
    for mode, colour in (("reference", REFERENCE), ("exact", OURS)):
        ratio = np.nanmedian(predicted[mode][ok] / measured[ok])
        ax.plot(measured[ok], predicted[mode][ok], ".", ms=2.5, color=colour, alpha=0.6,
                label=f"variance={mode!r}: median predicted / measured {ratio:.2f}")
    ax.plot([0, top], [0, top], "k-", lw=0.8, label="predicted = measured")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("measured variance over 150 noise draws")
    ax.set_ylabel("predicted variance (err**2)")
    ax.set_title("lamp exposure, pixel_scale_ratio=1.5, pixfrac=0.8", fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()


def pixel_scale_ratios():
    """Spatial profiles at pixel_scale_ratio 1 and 2 in flux density and in
    surface brightness."""
    fig, axes = plt.subplots(1, 2, figsize=(7.4, 3.4))
    for ax, bunit in zip(axes, ("MJy", "MJy/sr"), strict=True):
        nods = datasets.nirspec_fixed_slit(n_exposures=1, shape=(36, 200), bunit=bunit,
                                           noise=False)
        for ratio, style in ((1.0, "-o"), (2.0, "-s")):
            product = resamplespec.resample(nods, pixel_scale_ratio=ratio)
            profile = _spatial_profile(product)
            rows = np.arange(profile.size)
            # arcsec along the slit, 0 at the middle row
            offset = (rows - rows.mean()) * 0.1 / ratio
            ax.plot(offset, profile, style, ms=2.5, lw=0.8,
                    label=f"ratio {ratio:g}: sum {np.nansum(profile):.4g}")
        ax.legend(loc="upper left")
        ax.set_xlabel("offset along the slit (arcsec)")
        ax.set_ylabel(f"data summed over 80 columns ({bunit})")
        ax.set_xlim(-1.2, 1.2)
        ax.set_title({"MJy": "flux density: per pixel halves, sum kept",
                      "MJy/sr": "surface brightness: values kept"}[bunit], fontsize=9)
    fig.tight_layout()


def edge_pixels():
    """Weight of the output rows near the edge of a grid that cuts an
    input, ours against drizzle's rule (a pixel counts only if its centre
    lands inside)."""
    shape, out_shape = (12, 6), (10, 6)
    pixmap = _rotated_map(shape, 0.0, 1.0, (0.0, -0.8))
    data = np.ones(shape)
    inside = (pixmap[..., 1] >= -0.5) & (pixmap[..., 1] < out_shape[0] - 0.5)
    fig, ax = plt.subplots(figsize=(5.2, 3.0))
    for label, wanted, colour, style in (
            ("drizzle's rule", inside.astype(float), REFERENCE, "o-"),
            ("resamplespec", np.ones(shape), OURS, "s--")):
        drizzler = Drizzler(out_shape)
        drizzler.add(data, pixmap, weights=wanted)
        wht = drizzler.finish().wht
        ax.plot(np.arange(out_shape[0]), wht.mean(axis=1), style, color=colour, label=label)
    ax.set_xlabel("output row (the input starts 0.8 row below the grid)")
    ax.set_ylabel("weight per output pixel")
    ax.set_ylim(0, 1.1)
    ax.legend(fontsize=8)
    fig.tight_layout()
