"""Figures of the pages on wavelength grids, covariance and outliers.

Drawn at build time, as those of ``method.py``: ``resamplespec.datasets``
inputs, the public API, small arrays and fixed seeds.  The numbers in
legends and titles (widths, errors, recall) are computed here, by the
build, from the arrays drawn.
"""

from __future__ import annotations

import numpy as np
from figures.method import CMAP, OURS, REFERENCE, TRUTH, show_image
from matplotlib import pyplot as plt

import resamplespec
from resamplespec import datasets

# ---------------------------------------------------------------------------
# Wavelength grids
# ---------------------------------------------------------------------------


def grid_steps():
    """Step and resolving power per pixel of the native, linear and log
    grids of one fixed-slit input."""
    nods = datasets.nirspec_fixed_slit(n_exposures=1, shape=(24, 200), noise=False)
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.4, 3.2))
    for grid, style, width in (("native", "-", 3.5), ("linear", "--", 1.2), ("log", ":", 1.6)):
        wavelength = resamplespec.resample(nods, spectral_grid=grid).meta.wavelength
        step = np.diff(wavelength)
        middle = 0.5 * (wavelength[1:] + wavelength[:-1])
        label = f"{grid!r}: {wavelength.size} columns"
        left.plot(middle, step * 1e3, style, lw=width, label=label)
        right.plot(middle, middle / step, style, lw=width, label=label)
    left.set_ylabel("step between column centres (nm)")
    right.set_ylabel("λ / step (resolving power per pixel)")
    for ax in (left, right):
        ax.set_xlabel("wavelength (µm)")
        ax.legend(fontsize=8)
    left.set_title("the step of each grid", fontsize=9)
    right.set_title("constant λ / step: the log grid", fontsize=9)
    fig.tight_layout()


LINE_UM = 2.4  # the emission line of datasets.nirspec_spectral_dither


def _line_profile(product, native_step):
    """Offsets from the line (native pixels) and the continuum-subtracted
    row sum near it, as a density per native pixel."""
    wavelength = product.meta.wavelength
    spectrum = np.nansum(product.data, axis=0, dtype=np.float64)
    offset = (wavelength - LINE_UM) / native_step
    window = np.abs(offset) < 12
    sides = window & (np.abs(offset) > 6)
    continuum = np.polyval(np.polyfit(offset[sides], spectrum[sides], 1), offset)
    return offset[window], (spectrum - continuum)[window]


def fwhm(offset, line):
    """Full width at half maximum of a sampled peak: the two crossings of
    half the peak nearest it, each linear between its two samples."""
    peak = int(np.argmax(line))
    above = line >= 0.5 * line[peak]
    # the first sample below half on each side of the peak
    left = peak - int(np.argmin(above[peak::-1]))
    right = peak + int(np.argmin(above[peak:]))
    crossings = [offset[i] + (offset[i + 1] - offset[i]) * (0.5 * line[peak] - line[i])
                 / (line[i + 1] - line[i]) for i in (left, right - 1)]
    return float(crossings[1] - crossings[0])


def oversampling():
    """An unresolved line seen by four exposures dithered by a quarter pixel,
    combined on the native grid and with spectral_sampling=2."""
    exposures = datasets.nirspec_spectral_dither(n_exposures=4, shape=(24, 200), seed=3,
                                                 noise=False)
    native = resamplespec.resample(exposures)
    centres = native.meta.wavelength
    native_step = float(np.interp(LINE_UM, centres[1:], np.diff(centres)))
    fig, axes = plt.subplots(1, 2, figsize=(7.4, 3.2), sharey=True)
    for ax, pixfrac in zip(axes, (1.0, 0.5), strict=True):
        for sampling, style, colour in ((1, "o-", REFERENCE), (2, "s-", OURS)):
            product = (native if (sampling, pixfrac) == (1, 1.0) else resamplespec.resample(
                exposures, pixfrac=pixfrac, spectral_sampling=sampling))
            offset, line = _line_profile(product, native_step)
            width = fwhm(offset, line)
            ax.plot(offset, line / line.max(), style, ms=3, lw=0.9, color=colour,
                    label=f"spectral_sampling={sampling}\nFWHM {width:.2f} native px")
        ax.axhline(0.5, color=TRUTH, lw=0.5, ls=":")
        ax.set_xlim(-3, 6)
        ax.set_xlabel("offset from the line (native pixels)")
        ax.set_title(f"pixfrac={pixfrac}", fontsize=9)
        ax.legend(fontsize=7.5, loc="center right", frameon=False, labelspacing=1.2)
    axes[0].set_ylabel("line, summed over rows / peak")
    fig.tight_layout()


