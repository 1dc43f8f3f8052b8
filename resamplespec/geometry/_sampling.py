"""Sampling an input's WCS: the world coordinates of every pixel centre,
evaluated once per input (:class:`InputSamples`), from which the grid
builders take what they need and the pixel maps are made.

The reference (jwst 3.0, ``stcal.resample.utils.calc_pixmap`` with
``stepsize=1``) evaluates the input gwcs at every pixel of the data array,
keeping the input bounding box (pixels outside it get NaN).  Here the input
WCS is evaluated the same way, once per input, in blocks of rows
(:data:`resamplespec.limits.SAMPLE_BLOCK_PIXELS`), through numpy arithmetic
where its models allow (:func:`resamplespec.geometry.compile_transform`).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.modeling import Model

from .. import limits
from ..models import LazyImages
from ._sky import tangent_offsets
from ._transforms import (
    compile_to_tangent_plane,
    compile_transform,
    plane_to_lon_lat,
    plane_to_offsets,
)
from ._wcs_utils import bounding_box_limits, transform_steps


def world_coordinates(image: Any) -> tuple[np.ndarray, ...]:
    """World coordinates of every input pixel centre.

    Parameters
    ----------
    image : SpectralImage or dict
        Anything with a ``wcs`` (``gwcs.WCS``) and a 2D ``data`` array
        (attributes or keys).

    Returns
    -------
    tuple of ndarray
        One float64 array of the data's shape per world axis (e.g. RA, Dec,
        wavelength), NaN outside the WCS bounding box.

    Notes
    -----
    As in the reference, a pixel is inside the bounding box when its centre
    lies within the box limits, both ends included.  Only the pixels inside
    the box are evaluated.

    Examples
    --------
    >>> from resamplespec import datasets
    >>> image = datasets.lamp(shape=(12, 40))[0]
    >>> x_msa, y_msa, wavelength = world_coordinates(image)
    >>> wavelength.shape
    (12, 40)
    """
    return sample_input(image).on_array()


# ---------------------------------------------------------------------------
# Evaluating an input WCS once
# ---------------------------------------------------------------------------


@dataclass
class InputSamples:
    """An input WCS evaluated once on the pixels of its bounding-box grid.

    The *grid* is the rectangle of pixels that ``gwcs.wcstools.
    grid_from_bounding_box`` gives (``floor(lo + 0.5)`` to ``ceil(hi - 0.5)``
    on each axis), which the reference uses to build the output grid; it
    can reach one pixel beyond the box (fractional limits) or the array.

    Attributes
    ----------
    label : str
        Name of the input for messages.
    shape : (int, int)
        Shape of the input data array.
    x0, y0 : int
        Pixel coordinates of the grid's first column and row.
    values : tuple of ndarray
        The WCS outputs on the grid, NaN where the pixel centre is outside
        the bounding box: the world coordinates, except that with ``plane``
        the first two are points of the WCS's own TAN plane.
    slit : tuple of ndarray or None
        ``(y_slit, wavelength)`` in the input's ``slit_frame`` on the grid,
        without the bounding box (as the reference's ``detector ->
        slit_frame`` transform gives them); only when asked for.
    plane : ndarray or None
        When the WCS ends with a TAN projection onto the sky, the 3 x 3
        rotation of that plane's sphere onto the sky
        (:func:`resamplespec.geometry.plane_to_lon_lat`): offsets about
        another tangent point then need no trigonometry.
    slit_to_world : (callable, dict) or None
        The ``slit_frame -> world`` transform the samples were evaluated
        with, compiled (``(function, planes)`` of :func:`_evaluator`); only
        with ``slit``.  Kept so that the grid builder evaluates it at other
        points (:meth:`world_from_slit`) without compiling it again.
    """

    label: str
    shape: tuple[int, int]
    x0: int
    y0: int
    values: tuple[np.ndarray, ...]
    slit: tuple[np.ndarray, np.ndarray] | None = None
    wcs: Any = None
    #: ``((ra0, dec0), x, y)``: tangent-plane offsets of the grid pixels about
    #: ``(ra0, dec0)``, kept by the grid builder for the pixel map
    tangent: tuple[tuple[float, float], np.ndarray, np.ndarray] | None = None
    plane: np.ndarray | None = None
    slit_to_world: tuple[Any, dict] | None = None

    @property
    def grid_shape(self) -> tuple[int, int]:
        return self.values[0].shape

    @property
    def world(self) -> tuple[np.ndarray, ...]:
        """The world coordinates on the grid (computed on each access)."""
        return self.sky() + tuple(self.values[2:]) if self.plane is not None else self.values

    def world_axis(self, k: int) -> np.ndarray:
        """World coordinate ``k`` on the grid (sky ones computed on access)."""
        if self.plane is not None and k < 2:
            return self.sky()[k]
        return self.values[k]

    def sky(self, index: Any = ...) -> tuple[np.ndarray, np.ndarray]:
        """Longitude and latitude (deg) of the grid pixels ``[index]``."""
        if self.plane is None:
            return self.values[0][index], self.values[1][index]
        return plane_to_lon_lat(self.plane, self.values[0][index], self.values[1][index])

    def sky_offsets(
        self, lon0: float, lat0: float, index: Any = ...
    ) -> tuple[np.ndarray, np.ndarray]:
        """Offsets (deg) of the grid pixels ``[index]`` in the TAN plane about
        (lon0, lat0), as :func:`resamplespec.geometry.tangent_offsets` gives them."""
        first, second = self.values[0][index], self.values[1][index]
        if self.plane is None:
            return tangent_offsets(first, second, lon0, lat0)
        return plane_to_offsets(self.plane, first, second, lon0, lat0)

    def world_from_slit(self, *slit_coordinates: np.ndarray) -> tuple[np.ndarray, ...]:
        """World coordinates (longitude and latitude in deg, not plane points)
        of ``slit_frame`` coordinates, through the compiled transform the
        samples were made with: what ``wcs.get_transform('slit_frame',
        <last frame>)`` gives, to the bit."""
        function, planes = self.slit_to_world
        world = list(function(*slit_coordinates))
        for k, matrix in planes.items():
            world[k], world[k + 1] = plane_to_lon_lat(matrix, world[k], world[k + 1])
        return tuple(world)

    def _overlap(self) -> tuple[slice, slice, slice, slice] | None:
        """(array rows, array cols, grid rows, grid cols) where grid and array overlap."""
        ny, nx = self.shape
        gy, gx = self.grid_shape
        r0, r1 = max(self.y0, 0), min(self.y0 + gy, ny)
        c0, c1 = max(self.x0, 0), min(self.x0 + gx, nx)
        if r0 >= r1 or c0 >= c1:
            return None
        return (
            slice(r0, r1),
            slice(c0, c1),
            slice(r0 - self.y0, r1 - self.y0),
            slice(c0 - self.x0, c1 - self.x0),
        )

    def on_array(self) -> tuple[np.ndarray, ...]:
        """The world coordinates on the data array (NaN off the grid)."""
        return self.to_array(self.world)

    def to_array(self, grid_arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
        """Arrays given on the grid, placed on the data array (NaN off the grid)."""
        overlap = self._overlap()
        if self.grid_shape == self.shape and self.x0 == 0 and self.y0 == 0:
            return tuple(grid_arrays)
        out = tuple(np.full(self.shape, np.nan) for _ in grid_arrays)
        if overlap is not None:
            rows, cols, grid_rows, grid_cols = overlap
            for target, values in zip(out, grid_arrays, strict=True):
                target[rows, cols] = values[grid_rows, grid_cols]
        return out

    def on_grid(self, array: np.ndarray) -> np.ndarray:
        """Values of an array of the data's shape at the grid pixels (NaN off the array)."""
        array = np.asarray(array)
        dtype = array.dtype if array.dtype.kind == "f" else np.float64
        out = np.full(self.grid_shape, np.nan, dtype=dtype)
        overlap = self._overlap()
        if overlap is not None:
            rows, cols, grid_rows, grid_cols = overlap
            out[grid_rows, grid_cols] = array[rows, cols]
        return out


