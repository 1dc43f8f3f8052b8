"""File names and atomic writes, for every format."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from ..models import MultiSlitImage, SpectralImage

#: File name suffixes and their formats.
SUFFIXES = {".asdf": "asdf", ".fits": "fits", ".fit": "fits", ".fits.gz": "fits"}


def file_format(path: str | os.PathLike) -> str:
    """'asdf' or 'fits' from the file name's suffix.

    Raises
    ------
    ValueError
        Any other suffix.
    """
    name = Path(path).name.lower()
    for suffix, kind in SUFFIXES.items():
        if name.endswith(suffix):
            return kind
    raise ValueError(
        f"{Path(path).name}: unknown file type; use one of {', '.join(SUFFIXES)}"
    )


def one_line(exc: BaseException) -> str:
    """An exception's message on one line, at most 300 characters: what an
    error about a damaged file quotes of the reader's own complaint."""
    if isinstance(exc, KeyError):
        return f"missing {exc}"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def product_to_write(product: Any, path: str | os.PathLike,
                      overwrite: bool) -> tuple[str, list[SpectralImage], Path]:
    """(kind, slits, path) of a product about to be written; refuses other
    objects and, unless ``overwrite``, an existing file."""
    if isinstance(product, SpectralImage):
        kind, slits = "spectral_image", [product]
    elif isinstance(product, MultiSlitImage):
        kind, slits = "multi_slit_image", list(product.slits)
    else:
        raise TypeError(
            f"product must be a SpectralImage or MultiSlitImage, got {type(product).__name__}"
        )
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    return kind, slits, path


def atomic_write(path: Path, writer) -> None:
    """Run ``writer(file)`` on a temporary file next to ``path``, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                             dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            writer(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
