"""The pipeline layer: the chain of :func:`resample`.

For each group of inputs (one slit, or one named slit across the exposures
of a multi-slit set), in order (:func:`resample_group`):

1. copies of the inputs with NaN and DO_NOT_USE made consistent;
2. the output grid (:mod:`resamplespec.geometry`), unless ``output_wcs``
   is given;
3. per input: the pixel map, the weights and the intensity scale, and one
   kernel pass (:mod:`resamplespec.kernel`) for data, weight, context, the
   variances and DQ;
4. errors from the variances, ``fillval``, and the output metadata.

:func:`slit_groups` groups the inputs, :func:`resample_group` runs the
chain on one group (what a Dask task runs), :func:`collect_outputs` makes
:func:`resample`'s return value from the groups' outputs and
:class:`SingleWriter` writes ``single=True`` products as they are made.
"""

from ._chain import group_outliers, resample_group
from ._checks import InputWarning, check_inputs_belong_together
from ._groups import collect_outputs, slit_groups
from ._outliers import OUTLIER, OutlierWarning
from ._resample import find_outliers, resample
from ._weights import (
    WEIGHT_TYPES,
    exposure_weight_time,
    intensity_scale,
    is_flux_density,
    match_nans_and_flags,
    pixel_weights,
)
from ._writers import SingleWriter

__all__ = [
    "OUTLIER",
    "WEIGHT_TYPES",
    "OutlierWarning",
    "InputWarning",
    "SingleWriter",
    "check_inputs_belong_together",
    "collect_outputs",
    "exposure_weight_time",
    "find_outliers",
    "group_outliers",
    "intensity_scale",
    "is_flux_density",
    "match_nans_and_flags",
    "pixel_weights",
    "resample",
    "resample_group",
    "slit_groups",
]
