"""Generate the golden output grids and pixel maps of jwst 3.0 (dev only).

Run with the reference environment (``jwst==3.0.0``)::

    /work/refenv/bin/python tests/reference/make_wcs_golden.py [case ...]

For every case below it builds the inputs from :mod:`resamplespec.datasets`
(deterministic by seed), makes the reference's output grid exactly as
``ResampleSpecStep`` does (``match_nans_and_flags`` then the
``ResampleSpec`` constructor, with a custom WCS loaded by
``load_custom_wcs``) and its pixel maps (``stcal.resample.utils.calc_pixmap``,
as ``ResampleSpec.add_model`` calls it), and stores into
``golden_wcs/<case>.npz``, per slit group ``g``:

``g/shape``             reference output shape (ny, nx)
``g/wavelength``        wavelength of every column (row): median over the
                        output of the reference WCS evaluated at each pixel
``g/ratio``, ``g/pixar_sr``, ``g/pixar_a2``
                        pixel scale ratio used and output pixel areas
                        (NaN when the reference has None)
``g/eval_world``, ``g/eval_slit``
                        reference WCS at the output pixels of
                        :func:`eval_pixels_for` (-> world, and -> slit_frame
                        for NIRSpec grids)
``g/pixmap/k/...``      for input k: its shape, packed finite masks of the
                        x and y maps, and the map at the pixels of
                        :func:`pixmap_sample`

Importing this module does not import jwst: the tests take ``CASES`` and
:func:`make_inputs` from it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from resamplespec import datasets  # noqa: E402

OUT = HERE / "golden_wcs"

_FS = {"kind": "fs", "dataset": {"n_exposures": 3, "shape": (24, 96), "seed": 3}}
_LRS = {"kind": "lrs", "dataset": {"n_exposures": 2, "shape": (120, 56), "seed": 6}}
_LAMP = {"kind": "lamp", "dataset": {"n_exposures": 2, "shape": (20, 100), "seed": 7}}


def _fs(**changes):
    return {"kind": "fs", "dataset": {**_FS["dataset"], **changes}}


#: name -> inputs (``kind``, ``dataset`` keywords) and resample options;
#: ``output_wcs_from``: use the reference grid of that case as ``output_wcs``
CASES = {
    "fs": _FS,
    "fs_ratio05": {**_FS, "options": {"pixel_scale_ratio": 0.5}},
    "fs_ratio2": {**_FS, "options": {"pixel_scale_ratio": 2.0}},
    "fs_pixel_scale": {**_FS, "options": {"pixel_scale": 0.05}},
    "fs_pixel_scale_and_ratio": {**_FS, "options": {"pixel_scale": 0.13, "pixel_scale_ratio": 3.0}},
    # (output_shape alone: the reference ignores it, its grid is the "fs" one)
    "fs_output_wcs": {**_FS, "output_wcs_from": "fs_ratio2"},
    "fs_output_wcs_shape": {
        **_FS,
        "output_wcs_from": "fs_ratio2",
        "options": {"output_shape": [90, 26]},
    },
    "fs_single": _fs(n_exposures=1),
    "fs_along_dec": _fs(position_angle=0.0),
    "fs_along_ra": _fs(position_angle=90.0),
    "fs_ra_wrap": _fs(target_ra=0.0002, n_exposures=2),
    "fs_pole": _fs(target_dec=89.9995, n_exposures=2),
    "mos": {"kind": "mos", "dataset": {"n_slits": 3, "n_exposures": 2, "nx": 80, "seed": 5}},
    "mos_ratio05": {
        "kind": "mos",
        "dataset": {"n_slits": 2, "n_exposures": 3, "nx": 64, "seed": 8},
        "options": {"pixel_scale_ratio": 0.5},
    },
    "lrs": _LRS,
    "lrs_ratio05": {**_LRS, "options": {"pixel_scale_ratio": 0.5}},
    "lrs_ratio2": {**_LRS, "options": {"pixel_scale_ratio": 2.0}},
    "lrs_pixel_scale": {**_LRS, "options": {"pixel_scale": 0.2}},
    "lrs_single": {"kind": "lrs", "dataset": {**_LRS["dataset"], "n_exposures": 1}},
    "lrs_ra_wrap": {"kind": "lrs", "dataset": {**_LRS["dataset"], "target_ra": 359.99995}},
    "lamp": _LAMP,
    "lamp_ratio05": {**_LAMP, "options": {"pixel_scale_ratio": 0.5}},
    "lamp_ratio2": {**_LAMP, "options": {"pixel_scale_ratio": 2.0}},
}

_GENERATORS = {
    "fs": datasets.nirspec_fixed_slit,
    "mos": datasets.nirspec_mos,
    "lrs": datasets.miri_lrs,
    "lamp": datasets.lamp,
}

#: pixels of each input map stored by value (the finite masks are stored whole)
N_PIXMAP_SAMPLES = 32


def make_inputs(case):
    """Slit groups of a case: a list of lists of dataset dicts (one list per output slit)."""
    inputs = _GENERATORS[case["kind"]](**case["dataset"])
    if case["kind"] == "mos":
        return [[exposure[i] for exposure in inputs] for i in range(len(inputs[0]))]
    return [inputs]


def output_wcs_path(case):
    """The ASDF file holding the reference grid a case uses as ``output_wcs``."""
    return OUT / f"output_wcs_{case['output_wcs_from']}.asdf"


def pixmap_sample(shape, seed=0):
    """The flat indices of the pixels whose map values are stored (fixed per shape)."""
    rng = np.random.default_rng([seed, shape[0], shape[1]])
    n = min(N_PIXMAP_SAMPLES, shape[0] * shape[1])
    corners = np.ravel_multi_index(
        ([0, 0, shape[0] - 1, shape[0] - 1], [0, shape[1] - 1, 0, shape[1] - 1]), shape
    )
    rest = rng.choice(shape[0] * shape[1], size=n, replace=False)
    return np.unique(np.concatenate([corners, rest]))


def eval_pixels(shape):
    """Output pixels at which the grids are compared: inside, on and beyond the edges.

    Along x up to the last column centre only (the reference's red-end
    extrapolation of NIRSpec grids is deliberately not reproduced).
    """
    ny, nx = shape
    xs = np.unique(np.r_[-0.5, 0.0, 0.37, np.linspace(1, nx - 1, 5).round(), nx - 1.25])
    ys = np.unique(np.r_[-2.0, -0.5, 0.0, np.linspace(1, ny - 1, 4).round(), ny - 0.5, ny + 1.5])
    x, y = np.meshgrid(xs, ys)
    return np.column_stack([x.ravel(), y.ravel()])


def eval_pixels_for(dispersion_axis, shape):
    """:func:`eval_pixels` in the orientation of the grid (dispersion along x or y)."""
    if dispersion_axis == 1:
        return eval_pixels(shape)
    return eval_pixels(shape[::-1])[:, ::-1]


def _to_models(group):
    import jwst_adapter as ja
    from jwst.lib.pipe_utils import match_nans_and_flags

    # (the step turns a MIRI LRS ImageModel into a SlitModel; the grid is the same)
    models = [ja.to_slit_model(image) for image in group]
    for model in models:
        match_nans_and_flags(model)
    return models


def reference_grid(group, options, wcs_path=None):
    """The reference's ResampleSpec object for one slit group."""
    from jwst.resample.resample_spec import ResampleSpec
    from jwst.resample.resample_spec_step import GOOD_BITS
    from jwst.resample.resample_utils import load_custom_wcs

    models = _to_models(group)
    shape = options.get("output_shape")
    output_wcs = load_custom_wcs(str(wcs_path), shape) if wcs_path else None
    wcs_pars = {
        "output_shape": shape,
        "pixel_scale": options.get("pixel_scale"),
        "pixel_scale_ratio": options.get("pixel_scale_ratio", 1.0),
    }
    resampler = ResampleSpec(
        models,
        good_bits=GOOD_BITS,
        output_wcs=output_wcs,
        wcs_pars=wcs_pars,
        enable_var=True,
        compute_err="from_var",
    )
    return resampler, models


