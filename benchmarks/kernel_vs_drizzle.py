"""Kernel speed: resamplespec's C kernel against the drizzle package, same run.

    python benchmarks/kernel_vs_drizzle.py [--repeat N] [--size N] [--case image|slit|all]
                                           [--n-jobs N]

For each case (an N x N image, default 2048, with a small rotation and a
sub-pixel shift, and a 30 x 1400 slit with a curved trace) and kernel, prints
a markdown table of nanoseconds per input pixel, best of N (wall clock; ours
on ``--n-jobs`` threads, default 1, drizzle on one), for:

- ``data``: data and weight only: one ``Drizzler.add`` + ``finish`` against
  one drizzle ``add_image``;
- ``data+3 var+ctx``: data, weight, context and three variances.  Ours is one
  pass in ``variance_mode="reference"`` (the JWST combination); drizzle is
  called four times, as the JWST pipeline calls it (data with context, then
  the square root of each variance as data), the square roots included;
- ``data+3 var+ctx 1-pass``: drizzle 3 can co-add extra arrays with squared
  weights in the same pass (``data2``), which is our ``variance_mode="exact"``:
  the two one-pass versions side by side.

Every timed call starts from a fresh output grid and includes allocating it
and, for us, ``finish()``: drizzle's ``add_image`` leaves finished arrays, so
that is the same product.  One untimed call first warms caches.  Ratios are
ours / drizzle (below 1: we are faster).  Targets (issue 6): square data-only
<= 0.5, data + 3 variances in one pass <= 0.35 of four passes; point <= 1.
"""

from __future__ import annotations

import argparse
import functools
import math
import platform
import time

import numpy as np

from resamplespec import Drizzler

TARGETS = {
    ("square", "data"): 0.5,
    ("square", "data+3 var+ctx"): 0.35,
    ("point", "data"): 1.0,
}


# --- inputs ----------------------------------------------------------------------


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


def make_case(name, size):
    pixmap, out_shape = rotated_image(size) if name == "image" else curved_slit()
    shape = pixmap.shape[:2]
    rng = np.random.default_rng(0)
    label = f"{shape[0]}x{shape[1]} {'rotated' if name == 'image' else 'slit'}"
    return label, {
        "pixmap": pixmap,
        "out_shape": out_shape,
        "data": rng.random(shape, dtype=np.float32),
        "weights": rng.uniform(0.5, 1.5, shape).astype(np.float32),
        "variances": tuple(rng.random(shape, dtype=np.float32) for _ in range(3)),
    }


# --- the timed calls -----------------------------------------------------------------


def ours_data(c, kernel, n_jobs=1):
    d = Drizzler(c["out_shape"], kernel=kernel, context=False, n_jobs=n_jobs)
    d.add(c["data"], c["pixmap"], weights=c["weights"])
    return d.finish()


def ours_variances(c, kernel, mode="reference", n_jobs=1):
    d = Drizzler(c["out_shape"], kernel=kernel, n_variances=3, variance_mode=mode,
                 n_jobs=n_jobs)
    d.add(c["data"], c["pixmap"], weights=c["weights"], variances=c["variances"],
          variance_weight="ivm" if mode == "reference" else None)
    return d.finish()


def drizzle_pass(c, kernel, image, context, **extra):
    from drizzle.resample import Drizzle

    z = Drizzle(kernel=kernel, out_shape=c["out_shape"], fillval="NaN",
                disable_ctx=not context, **({"fillval2": "NaN"} if extra else {}))
    z.add_image(image, exptime=1.0, pixmap=c["pixmap"], weight_map=c["weights"], **extra)
    return z


def drizzle_data(c, kernel):
    return drizzle_pass(c, kernel, c["data"], False)


def drizzle_four_passes(c, kernel):
    drizzle_pass(c, kernel, c["data"], True)
    return [drizzle_pass(c, kernel, np.sqrt(v), False).out_img ** 2 for v in c["variances"]]


def drizzle_one_pass(c, kernel):
    return drizzle_pass(c, kernel, c["data"], True, data2=list(c["variances"]))


ROWS = (
    ("data", ours_data, (), drizzle_data),
    ("data+3 var+ctx", ours_variances, (), drizzle_four_passes),
    ("data+3 var+ctx 1-pass", ours_variances, ("exact",), drizzle_one_pass),
)


def best_time(function, repeat):
    function()  # warm caches and page tables once, untimed
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def run(repeat: int, size: int = 2048, cases=("image", "slit"), n_jobs: int = 1) -> list[tuple]:
    """Rows of (case, kernel, arrays, ours ns/px, drizzle ns/px)."""
    rows = []
    for name in cases:
        label, c = make_case(name, size)
        n_pixels = c["data"].size
        for kernel in ("square", "point"):
            for arrays, ours, args, theirs in ROWS:
                t_ours = best_time(functools.partial(ours, c, kernel, *args, n_jobs=n_jobs),
                                   repeat)
                t_theirs = best_time(functools.partial(theirs, c, kernel), repeat)
                rows.append((label, kernel, arrays, 1e9 * t_ours / n_pixels,
                             1e9 * t_theirs / n_pixels))
                print(format_row(rows[-1]), flush=True)
    return rows


def format_row(row):
    case, kernel, arrays, ours, reference = row
    ratio = ours / reference
    target = TARGETS.get((kernel, arrays))
    met = "" if target is None else ("yes" if ratio <= target else "no")
    return (f"| {case} | {kernel} | {arrays} | {ours:.1f} | {reference:.1f} | {ratio:.2f} | "
            f"{'' if target is None else target} | {met} |")


def main() -> None:
    import drizzle

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="best of N (default 5)")
    parser.add_argument("--size", type=int, default=2048, help="side of the square image")
    parser.add_argument("--case", choices=["image", "slit", "all"], default="all")
    parser.add_argument("--n-jobs", type=int, default=1,
                        help="threads of ours (bands of the output; drizzle has one)")
    args = parser.parse_args()
    print(f"drizzle {drizzle.__version__}, numpy {np.__version__}, "
          f"{platform.processor() or platform.machine()}, python {platform.python_version()}, "
          f"best of {args.repeat}, ours on {args.n_jobs} thread(s), drizzle on one\n")
    print("| case | kernel | arrays | ours ns/px | drizzle ns/px | ratio | target | met |")
    print("|---|---|---|---:|---:|---:|---:|:-:|")
    run(args.repeat, args.size, ("image", "slit") if args.case == "all" else (args.case,),
        args.n_jobs)


if __name__ == "__main__":
    main()