def _wcs_and_shape(image: Any) -> tuple[Any, tuple[int, int]]:
    if isinstance(image, Mapping):
        wcs, data = image.get("wcs"), image.get("data")
    else:
        wcs, data = getattr(image, "wcs", None), getattr(image, "data", None)
    if wcs is None or data is None:
        raise TypeError(
            f"image must have a 'wcs' and a 2D 'data' array, got {type(image).__name__}"
        )
    shape = np.shape(data)
    if len(shape) != 2:
        raise ValueError(f"image data must be 2D, got shape {shape}")
    return wcs, (int(shape[0]), int(shape[1]))


def _label(image: Any) -> str:
    meta = image.get("meta", {}) if isinstance(image, Mapping) else getattr(image, "meta", None)
    if isinstance(meta, Mapping):
        name = meta.get("slit_name") or meta.get("filename")
    else:
        slit = getattr(meta, "slit", None)
        name = getattr(slit, "name", None) or getattr(meta, "filename", None)
    return str(name) if name else "input"


def _grid_range(limits: tuple[float, float] | None, n: int) -> tuple[int, int]:
    """First and last pixel of the bounding-box grid along one axis.

    As the reference's grid, which reaches at most one pixel beyond an
    array whose box fits it; a box far larger than the array (+-3000 or
    +-1e30 pixels on a 20 x 60 slit) is cut there too: the grid is sized
    from where the data are, not from a box around nothing."""
    if limits is None:
        return 0, n - 1
    lo, hi = limits
    return (int(min(max(math.floor(lo + 0.5), -1), n)),
            int(max(min(math.ceil(hi - 0.5), n), -1)))


