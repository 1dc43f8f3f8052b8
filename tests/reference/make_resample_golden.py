"""Generate the golden outputs of jwst 3.0's ResampleSpecStep (dev only).

Run in an environment with ``jwst==3.0.0`` (the reference); writes one
compressed ``.npz`` per case into ``golden_resample/``.  The tests rebuild the
same inputs from :mod:`resamplespec.datasets` (deterministic by seed) and
compare our outputs with these, so CI needs no jwst.

    python tests/reference/make_resample_golden.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

os.environ.setdefault("CRDS_SERVER_URL", "https://localhost:1")
os.environ.setdefault("CRDS_PATH", tempfile.mkdtemp(prefix="crds_empty_"))

import jwst_adapter as ja  # noqa: E402
from golden_cases import CASES, make_inputs  # noqa: E402

OUT = HERE / "golden_resample"
ARRAYS = ("data", "wht", "err", "var_rnoise", "var_poisson", "var_flat", "con", "dq")


def to_jwst(kind, inputs):
    if kind == "mos":
        return ja.to_container([ja.to_multislit_model(exposure) for exposure in inputs])
    if kind == "lrs":
        return ja.to_container([ja.to_image_model(image) for image in inputs])
    return ja.to_container([ja.to_slit_model(image) for image in inputs])


def run_case(name, case):
    inputs = make_inputs(case)
    options = dict(case.get("options", {}))
    if "output_wcs_from" in case:
        # a custom grid: the reference's own grid of another case, from a file
        import asdf

        source = CASES[case["output_wcs_from"]]
        reference = ja.run_resample_spec(to_jwst(source["kind"], make_inputs(source)))
        wcs_path = OUT / f"{name}_output_wcs.asdf"
        asdf.AsdfFile({"wcs": reference.meta.wcs}).write_to(wcs_path)
        options["output_wcs"] = str(wcs_path)
    result = ja.run_resample_spec(to_jwst(case["kind"], inputs), **options)
    slits = list(result.slits) if hasattr(result, "slits") else [result]
    record = {}
    for k, slit in enumerate(slits):
        for array in ARRAYS:
            values = getattr(slit, array, None)
            if values is not None and np.size(values) and (array != "dq" or options.get(
                "propagate_dq"
            )):
                record[f"{k}/{array}"] = np.asarray(values)
        record[f"{k}/wavelength"] = np.asarray(slit.wavelength, dtype=np.float64)
        meta = {
            "name": slit.name if hasattr(slit, "name") else None,
            "pixelarea_steradians": slit.meta.photometry.pixelarea_steradians,
            "pixelarea_arcsecsq": slit.meta.photometry.pixelarea_arcsecsq,
            "exposure_time": slit.meta.exposure.exposure_time,
            "measurement_time": slit.meta.exposure.measurement_time,
            "duration": slit.meta.exposure.duration,
            "start_time": slit.meta.exposure.start_time,
            "end_time": slit.meta.exposure.end_time,
            "s_region": slit.meta.wcsinfo.s_region,
            "source_ypos": getattr(slit, "source_ypos", None),
        }
        record[f"{k}/meta"] = np.array(json.dumps(meta))
    record["n_slits"] = np.array(len(slits))
    np.savez_compressed(OUT / f"{name}.npz", **record)
    size = (OUT / f"{name}.npz").stat().st_size
    print(f"{name}: {len(slits)} slit(s), shapes {[s.data.shape for s in slits]}, {size} bytes")


def main(names=None):
    OUT.mkdir(exist_ok=True)
    warnings.simplefilter("ignore")
    for name, case in CASES.items():
        if names and name not in names:
            continue
        run_case(name, case)


if __name__ == "__main__":
    main(sys.argv[1:])
