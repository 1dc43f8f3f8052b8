"""Drizzling one slit group window by window, for ``in_memory=False``.

The double-precision sums of a kernel pass take about 100 bytes per output
pixel with three variances: four times the float32 products, and more than
one input's arrays.  With ``in_memory=False`` the output is therefore split
along the dispersion into windows whose sums take no more memory than one
input (:func:`window_count`), and drizzled one window at a time:

1. each input is read once, as it is in memory: its pixel map, weights and
   intensity scale are made, and for every window the part of it whose
   footprints may reach the window (:func:`resamplespec.kernel.window_sections`,
   with a pixel of margin so that its footprints are computed from the
   same numbers) is written to a scratch folder;
2. each window gets a :class:`~resamplespec.kernel.Drizzler` of its own
   size, fed with those parts in the inputs' order (an input that does not
   reach it only takes its context bit), finished, and copied into the
   products.

A window holds the same bits as that part of a whole-grid pass (the kernel
chooses each footprint's arithmetic from the whole grid), so the products
are those of ``in_memory=True``, bit for bit; the price is writing and
reading back about 40 bytes per input pixel.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import limits
from ._drizzler import Drizzler, DrizzleResult, PairSums, window_sections


@dataclass
class InputDraw:
    """What one :meth:`Drizzler.add` call takes for one input."""

    data: np.ndarray
    pixmap: np.ndarray
    weights: np.ndarray | None
    iscale: float
    variances: tuple[np.ndarray, ...]
    dq: np.ndarray | None
    variance_weight: Any
    section: dict[str, int]

    @property
    def nbytes(self) -> int:
        arrays = (self.data, self.pixmap, self.weights, self.dq, *self.variances)
        return sum(a.nbytes for a in arrays if a is not None)

    def add_to(self, drizzler: Drizzler):
        return drizzler.add(self.data, self.pixmap, weights=self.weights, iscale=self.iscale,
                            variances=self.variances, dq=self.dq,
                            variance_weight=self.variance_weight, **self.section)

    def full_section(self) -> tuple[int, int, int, int]:
        ny, nx = self.data.shape
        s = self.section
        return (s.get("xmin", 0), s.get("xmax", nx - 1), s.get("ymin", 0), s.get("ymax", ny - 1))

    def part(self, section: tuple[int, int, int, int], margin: int) -> InputDraw:
        """The pixels of ``section`` (xmin, xmax, ymin, ymax), cut out with
        ``margin`` more pixels on each side where the image has them (the
        neighbours its footprint corners are interpolated from)."""
        xmin, xmax, ymin, ymax = section
        ny, nx = self.data.shape
        x0, x1 = max(0, xmin - margin), min(nx, xmax + margin + 1)
        y0, y1 = max(0, ymin - margin), min(ny, ymax + margin + 1)
        cut = np.s_[y0:y1, x0:x1]

        def take(array):
            return None if array is None else np.ascontiguousarray(array[cut])

        return InputDraw(
            take(self.data), np.ascontiguousarray(self.pixmap[cut]), take(self.weights),
            self.iscale, tuple(take(v) for v in self.variances), take(self.dq),
            self.variance_weight,
            {"xmin": xmin - x0, "xmax": xmax - x0, "ymin": ymin - y0, "ymax": ymax - y0},
        )

    def save(self, path: Path) -> _PartRecord:
        """Write the arrays to ``path``; returns what :meth:`load` needs besides."""
        arrays = {"data": self.data, "pixmap": self.pixmap}
        if self.weights is not None:
            arrays["weights"] = self.weights
        if self.dq is not None:
            arrays["dq"] = self.dq
        arrays.update({f"variance{k}": v for k, v in enumerate(self.variances)})
        with open(path, "wb") as handle:
            np.savez(handle, **arrays)
        return _PartRecord(path, self.iscale, len(self.variances), self.variance_weight,
                           self.section)

    @classmethod
    def load(cls, path: Path, like: _PartRecord) -> InputDraw:
        with np.load(path) as stored:
            return cls(
                stored["data"], stored["pixmap"],
                stored["weights"] if "weights" in stored else None, like.iscale,
                tuple(stored[f"variance{k}"] for k in range(like.n_variances)),
                stored["dq"] if "dq" in stored else None, like.variance_weight, like.section,
            )


@dataclass(frozen=True)
class _PartRecord:
    """Where the part of one input for one window was written."""

    path: Path
    iscale: float
    n_variances: int
    variance_weight: Any
    section: dict[str, int]


def window_count(out_shape: tuple[int, int], dispersion_axis: int, accumulator_bytes: int,
                 budget_bytes: int) -> int:
    """How many windows along the dispersion keep each window's sums within
    ``budget_bytes`` (``accumulator_bytes`` per output pixel); at least one,
    and no window narrower than 16 lines."""
    ny, nx = out_shape
    lines = nx if dispersion_axis == 1 else ny
    total = accumulator_bytes * ny * nx
    wanted = math.ceil(total / max(budget_bytes, 1))
    return max(1, min(wanted, lines // limits.MIN_WINDOW_LINES))


def split_along(out_shape: tuple[int, int], dispersion_axis: int,
                n_windows: int) -> list[tuple[int, int, int, int]]:
    """``n_windows`` windows of about equal size, along the dispersion."""
    ny, nx = out_shape
    lines = nx if dispersion_axis == 1 else ny
    edges = np.linspace(0, lines, n_windows + 1).round().astype(int)
    if dispersion_axis == 1:
        return [(0, ny, int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return [(int(a), int(b), 0, nx) for a, b in zip(edges[:-1], edges[1:], strict=True)]


class WindowedDrizzle:
    """A slit group drizzled window by window (see the module notes).

    Parameters
    ----------
    make_drizzler : callable
        ``make_drizzler(window)``: a :class:`Drizzler` of the group's grid
        and options for that window (None: the whole grid).
    out_shape : (ny, nx)
        The grid.
    dispersion_axis : {1, 2}
        The windows split the grid across it: columns of wavelength (1) or
        rows (2).
    point : bool
        The point kernel (its pixels need no neighbours).
    scratch_dir : path-like, optional
        Where the parts of the inputs are written (default: a temporary
        folder), removed when done.

    After :meth:`run`, :meth:`finish` gives the products of the whole grid
    (once), as :meth:`Drizzler.finish` would.
    """

    def __init__(self, make_drizzler: Callable[[Any], Drizzler], out_shape: tuple[int, int],
                 dispersion_axis: int, *, point: bool, scratch_dir: Any = None) -> None:
        self._make = make_drizzler
        self.out_shape = out_shape
        self.dispersion_axis = dispersion_axis
        self.point = point
        self._scratch_dir = scratch_dir
        self._result: DrizzleResult | None = None
        self.n_inputs = 0
        self.drawn = 0
        self.windows: list[tuple[int, int, int, int]] = []

    def run(self, draws: Iterable[InputDraw], n_inputs: int,
            tick: Callable[[int], Any] | None = None) -> WindowedDrizzle:
        """Drizzle ``draws`` (``n_inputs`` of them, in order, each made when
        asked for and released once drawn).  With a single window the
        inputs go straight to one Drizzler, with nothing written."""
        draws = iter(draws)
        first = next(draws)
        # the sums' size per output pixel, from a Drizzler of one pixel
        per_pixel = self._make((0, 1, 0, 1)).bytes_per_pixel(n_inputs)
        n_windows = window_count(self.out_shape, self.dispersion_axis, per_pixel, first.nbytes)
        self.windows = split_along(self.out_shape, self.dispersion_axis, n_windows)
        self.n_inputs = n_inputs
        draws, first = _chain(first, draws), None  # no name holds an input once drawn
        if n_windows == 1:
            drizzler = self._make(None)
            for draw in draws:
                self.drawn += draw.add_to(drizzler).drawn
                del draw
                if tick is not None:
                    tick(1)
            self._result = drizzler.finish()
            return self
        with tempfile.TemporaryDirectory(prefix="resamplespec_windows_",
                                         dir=self._scratch_dir) as folder:
            parts = self._write_parts(draws, Path(folder), tick)
            self._result = self._draw_windows(parts)
        return self

    def _write_parts(self, draws, folder: Path, tick):
        """parts[w][k]: the record of input k's part for window w, or None."""
        parts: list[list[_PartRecord | None]] = [[] for _ in self.windows]
        # (not enumerate(): its cached result tuple would keep each draw
        # alive while the next one is made)
        k = -1
        for draw in draws:
            k += 1
            sections = window_sections(draw.pixmap, draw.full_section(), self.windows,
                                       point=self.point, out_shape=self.out_shape)
            # a thin image is padded from the gradient of its whole map:
            # its parts keep every pixel, so that the padding is the same
            margin = max(draw.data.shape) if min(draw.data.shape) < 2 else 1
            for w, section in enumerate(sections):
                if section is None:
                    parts[w].append(None)
                    continue
                part = draw.part(section, 0 if self.point else margin)
                parts[w].append(part.save(folder / f"input{k}_window{w}.npz"))
                del part
            del draw
            if tick is not None:
                tick(1)
        return parts

    def _draw_windows(self, parts) -> DrizzleResult:
        products: dict[str, Any] = {}
        for window, records in zip(self.windows, parts, strict=True):
            drizzler = self._make(window)
            for record in records:
                if record is None:
                    drizzler.skip_input()
                    continue
                self.drawn += InputDraw.load(record.path, record).add_to(drizzler).drawn
            _paste(products, drizzler.finish(), window, self.out_shape)
            del drizzler
        pairs = None
        if "pairs" in products:
            offsets = sorted(products["pairs"])  # (dy, dx): the kernel's plane order
            pairs = PairSums(offsets=np.array(offsets, dtype=np.int64).reshape(-1, 2),
                             values=np.stack([products["pairs"][o] for o in offsets])
                             if offsets else np.zeros((0, *self.out_shape), np.float32))
        return DrizzleResult(data=products["data"], wht=products["wht"],
                             con=products["con"], variances=tuple(products["variances"]),
                             dq=products["dq"], pairs=pairs)

    def finish(self) -> DrizzleResult:
        result, self._result = self._result, None
        if result is None:
            raise RuntimeError("WindowedDrizzle.finish() before run(), or called twice")
        return result