@dataclass(frozen=True)
class _Plan:
    """What to evaluate for one input: its WCS on the pixels xs x ys."""

    wcs: Any
    shape: tuple[int, int]
    label: str
    limits: tuple[tuple[float, float], tuple[float, float]] | None
    xs: np.ndarray
    ys: np.ndarray


def _plan(image: Any) -> _Plan:
    wcs, shape = _wcs_and_shape(image)
    label = _label(image)
    limits = bounding_box_limits(wcs)
    if limits is not None:
        inside = [
            (max(math.ceil(lo), 0), min(math.floor(hi), n - 1))
            for (lo, hi), n in zip(limits, shape[::-1], strict=True)
        ]
        if any(first > last for first, last in inside):
            raise ValueError(
                f"{label}: the WCS bounding box {limits} holds no pixel centre of "
                f"its {shape[0]} x {shape[1]} data array"
            )
    x_first, x_last = _grid_range(None if limits is None else limits[0], shape[1])
    y_first, y_last = _grid_range(None if limits is None else limits[1], shape[0])
    xs = np.arange(x_first, x_last + 1, dtype=np.float64)
    ys = np.arange(y_first, y_last + 1, dtype=np.float64)
    return _Plan(wcs, shape, label, limits, xs, ys)


def sample_input(image: Any, *, slit_frame: bool = False) -> InputSamples:
    """Evaluate an input's WCS once on its bounding-box grid.

    Parameters
    ----------
    image : SpectralImage or dict
    slit_frame : bool
        Also keep the ``slit_frame`` coordinates (the evaluation then goes
        detector -> slit_frame -> world in two steps: the same arithmetic
        as the full transform).

    Returns
    -------
    InputSamples
    """
    plan = _plan(image)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _evaluate(plan, slit_frame)


def sample_inputs(
    images: Sequence[Any],
    *,
    slit_frame_index: int | None = None,
    n_jobs: int = 1,
) -> list[InputSamples]:
    """:func:`sample_input` for several inputs.

    Parameters
    ----------
    images : sequence of SpectralImage or dict
    slit_frame_index : int, optional
        The input whose ``slit_frame`` coordinates are kept too.
    n_jobs : int
        Threads evaluating the inputs (one input per thread at a time);
        the samples do not depend on it.

    Returns
    -------
    list of InputSamples
    """
    if isinstance(images, LazyImages):
        return _LazySamples(images, slit_frame_index)
    plans = [_plan(image) for image in images]

    def evaluate(k: int) -> InputSamples:
        return _evaluate(plans[k], k == slit_frame_index)

    # the filters are process-wide: set once here, not in each thread
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if n_jobs > 1 and len(plans) > 1 and _pixels(images) >= limits.MIN_THREADED_PIXELS:
            with ThreadPoolExecutor(min(n_jobs, len(plans))) as pool:
                return list(pool.map(evaluate, range(len(plans))))
        return [evaluate(k) for k in range(len(plans))]


