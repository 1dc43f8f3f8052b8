"""Outlier rejection: resamplespec against jwst 3.0's two steps, same inputs.

Cases (:mod:`resamplespec.datasets`, outliers injected by
``datasets.with_outliers``: cosmic rays at random pixels of each exposure,
hot pixels at the same detector pixels in every exposure, of 10-30 times
the pixel's err unless ``--amplitude`` says otherwise):

* ``fs``: 3 nods of a NIRSpec-like fixed slit, 40 x 2048 pixels, 200 cosmic
  rays and 10 hot pixels per nod;
* ``mos``: 3 exposures of 10 MOS slits, 31 x 1400 pixels, 60 + 4 per slit;
* ``lrs``: 2 nods of a MIRI-LRS-like slit, 400 x 80 pixels, 60 + 4;
* ``bright``: ``fs`` with a bright source (peak SNR 200) on a strongly
  curved trace;
* ``fs4``, ``fs6`` (only when asked for): ``fs`` with 4 and 6 nods.

Each side runs in a fresh Python process, which makes the inputs and times
only the calls, best of ``--repeat``: ours ``resample(inputs)`` (plain) and
``resample(inputs, reject_outliers=True)``, one after the other in each
round (after a warm-up of both), so that a slow spell of a shared machine
weighs on both; the reference
``OutlierDetectionStep().run(container)`` then ``ResampleSpecStep().run``
on its result (offline, as in bench_end_to_end.py; MOS as calwebb_spec3
runs them, on one container per source).  The masks (ours:
``find_outliers``; the reference: the OUTLIER flags its step added) are
scored here against what was injected: recall = injected outliers found,
false flags = other usable pixels flagged (usable: finite, not DO_NOT_USE,
inside the bounding box); ``clean`` the false flags on the same inputs
without outliers.

    python benchmarks/bench_outliers.py [--cases fs,mos,lrs,bright,fs4,fs6] [--repeat 5]
        [--amplitude 10,30] [--reference-python /work/refenv/bin/python] [--no-reference]
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
sys.path.insert(0, str(ROOT))

from resamplespec import datasets  # noqa: E402

DEFAULT_REFERENCE_PYTHON = os.environ.get("RESAMPLESPEC_REFERENCE_PYTHON",
                                          "/work/refenv/bin/python")

CASES = {
    "fs": ("nirspec_fixed_slit", {"n_exposures": 3, "shape": [40, 2048], "seed": 0},
           {"cosmic_rays": 200, "hot_pixels": 10}),
    "mos": ("nirspec_mos", {"n_slits": 10, "n_exposures": 3, "nx": 1400,
                            "shutters_per_slit": 5, "seed": 11},
            {"cosmic_rays": 60, "hot_pixels": 4}),
    "lrs": ("miri_lrs", {"n_exposures": 2, "shape": [400, 80], "seed": 0},
            {"cosmic_rays": 60, "hot_pixels": 4}),
    "bright": ("nirspec_fixed_slit", {"n_exposures": 3, "shape": [40, 2048], "seed": 3,
                                      "snr": 200.0, "trace_curvature": 2e-4},
               {"cosmic_rays": 200, "hot_pixels": 10}),
    # not run by default: the cost with more exposures (each judged against
    # every other)
    "fs4": ("nirspec_fixed_slit", {"n_exposures": 4, "shape": [40, 2048], "seed": 0},
            {"cosmic_rays": 200, "hot_pixels": 10}),
    "fs6": ("nirspec_fixed_slit", {"n_exposures": 6, "shape": [40, 2048], "seed": 0},
            {"cosmic_rays": 200, "hot_pixels": 10}),
}
DEFAULT_CASES = "fs,mos,lrs,bright"

_CHILD = textwrap.dedent(
    """
    import json, os, sys, tempfile, time, warnings, logging
    import numpy as np
    sys.path.insert(0, {root!r})
    sys.path.insert(0, {reference_dir!r})
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    side, maker, params, outliers, clean, repeat, out = json.loads(sys.argv[1])
    from resamplespec import datasets
    params = {{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}}
    inputs = getattr(datasets, maker)(**params)
    if not clean:
        outliers = {{k: tuple(v) if isinstance(v, list) else v for k, v in outliers.items()}}
        inputs, _ = datasets.with_outliers(inputs, **outliers)
    nested = maker == "nirspec_mos"
    times = {{}}

    def best(name, run):
        result, fastest = None, float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = run()
            fastest = min(fastest, time.perf_counter() - t0)
        times[name] = fastest
        return result

    if side == "ours":
        import resamplespec
        models = [{{"slits": e}} for e in inputs] if nested else inputs
        resamplespec.resample(models)  # warm-up: imports, first calls
        resamplespec.resample(models, reject_outliers=True)
        # interleaved, so that a slow spell of the machine weighs on both
        times["plain"] = times["reject"] = float("inf")
        for _ in range(repeat):
            for name, options in (("plain", {{}}), ("reject", {{"reject_outliers": True}})):
                t0 = time.perf_counter()
                resamplespec.resample(models, **options)
                times[name] = min(times[name], time.perf_counter() - t0)
        found = resamplespec.find_outliers(models)
        masks = [m for f in found for m in (f.values() if isinstance(f, dict) else [f])]
    else:
        os.environ.setdefault("CRDS_SERVER_URL", "https://localhost:1")
        os.environ.setdefault("CRDS_PATH", tempfile.mkdtemp(prefix="crds_empty_"))
        import jwst_adapter as ja
        from jwst.outlier_detection import OutlierDetectionStep
        from jwst.resample import ResampleSpecStep
        # MOS as calwebb_spec3 runs it: per source, a container of its slits
        if nested:
            groups = [[ja.to_slit_model(e[m]) for e in inputs] for m in range(len(inputs[0]))]
        elif maker == "miri_lrs":
            groups = [[ja.to_image_model(e) for e in inputs]]
        else:
            groups = [[ja.to_slit_model(e) for e in inputs]]

        def both():
            results = []
            for models in groups:
                flagged = OutlierDetectionStep().run(ja.to_container(models))
                ResampleSpecStep().run(flagged)
                results.append(flagged)
            return results

        results = best("reject", both)
        found = [[None] * len(groups) for _ in inputs]
        for m, (models, flagged) in enumerate(zip(groups, results)):
            for k, (b, a) in enumerate(zip(models, flagged)):
                found[k][m] = ((np.asarray(a.dq) & 16) != 0) & ((np.asarray(b.dq) & 16) == 0)
        masks = [mask for per_exposure in found for mask in per_exposure]
    np.savez(out, *masks)
    print(json.dumps(times))
    """
)


def _side(python, side, case, clean, repeat, amplitude):
    maker, params, outliers = CASES[case]
    outliers = dict(outliers, amplitude=amplitude, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "masks.npz"
        code = _CHILD.format(root=str(ROOT), reference_dir=str(ROOT / "tests" / "reference"))
        argument = json.dumps([side, maker, params, outliers, clean, repeat, str(out)])
        done = subprocess.run([python, "-c", code, argument], capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        if done.returncode:
            raise RuntimeError(f"{side} {case} failed:\n{done.stderr[-3000:]}")
        with np.load(out) as saved:
            masks = [saved[f"arr_{k}"] for k in range(len(saved.files))]
    return json.loads(done.stdout.strip().splitlines()[-1]), masks


def _truth(case, amplitude):
    maker, params, outliers = CASES[case]
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    inputs = getattr(datasets, maker)(**params)
    hit, truth = datasets.with_outliers(inputs, amplitude=amplitude, seed=1, **outliers)
    flat = [s for e in hit for s in (e if isinstance(e, list) else [e])]
    masks = [m for e in truth for m in (e if isinstance(e, list) else [e])]
    return flat, masks


def _score(images, truth, masks):
    found = injected = false = good = 0
    for image, hit, mask in zip(images, truth, masks, strict=True):
        usable = datasets._usable_in_box(image)
        found += np.count_nonzero(mask & hit)
        injected += np.count_nonzero(hit)
        false += np.count_nonzero(mask & usable & ~hit)
        good += np.count_nonzero(usable & ~hit)
    return found / max(injected, 1), false / good


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=DEFAULT_CASES,
                        help=f"of {', '.join(CASES)} (default {DEFAULT_CASES})")
    parser.add_argument("--repeat", type=int, default=5,
                        help="rounds; the reference runs min(repeat, 2) (seconds each)")
    parser.add_argument("--amplitude", default="10,30",
                        help="outlier amplitude in err units: a number or low,high")
    parser.add_argument("--reference-python", default=DEFAULT_REFERENCE_PYTHON)
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args(argv)
    values = [float(v) for v in args.amplitude.split(",")]
    amplitude = values[0] if len(values) == 1 else tuple(values)
    sides = [("ours", sys.executable)]
    if not args.no_reference:
        sides.append(("jwst", args.reference_python))
    print(f"{'case':7s} {'side':5s} {'recall':>7s} {'false':>8s} {'clean':>8s} "
          f"{'plain s':>8s} {'reject s':>8s} {'x plain':>7s}")
    for case in args.cases.split(","):
        images, truth = _truth(case, amplitude)
        plain = None
        for side, python in sides:
            repeat = args.repeat if side == "ours" else min(args.repeat, 2)
            times, masks = _side(python, side, case, False, repeat, amplitude)
            _, clean_masks = _side(python, side, case, True, 1, amplitude)
            recall, false_rate = _score(images, truth, masks)
            clean_images, _ = _truth(case, 0.0)
            clean_false = _score(clean_images, [np.zeros_like(m) for m in truth],
                                 clean_masks)[1]
            plain = times.get("plain", plain)
            print(f"{case:7s} {side:5s} {recall:7.2%} {false_rate:8.4%} {clean_false:8.4%} "
                  f"{plain or float('nan'):8.3f} {times['reject']:8.3f} "
                  f"{times['reject'] / plain if plain else float('nan'):7.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
