"""resamplespec: rectify and combine 2D slit spectra with the drizzle algorithm.

>>> import resamplespec
>>> from resamplespec import datasets
>>> nods = datasets.nirspec_fixed_slit(n_exposures=2)
>>> out = resamplespec.resample(nods, pixfrac=1.0, kernel="square")
>>> out.data.shape == out.wht.shape, out.meta.resample.pixfrac
(True, 1.0)

The layers (``kernel``, ``geometry``, ``io``, ``parallel``, ``pipeline``) are
described in ARCHITECTURE.md.
"""

from .geometry import OutputGrid, build_output_grid, load_output_wcs
from .io import read, write
from .kernel import AddCounts, Drizzler, DrizzleResult
from .models import (
    ExposureTimes,
    MultiSlitImage,
    ResampleRecord,
    SlitInfo,
    SpectralImage,
    SpectralMeta,
)
from .pipeline import resample

__all__ = [
    "AddCounts",
    "DrizzleResult",
    "Drizzler",
    "ExposureTimes",
    "MultiSlitImage",
    "OutputGrid",
    "ResampleRecord",
    "SlitInfo",
    "SpectralImage",
    "SpectralMeta",
    "__version__",
    "build_output_grid",
    "load_output_wcs",
    "read",
    "resample",
    "write",
]

try:
    from importlib.metadata import version as _version

    __version__ = _version("resamplespec")
except Exception:  # pragma: no cover - not installed (source tree only)
    __version__ = "unknown"