def _pixels(images) -> int:
    return sum(image.data.size for image in images)


def _evaluator(steps: tuple[Any, Any], to_plane: bool = False) -> tuple[Any, dict]:
    """(function, planes) of the ``steps`` of :func:`transform_steps`: numpy
    arithmetic (:func:`resamplespec.geometry.compile_transform`) when they are made of models
    that module knows, else the composed astropy model.  ``to_plane``: stop
    before a final TAN projection onto the sky; ``planes`` maps the first of
    the two outputs that are then plane points to the plane's rotation
    matrix."""
    transforms, compose = steps
    if to_plane:
        compiled = compile_to_tangent_plane(transforms)
    else:
        evaluate = compile_transform(transforms)
        compiled = None if evaluate is None else (evaluate, {})
    # a transform that does not compile one way does not compile the other
    return compiled if compiled is not None else (compose(), {})


def _evaluate_block(x: np.ndarray, y: np.ndarray, transforms: tuple, slit_frame: bool):
    """(outputs, (y_slit, wavelength) or None) of some pixels;
    ``transforms``: (detector -> world,), or (detector -> slit_frame,
    slit_frame -> world) when ``slit_frame``."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if slit_frame:
            to_slit, from_slit = transforms
            slit_values = to_slit(x, y)
            world = from_slit(*slit_values)
            slit = (slit_values[1], slit_values[2])
        else:
            (to_world,) = transforms
            world = to_world(x, y)
            slit = None
    return world, slit


def _compiled(wcs: Any, slit_frame: bool) -> tuple[tuple, dict, tuple | None]:
    """(transforms, planes, slit_to_world) that :func:`_evaluate` evaluates:
    composed (and compiled) once per WCS, not per block."""
    slit_to_world = None
    if slit_frame:
        to_slit, _ = _evaluator(transform_steps(wcs, None, "slit_frame"))
        slit_to_world = _evaluator(transform_steps(wcs, "slit_frame", None), True)
        from_slit, planes = slit_to_world
        return (to_slit, from_slit), planes, slit_to_world
    to_world, planes = _evaluator(transform_steps(wcs, None, None), True)
    return (to_world,), planes, slit_to_world


def evaluate_by_rows(image: Any, rows: int) -> Iterator[InputSamples]:
    """:func:`sample_input` of an input's grid, ``rows`` grid rows at a time
    (the WCS compiled once): the same numbers, a block's memory."""
    plan = _plan(image)
    compiled = _compiled(plan.wcs, False)
    for start in range(0, plan.ys.size, rows):
        block = dataclasses.replace(plan, ys=plan.ys[start:start + rows])
        # the filter is set per block, not across the yield: the caller's
        # code between blocks keeps its own warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            samples = _evaluate(block, False, compiled)
        yield samples


