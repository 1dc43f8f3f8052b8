"""Pixel maps: where each input pixel centre lands on the output grid
(step 6 of the chain); see :mod:`resamplespec.geometry`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._sampling import _wcs_and_shape, stacked_pixel_map

if TYPE_CHECKING:  # pragma: no cover
    from ._output_grid import OutputGrid


def pixel_map(
    image: Any, grid: OutputGrid, world: Sequence[np.ndarray] | None = None
) -> np.ndarray:
    """Output pixel coordinates of every input pixel centre.

    Parameters
    ----------
    image : SpectralImage or dict
        The input (``wcs`` and ``data``).
    grid : OutputGrid
        The output grid (:func:`resamplespec.wcs.build_output_grid` or
        :func:`resamplespec.wcs.load_output_wcs`).
    world : sequence of ndarray, optional
        The input's world coordinates from :func:`world_coordinates`, to
        avoid evaluating its WCS again.  When omitted, the pixel map the
        grid builder made for this very image (same object, same WCS) is
        returned -- once -- else the WCS is evaluated here.

    Returns
    -------
    ndarray
        Shape ``(ny, nx, 2)``, float64: ``[..., 0]`` is the output x and
        ``[..., 1]`` the output y of each input pixel centre (pixel centres
        on integers); NaN where undefined (outside the input bounding box,
        wavelengths beyond the ends of a NIRSpec grid, ...).

    Raises
    ------
    ValueError
        ``world`` does not match the image's shape.

    Notes
    -----
    The output grid's bounding box is ignored, as in the reference: pixels
    that land outside the grid get coordinates outside it, not NaN.

    Examples
    --------
    >>> from resamplespec import SpectralImage, datasets
    >>> from resamplespec.geometry import build_output_grid
    >>> image = SpectralImage.from_dict(datasets.lamp(shape=(12, 40))[0])
    >>> grid = build_output_grid([image])
    >>> pixel_map(image, grid).shape
    (12, 40, 2)
    """
    wcs, shape = _wcs_and_shape(image)
    if world is None:
        pixmap = grid._take_pixel_map(image)
        if pixmap is None:
            pixmap = grid._pixel_map_by_blocks(image)
        return pixmap
    world = tuple(np.asarray(values, dtype=np.float64) for values in world)
    if any(values.shape != shape for values in world):
        raise ValueError(
            f"world: arrays of shape {[v.shape for v in world]} do not match the image "
            f"shape {shape}; pass the output of world_coordinates(image)"
        )
    return stacked_pixel_map(*grid.world_to_pixel(*world))
