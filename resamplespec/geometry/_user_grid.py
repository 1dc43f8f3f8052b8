"""A user's output grid: :func:`load_output_wcs` (``output_wcs``)."""

from __future__ import annotations

import copy
import logging
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import asdf
import numpy as np
from gwcs import WCS

from ..models import SpectralImage
from ..options import parse_output_shape
from ._grid_build import _as_images
from ._grid_parts import _positive
from ._grid_size import check_grid_size
from ._output_grid import _ARCSEC2_PER_SR, OutputGrid
from ._sky import spatial_pixel_scale
from ._wcs_utils import bounding_box_limits, check_spectral_wcs, is_sky_like

log = logging.getLogger(__name__)


def _read_output_wcs(output_wcs: Any) -> tuple[WCS, dict[str, Any]]:
    """The WCS and the extra keys of ``output_wcs`` (gwcs, dict or ASDF path)."""
    if isinstance(output_wcs, WCS):
        return copy.deepcopy(output_wcs), {}
    if isinstance(output_wcs, Mapping):
        if "wcs" not in output_wcs:
            raise ValueError(f"output_wcs: a dict needs a 'wcs' key, got keys {list(output_wcs)}")
        extras = {
            k: output_wcs.get(k)
            for k in ("pixel_area", "pixel_scale", "pixel_shape", "array_shape")
        }
        wcs = output_wcs["wcs"]
        if not isinstance(wcs, WCS):
            raise TypeError(f"output_wcs['wcs'] must be a gwcs.WCS, got {type(wcs).__name__}")
        return copy.deepcopy(wcs), extras
    if isinstance(output_wcs, (str, os.PathLike)):

        path = os.fspath(output_wcs)
        if not os.path.isfile(path):
            raise ValueError(f"output_wcs: no such file: {path!r}")
        keys = ("wcs", "pixel_area", "pixel_scale", "pixel_shape", "array_shape")
        try:
            with asdf.open(path) as handle:
                found = [k for k in handle.tree if not str(k).startswith("asdf")]
                values = {k: copy.deepcopy(handle.tree.get(k)) for k in keys}
        except Exception as exc:  # not ASDF, unreadable, unknown tags...
            raise ValueError(f"output_wcs: cannot read {path!r} as an ASDF file: {exc}") from None
        wcs = values.pop("wcs")
        extras = values
        if wcs is None:
            raise ValueError(f"output_wcs: {path!r} has no 'wcs' key at its root (keys: {found})")
        if not isinstance(wcs, WCS):
            raise TypeError(
                f"output_wcs: the 'wcs' in {path!r} is a {type(wcs).__name__}, not a gwcs.WCS"
            )
        return wcs, extras
    raise TypeError(
        f"output_wcs must be a gwcs.WCS, a dict with a 'wcs' key or an ASDF file name, got "
        f"{type(output_wcs).__name__}"
    )


def _shape_key(name: str, value: Any, numpy_order: bool) -> tuple[int, int] | None:
    """A shape key of the ASDF file as (ny, nx)."""
    if value is None:
        return None
    try:
        dims = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"output_wcs: '{name}' must be two integers, got {value!r}") from None
    if len(dims) != 2 or min(dims) < 1:
        raise ValueError(f"output_wcs: '{name}' must be two positive integers, got {value!r}")
    return dims if numpy_order else dims[::-1]


def _custom_dispersion_axis(wcs: WCS, shape: tuple[int, int]) -> int:
    """The axis along which a custom WCS's wavelength changes more, at its centre."""
    ny, nx = shape
    limits = bounding_box_limits(wcs)
    x0, y0 = (
        (np.mean(limits[0]), np.mean(limits[1]))
        if limits is not None
        else ((nx - 1) / 2.0, (ny - 1) / 2.0)
    )
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        lam = np.asarray(
            wcs(np.array([x0, x0 + 1, x0]), np.array([y0, y0, y0 + 1]), with_bounding_box=False)[2],
            dtype=np.float64,
        )
    if not np.all(np.isfinite(lam)):
        raise ValueError(
            "output_wcs: no finite wavelength at the centre of the grid; cannot "
            "tell the dispersion axis"
        )
    return 1 if abs(lam[1] - lam[0]) >= abs(lam[2] - lam[0]) else 2


