"""The geometry layer: where input pixels land on the output grid.

- the output grid (:class:`OutputGrid`): built from the inputs as the JWST
  pipeline builds it (:func:`build_output_grid`, one builder per kind of
  world frame: ``'nirspec'``, ``'interpolated'``, ``'lamp'``), or a user's
  (:func:`load_output_wcs`);
- sampling the inputs' WCSs (:func:`sample_input`, :func:`world_coordinates`)
  and the pixel maps made from those samples (:func:`pixel_map`);
- fast evaluation of the astropy models a gwcs is made of, as plain numpy
  arithmetic (:func:`compile_transform` and its kin), with astropy as the
  fallback for any other model;
- sky geometry (:func:`tangent_offsets`, :func:`spatial_pixel_scale`) and
  WCS helpers every layer above may use (:func:`check_spectral_wcs`,
  :func:`is_sky_like`, :func:`apply_transform`, :func:`bounding_box_limits`).

It reads images (:mod:`resamplespec.models`) and knows nothing of files,
kernels or the chain that calls it.
"""

from ._grid_build import build_output_grid
from ._output_grid import GRID_KINDS, GridWarning, OutputGrid
from ._pixmap import pixel_map
from ._sampling import (
    InputSamples,
    evaluate_by_rows,
    sample_input,
    sample_inputs,
    world_coordinates,
)
from ._sky import spatial_pixel_scale, tangent_offsets
from ._transforms import (
    compile_inverse,
    compile_to_tangent_plane,
    compile_transform,
    native_to_celestial_matrix,
    plane_to_lon_lat,
    plane_to_offsets,
)
from ._user_grid import load_output_wcs
from ._wcs_utils import (
    apply_inverse,
    apply_transform,
    bounding_box_limits,
    check_spectral_wcs,
    is_sky_like,
    transform_steps,
)

__all__ = [
    "GRID_KINDS",
    "GridWarning",
    "InputSamples",
    "OutputGrid",
    "apply_inverse",
    "apply_transform",
    "bounding_box_limits",
    "build_output_grid",
    "check_spectral_wcs",
    "compile_inverse",
    "compile_to_tangent_plane",
    "compile_transform",
    "evaluate_by_rows",
    "is_sky_like",
    "load_output_wcs",
    "native_to_celestial_matrix",
    "pixel_map",
    "plane_to_lon_lat",
    "plane_to_offsets",
    "sample_input",
    "sample_inputs",
    "spatial_pixel_scale",
    "tangent_offsets",
    "transform_steps",
    "world_coordinates",
]
