"""The kernel layer: drizzle plain arrays onto a fixed output grid.

The C core (``src_c/``: the polygon overlaps of the ``square`` kernel, the
``point`` kernel, the variance combinations) is reached only through the
Cython shim ``_kernel.pyx``; :class:`Drizzler` validates every argument and
is the array API on top of it, public so that downstream libraries can
drive the kernel with pixel maps of their own.  :class:`WindowedDrizzle`
drizzles a grid window by window (``in_memory=False``), with the numbers
of a whole-grid pass.

Nothing here knows about WCSs, files or metadata: inputs are arrays and
pixel maps.
"""

from ._drizzler import (
    AddCounts,
    Drizzler,
    DrizzleResult,
    DrizzleWarning,
    PairSums,
    coordinate_maps,
    half_plane_offsets,
    pair_covariance,
    window_sections,
)
from ._estimates import combine_estimates, judge_pixels, neighbour_models
from ._interpolate import interpolate, interpolate_through, steep_slopes
from ._kernel import fetch_add
from ._windows import InputDraw, WindowedDrizzle, split_along, window_count

__all__ = [
    "AddCounts",
    "DrizzleResult",
    "DrizzleWarning",
    "Drizzler",
    "InputDraw",
    "PairSums",
    "WindowedDrizzle",
    "combine_estimates",
    "coordinate_maps",
    "fetch_add",
    "half_plane_offsets",
    "pair_covariance",
    "interpolate",
    "interpolate_through",
    "judge_pixels",
    "neighbour_models",
    "split_along",
    "steep_slopes",
    "window_count",
    "window_sections",
]

