"""A wavelength grid from a file: the ``FILE`` of ``--spectral_grid``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from astropy.io import fits

#: The suffixes :func:`read_wavelength_grid` reads, and how.
WAVELENGTH_SUFFIXES = (".txt", ".dat", ".npy", ".fits", ".fit", ".fits.gz")


def read_wavelength_grid(path: str | os.PathLike) -> np.ndarray:
    """The wavelength centres (um) held in a file, as a 1D float64 array.

    Parameters
    ----------
    path : str or path-like
        ``.txt`` or ``.dat``: numbers in one column (or one row), ``#``
        comments; ``.npy``: a 1D array; ``.fits``: the ``wavelength``
        column of a ``WCS-TABLE`` extension (as resamplespec products hold
        it), else of the first table, else the first 1D image.

    Returns
    -------
    ndarray
        The values as read; :func:`resamplespec.options.validate_spectral_grid`
        checks them (monotonic, finite, at least two).

    Raises
    ------
    ValueError
        A missing or unreadable file, another suffix, or no 1D list of
        numbers in it; the message starts with ``spectral_grid``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "grid.txt"
    >>> _ = path.write_text("# um\\n1.0\\n1.5\\n2.0\\n")
    >>> read_wavelength_grid(path)
    array([1. , 1.5, 2. ])
    """
    path = Path(path)
    name = path.name.lower()
    if not any(name.endswith(suffix) for suffix in WAVELENGTH_SUFFIXES):
        raise ValueError(
            f"spectral_grid: {path.name}: a wavelength grid file must end in one of "
            f"{', '.join(WAVELENGTH_SUFFIXES)}"
        )
    if not path.is_file():
        raise ValueError(f"spectral_grid: no such file: {path}")
    try:
        if name.endswith((".txt", ".dat")):
            values = np.loadtxt(path, dtype=np.float64, comments="#", ndmin=1)
        elif name.endswith(".npy"):
            values = np.load(path, allow_pickle=False)
        else:
            values = _fits_wavelengths(path)
        values = np.asarray(values, dtype=np.float64)
    except Exception as exc:  # any failure to read is the user's file: say which
        raise ValueError(f"spectral_grid: cannot read wavelengths from {path}: {exc}") from None
    if values.ndim > 1 and sum(n > 1 for n in values.shape) <= 1:
        values = values.ravel()  # one column, or one row
    if values.ndim != 1:
        raise ValueError(
            f"spectral_grid: {path} holds an array of shape {values.shape}, not a list "
            "of wavelengths"
        )
    return values


def _fits_wavelengths(path: Path) -> np.ndarray:
    with fits.open(path, memmap=False) as hdul:
        if "WCS-TABLE" in hdul:
            return np.array(hdul["WCS-TABLE"].data["wavelength"])
        for hdu in hdul:
            if isinstance(hdu, (fits.BinTableHDU, fits.TableHDU)) and hdu.data is not None:
                names = [n.lower() for n in hdu.columns.names]
                column = names.index("wavelength") if "wavelength" in names else 0
                return np.array(hdu.data.field(column))
            if hdu.data is not None and hdu.data.ndim == 1:
                return np.array(hdu.data)
    raise ValueError("no wavelength table or 1D image in it")
