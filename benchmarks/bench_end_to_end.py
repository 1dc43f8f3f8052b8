"""End to end: resamplespec.resample() against jwst 3.0's ResampleSpecStep().run().

Cases (inputs from :mod:`resamplespec.datasets`, the same on both sides):

* ``fs``: 3 nods of a NIRSpec-like fixed slit, 40 x 2048 pixels each;
* ``mos10`` / ``mos50``: 3 exposures of 10 / 50 NIRSpec-like MOS slits,
  31 x 1400 pixels each;
* ``lrs``: 2 nods of a MIRI-LRS-like slit, 400 x 80 pixels (the datasets'
  LRS slit needs 80 columns).

Each case and side runs in a fresh Python process: it makes the inputs
(ours: the datasets' dicts; the reference: the same dicts converted to
JWST datamodels by ``tests/reference/jwst_adapter.py``), then times only
the call -- ``resamplespec.resample(inputs, **options)`` against
``ResampleSpecStep(**options).run(container)`` -- best of ``--repeat``.
No file is read or written in the timed part.  Peak memory is the growth
of the process's resident high-water mark over the call (Linux:
``VmHWM`` reset through ``/proc/self/clear_refs`` after the inputs are
made; see benchmarks/bench_memory.py for why not ``ru_maxrss``).  The
outputs of both sides are saved and compared in the parent: data and err
to float32 round-off wherever both sides drew the same inputs (equal
weight), with the count of pixels where the reference has less weight
because drizzle skipped input pixels (curved maps, output edge).

With ``--spectral``, ours also runs on other wavelength grids
(``spectral_grid='log'``, ``'linear'``, ``spectral_sampling=2``), which the
reference does not offer: their time against ours on the native grid in
the same run, also per output pixel (``spectral_sampling=2`` makes twice
as many).

    python benchmarks/bench_end_to_end.py [--cases fs,mos10,lrs] [--single]
        [--spectral] [--reference-python /work/refenv/bin/python] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REFERENCE_PYTHON = os.environ.get("RESAMPLESPEC_REFERENCE_PYTHON",
                                          "/work/refenv/bin/python")

CASES = {
    "fs": ("nirspec_fixed_slit", {"n_exposures": 3, "shape": [40, 2048], "seed": 0}),
    "mos10": ("nirspec_mos", {"n_slits": 10, "n_exposures": 3, "nx": 1400,
                              "shutters_per_slit": 5, "seed": 11}),
    "mos50": ("nirspec_mos", {"n_slits": 50, "n_exposures": 3, "nx": 1400,
                              "shutters_per_slit": 5, "seed": 11}),
    "lrs": ("miri_lrs", {"n_exposures": 2, "shape": [400, 80], "seed": 0}),
}

_CHILD = textwrap.dedent(
    """
    import json, os, sys, tempfile, time, warnings, logging
    import numpy as np
    sys.path.insert(0, {root!r})
    sys.path.insert(0, {reference_dir!r})
    sys.path.insert(0, {benchmarks!r})
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    side, maker, params, options, repeat, out = json.loads(sys.argv[1])
    from resamplespec import datasets
    params = {{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}}
    inputs = getattr(datasets, maker)(**params)
    n_pixels = sum(np.size(s["data"]) for e in inputs
                   for s in (e if isinstance(e, list) else [e]))
    if side == "ours":
        import resamplespec
        if maker == "nirspec_mos":
            inputs = [{{"slits": e}} for e in inputs]
        run = lambda: resamplespec.resample(inputs, **options)
    else:
        os.environ.setdefault("CRDS_SERVER_URL", "https://localhost:1")
        os.environ.setdefault("CRDS_PATH", tempfile.mkdtemp(prefix="crds_empty_"))
        import jwst_adapter as ja
        from jwst.resample import ResampleSpecStep
        if maker == "nirspec_mos":
            models = [ja.to_multislit_model(e) for e in inputs]
        elif maker == "miri_lrs":
            models = [ja.to_image_model(e) for e in inputs]
        else:
            models = [ja.to_slit_model(e) for e in inputs]
        def run():
            step = ResampleSpecStep(**options)
            return step.run(ja.to_container(models))
        run()  # warm-up: imports and first-call set-up, not timed
    import gc
    from peak_memory import high_water_kb, reset
    best = float("inf")
    growth = 0
    for _ in range(repeat):
        before = reset()
        t0 = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - t0)
        growth = max(growth, high_water_kb() - before)
        if _ + 1 < repeat:
            del result
            gc.collect()
    if hasattr(result, "slits"):
        slits = list(result.slits)
    elif isinstance(result, list):
        slits = result
    elif hasattr(result, "__iter__") and not hasattr(result, "data"):
        slits = list(result)  # a ModelContainer of single outputs
    else:
        slits = [result]
    arrays = {{}}
    for k, s in enumerate(slits):
        arrays[f"{{k}}/data"] = np.asarray(s.data)
        if getattr(s, "wht", None) is not None and np.size(s.wht):
            arrays[f"{{k}}/wht"] = np.asarray(s.wht)
        if getattr(s, "err", None) is not None and np.size(s.err):
            arrays[f"{{k}}/err"] = np.asarray(s.err)
    np.savez(out, **arrays)
    print(json.dumps({{"seconds": best, "growth_mb": growth / 1024, "n_pixels": int(n_pixels),
                      "n_outputs": len(slits)}}))
    """
)


def _run(python: str, side: str, case: str, options: dict, repeat: int, out: Path) -> dict:
    maker, params = CASES[case]
    code = _CHILD.format(root=str(ROOT), reference_dir=str(ROOT / "tests" / "reference"),
                         benchmarks=str(ROOT / "benchmarks"))
    argument = json.dumps([side, maker, params, options, repeat, str(out)])
    done = subprocess.run([python, "-c", code, argument], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{side} {case} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _equal(ours: Path, reference: Path) -> str:
    """Whether data and err agree to float32 round-off where both sides drew
    the same inputs (equal weight), and on how many filled pixels the
    reference has less weight: drizzle skips input pixels on strongly curved
    maps and at the output edge (documented differences)."""
    a, b = np.load(ours), np.load(reference)
    n_slits = len({key.split("/")[0] for key in b.files})
    lighter = 0
    for k in range(n_slits):
        if f"{k}/data" not in a.files:
            return f"no (slit {k} missing)"
        if a[f"{k}/data"].shape != b[f"{k}/data"].shape:
            return f"no (slit {k} shape {a[f'{k}/data'].shape} vs {b[f'{k}/data'].shape})"
        wht_a, wht_b = a.get(f"{k}/wht"), b.get(f"{k}/wht")
        same = np.ones(a[f"{k}/data"].shape, bool)
        if wht_a is not None and wht_b is not None and wht_a.shape == wht_b.shape:
            same = np.isclose(wht_a, wht_b, rtol=1e-4, atol=0)
            lighter += int(np.count_nonzero(~same & (wht_b < wht_a)))
            if np.count_nonzero(~same & (wht_b > wht_a)) > 2 * sum(wht_a.shape):
                return f"no (slit {k}: the reference has more weight)"
        for name in ("data", "err"):
            key = f"{k}/{name}"
            if key not in a.files or key not in b.files:
                continue
            x, y = a[key], b[key]
            scale = np.nanmax(np.abs(y)) if np.isfinite(y).any() else 1.0
            both = same & np.isfinite(x) & np.isfinite(y)
            differ = np.count_nonzero(both & ~np.isclose(x, y, rtol=1e-4, atol=1e-6 * scale))
            if differ > 2 * sum(x.shape):
                return f"no ({key}: {differ} pixels differ)"
    return "yes" if lighter == 0 else f"yes; reference lighter on {lighter} px"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="fs,mos10,mos50,lrs")
    parser.add_argument("--single", action="store_true", help="also single=True")
    parser.add_argument("--spectral", action="store_true",
                        help="also ours on the log and linear grids and with "
                        "spectral_sampling=2, against ours on the native grid")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--reference-python", default=DEFAULT_REFERENCE_PYTHON)
    args = parser.parse_args(argv)
    have_reference = Path(args.reference_python).exists()
    if not have_reference:
        print(f"reference python {args.reference_python} not found: timing ours only")
    variants = [("default", {})] + ([("single", {"single": True})] if args.single else [])
    print("| case | options | reference s | ours s | speed-up | ours ns/input px | "
          "reference MB | ours MB | memory ratio | outputs equal |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory(prefix="rsp_e2e_") as folder:
        for case in args.cases.split(","):
            for label, options in variants:
                ours_out = Path(folder) / f"{case}_{label}_ours.npz"
                ours = _run(sys.executable, "ours", case, options, args.repeat, ours_out)
                ns = ours["seconds"] / ours["n_pixels"] * 1e9
                if not have_reference:
                    print(f"| {case} | {label} | | {ours['seconds']:.3f} | | {ns:.0f} | | "
                          f"{ours['growth_mb']:.0f} | | |")
                    continue
                ref_out = Path(folder) / f"{case}_{label}_ref.npz"
                reference = _run(args.reference_python, "reference", case, options, 1, ref_out)
                equal = _equal(ours_out, ref_out)
                print(f"| {case} | {label} | {reference['seconds']:.2f} | {ours['seconds']:.3f} "
                      f"| {reference['seconds'] / ours['seconds']:.1f}x | {ns:.0f} | "
                      f"{reference['growth_mb']:.0f} | {ours['growth_mb']:.0f} | "
                      f"{ours['growth_mb'] / max(reference['growth_mb'], 1e-9):.2f} | {equal} |",
                      flush=True)
        if args.spectral:
            _spectral_grids(args, folder)
    return 0


#: The wavelength grids timed by --spectral, against the native grid.
SPECTRAL_VARIANTS = [
    ("log", {"spectral_grid": "log"}),
    ("linear", {"spectral_grid": "linear"}),
    ("spectral_sampling=2", {"spectral_sampling": 2.0}),
    ("log, spectral_sampling=2", {"spectral_grid": "log", "spectral_sampling": 2.0}),
]


def _output_pixels(path: Path) -> int:
    arrays = np.load(path)
    return sum(arrays[key].size for key in arrays.files if key.endswith("/data"))


def _spectral_grids(args, folder: str) -> None:
    """Ours on other wavelength grids against ours on the native grid, each
    case's runs back to back."""
    print()
    print("| case | wavelength grid | ours s | time vs native | output px vs native | "
          "time per output px vs native |")
    print("|---|---|---:|---:|---:|---:|")
    for case in args.cases.split(","):
        native_out = Path(folder) / f"{case}_native_grid.npz"
        native = _run(sys.executable, "ours", case, {}, args.repeat, native_out)
        native_pixels = _output_pixels(native_out)
        print(f"| {case} | native | {native['seconds']:.3f} | 1 | 1 | 1 |", flush=True)
        for label, options in SPECTRAL_VARIANTS:
            out = Path(folder) / f"{case}_{label.replace(' ', '_')}.npz"
            ours = _run(sys.executable, "ours", case, options, args.repeat, out)
            time_ratio = ours["seconds"] / native["seconds"]
            size_ratio = _output_pixels(out) / native_pixels
            print(f"| {case} | {label} | {ours['seconds']:.3f} | {time_ratio:.2f} | "
                  f"{size_ratio:.2f} | {time_ratio / size_ratio:.2f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