def _evaluate(plan: _Plan, slit_frame: bool, compiled: tuple | None = None) -> InputSamples:
    """Evaluate the WCS on the plan's pixels, in blocks of rows; NaN outside
    the bounding box.  ``compiled``: what :func:`_compiled` gives, if made."""
    wcs, xs, ys = plan.wcs, plan.xs, plan.ys
    shape = (ys.size, xs.size)
    if xs.size * ys.size <= limits.ONE_BLOCK_PIXELS:
        rows = ys.size
    else:
        rows = max(1, limits.SAMPLE_BLOCK_PIXELS // max(xs.size, 1))
    # Evaluated without the bounding box, which is applied below: what
    # ``wcs(x, y, with_bounding_box=False)`` gives.
    transforms, planes, slit_to_world = compiled or _compiled(wcs, slit_frame)
    planes = dict(planes)  # popped below
    # Compiled transforms take x along a row and y down a column: numpy
    # broadcasts them to the block's pixels (each pixel's arithmetic and its
    # bits are the same), and what depends on x alone is computed once per
    # column.  The outputs broadcast into the sample arrays.  astropy models
    # get full grids.
    broadcast = not any(isinstance(t, Model) for t in transforms)
    outputs: list[np.ndarray] = []
    slit_arrays: list[np.ndarray] = []
    for start in range(0, ys.size, rows):
        block = slice(start, min(start + rows, ys.size))
        if broadcast:
            x, y = xs[np.newaxis, :], ys[block, np.newaxis]
        else:
            x, y = np.meshgrid(xs, ys[block])
        values, slit_values = _evaluate_block(x, y, transforms, slit_frame)
        if rows == ys.size:
            slit_arrays = _own_arrays(slit_values or (), shape, ())
            outputs = _own_arrays(values, shape, slit_arrays)
            break
        if not outputs:
            outputs = [np.empty(shape) for _ in values]
            slit_arrays = [np.empty(shape) for _ in (slit_values or ())]
        for out, part in zip(outputs, values, strict=True):
            out[block] = part
        for out, part in zip(slit_arrays, slit_values or (), strict=True):
            out[block] = part
    # the sky as a TAN plane only for a world that starts with it
    plane = planes.pop(0, None)
    for k, matrix in planes.items():
        outputs[k], outputs[k + 1] = plane_to_lon_lat(matrix, outputs[k], outputs[k + 1])
    slit = tuple(slit_arrays) if slit_frame else None
    if plan.limits is not None:
        (x_lo, x_hi), (y_lo, y_hi) = plan.limits
        outside_x = (xs < x_lo) | (xs > x_hi)
        outside_y = (ys < y_lo) | (ys > y_hi)
        if outside_x.any() or outside_y.any():
            for values in outputs:
                values[:, outside_x] = np.nan
                values[outside_y, :] = np.nan
    return InputSamples(
        plan.label,
        plan.shape,
        int(xs[0]),
        int(ys[0]),
        tuple(outputs),
        slit,
        wcs,
        plane=plane,
        slit_to_world=slit_to_world,
    )


def _own_arrays(
    arrays: Sequence[Any], shape: tuple[int, int], taken: Sequence[np.ndarray]
) -> list[np.ndarray]:
    """The transform outputs of a whole grid as float64 arrays of ``shape``
    that the samples own (the bounding box is applied to them in place):
    each array as it is when it is one (its own data, of that shape, not
    met before -- a transform may pass an array on twice, or an input on),
    else a copy."""
    owned: list[np.ndarray] = []
    for values in arrays:
        if not (
            isinstance(values, np.ndarray)
            and values.shape == shape
            and values.dtype == np.float64
            and values.base is None
            and values.flags.writeable
            and not any(values is other for other in (*taken, *owned))
        ):
            values = np.array(np.broadcast_to(values, shape), dtype=np.float64)
        owned.append(values)
    return owned


class _LazySamples(Sequence[InputSamples]):
    """:func:`sample_inputs` of inputs read on access (``in_memory=False``).

    Each input's WCS is evaluated when its samples are asked for and not
    kept (its arrays are not read: :meth:`LazyImages.frame`), so a builder
    that goes over the inputs twice evaluates them twice;
    only the ``slit_frame`` input's samples (the NIRSpec reference input,
    used throughout the build) are kept.
    """

    def __init__(self, images: Sequence[Any], slit_frame_index: int | None) -> None:
        self._images = images
        self._slit_frame_index = slit_frame_index
        self._kept: InputSamples | None = None

    def __len__(self) -> int:
        return len(self._images)

    def forget_kept(self) -> None:
        """Drop the ``slit_frame`` input's samples; from now on that input is
        evaluated on access as the others (without its slit frame)."""
        self._kept = None
        self._slit_frame_index = None

    def __getitem__(self, index: int) -> InputSamples:  # type: ignore[override]
        k = range(len(self))[index]
        # the WCS and shape of the input, without reading its arrays
        frame = self._images.frame(k)
        if k == self._slit_frame_index:
            if self._kept is None:
                self._kept = sample_input(frame, slit_frame=True)
            return self._kept
        return sample_input(frame)

    def __iter__(self):
        for k in range(len(self)):
            yield self[k]


def stacked_pixel_map(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(ny, nx, 2)`` float64 pixel map from the output x and y arrays."""
    pixmap = np.empty(np.shape(x) + (2,), dtype=np.float64)
    pixmap[..., 0] = x
    pixmap[..., 1] = y
    return pixmap
