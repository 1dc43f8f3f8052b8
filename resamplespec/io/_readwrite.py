"""Reading and writing products, the format chosen by the file name's suffix."""

from __future__ import annotations

import os
from pathlib import Path

from ..models import MultiSlitImage, SpectralImage
from ._asdf import read_asdf, write_asdf
from ._files import file_format
from ._fits import read_fits, write_fits


def write(product: SpectralImage | MultiSlitImage, path: str | os.PathLike, *,
          overwrite: bool = False) -> Path:
    """Write ``product`` to an ASDF or FITS file (by suffix), atomically.

    ``.asdf``: the native format (:mod:`resamplespec.io`); ``.fits``: the
    JWST s2d layout (:func:`resamplespec.io.write_fits`).

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False.
    TypeError
        ``product`` is not a SpectralImage or MultiSlitImage.
    ValueError
        An unknown suffix.
    """
    if file_format(path) == "fits":
        return write_fits(product, path, overwrite=overwrite)
    return write_asdf(product, path, overwrite=overwrite)


def read(path: str | os.PathLike) -> SpectralImage | MultiSlitImage:
    """Read a file written by :func:`write`, or a JWST cal/s2d FITS product.

    Arrays are loaded into memory.  ``.fits`` files are read by
    :func:`resamplespec.io.read_fits`.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        An unknown suffix; not a resamplespec ASDF product, or of a newer
        format; not a JWST-layout FITS product.
    """
    if file_format(path) == "fits":
        return read_fits(path)
    return read_asdf(path)
