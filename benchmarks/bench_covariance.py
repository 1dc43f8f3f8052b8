"""Cost of covariance=True: time against variance="exact" alone, and memory.

For NIRSpec-like fixed-slit nods (``resamplespec.datasets``) at
pixel_scale_ratio 1 and 2, and pixfrac 1 and 0.6, times
``resample(nods, variance="exact")`` and the same with ``covariance=True``
(best of ``--repeat`` runs each, interleaved, in this process), and reports
the ratio, the number of correlation planes of the product and the bytes
per output pixel: float64 sums while drizzling (8 per plane held) and
float32 planes in the product (4 per plane kept).  The issue's target:
a time ratio <= 2.

    python benchmarks/bench_covariance.py                 # 3 nods of 36 x 2048
    python benchmarks/bench_covariance.py --shape 36,400 --repeat 3
"""

from __future__ import annotations

import argparse
import time
import warnings

import resamplespec
from resamplespec import datasets


def _best(function, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="36,2048", help="input ny,nx")
    parser.add_argument("--exposures", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    ny, nx = (int(v) for v in args.shape.split(","))
    warnings.simplefilter("ignore")
    nods = datasets.nirspec_fixed_slit(n_exposures=args.exposures, shape=(ny, nx))
    resamplespec.resample(nods[:1], variance="exact")  # first-call costs
    print(f"{args.exposures} nods of {ny} x {nx}; best of {args.repeat}")
    print(f"{'ratio':>5} {'pixfrac':>7} {'exact s':>8} {'+cov s':>8} {'time x':>6} "
          f"{'planes':>6} {'kept':>5} {'sums B/px':>9} {'product B/px':>12}")
    for ratio, pixfrac in ((1.0, 1.0), (1.0, 0.6), (2.0, 1.0)):
        options = dict(variance="exact", pixel_scale_ratio=ratio, pixfrac=pixfrac)
        exact = _best(lambda: resamplespec.resample(nods, **options), args.repeat)
        covariance = _best(lambda: resamplespec.resample(nods, covariance=True, **options),
                           args.repeat)
        product = resamplespec.resample(nods, covariance=True, **options)
        # planes held while drizzling: those of the reach of the kept offsets
        held = _reach_planes(product)
        kept = len(product.correlation.offsets)
        print(f"{ratio:5.1f} {pixfrac:7.1f} {exact:8.3f} {covariance:8.3f} "
              f"{covariance / exact:6.2f} {held:6d} {kept:5d} {8 * held:9d} {4 * kept:12d}")


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