# ---------------------------------------------------------------------------
# Covariance
# ---------------------------------------------------------------------------


def correlation_around_a_pixel(correlation, reach=2):
    """The median correlation of a pixel with each neighbour within
    ``reach``, as a (2 reach + 1) square array (1 at the centre): plane
    (dy, dx) and its mirror (-dy, -dx) hold the same pairs."""
    around = np.zeros((2 * reach + 1, 2 * reach + 1))
    around[reach, reach] = 1.0
    for (dy, dx), plane in zip(correlation.offsets, correlation.values, strict=True):
        if max(abs(dy), abs(dx)) <= reach:
            value = float(np.nanmedian(np.where(plane != 0, plane, np.nan)))
            around[reach + dy, reach + dx] = around[reach - dy, reach - dx] = value
    return around


def correlation_planes():
    """The correlation of an output pixel with its neighbours, square kernel
    at pixfrac 1 and 0.6 and the point kernel."""
    nods = datasets.nirspec_fixed_slit(n_exposures=2, shape=(30, 120), seed=1)
    cases = (("square", 1.0), ("square", 0.6), ("point", 1.0))
    fig, axes = plt.subplots(1, 3, figsize=(7.4, 2.9))
    reach = 2
    for ax, (kernel, pixfrac) in zip(axes, cases, strict=True):
        product = resamplespec.resample(nods, kernel=kernel, pixfrac=pixfrac,
                                        variance="exact", covariance=True)
        around = correlation_around_a_pixel(product.correlation, reach)
        ax.imshow(around, origin="lower", cmap="Blues", vmin=0, vmax=0.6,
                  extent=(-reach - 0.5, reach + 0.5, -reach - 0.5, reach + 0.5))
        for (row, col), value in np.ndenumerate(around):
            text = "1" if (row, col) == (reach, reach) else f"{value:.2f}"
            ax.text(col - reach, row - reach, text, ha="center", va="center", fontsize=7.5)
        ax.set_xticks(range(-reach, reach + 1))
        ax.set_yticks(range(-reach, reach + 1))
        ax.set_xlabel("dx (wavelength columns)")
        label = f"pixfrac={pixfrac}" if kernel == "square" else "no overlaps"
        ax.set_title(f"{kernel}, {label}\noffsets kept: {len(product.correlation.offsets)}",
                     fontsize=9)
    axes[0].set_ylabel("dy (rows)")
    fig.tight_layout()


def monte_carlo_extraction(n_draws=100, rows=(8, 14), seed=2):
    """Boxcar sums of ``n_draws`` noisy copies of one small slit: their
    scatter per wavelength, and the errors ``extract`` predicts from one
    resampling with and without the covariance."""
    truth = datasets.nirspec_fixed_slit(n_exposures=2, shape=(20, 60), seed=seed, noise=False)
    options = dict(pixel_scale_ratio=1.5, variance="exact")
    sigmas = [np.sqrt(nod["var_rnoise"] + nod["var_poisson"] + nod["var_flat"])
              for nod in truth]
    rng = np.random.default_rng(seed)
    sums = []
    for _ in range(n_draws):
        noisy = [dict(nod, data=nod["data"] + rng.normal(size=sigma.shape) * sigma)
                 for nod, sigma in zip(truth, sigmas, strict=True)]
        sums.append(np.sum(resamplespec.resample(noisy, **options).data[slice(*rows)],
                           axis=0, dtype=np.float64))
    product = resamplespec.resample(truth, covariance=True, **options)
    spectrum = resamplespec.extract(product, rows=rows)
    return spectrum, np.std(np.array(sums), axis=0, ddof=1)


