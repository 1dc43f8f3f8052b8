"""Kernel speed: resamplespec's C kernel against the drizzle package, same run.

    python benchmarks/kernel_vs_drizzle.py [--repeat N]

For each case (a 2048 x 2048 image with a small rotation and shift, and a
30 x 1400 slit with a curved trace) and kernel, reports ns per input pixel,
best of N, for:
- data only: one ``Drizzler.add`` vs one ``drizzle`` ``add_image``;
- data + 3 variances + context: our one pass vs four drizzle passes (data and
  the three variances, as the JWST pipeline calls it).
Ratios are ours / drizzle; below 1 is faster.  Targets: square data-only
<= 0.5, data + 3 variances <= 0.35, point <= 1.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from resamplespec import Drizzler


def rotated_image(n=2048):
    y, x = np.indices((n, n), dtype=np.float64)
    angle = np.deg2rad(0.3)
    c, s = np.cos(angle), np.sin(angle)
    pixmap = np.dstack([c * x - s * y + 1.3, s * x + c * y + 0.7])
    return pixmap, (n, n)


def curved_slit(ny=30, nx=1400):
    y, x = np.indices((ny, nx), dtype=np.float64)
    trace = 3e-6 * (x - nx / 2) ** 2 + 0.004 * x
    pixmap = np.dstack([0.98 * x + 0.37, y - trace + 4.2])
    return pixmap, (ny + 12, nx)


def best_time(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def run(repeat: int) -> list[tuple]:
    from drizzle.resample import Drizzle
    import drizzle

    rows = []
    rng = np.random.default_rng(0)
    for case, (pixmap, out_shape) in {"2048x2048 rotated": rotated_image(),
                                      "30x1400 slit": curved_slit()}.items():
        shape = pixmap.shape[:2]
        data = rng.random(shape, dtype=np.float32)
        weights = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        variances = tuple(rng.random(shape, dtype=np.float32) for _ in range(3))
        n_pixels = data.size
        for kernel in ("square", "point"):
            def ours_data():
                d = Drizzler(out_shape, kernel=kernel, context=False)
                d.add(data, pixmap, weights=weights)

            def ours_all():
                d = Drizzler(out_shape, kernel=kernel, n_variances=3)
                d.add(data, pixmap, weights=weights, variances=variances,
                      variance_weight="ivm")

            def drizzle_pass(image, context):
                d = Drizzle(kernel=kernel, out_shape=out_shape, fillval="NaN",
                            disable_ctx=not context)
                d.add_image(image, exptime=1.0, pixmap=pixmap, weight_map=weights)

            def drizzle_data():
                drizzle_pass(data, False)

            def drizzle_four():
                drizzle_pass(data, True)
                for variance in variances:
                    drizzle_pass(np.sqrt(variance), False)

            timings = {name: best_time(f, repeat) for name, f in (
                ("ours_data", ours_data), ("drizzle_data", drizzle_data),
                ("ours_all", ours_all), ("drizzle_four", drizzle_four))}
            per_pixel = {k: 1e9 * v / n_pixels for k, v in timings.items()}
            rows.append((case, kernel, "data", per_pixel["ours_data"],
                         per_pixel["drizzle_data"]))
            rows.append((case, kernel, "data+3 var+ctx", per_pixel["ours_all"],
                         per_pixel["drizzle_four"]))
    print(f"drizzle {drizzle.__version__}, numpy {np.__version__}, "
          f"{platform.processor() or platform.machine()}, python {platform.python_version()}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = run(args.repeat)
    print("| case | kernel | arrays | ours ns/px | drizzle ns/px | ratio |")
    print("|---|---|---|---:|---:|---:|")
    for case, kernel, arrays, ours, reference in rows:
        print(f"| {case} | {kernel} | {arrays} | {ours:.1f} | {reference:.1f} | "
              f"{ours / reference:.2f} |")


if __name__ == "__main__":
    main()
