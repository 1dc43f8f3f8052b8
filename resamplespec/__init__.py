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

from .extraction import ExtractedSpectrum, extract
from .geometry import OutputGrid, build_output_grid, load_output_wcs
from .io import read, write
from .kernel import AddCounts, Drizzler, DrizzleResult, DrizzleWarning
from .models import (
    ExposureTimes,
    MultiSlitImage,
    PixelCorrelation,
    ResampleRecord,
    SlitInfo,
    SpectralImage,
    SpectralMeta,
)
from .pipeline import InputWarning, OutlierWarning, find_outliers, resample

__all__ = [
    "AddCounts",
    "DrizzleResult",
    "DrizzleWarning",
    "Drizzler",
    "ExposureTimes",
    "ExtractedSpectrum",
    "InputWarning",
    "MultiSlitImage",
    "OutlierWarning",
    "OutputGrid",
    "PixelCorrelation",
    "ResampleRecord",
    "SlitInfo",
    "SpectralImage",
    "SpectralMeta",
    "__version__",
    "build_output_grid",
    "extract",
    "find_outliers",
    "load_output_wcs",
    "read",
    "resample",
    "write",
]

#: The package version: defined here only (pyproject.toml reads it).
__version__ = "0.1.0.dev0"
