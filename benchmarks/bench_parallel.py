"""Speed-up of resample(n_jobs=2) and of resamplespec.dask over one thread.

Two cases, as in the issue:

* MOS: 3 exposures x 50 slitlets of 31 x 1400 pixels
  (``datasets.nirspec_mos(n_slits=50, nx=1400, shutters_per_slit=5)``);
* fixed slit: 3 nods of 40 x 2048 (``datasets.nirspec_fixed_slit``).

Each case is run with one thread and with ``n_jobs=2`` (this process and
a forked child for the MOS slits; bands for a large single slit), then,
with the inputs written to files and read with ``in_memory=False``, by one
process and on a ``LocalCluster`` of 2 worker processes of one thread each
(started, and its workers warmed, before the timing).  The runs alternate,
best of ``--repeat``; ratios are the single run / the parallel run (above 1
is faster).  The share of the serial run spent in the C kernel
(``Drizzler.add``, which releases the GIL) is measured in the same run:
what threads can overlap at most.

    python benchmarks/bench_parallel.py --repeat 3
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import resamplespec
from resamplespec import MultiSlitImage, SpectralImage, datasets, io


def _cases():
    mos = datasets.nirspec_mos(n_slits=50, n_exposures=3, nx=1400, shutters_per_slit=5,
                               seed=1)
    nods = datasets.nirspec_fixed_slit(n_exposures=3, shape=(40, 2048), seed=1)
    return {
        "MOS 3 x 50 slits 31x1400": [{"slits": slits} for slits in mos],
        "fixed slit 3 nods 40x2048": nods,
    }


def _write(models, folder: Path) -> list[str]:
    paths = []
    for k, model in enumerate(models):
        if "slits" in model:
            product = MultiSlitImage([SpectralImage.from_dict(s) for s in model["slits"]])
        else:
            product = SpectralImage.from_dict(model)
        paths.append(str(io.write(product, folder / f"input{k}.asdf")))
    return paths


def _best(function, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def _kernel_share(models) -> float:
    """Fraction of a serial run spent in Drizzler.add (the GIL-free kernel)."""
    spent = [0.0]
    add = resamplespec.Drizzler.add

    def timed_add(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return add(self, *args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start

    resamplespec.Drizzler.add = timed_add
    try:
        start = time.perf_counter()
        resamplespec.resample(models)
        total = time.perf_counter() - start
    finally:
        resamplespec.Drizzler.add = add
    return spent[0] / total


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-dask", action="store_true", help="skip the cluster runs")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    cases = _cases()

    # One machine first, with no cluster in this process: a distributed
    # Client runs threads here, and with other threads running n_jobs uses
    # threads, not forked processes (a fork copies only the calling thread).
    print("| case | 1 thread s | n_jobs=2 s | speed-up | kernel share |")
    print("|---|---:|---:|---:|---:|")
    for name, models in cases.items():
        resamplespec.resample(models, n_jobs=2)  # first-call costs not counted
        one, two = [], []
        for _ in range(args.repeat):
            one.append(_best(lambda m=models: resamplespec.resample(m), 1))
            two.append(_best(lambda m=models: resamplespec.resample(m, n_jobs=2), 1))
        t1, t2 = min(one), min(two)
        print(f"| {name} | {t1:.2f} | {t2:.2f} | {t1 / t2:.2f} | "
              f"{_kernel_share(models):.0%} |", flush=True)
    if args.no_dask:
        return

    import distributed

    from resamplespec import dask as rs_dask

    # The cluster reads the inputs from files (in_memory=False), so it is
    # compared with one process reading the same files the same way.
    print()
    print("| case | 1 process, files, in_memory=False s | dask 2 workers s | speed-up |")
    print("|---|---:|---:|---:|")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, tempfile.TemporaryDirectory() as folder:
        for name, models in cases.items():
            paths = _write(models, Path(folder) / name.split()[0])
            rs_dask.resample(paths, client=client, in_memory=False)  # workers warm
            local, remote = [], []
            for _ in range(args.repeat):
                local.append(_best(lambda p=paths: resamplespec.resample(
                    p, in_memory=False), 1))
                remote.append(_best(lambda p=paths: rs_dask.resample(
                    p, client=client, in_memory=False), 1))
            t1, t2 = min(local), min(remote)
            print(f"| {name} | {t1:.2f} | {t2:.2f} | {t1 / t2:.2f} |", flush=True)


if __name__ == "__main__":
    main()