def _nan_if_none(value):
    return np.nan if value is None else float(value)


def record_group(prefix, resampler, models, record):
    from stcal.resample.utils import calc_pixmap

    wcs = resampler.output_wcs
    shape = tuple(int(n) for n in wcs.array_shape)
    disp = int(models[0].meta.wcsinfo.dispersion_direction)
    ys, xs = np.indices(shape, dtype=np.float64)
    lam = np.asarray(wcs(xs, ys)[2], dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        record[f"{prefix}/wavelength"] = np.nanmedian(lam, axis=0 if disp == 1 else 1)
    record[f"{prefix}/shape"] = np.array(shape)
    record[f"{prefix}/ratio"] = np.array(float(resampler.pixel_scale_ratio))
    area = resampler._spec_output_pix_area
    record[f"{prefix}/pixar_sr"] = np.array(_nan_if_none(area))
    record[f"{prefix}/pixar_a2"] = np.array(
        np.nan if area is None else area * np.rad2deg(3600) ** 2
    )
    record[f"{prefix}/frames"] = np.array(",".join(wcs.available_frames))
    pixels = eval_pixels_for(disp, shape)
    record[f"{prefix}/eval_world"] = np.column_stack(
        [
            np.asarray(v, dtype=np.float64)
            for v in wcs(pixels[:, 0], pixels[:, 1], with_bounding_box=False)
        ]
    )
    if "slit_frame" in wcs.available_frames:
        to_slit = wcs.get_transform("detector", "slit_frame")
        record[f"{prefix}/eval_slit"] = np.column_stack(
            [np.asarray(v, dtype=np.float64) for v in to_slit(pixels[:, 0], pixels[:, 1])]
        )
    for k, model in enumerate(models):
        pixmap = calc_pixmap(model.meta.wcs, wcs, model.data.shape)
        index = pixmap_sample(model.data.shape)
        record[f"{prefix}/pixmap/{k}/shape"] = np.array(model.data.shape)
        record[f"{prefix}/pixmap/{k}/finite_x"] = np.packbits(np.isfinite(pixmap[..., 0]))
        record[f"{prefix}/pixmap/{k}/finite_y"] = np.packbits(np.isfinite(pixmap[..., 1]))
        record[f"{prefix}/pixmap/{k}/values"] = pixmap.reshape(-1, 2)[index]


def run_case(name, case):
    import asdf

    options = dict(case.get("options", {}))
    wcs_path = None
    if "output_wcs_from" in case:
        source = CASES[case["output_wcs_from"]]
        group = make_inputs(source)[0]
        resampler, _ = reference_grid(group, dict(source.get("options", {})))
        wcs_path = output_wcs_path(case)
        asdf.AsdfFile({"wcs": resampler.output_wcs}).write_to(wcs_path)
    record = {}
    groups = make_inputs(case)
    for g, group in enumerate(groups):
        resampler, models = reference_grid(group, options, wcs_path)
        record_group(str(g), resampler, models, record)
    record["n_groups"] = np.array(len(groups))
    np.savez_compressed(OUT / f"{name}.npz", **record)
    size = (OUT / f"{name}.npz").stat().st_size
    shapes = [tuple(record[f"{g}/shape"]) for g in range(len(groups))]
    print(f"{name}: {len(groups)} group(s), shapes {shapes}, {size} bytes")


def main(names=None):
    os.environ.setdefault("CRDS_SERVER_URL", "https://localhost:1")
    os.environ.setdefault("CRDS_PATH", tempfile.mkdtemp(prefix="crds_empty_"))
    import logging

    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    OUT.mkdir(exist_ok=True)
    for name, case in CASES.items():
        if names and name not in names:
            continue
        run_case(name, case)


if __name__ == "__main__":
    main(sys.argv[1:])
