"""WCS helpers every layer may use: checking a spectral gwcs, telling sky
frames from others, evaluating transforms fast, the steps between frames,
and the bounding box of an input."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from astropy import units as u
from gwcs import WCS

from ._transforms import compile_inverse, compile_transform


def check_spectral_wcs(wcs: Any, label: str) -> None:
    """Refuse anything but a ``gwcs.WCS`` whose world frame has two spatial
    axes and one spectral axis; ``label`` names the input in the message.

    Raises
    ------
    TypeError
        Not a gwcs.WCS.
    ValueError
        Another world frame.
    """
    frame = getattr(wcs, "output_frame", None)
    if not isinstance(wcs, WCS) or frame is None:
        raise TypeError(f"{label}: wcs must be a gwcs.WCS, got {type(wcs).__name__}")
    axes = [str(kind).upper() for kind in (frame.axes_type or ())]
    if "SPECTRAL" not in axes or axes.count("SPATIAL") != 2 or len(axes) != 3:
        raise ValueError(
            f"{label}: the WCS world frame must be (2 spatial axes, wavelength), with one "
            f"spectral axis; got axes {axes}"
        )


def is_sky_like(frame: Any) -> bool:
    """World frame with angular units (the reference's ``is_sky_like``)."""
    units = getattr(frame, "unit", None) or ()
    return any(unit in (u.deg, u.arcsec) for unit in units)


def apply_transform(transform: Any, *inputs: Any) -> tuple[np.ndarray, ...]:
    """``transform(*inputs)`` as 1D float64 arrays, through numpy arithmetic
    (:func:`resamplespec.geometry.compile_transform`) when the transform
    allows: astropy's checks cost milliseconds per call even for one point."""
    return _call(compile_transform(transform) or transform, inputs)


def apply_inverse(wcs: Any, start: str, end: str, *inputs: Any) -> tuple[np.ndarray, ...]:
    """The inverse of ``wcs``'s transform from frame ``start`` to frame ``end``
    applied to ``inputs``: compiled from the forward steps where they allow
    (astropy builds an inverse model by model, milliseconds), else gwcs's.

    Raises
    ------
    NotImplementedError
        The transform has no inverse.
    """
    inverse = compile_inverse(transform_steps(wcs, start, end)[0])
    return _call(inverse or wcs.get_transform(end, start), inputs)


def _call(function: Any, inputs: Sequence[Any]) -> tuple[np.ndarray, ...]:
    """``function(*inputs)`` on 1D float64 arrays, quietly, as a tuple of arrays."""
    arrays = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, np.float64)) for v in inputs))
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        values = function(*arrays)
    if not isinstance(values, tuple):
        values = (values,)
    return tuple(np.asarray(v, dtype=np.float64) for v in values)


def bounding_box_limits(wcs: Any) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The WCS bounding box as ``((x_lo, x_hi), (y_lo, y_hi))``, or None."""
    try:
        box = wcs.bounding_box
    except NotImplementedError:  # older gwcs: no box set
        return None
    if box is None:
        return None
    if hasattr(box, "bounding_box"):
        box = box.bounding_box(order="F")
    (x_lo, x_hi), (y_lo, y_hi) = box
    return (float(x_lo), float(x_hi)), (float(y_lo), float(y_hi))


def transform_steps(wcs: Any, start: str | None, end: str | None) -> tuple[Any, Any]:
    """(the transforms of a gwcs's steps from frame ``start`` to frame
    ``end``, a function composing them with astropy); None: the first or
    the last frame."""
    frames = [getattr(frame, "name", frame) for frame in wcs.available_frames]
    first = frames[0] if start is None else start
    last = frames[-1] if end is None else end
    steps = [step.transform for step in wcs.pipeline[frames.index(first) : frames.index(last)]]
    return steps, lambda: wcs.get_transform(first, last)
