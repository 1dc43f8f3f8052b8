"""Cost of covariance=True: time against variance="exact" alone, and memory.

For NIRSpec-like fixed-slit nods (``resamplespec.datasets``) at
pixel_scale_ratio 1 and 2, and pixfrac 1 and 0.6, times
``resample(nods, variance="exact")`` and the same with ``covariance=True``
(best of ``--repeat`` runs each, interleaved, in this process), and reports
the ratio, the number of correlation planes of the product and the bytes
per output pixel: float64 sums while drizzling (8 per plane held) and
float32 planes in the product (4 per plane kept); then the ratio for the
kernel pass alone (a Drizzler's steady-state add).  The issue's target: a
time ratio <= 2.

    python benchmarks/bench_covariance.py                 # 3 nods of 36 x 2048
    python benchmarks/bench_covariance.py --shape 36,400 --repeat 3
    python benchmarks/bench_covariance.py --dataset miri_lrs --exposures 2
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import resamplespec
from resamplespec import datasets
from resamplespec.kernel import Drizzler


def _best_pair(nods, options, repeat):
    """Best times of resample without and with covariance=True, the two
    runs interleaved so that other work on the machine hits both alike."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for k, covariance in enumerate((False, True)):
            start = time.perf_counter()
            resamplespec.resample(nods, covariance=covariance, **options)
            best[k] = min(best[k], time.perf_counter() - start)
    return best


def _kernel_pass_ratio(ratio, repeat):
    """Steady-state time of one Drizzler.add (200 x 1000 input, a tilted
    trace, three variances) with covariance over without: the kernel's own
    cost, without the grid and the finishing."""
    rng = np.random.default_rng(0)
    y, x = np.indices((200, 1000), dtype=float)
    pixmap = np.dstack([x + 0.013 * y + 0.3, ratio * (y + 0.002 * x) + 0.4])
    data = rng.normal(size=(200, 1000)).astype(np.float32)
    variances = [np.ones((200, 1000), np.float32)] * 3
    best = {}
    for covariance in (False, True):
        drizzler = Drizzler((int(ratio * 200) + 4, 1008), n_variances=3,
                            variance_mode="exact", covariance=covariance)
        drizzler.add(data, pixmap, variances=variances)  # pages touched, reach set
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            drizzler.add(data, pixmap, variances=variances)
            times.append(time.perf_counter() - start)
        best[covariance] = min(times)
    return best[True] / best[False]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("fixed_slit", "miri_lrs"), default="fixed_slit",
                        help="NIRSpec fixed-slit nods (dispersion along x) or MIRI LRS "
                        "(along y)")
    parser.add_argument("--shape", default=None,
                        help="input ny,nx (default 36,2048; LRS 400,80)")
    parser.add_argument("--exposures", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    lrs = args.dataset == "miri_lrs"
    shape = args.shape or ("400,80" if lrs else "36,2048")
    ny, nx = (int(v) for v in shape.split(","))
    warnings.simplefilter("ignore")
    make = datasets.miri_lrs if lrs else datasets.nirspec_fixed_slit
    nods = make(n_exposures=args.exposures, shape=(ny, nx))
    resamplespec.resample(nods[:1], variance="exact")  # first-call costs
    print(f"{args.dataset}: {args.exposures} exposures of {ny} x {nx}; best of {args.repeat}")
    print(f"{'ratio':>5} {'pixfrac':>7} {'exact s':>8} {'+cov s':>8} {'time x':>6} "
          f"{'planes':>6} {'kept':>5} {'sums B/px':>9} {'product B/px':>12}")
    for ratio, pixfrac in ((1.0, 1.0), (1.0, 0.6), (2.0, 1.0)):
        options = dict(variance="exact", pixel_scale_ratio=ratio, pixfrac=pixfrac)
        exact, covariance = _best_pair(nods, options, args.repeat)
        product = resamplespec.resample(nods, covariance=True, **options)
        # planes held while drizzling: those of the reach of the kept offsets
        held = _reach_planes(product)
        kept = len(product.correlation.offsets)
        print(f"{ratio:5.1f} {pixfrac:7.1f} {exact:8.3f} {covariance:8.3f} "
              f"{covariance / exact:6.2f} {held:6d} {kept:5d} {8 * held:9d} {4 * kept:12d}")
    for ratio in (1.0, 2.0):
        print(f"kernel pass alone, ratio {ratio}: covariance / exact = "
              f"{_kernel_pass_ratio(ratio, args.repeat):.2f}")


def _reach_planes(product):
    """Planes of the smallest reach holding the product's offsets (the
    Drizzler held at least these)."""
    offsets = product.correlation.offsets
    if len(offsets) == 0:
        return 0
    reach_x = int(abs(offsets[:, 1]).max())
    reach_y = int(offsets[:, 0].max())
    return reach_y * (2 * reach_x + 1) + reach_x


if __name__ == "__main__":
    main()
