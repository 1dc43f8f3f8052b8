"""Whether an output grid's size makes sense, before anything of its size exists.

:func:`check_grid_size` is called by the grid builders as soon as the size
is known: a grid computed from the inputs must be of a size the inputs can
fill (inputs of different targets or a WCS that diverges give grids of
billions of mostly empty pixels), and any grid, the user's included, must
fit in the memory available.
"""

from __future__ import annotations

import itertools
import math
import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import limits
from ._wcs_utils import is_sky_like


def available_memory() -> int | None:
    """Bytes this process may still allocate: the system's available memory,
    or the room left under a cgroup (v2 or v1) limit if that is smaller;
    None when unknown (the memory check is then skipped)."""
    found = []
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    for limit_file, usage_file in (
            ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
            ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
             "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit_file) as f_limit, open(usage_file) as f_usage:
                limit, usage = f_limit.read().strip(), f_usage.read().strip()
            if limit.isdigit() and int(limit) < 1 << 60:
                found.append(max(0, int(limit) - int(usage)))
            break
        except (OSError, ValueError):
            continue
    if not found and hasattr(os, "sysconf"):
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError):
            pass
    return min(found) if found else None


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.3g} GiB"


def _label(image: Any, k: int) -> str:
    meta = image.meta
    name = meta.filename or f"input {k}"
    slit = meta.slit.name
    return f"{name} (slit {slit})" if slit and slit != name else name


def _centre(image: Any) -> tuple[float, float] | None:
    """World position (first two axes) of the input's central pixel."""
    ny, nx = image.shape
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            world = image.wcs((nx - 1) / 2, (ny - 1) / 2)
        except Exception:  # a WCS that fails at its own centre says enough
            return None
    a, b = float(world[0]), float(world[1])
    return (a, b) if math.isfinite(a) and math.isfinite(b) else None


def _far_apart(images: Sequence[Any]) -> str:
    """Which inputs are far apart, for the message."""
    frames = [images.frame(k) if hasattr(images, "frame") else images[k]
              for k in range(len(images))]
    centres = [_centre(frame) for frame in frames]
    sky = is_sky_like(frames[0].wcs.output_frame)
    best = None
    for (j, a), (k, b) in itertools.combinations(enumerate(centres), 2):
        if a is None or b is None:
            continue
        if sky:
            lon1, lat1, lon2, lat2 = np.radians([a[0], a[1], b[0], b[1]])
            cos_d = (np.sin(lat1) * np.sin(lat2)
                     + np.cos(lat1) * np.cos(lat2) * np.cos(lon1 - lon2))
            distance = float(np.degrees(np.arccos(np.clip(cos_d, -1.0, 1.0))))
        else:
            distance = math.hypot(a[0] - b[0], a[1] - b[1])
        if best is None or distance > best[0]:
            best = (distance, j, k)
    if best is not None and best[0] > 0:
        distance, j, k = best
        apart = (f"{distance * 3600:.4g} arcsec" if distance < 1 else f"{distance:.4g} deg") \
            if sky else f"{distance:.4g} world units"
        return (f"{_label(frames[j], j)} and {_label(frames[k], k)} are {apart} apart "
                "(different targets or pointings?)")
    names = ", ".join(_label(frame, k) for k, frame in enumerate(frames))
    return (f"the WCS of {names} maps part of the detector far from the rest "
            "(a transform that diverges, or a bounding box far larger than the data?)")


class GridSizeError(ValueError):
    """A grid builder's size along one axis that cannot be a grid's."""


def spatial_lines(span: float, step: float) -> int:
    """``ceil(span / |step|)``: the output lines along the slit that hold a
    span of the inputs, for the grid builders.  Raises GridSizeError (turned
    into a message naming the inputs by :func:`implausible_grid`) when it
    is not finite or above ``limits.MAX_GRID_LINES``, before anything of
    that size is made (a WCS that diverges gives 1e300 or infinity)."""
    lines = span / abs(step)
    if not lines <= limits.MAX_GRID_LINES:  # NaN and infinity fail too
        raise GridSizeError(f"{lines:.3g} pixels along the slit")
    return int(math.ceil(lines))


def implausible_grid(size: str, images: Sequence[Any]) -> ValueError:
    """The error for a grid computed from ``images`` that is ``size``."""
    advice = "resample them apart" if len(images) > 1 else "check its WCS"
    return ValueError(
        f"the output grid computed for these inputs would be {size}, most of it empty: "
        f"{_far_apart(images)}; {advice}, or give output_wcs or output_shape"
    )


def check_grid_size(shape: tuple[int, int], images: Sequence[Any] | None, *,
                    computed: bool, pixel_scale_ratio: float = 1.0) -> None:
    """Refuse an output grid of ``shape`` (ny, nx) before it is made.

    ``computed``: the size was derived from the inputs (not ``output_shape``
    or ``output_wcs``): then it must also be plausible for them, at most
    ``limits.MAX_GRID_PER_INPUT_PIXEL`` output pixels per input pixel and
    per unit of ``pixel_scale_ratio`` above 1, or
    ``limits.MIN_GRID_PIXELS_CHECKED`` pixels in all.  Any grid must fit in
    the available memory at ``limits.GRID_BYTES_PER_PIXEL``.  Raises
    ValueError saying the size, why, and (computed) which inputs are far
    apart.
    """
    ny, nx = (int(n) for n in shape)
    n_out = ny * nx
    if computed and images is not None and n_out > limits.MIN_GRID_PIXELS_CHECKED:
        n_in = sum(int(np.prod(images.frame(k).shape if hasattr(images, "frame")
                                else images[k].shape)) for k in range(len(images)))
        if n_out > limits.MAX_GRID_PER_INPUT_PIXEL * max(1.0, pixel_scale_ratio) * n_in:
            raise implausible_grid(f"{nx} x {ny} pixels (nx x ny), {n_out / max(n_in, 1):.3g} "
                                   f"times their {n_in} pixels", images)
    available = available_memory()
    needed = n_out * limits.GRID_BYTES_PER_PIXEL
    if available is not None and needed > available:
        origin = "computed for these inputs" if computed else "asked for"
        raise ValueError(
            f"the output grid {origin} is {nx} x {ny} pixels (nx x ny), whose products "
            f"alone need {_gib(needed)}; {_gib(available)} of memory is available"
        )
