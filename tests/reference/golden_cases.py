"""The cases of the reference-agreement tests: inputs and options.

Shared by the golden-file generator (run with jwst) and the tests (run
without); inputs are rebuilt from :mod:`resamplespec.datasets` by seed.
Sizes are small so the golden files stay small.
"""

from resamplespec import datasets

_FS = {"kind": "fs", "dataset": {"n_exposures": 3, "shape": (24, 96), "seed": 3}}
_FS_SB = {"kind": "fs", "dataset": {"n_exposures": 2, "shape": (24, 96), "seed": 4,
                                     "bunit": "MJy/sr"}}

CASES = {
    "fs_default": _FS,
    "fs_point": {**_FS, "options": {"kernel": "point"}},
    "fs_pixfrac": {**_FS, "options": {"pixfrac": 0.5}},
    "fs_fill_zero": {**_FS, "options": {"fillval": "0"}},
    "fs_fill_indef": {**_FS, "options": {"fillval": "INDEF"}},
    "fs_exptime": {**_FS, "options": {"weight_type": "exptime"}},
    "fs_ratio2": {**_FS, "options": {"pixel_scale_ratio": 2.0}},
    "fs_ratio07_sb": {**_FS_SB, "options": {"pixel_scale_ratio": 0.7}},
    "fs_pixel_scale": {**_FS, "options": {"pixel_scale": 0.05}},
    "fs_dq": {**_FS, "options": {"propagate_dq": True}},
    "fs_single": {**_FS, "options": {"single": True}},
    "fs_output_wcs": {**_FS, "output_wcs_from": "fs_default",
                      "options": {"output_shape": [90, 26]}},
    "mos": {"kind": "mos", "dataset": {"n_slits": 3, "n_exposures": 2, "nx": 80, "seed": 5}},
    "lrs": {"kind": "lrs", "dataset": {"n_exposures": 2, "shape": (120, 56), "seed": 6}},
    "lrs_ratio2": {"kind": "lrs", "dataset": {"n_exposures": 2, "shape": (120, 56), "seed": 6},
                   "options": {"pixel_scale_ratio": 2.0}},
    "lamp": {"kind": "lamp", "dataset": {"n_exposures": 2, "shape": (20, 100), "seed": 7}},
}

_GENERATORS = {
    "fs": datasets.nirspec_fixed_slit,
    "mos": datasets.nirspec_mos,
    "lrs": datasets.miri_lrs,
    "lamp": datasets.lamp,
}


def make_inputs(case):
    """The inputs of a case, as lists of dataset dicts (MOS: one list per exposure)."""
    return _GENERATORS[case["kind"]](**case["dataset"])
