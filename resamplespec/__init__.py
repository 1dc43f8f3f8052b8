"""resamplespec: rectify and combine 2D slit spectra with the drizzle algorithm."""

from .drizzler import AddCounts, DrizzleResult, Drizzler

__all__ = ["AddCounts", "DrizzleResult", "Drizzler", "__version__"]

try:
    from importlib.metadata import version as _version

    __version__ = _version("resamplespec")
except Exception:  # pragma: no cover - not installed (source tree only)
    __version__ = "unknown"
