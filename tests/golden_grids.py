"""The golden cases of ``tests/reference/make_wcs_golden.py`` (jwst 3.0's
output grids and pixel maps), and our grid for each, built from the same
inputs with the same options."""

import functools

import numpy as np
from make_wcs_golden import CASES, OUT, make_inputs, output_wcs_path

from resamplespec import SpectralImage
from resamplespec.geometry import build_output_grid, load_output_wcs
from resamplespec.pipeline import match_nans_and_flags


@functools.cache
def golden(name):
    """The reference's arrays for case ``name``."""
    with np.load(OUT / f"{name}.npz") as values:
        return {key: values[key] for key in values.files}


def images_from(dicts):
    """Images of a case's input dicts, NaN and DO_NOT_USE made to agree as
    the chain does before building a grid."""
    images = [SpectralImage.from_dict(d) for d in dicts]
    for image in images:
        match_nans_and_flags(image)
    return images


def build_case(name, group):
    """(images, grid) for one slit group of a golden case, built as the reference is."""
    case = CASES[name]
    images = images_from(make_inputs(case)[group])
    options = dict(case.get("options", {}))
    if "output_wcs_from" in case:
        grid = load_output_wcs(
            str(output_wcs_path(case)), options.get("output_shape"), images=images
        )
    else:
        grid = build_output_grid(images, **options)
    return images, grid