def _chain(first, rest):
    """``first``, then ``rest``; ``first`` is not kept once handed out."""
    held = [first]
    del first
    yield held.pop()
    yield from rest


def _paste(products: dict[str, Any], part: DrizzleResult, window, out_shape) -> None:
    """Copy a window's products into the whole-grid products (made at the first)."""
    row_start, row_stop, col_start, col_stop = window
    cut = np.s_[row_start:row_stop, col_start:col_stop]
    if not products:
        products["data"] = np.empty(out_shape, dtype=part.data.dtype)
        products["wht"] = np.empty(out_shape, dtype=part.wht.dtype)
        products["con"] = (None if part.con is None else
                           np.empty((part.con.shape[0], *out_shape), dtype=part.con.dtype))
        products["variances"] = [np.empty(out_shape, dtype=v.dtype) for v in part.variances]
        products["dq"] = None if part.dq is None else np.empty(out_shape, dtype=part.dq.dtype)
    products["data"][cut] = part.data
    products["wht"][cut] = part.wht
    if part.con is not None:
        products["con"][(slice(None), *cut)] = part.con
    for whole, values in zip(products["variances"], part.variances, strict=True):
        whole[cut] = values
    if part.dq is not None:
        products["dq"][cut] = part.dq
    if part.pairs is not None:
        # the union of the windows' offsets; a window whose footprints did
        # not reach an offset holds zeros there
        planes = products.setdefault("pairs", {})
        for (dy, dx), values in zip(part.pairs.offsets, part.pairs.values, strict=True):
            key = (int(dy), int(dx))
            if key not in planes:
                planes[key] = np.zeros(out_shape, dtype=np.float32)
            planes[key][cut] = values
