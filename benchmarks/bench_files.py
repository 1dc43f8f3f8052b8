"""Files in, files out, as a user runs it: ``resamplespec`` on ``*_cal.fits``
against jwst 3.0 reading the same paths and saving its product.

Cases (JWST ``cal.fits`` files written by stdatamodels from
:mod:`resamplespec.datasets`, through ``tests/reference/jwst_adapter.py``):

* ``a``: 3 exposures of 30 NIRSpec-like MOS slits, 31 x 1400 pixels
  (``MultiSlitModel``);
* ``b``: 3 nods of a NIRSpec-like fixed slit, 40 x 2048 (``SlitModel``);
* ``c``: 2 nods of a MIRI-LRS-like slit, 400 x 80 (``ImageModel``).

Each run is a fresh process, timed from its start to its exit (imports,
reading, resampling, writing): ours is the command line
(``python -m resamplespec IN... -o OUT_s2d.fits``), in memory and with
``--no-in_memory``; the reference is ``ModelContainer(paths)`` ->
``ResampleSpecStep().run(container)`` -> ``.save(out)`` in the reference
environment (CRDS offline).  Peak memory is the child's resident high-water
mark (``wait4``'s ``ru_maxrss``; the parent imports neither numpy nor
resamplespec, whose memory a forked child would count as its own).  The
best of ``--repeat`` runs is kept.  Ours in memory and not in memory must
write the same arrays bit for bit; against the reference the script
reports the share of pixels, finite and of equal weight on both sides,
within 1e-4 relative (drizzle skips some edge pixels that we draw: see
bench_end_to_end.py).

    python benchmarks/bench_files.py [--cases a,b,c] [--repeat 1]
        [--reference-python /work/refenv/bin/python] [--folder DIR]
        [--profile]   # where our in-memory run spends its time (cProfile)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REFERENCE_PYTHON = os.environ.get("RESAMPLESPEC_REFERENCE_PYTHON",
                                          "/work/refenv/bin/python")

#: case -> (dataset maker, its parameters, adapter function)
CASES = {
    "a": ("nirspec_mos", {"n_slits": 30, "n_exposures": 3, "nx": 1400,
                          "shutters_per_slit": 5, "seed": 11}, "to_multislit_model"),
    "b": ("nirspec_fixed_slit", {"n_exposures": 3, "shape": [40, 2048], "seed": 0},
          "to_slit_model"),
    "c": ("miri_lrs", {"n_exposures": 2, "shape": [400, 80], "seed": 0}, "to_image_model"),
}

_MAKE = textwrap.dedent(
    """
    import json, sys, warnings
    sys.path.insert(0, {root!r})
    sys.path.insert(0, {reference_dir!r})
    warnings.simplefilter("ignore")
    from resamplespec import datasets
    import jwst_adapter as ja
    maker, params, adapter, folder, case = json.loads(sys.argv[1])
    params = {{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}}
    for k, exposure in enumerate(getattr(datasets, maker)(**params)):
        getattr(ja, adapter)(exposure).save(f"{{folder}}/{{case}}{{k}}_cal.fits")
    """
)

_REFERENCE = textwrap.dedent(
    """
    import os, sys, tempfile, warnings, logging
    os.environ.setdefault("CRDS_SERVER_URL", "https://localhost:1")
    os.environ.setdefault("CRDS_PATH", tempfile.mkdtemp(prefix="crds_empty_"))
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    from jwst.datamodels import ModelContainer
    from jwst.resample import ResampleSpecStep
    output, *paths = sys.argv[1:]
    container = ModelContainer(paths)
    result = ResampleSpecStep().run(container)
    result.save(output)
    """
)


def _run_child(command: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one child process run
    to its end.  CPU time (user + system) is the steadier figure on a shared
    machine: wall time counts the waits for the other jobs' turns."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read().decode()
    child.stderr.close()
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])}... failed:\n{stderr}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def make_inputs(case: str, folder: Path, reference_python: str) -> list[str]:
    maker, params, adapter = CASES[case]
    paths = sorted(str(p) for p in folder.glob(f"{case}[0-9]_cal.fits"))
    if paths:
        return paths
    script = _MAKE.format(root=str(ROOT), reference_dir=str(ROOT / "tests" / "reference"))
    subprocess.run([reference_python, "-c", script,
                    json.dumps([maker, params, adapter, str(folder), case])], check=True)
    return sorted(str(p) for p in folder.glob(f"{case}[0-9]_cal.fits"))


def _ours(paths: list[str], output: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "resamplespec", *paths, "-o", str(output), "-q",
            "--overwrite", *extra]


def _best(command: list[str], repeat: int, output: Path, env=None) -> tuple[float, ...]:
    """The least wall time, CPU time and peak memory of ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        output.unlink(missing_ok=True)
        runs.append(_run_child(command, env))
    return tuple(min(r[k] for r in runs) for k in range(3))


def _slits(product):
    return list(product.slits) if hasattr(product, "slits") else [product]