def load_output_wcs(
    output_wcs: Any,
    output_shape: tuple[int, int] | str | None = None,
    *,
    images: Sequence[SpectralImage] | None = None,
) -> OutputGrid:
    """A user's output grid: a gwcs, a dict, or an ASDF file.

    Parameters
    ----------
    output_wcs : gwcs.WCS, dict or str or os.PathLike
        The WCS (``detector -> world`` with 2 spatial axes and wavelength
        in um), a dict with a ``'wcs'`` key, or an ASDF file with the WCS
        under the ``'wcs'`` key at its root.  Optional keys (file or dict):
        ``pixel_area`` (sr), ``pixel_shape`` ((nx, ny)), ``array_shape``
        ((ny, nx)), ``pixel_scale`` (arcsec).  The WCS is copied, never
        modified.
    output_shape : (nx, ny) or 'nx,ny', optional
        Output size; overrides every other source of size.
    images : sequence of SpectralImage, optional
        The inputs: their first one gives the nominal pixel area and input
        pixel scale (to estimate the output pixel area) and the dispersion
        direction.  Without them the pixel area is the ``pixel_area`` key
        or None and the dispersion axis is read from the WCS.

    Returns
    -------
    OutputGrid
        ``kind='custom'``; inverted through gwcs.

    Raises
    ------
    TypeError
        ``output_wcs`` is not a gwcs, dict or path, or holds no gwcs.
    ValueError
        Missing or unreadable file, no ``'wcs'`` key, bad shape keys or
        ``output_shape``, no size at all (no ``output_shape``, shape keys,
        WCS shape or bounding box), a world frame without wavelength.

    Notes
    -----
    Size, first found of: ``output_shape``; the ``pixel_shape`` key; the
    ``array_shape`` key; the WCS's own ``array_shape``; the bounding box
    (``int(hi + 0.5)`` per axis).  The reference ranks the WCS's own shape
    above the keys and ``array_shape`` above ``pixel_shape``; the order
    here is the documented one (the keys are the user's explicit
    statement; ``pixel_shape`` overrides ``array_shape``).  The WCS's
    bounding box is kept as given (pixels outside it have NaN world
    coordinates, as in the reference).

    Pixel area: the ``pixel_area`` key (sr) if present; else, as in the
    reference, input nominal area x output scale / input scale, both
    scales measured across the dispersion at the grid centres.  With only
    a ``pixel_scale`` key the reference takes ``pixel_scale**2`` (arcsec^2)
    as an area in sr; here the pixel scale gives the ratio as the
    ``pixel_scale`` option does.  ``pixel_scale_ratio`` = nominal area /
    output area (1 when either is unknown).  A non-celestial custom grid
    gets no estimated area (the reference would measure metres as degrees).

    Examples
    --------
    >>> from resamplespec import SpectralImage, build_output_grid, datasets, load_output_wcs
    >>> images = [SpectralImage.from_dict(d) for d in datasets.lamp(shape=(12, 40))]
    >>> grid = load_output_wcs(build_output_grid(images).wcs, (30, 10), images=images)
    >>> grid.kind, grid.shape
    ('custom', (10, 30))
    """
    size = parse_output_shape(output_shape)
    wcs, extras = _read_output_wcs(output_wcs)
    check_spectral_wcs(wcs, "output_wcs")
    if images is not None:
        images = _as_images(images)
    limits = bounding_box_limits(wcs)
    shape = _custom_shape(wcs, size, extras, limits)
    check_grid_size(shape, None, computed=False)
    wcs.array_shape = shape

    if images is not None:
        first = images[0]
        disp = first.meta.dispersion_direction
        nominal = first.meta.pixel_area_sr
    else:
        first, nominal = None, None
        disp = _custom_dispersion_axis(wcs, shape)
    area = _custom_pixel_area(wcs, extras, first, nominal, disp, shape, limits)
    ratio = float(nominal) / area if (nominal is not None and area) else 1.0
    return OutputGrid(
        wcs=wcs,
        shape=shape,
        dispersion_axis=disp,
        pixel_scale_ratio=ratio,
        pixel_area_sr=area,
        pixel_area_arcsec2=None if area is None else area * _ARCSEC2_PER_SR,
        wavelength=_column_wavelengths(wcs, shape, disp),
        kind="custom",
    )


def _custom_shape(wcs, size, extras, limits) -> tuple[int, int]:
    """The grid's shape (ny, nx), by the option contract's precedence:
    ``output_shape``, the ``pixel_shape`` then ``array_shape`` keys, the
    WCS's own shape, the bounding box."""
    shape = None
    if size is not None:
        shape = (size[1], size[0])
    else:
        shape = _shape_key(
            "pixel_shape", extras.get("pixel_shape"), numpy_order=False
        ) or _shape_key("array_shape", extras.get("array_shape"), numpy_order=True)
    if shape is None and wcs.array_shape is not None:
        shape = tuple(int(n) for n in wcs.array_shape)
    if shape is None and limits is not None:
        shape = (int(limits[1][1] + 0.5), int(limits[0][1] + 0.5))
    if shape is None:
        raise ValueError(
            "output_shape is required: output_wcs has no bounding_box, no pixel_shape or "
            "array_shape, and no 'pixel_shape'/'array_shape' keys"
        )
    if min(shape) < 1:
        raise ValueError(
            f"output_wcs: the size from its bounding box is {shape[::-1]} (nx, ny); "
            "give output_shape"
        )
    return shape


def _custom_pixel_area(wcs, extras, first, nominal, disp, shape, limits) -> float | None:
    """The output pixel area (sr): the ``pixel_area`` key, else the input's
    nominal area scaled by output / input spatial pixel scale (the
    ``pixel_scale`` key in arcsec, else measured at the grid centre); None
    for a non-celestial grid or without inputs."""
    area = extras.get("pixel_area")
    if area is not None:
        return _positive("output_wcs pixel_area", area)
    if nominal is None or first is None or not is_sky_like(wcs.output_frame):
        return None
    input_scale = spatial_pixel_scale(first.wcs, disp)
    scale_key = extras.get("pixel_scale")
    if scale_key is not None:
        output_scale = _positive("output_wcs pixel_scale", scale_key)
    else:
        centre = None if limits is not None else ((shape[1] - 1) / 2, (shape[0] - 1) / 2)
        output_scale = spatial_pixel_scale(wcs, disp, centre)
    if math.isfinite(output_scale) and math.isfinite(input_scale) and input_scale > 0:
        return output_scale * float(nominal) / input_scale
    log.warning("output_wcs: the output pixel scale cannot be measured; no pixel area")
    return None


def _column_wavelengths(wcs, shape, disp) -> np.ndarray:
    """The wavelength of each column (row): the median over the grid, the
    bounding box respected."""
    ys, xs = np.indices(shape, dtype=np.float64)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        lam = np.asarray(wcs(xs, ys)[2], dtype=np.float64)
        return np.nanmedian(lam, axis=0 if disp == 1 else 1)