def extraction_errors():
    """Monte Carlo check of ``error`` and ``error_naive``."""
    spectrum, scatter = monte_carlo_extraction()
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    wavelength = spectrum.wavelength
    ax.plot(wavelength, scatter, ".", ms=4, color=TRUTH, label="scatter of 100 noise draws")
    for name, colour, style in (("error", OURS, "-"), ("error_naive", REFERENCE, "--")):
        predicted = getattr(spectrum, name)
        ratio = np.median(predicted / scatter)
        ax.plot(wavelength, predicted, style, color=colour, lw=1.2,
                label=f"{name}: median {ratio:.2f} x the scatter")
    ax.set_ylim(0, None)
    ax.set_xlabel("wavelength (µm)")
    ax.set_ylabel(f"error of the sum of 6 rows ({spectrum.unit})")
    ax.set_title("two nods, pixel_scale_ratio=1.5, variance='exact', covariance=True",
                 fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()


# ---------------------------------------------------------------------------
# Outliers
# ---------------------------------------------------------------------------


def outliers():
    """Cosmic rays and hot pixels injected into three nods, the outliers
    found, and the combination without and with rejection."""
    nods = datasets.nirspec_fixed_slit(n_exposures=3, shape=(30, 150), seed=4)
    hit, truth = datasets.with_outliers(nods, cosmic_rays=40, hot_pixels=4,
                                        amplitude=(10.0, 30.0), seed=4)
    found = resamplespec.find_outliers(hit)
    injected = sum(int(mask.sum()) for mask in truth)
    recovered = sum(int((mask & known).sum()) for mask, known in zip(found, truth, strict=True))
    false = sum(int((mask & ~known).sum()) for mask, known in zip(found, truth, strict=True))
    plain = resamplespec.resample(hit)
    rejected = resamplespec.resample(hit, reject_outliers=True)
    clean = resamplespec.resample(nods)
    fig = plt.figure(figsize=(7.4, 6.4))
    grid = fig.add_gridspec(3, 2, hspace=0.45, wspace=0.12)
    ax = fig.add_subplot(grid[0, 0])
    show_image(ax, hit[1]["data"], "input 2, outliers injected")
    ax = fig.add_subplot(grid[0, 1])
    rows, cols = np.nonzero(truth[1])
    ax.imshow(found[1], origin="lower", cmap="Greys", aspect="auto", interpolation="nearest")
    ax.plot(cols, rows, "o", mfc="none", mec=REFERENCE, ms=6, mew=0.8, label="injected")
    ax.set_title(f"found (black): {recovered} of {injected} in 3 inputs, {false} false",
                 fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    vmin, vmax = np.nanpercentile(clean.data, [1, 99.5])
    for row, (product, title) in enumerate(((plain, "combined without rejection"),
                                            (rejected, "combined, reject_outliers=True"))):
        ax = fig.add_subplot(grid[row + 1, :])
        ax.imshow(product.data, origin="lower", cmap=CMAP, vmin=vmin, vmax=vmax,
                  aspect="auto", interpolation="nearest")
        off = int(np.sum(np.abs(product.data - clean.data) > 5 * clean.err))
        ax.set_title(f"{title}: {off} pixels more than 5 err from the combination "
                     "without outliers", fontsize=9)
        ax.set_ylabel("output row")
    ax.set_xlabel("output column")
    for ax in fig.axes[:2]:
        ax.set_xticks([])
        ax.set_yticks([])
