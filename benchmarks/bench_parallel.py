"""Speed-up of resample(n_jobs=2) and of resamplespec.dask over one thread.

Two cases, as in the issue:

* MOS: 3 exposures x 50 slitlets of 31 x 1400 pixels
  (``datasets.nirspec_mos(n_slits=50, nx=1400, shutters_per_slit=5)``);
* fixed slit: 3 nods of 40 x 2048 (``datasets.nirspec_fixed_slit``).

Each case is run with one thread, with ``n_jobs=2`` (threads), and on a
``LocalCluster`` of 2 worker processes of one thread each (inputs as files,
``in_memory=False``; the cluster is started before the timing).  The runs
alternate, best of ``--repeat``; ratios are one thread / the parallel run
(above 1 is faster).  The share of the serial run spent in the C kernel
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

    client = cluster = None
    if not args.no_dask:
        import distributed

        from resamplespec import dask as rs_dask

        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                           processes=True, dashboard_address=None)
        client = distributed.Client(cluster)
    print("| case | 1 thread s | n_jobs=2 s | speed-up | dask 2 processes s | speed-up "
          "| kernel share |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for name, models in _cases().items():
            paths = _write(models, Path(folder) / name.split()[0])
            if client is not None:  # workers import and read once before the timing
                rs_dask.resample(paths, client=client, in_memory=False)
            one, two, remote = [], [], []
            for _ in range(args.repeat):
                one.append(_best(lambda m=models: resamplespec.resample(m), 1))
                two.append(_best(lambda m=models: resamplespec.resample(m, n_jobs=2), 1))
                if client is not None:
                    remote.append(_best(lambda p=paths: rs_dask.resample(
                        p, client=client, in_memory=False), 1))
            share = _kernel_share(models)
            t1, t2 = min(one), min(two)
            cells = [f"{t1:.2f}", f"{t2:.2f}", f"{t1 / t2:.2f}"]
            if remote:
                cells += [f"{min(remote):.2f}", f"{t1 / min(remote):.2f}"]
            else:
                cells += ["", ""]
            print(f"| {name} | " + " | ".join(cells) + f" | {share:.0%} |", flush=True)
    if client is not None:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
