"""Speed-up of resample(n_jobs=2) and of resamplespec.dask over one thread.

Two cases, as in the issue:

* MOS: 3 exposures x 50 slitlets of 31 x 1400 pixels
  (``datasets.nirspec_mos(n_slits=50, nx=1400, shutters_per_slit=5)``);
* fixed slit: 3 nods of 40 x 2048 (``datasets.nirspec_fixed_slit``).

Each case is run with one thread and with ``n_jobs=2`` (this process and
a forked child for the MOS slits; bands for a large single slit), then,
with the inputs written to files and read with ``in_memory=False``, by one
process, by ``n_jobs=2`` (MOS), and on a ``LocalCluster`` of 2 worker
processes of one thread each (started, and its workers warmed, before the
timing).  The runs alternate, best of ``--repeat``; ratios are the single
run / the parallel run (above 1 is faster).  The share of the serial run
spent in the C kernel (``Drizzler.add``, which releases the GIL) is
measured in the same run: what threads can overlap at most.

What the machine allows (``ceiling``): for the MOS case, two independent
processes, started afresh (no fork, nothing shared), each resample half
the slits at the same moment, and the serial run of all the slits is
divided by the time from the first start to the last end.  No scheme of
two workers can beat that on the same machine in the same run, so
``n_jobs=2``'s speed-up over it is the share of the attainable speed-up
that ``n_jobs`` reaches.  ``half alone`` is one such process with the
other idle: the slowdown from running both at once is the machine's, not
ours (shared caches and memory, or a host that gives two virtual cores
less than two cores).

    python benchmarks/bench_parallel.py --repeat 3
"""

from __future__ import annotations

import argparse
import subprocess
import sys
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


_MOS = "MOS 3 x 50 slits 31x1400"


def _half(part: int) -> None:
    """A process of the ceiling: half the MOS slits (every other one), run
    on each ``go`` line of stdin; prints its start and end times
    (``time.monotonic``, one clock for all processes)."""
    warnings.simplefilter("ignore")
    models = [{"slits": model["slits"][part::2]} for model in _cases()[_MOS]]
    resamplespec.resample(models)  # first-call costs not counted
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        start = time.monotonic()
        resamplespec.resample(models)
        print(start, time.monotonic(), flush=True)


class _Halves:
    """Two :func:`_half` processes, ready."""

    def __init__(self) -> None:
        self.processes = [
            subprocess.Popen([sys.executable, __file__, "--half", str(part)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for part in (0, 1)]
        for process in self.processes:
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError("a ceiling process did not start")

    def run(self, parts=(0, 1)) -> float:
        """Seconds from the first start to the last end of ``parts`` run at once."""
        for part in parts:
            self.processes[part].stdin.write("go\n")
            self.processes[part].stdin.flush()
        spans = [tuple(map(float, self.processes[part].stdout.readline().split()))
                 for part in parts]
        return max(end for _, end in spans) - min(start for start, _ in spans)

    def close(self) -> None:
        for process in self.processes:
            process.stdin.close()
            process.wait()


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
    parser.add_argument("--half", type=int, choices=(0, 1), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.half is not None:
        return _half(args.half)
    warnings.simplefilter("ignore")
    cases = _cases()

    # One machine first, with no cluster in this process: a distributed
    # Client runs threads here, and with other threads running n_jobs uses
    # threads, not forked processes (a fork copies only the calling thread).
    print("| case | 1 thread s | n_jobs=2 s | speed-up | kernel share |")
    print("|---|---:|---:|---:|---:|")
    halves = _Halves()
    ceiling = {"alone": [], "both": []}
    try:
        for name, models in cases.items():
            resamplespec.resample(models, n_jobs=2)  # first-call costs not counted
            one, two = [], []
            for _ in range(args.repeat):
                one.append(_best(lambda m=models: resamplespec.resample(m), 1))
                two.append(_best(lambda m=models: resamplespec.resample(m, n_jobs=2), 1))
                if name == _MOS:
                    ceiling["both"].append(halves.run())
                    ceiling["alone"].append(halves.run(parts=(0,)))
            t1, t2 = min(one), min(two)
            print(f"| {name} | {t1:.2f} | {t2:.2f} | {t1 / t2:.2f} | "
                  f"{_kernel_share(models):.0%} |", flush=True)
            if name == _MOS:
                serial, parallel = t1, t2
    finally:
        halves.close()
    both, alone = min(ceiling["both"]), min(ceiling["alone"])
    print()
    print("| MOS ceiling | half alone s | both halves at once s | ceiling | "
          "n_jobs=2 / ceiling |")
    print("|---|---:|---:|---:|---:|")
    print(f"| two fresh processes | {alone:.2f} | {both:.2f} | {serial / both:.2f} | "
          f"{(serial / parallel) / (serial / both):.0%} |", flush=True)

    # n_jobs with the inputs in files: the children go on with the files
    # this process parsed for their metadata (no cluster yet: see above)
    print()
    print("| case (inputs in files, `in_memory=False`) | 1 process s | n_jobs=2 s | speed-up |")
    print("|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        paths = _write(cases[_MOS], Path(folder))
        one, two = [], []
        for _ in range(min(args.repeat, 3)):  # about 10 s a run
            one.append(_best(lambda: resamplespec.resample(paths, in_memory=False), 1))
            two.append(_best(lambda: resamplespec.resample(paths, in_memory=False, n_jobs=2), 1))
        t1, t2 = min(one), min(two)
        print(f"| {_MOS} | {t1:.2f} | {t2:.2f} | {t1 / t2:.2f} |", flush=True)
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
                                  dashboard_address=":0") as cluster, \
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