def compare(ours_path: Path, lazy_path: Path, reference_path: Path | None) -> dict:
    """Run in a child of its own (``--compare``): the parent stays small, for
    a forked child's ``ru_maxrss`` starts from the parent's resident memory."""
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from resamplespec import io

    ours, lazy = io.read(ours_path), io.read(lazy_path)
    identical = all(
        getattr(a, name).tobytes() == getattr(b, name).tobytes()
        for a, b in zip(_slits(ours), _slits(lazy), strict=True)
        for name in ("data", "err", "wht", "con", "var_rnoise", "var_poisson", "var_flat"))
    found = {"in_memory_false_identical": identical}
    if reference_path is not None:
        reference = {s.name: s for s in _slits(io.read(reference_path))}
        close = total = 0
        for slit in _slits(ours):
            other = reference.get(slit.name)
            if other is None or other.data.shape != slit.data.shape:
                continue
            # pixels both sides drew from the same inputs (equal weight)
            both = (np.isfinite(slit.data) & np.isfinite(other.data)
                    & np.isclose(slit.wht, other.wht, rtol=1e-4, atol=0.0))
            a, b = slit.data[both].astype(np.float64), other.data[both].astype(np.float64)
            scale = np.maximum(np.abs(b), np.nanmax(np.abs(b)) * 1e-3)
            close += int(np.count_nonzero(np.abs(a - b) <= 1e-4 * scale))
            total += int(both.sum())
        share = close / total if total else float("nan")
        found["share_within_1e-4_of_reference_at_equal_weight"] = share
    return found


def profile(paths: list[str], folder: Path) -> str:
    """The top of a cProfile of our in-memory run (a fresh process)."""
    stats = folder / "ours.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "resamplespec",
               *paths, "-o", str(folder / "profiled_s2d.fits"), "-q", "--overwrite"]
    subprocess.run(command, check=True, env=_env())
    import pstats

    text = tempfile.SpooledTemporaryFile(mode="w+")
    pstats.Stats(str(stats), stream=text).sort_stats("cumulative").print_stats(40)
    text.seek(0)
    return text.read()


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default="a,b,c")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--reference-python", default=DEFAULT_REFERENCE_PYTHON)
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--folder", type=Path, default=None,
                        help="where the inputs are made (kept) and the outputs written")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--compare", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.compare:
        ours, lazy, reference = args.compare
        print(json.dumps(compare(Path(ours), Path(lazy), Path(reference) if reference else None)))
        return 0
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench_files_"))
    folder.mkdir(parents=True, exist_ok=True)
    reference_env = dict(os.environ, CRDS_SERVER_URL="https://localhost:1",
                         CRDS_PATH=tempfile.mkdtemp(prefix="crds_empty_"))
    results = {}
    for case in args.cases.split(","):
        paths = make_inputs(case, folder, args.reference_python)
        ours_out, lazy_out = folder / f"{case}_ours_s2d.fits", folder / f"{case}_lazy_s2d.fits"
        row = {}
        row["ours_s"], row["ours_cpu"], row["ours_mb"] = _best(
            _ours(paths, ours_out), args.repeat, ours_out, _env())
        row["lazy_s"], row["lazy_cpu"], row["lazy_mb"] = _best(
            _ours(paths, lazy_out, "--no-in_memory"), args.repeat, lazy_out, _env())
        reference_out = None
        if not args.no_reference:
            reference_out = folder / f"{case}_reference_s2d.fits"
            command = [args.reference_python, "-c", _REFERENCE, str(reference_out), *paths]
            row["ref_s"], row["ref_cpu"], row["ref_mb"] = _best(
                command, args.repeat, reference_out, reference_env)
            row["speedup"] = row["ref_s"] / row["ours_s"]
            row["speedup_cpu"] = row["ref_cpu"] / row["ours_cpu"]
            row["memory_ratio"] = row["ours_mb"] / row["ref_mb"]
        row["lazy_over_ours"] = row["lazy_s"] / row["ours_s"]
        row["lazy_over_ours_cpu"] = row["lazy_cpu"] / row["ours_cpu"]
        compared = subprocess.run(
            [sys.executable, __file__, "--compare", str(ours_out), str(lazy_out),
             str(reference_out or "")], check=True, capture_output=True, text=True, env=_env())
        row.update(json.loads(compared.stdout.strip().splitlines()[-1]))
        results[case] = row
        print(case, json.dumps(row), flush=True)
        if args.profile:
            print(profile(paths, folder))
    print("\n| case | ours s (CPU) | MB | --no-in_memory s (CPU) | x ours (CPU) | MB "
          "| jwst s (CPU) | MB | speed-up wall (CPU) | memory ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    nan = float("nan")
    for case, row in results.items():
        print(f"| {case} | {row['ours_s']:.2f} ({row['ours_cpu']:.2f}) | {row['ours_mb']:.0f} "
              f"| {row['lazy_s']:.2f} ({row['lazy_cpu']:.2f}) | {row['lazy_over_ours']:.2f} "
              f"({row['lazy_over_ours_cpu']:.2f}) | {row['lazy_mb']:.0f} "
              f"| {row.get('ref_s', nan):.1f} ({row.get('ref_cpu', nan):.1f}) "
              f"| {row.get('ref_mb', nan):.0f} | {row.get('speedup', nan):.1f}x "
              f"({row.get('speedup_cpu', nan):.1f}x) | {row.get('memory_ratio', nan):.2f} |")
    if args.folder is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
