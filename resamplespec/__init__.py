"""resamplespec: rectify and combine 2D slit spectra with the drizzle algorithm.

>>> import resamplespec
>>> out = resamplespec.resample(models, pixfrac=1.0, kernel="square")  # doctest: +SKIP
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
