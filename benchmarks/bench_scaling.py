"""Scaling of resamplespec.resample(): time and peak memory as the work grows.

Two series of NIRSpec-like fixed-slit nods (40 rows), default options:

* the number of inputs grows (1, 3, 10, 30) at 40 x 2048 pixels;
* the slit length grows (512, 1024, 2048, 4096 columns) at 3 inputs.

Each point runs in a fresh process with the child of ``bench_end_to_end.py``
(time of the one ``resample()`` call, best of ``--repeat``; growth of the
resident high-water mark over it).  The cost per input pixel (ns/px) and
the memory per input pixel (B/px) show whether the growth is linear.

    python benchmarks/bench_scaling.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_end_to_end as e2e  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    points = [(n, 2048) for n in (1, 3, 10, 30)] + [(3, nx) for nx in (512, 1024, 4096)]
    print("| inputs | shape | input Mpx | s | ns/input px | peak growth MB | B/input px |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="rsp_scaling_") as folder:
        for n_inputs, nx in points:
            name = f"fs_{n_inputs}x{nx}"
            e2e.CASES[name] = ("nirspec_fixed_slit",
                               {"n_exposures": n_inputs, "shape": [40, nx], "seed": 1})
            measured = e2e._run(sys.executable, "ours", name, {}, args.repeat,
                                Path(folder) / f"{name}.npz")
            pixels = measured["n_pixels"]
            print(f"| {n_inputs} | 40x{nx} | {pixels / 1e6:.2f} | {measured['seconds']:.3f} | "
                  f"{measured['seconds'] / pixels * 1e9:.0f} | {measured['growth_mb']:.1f} | "
                  f"{measured['growth_mb'] * 2**20 / pixels:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
