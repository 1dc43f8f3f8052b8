"""Benchmark: output grids + pixel maps for a NIRSpec-like MOS set, ours vs jwst 3.0.

The work timed, for each of 10 slits observed in 3 exposures (31 x 1400
pixels per slit cutout, from :func:`resamplespec.datasets.nirspec_mos`):
build the slit's output grid from its 3 inputs, then the pixel map of each
input onto it.

* ours: :func:`resamplespec.geometry.build_output_grid` + :func:`resamplespec.geometry.pixel_map`;
* reference: the ``ResampleSpec`` constructor of jwst 3.0 (which builds the
  output WCS) + ``stcal.resample.utils.calc_pixmap`` per input, as
  ``ResampleSpec.add_model`` calls it.  It runs in the reference
  environment, in a subprocess of this script, on the same inputs
  (regenerated there from the same seed).

Preparation (making the inputs, NaN/flag matching, conversion to JWST
datamodels) is not timed.  Each side is run ``--repeat`` times and the
best time is kept.  Prints a markdown table.

    python benchmarks/bench_wcs.py [--reference-python /work/refenv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATASET = {"n_slits": 10, "n_exposures": 3, "nx": 1400, "shutters_per_slit": 5, "seed": 11}
DEFAULT_REFERENCE_PYTHON = "/work/refenv/bin/python"


def _groups(exposures):
    return [[exposure[i] for exposure in exposures] for i in range(len(exposures[0]))]


def run_ours(repeat: int) -> dict:
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from resamplespec import SpectralImage, datasets
    from resamplespec.geometry import build_output_grid, pixel_map, sample_input
    from resamplespec.pipeline import match_nans_and_flags

    groups = []
    for group in _groups(datasets.nirspec_mos(**DATASET)):
        images = [SpectralImage.from_dict(d) for d in group]
        for image in images:
            match_nans_and_flags(image)
        groups.append(images)
    best = {"total": float("inf")}
    floor = astropy_floor = float("inf")
    for _ in range(repeat):
        # the floor: one evaluation of every input WCS at every pixel, nothing
        # else -- as we evaluate them (resamplespec.geometry.compile_transform), and through
        # astropy.modeling
        t0 = time.perf_counter()
        for images in groups:
            for image in images:
                sample_input(image)
        t1 = time.perf_counter()
        for images in groups:
            for image in images:
                y, x = np.indices(image.shape, dtype=np.float64)
                image.wcs(x, y, with_bounding_box=False)
        floor = min(floor, t1 - t0)
        astropy_floor = min(astropy_floor, time.perf_counter() - t1)
    for _ in range(repeat):
        t_grid = t_map = 0.0
        shapes = []
        for images in groups:
            t0 = time.perf_counter()
            grid = build_output_grid(images)
            t1 = time.perf_counter()
            for image in images:
                pixel_map(image, grid)
            t2 = time.perf_counter()
            t_grid += t1 - t0
            t_map += t2 - t1
            shapes.append(grid.shape)
        if t_grid + t_map < best["total"]:
            best = {"grid": t_grid, "pixmap": t_map, "total": t_grid + t_map, "shapes": shapes}
    best["floor"] = floor
    best["astropy_floor"] = astropy_floor
    return best


def run_reference(repeat: int) -> dict:
    os.environ.setdefault("CRDS_SERVER_URL", "https://localhost:1")
    os.environ.setdefault("CRDS_PATH", tempfile.mkdtemp(prefix="crds_empty_"))
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests" / "reference"))
    import logging

    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    import jwst_adapter as ja
    from jwst.lib.pipe_utils import match_nans_and_flags
    from jwst.resample.resample_spec import ResampleSpec
    from jwst.resample.resample_spec_step import GOOD_BITS
    from stcal.resample.utils import calc_pixmap

    from resamplespec import datasets

    groups = []
    for group in _groups(datasets.nirspec_mos(**DATASET)):
        models = [ja.to_slit_model(d) for d in group]
        for model in models:
            match_nans_and_flags(model)
        groups.append(models)
    wcs_pars = {"output_shape": None, "pixel_scale": None, "pixel_scale_ratio": 1.0}
    best = {"total": float("inf")}
    for _ in range(repeat):
        t_grid = t_map = 0.0
        shapes = []
        for models in groups:
            t0 = time.perf_counter()
            resampler = ResampleSpec(
                models,
                good_bits=GOOD_BITS,
                output_wcs=None,
                wcs_pars=wcs_pars,
                enable_var=True,
                compute_err="from_var",
            )
            t1 = time.perf_counter()
            for model in models:
                calc_pixmap(model.meta.wcs, resampler.output_wcs, model.data.shape)
            t2 = time.perf_counter()
            t_grid += t1 - t0
            t_map += t2 - t1
            shapes.append(tuple(int(n) for n in resampler.output_wcs.array_shape))
        if t_grid + t_map < best["total"]:
            best = {"grid": t_grid, "pixmap": t_map, "total": t_grid + t_map, "shapes": shapes}
    return best


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-python", default=DEFAULT_REFERENCE_PYTHON)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--side", choices=("both", "ours", "reference"), default="both", help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.side == "reference":
        print(json.dumps(run_reference(args.repeat)))
        return
    ours = run_ours(args.repeat)
    if args.side == "ours":
        print(json.dumps(ours))
        return
    done = subprocess.run(
        [args.reference_python, __file__, "--side", "reference", "--repeat", str(args.repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    reference = json.loads(done.stdout.strip().splitlines()[-1])
    same = [tuple(s) for s in ours["shapes"]] == [tuple(s) for s in reference["shapes"]]
    print(
        f"10 slits x 3 exposures, {DATASET['nx']}-pixel-wide cutouts; best of {args.repeat}; "
        f"output shapes identical: {same}\n"
    )
    print("| step | reference jwst 3.0 (s) | resamplespec (s) | speed-up |")
    print("|---|---:|---:|---:|")
    for key, label in (("grid", "output grid"), ("pixmap", "pixel maps"), ("total", "total")):
        print(
            f"| {label} | {reference[key]:.3f} | {ours[key]:.3f} | "
            f"{reference[key] / ours[key]:.1f}x |"
        )
    print(
        f"\nFloor: one evaluation of every input WCS at every pixel takes "
        f"{ours['floor']:.3f} s as we evaluate them ({reference['total'] / ours['floor']:.1f}x "
        f"the reference's whole work) and {ours['astropy_floor']:.3f} s through astropy "
        f"({reference['total'] / ours['astropy_floor']:.1f}x)."
    )


if __name__ == "__main__":
    main()
