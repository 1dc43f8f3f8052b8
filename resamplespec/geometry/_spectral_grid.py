"""The wavelength grid the user chose (``spectral_grid``, ``spectral_sampling``):
the centres of the output's wavelength columns made from the native ones.

Every grid builder makes its native wavelength centres (the reference's)
and hands them to :meth:`SpectralGrid.centres` before it makes its
wavelength table; ``'native'`` with a sampling of 1 returns them untouched,
so that the default grid stays the reference's bit for bit.

Between two centres the output's wavelength is linear in the pixel (the
builders' lookup tables), so the edge between two output pixels lies at the
mean of their centres, and a column is ``(c[k+1] - c[k-1]) / 2`` wide in
wavelength.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..options import validate_spectral_grid, validate_spectral_sampling
from ._output_grid import _WavelengthAxis

#: Bytes each output pixel costs while it is made: the double-precision
#: sums of the kernel (about 100 B with three variances) and the float32 /
#: int32 products (28 B), as measured in benchmarks/README.md (end to
#: end); used only to refuse grids that cannot fit in memory.
_BYTES_PER_OUTPUT_PIXEL = 128


@dataclass(frozen=True)
class SpectralGrid:
    """The wavelength grid of the output: a name and a sampling, or centres.

    Attributes
    ----------
    kind : {'native', 'linear', 'log', 'explicit'}
        ``'native'``: the reference's grid (each native pixel split into
        ``sampling`` pixels); ``'linear'``: constant step in wavelength;
        ``'log'``: constant step in ln(wavelength); ``'explicit'``: the
        user's ``wavelengths``.
    sampling : float
        Output pixels per native pixel along the dispersion.
    wavelengths : ndarray or None
        The explicit centres (um).
    """

    kind: str = "native"
    sampling: float = 1.0
    wavelengths: np.ndarray | None = None

    @classmethod
    def from_options(cls, spectral_grid: Any = "native", spectral_sampling: Any = 1.0
                     ) -> SpectralGrid:
        """The grid of the options ``spectral_grid`` and ``spectral_sampling`` (checked)."""
        choice = validate_spectral_grid(spectral_grid)
        sampling = validate_spectral_sampling(spectral_sampling, choice)
        if isinstance(choice, str):
            return cls(choice, sampling)
        return cls("explicit", 1.0, choice)

    @property
    def is_native(self) -> bool:
        return self.kind == "native" and self.sampling == 1.0

    def centres(self, native: Any, n_spatial: int, label: str) -> Any:
        """The output's wavelength centres (um) from the ``native`` ones.

        ``native``: the centres the builder made, one per native output
        pixel, monotonic (either way); returned as they are for the default
        grid.  Generated grids keep the native order (MIRI LRS runs from
        red to blue); an explicit array keeps its own.  ``n_spatial`` and
        ``label`` (the inputs) serve the error messages.

        Raises
        ------
        ValueError
            The grid would not fit in memory; an explicit array overlaps no
            input; a log grid over wavelengths that are not all positive.
        """
        if self.is_native:
            return native
        native = np.asarray(native, dtype=np.float64)
        if self.kind == "explicit":
            _check_overlap(self.wavelengths, native, label)
            return np.array(self.wavelengths)
        if self.kind == "native":
            centres = self._split_native(native, n_spatial, label)
        else:
            centres = self._uniform(native, n_spatial, label)
            if native[-1] < native[0]:
                centres = centres[::-1]
        return centres

    def _split_native(self, native: np.ndarray, n_spatial: int, label: str) -> np.ndarray:
        """Each native pixel split into ``sampling`` pixels: centres at native
        pixel positions ``-0.5 + (j + 0.5) / sampling``, on the native
        piecewise-linear table (its end segments continued)."""
        count = native.size * self.sampling
        _check_size(count, n_spatial, self, label)
        n_out = max(2, math.ceil(count - 1e-9))
        positions = -0.5 + (np.arange(n_out, dtype=np.float64) + 0.5) / self.sampling
        axis = _WavelengthAxis(np.arange(native.size, dtype=np.float64), native, extrapolate=True)
        return axis.to_wavelength(positions)

    def _uniform(self, native: np.ndarray, n_spatial: int, label: str) -> np.ndarray:
        """Ascending centres equally spaced in wavelength (linear) or in its
        logarithm (log), the step the median native step (in that
        coordinate) divided by the sampling, as many as fill the native
        grid's range (its end centres, half an end step beyond), centred on
        it."""
        ascending = np.sort(native)
        if self.kind == "log":
            if ascending[0] <= 0.0:
                raise ValueError(
                    f"spectral_grid='log': {label} have wavelengths down to "
                    f"{ascending[0]} um; a logarithmic grid needs positive wavelengths"
                )
            ascending = np.log(ascending)
        steps = np.diff(ascending)
        step = float(np.median(steps)) / self.sampling
        if not (math.isfinite(step) and step > 0.0):
            raise ValueError(
                f"spectral_grid={self.kind!r}: {label} give no wavelength step to sample "
                f"(median native step {step})"
            )
        low = float(ascending[0]) - 0.5 * float(steps[0])
        high = float(ascending[-1]) + 0.5 * float(steps[-1])
        count = (high - low) / step
        _check_size(count, n_spatial, self, label)
        n_out = max(2, round(count))
        middle = 0.5 * (low + high)
        values = middle + (np.arange(n_out, dtype=np.float64) - 0.5 * (n_out - 1)) * step
        return np.exp(values) if self.kind == "log" else values


def _check_overlap(wavelengths: np.ndarray, native: np.ndarray, label: str) -> None:
    """Refuse an explicit array that lies wholly outside the native grid
    (whose pixels reach half a step beyond its end centres)."""
    ascending = np.sort(native)
    half_first = 0.5 * (ascending[1] - ascending[0]) if ascending.size > 1 else 0.0
    half_last = 0.5 * (ascending[-1] - ascending[-2]) if ascending.size > 1 else 0.0
    low, high = ascending[0] - half_first, ascending[-1] + half_last
    if np.max(wavelengths) < low or np.min(wavelengths) > high:
        raise ValueError(
            f"spectral_grid: the wavelengths {np.min(wavelengths):.6g} to "
            f"{np.max(wavelengths):.6g} um overlap no input: the inputs ({label}) cover "
            f"{low:.6g} to "
            f"{high:.6g} um"
        )


def _physical_memory() -> int | None:
    """Bytes of memory of this machine, or None where the OS does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def _check_size(n_wavelengths: float, n_spatial: int, grid: SpectralGrid, label: str) -> None:
    """Refuse a sampling whose grid would not fit in this machine's memory,
    before any array of that size is made."""
    memory = _physical_memory()
    needed = n_wavelengths * max(int(n_spatial), 1) * _BYTES_PER_OUTPUT_PIXEL
    if memory is None or needed <= memory:
        return
    raise ValueError(
        f"spectral_sampling={grid.sampling!r} (spectral_grid={grid.kind!r}) would make "
        f"an output of {n_wavelengths:.4g} wavelengths x {n_spatial} rows for {label}, "
        f"about {needed / 2**30:.4g} GiB while resampling, more than this machine's "
        f"{memory / 2**30:.4g} GiB of memory"
    )
