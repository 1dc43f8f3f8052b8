"""Files: the native ASDF format (lossless round trip).

Layout of a resamplespec ASDF file (``resamplespec_format`` = 1):

``resamplespec_format``: 1
``kind``: ``"spectral_image"`` or ``"multi_slit_image"``
``slits``: a list of images; each a dict of arrays (``data``, ``dq``,
``err``, ``var_rnoise``, ``var_poisson``, ``var_flat``, ``wht``, ``con``;
absent arrays omitted), ``wcs`` (the gwcs) and ``meta`` (the fields of
:class:`~resamplespec.SpectralMeta`, nested dicts for its parts).

Writes are atomic: the file is written under a temporary name in the same
folder and renamed into place, so a failed write never leaves a partial
product; an existing file is replaced only with ``overwrite=True``.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .models import (
    ExposureTimes,
    MultiSlitImage,
    ResampleRecord,
    SlitInfo,
    SpectralImage,
    SpectralMeta,
)

__all__ = ["FORMAT_VERSION", "SUFFIXES", "file_format", "open_product", "read", "write"]

FORMAT_VERSION = 1
_ARRAYS = ("data", "dq", "err", "var_rnoise", "var_poisson", "var_flat", "wht", "con")


def _meta_to_tree(meta: SpectralMeta) -> dict[str, Any]:
    tree = {}
    for field in dataclasses.fields(meta):
        value = getattr(meta, field.name)
        if dataclasses.is_dataclass(value):
            value = dataclasses.asdict(value)
        tree[field.name] = value
    return tree


def _meta_from_tree(tree: dict[str, Any]) -> SpectralMeta:
    parts = {"exposure": ExposureTimes, "slit": SlitInfo, "resample": ResampleRecord}
    known = {f.name for f in dataclasses.fields(SpectralMeta)}
    values = {}
    for name, value in tree.items():
        if name not in known:
            continue  # fields of a newer version are ignored, not fatal
        if name in parts and value is not None:
            allowed = {f.name for f in dataclasses.fields(parts[name])}
            value = parts[name](**{k: v for k, v in dict(value).items() if k in allowed})
        elif name == "wavelength" and value is not None:
            value = np.asarray(value)
        values[name] = value
    return SpectralMeta(**values)


def _image_to_tree(image: SpectralImage) -> dict[str, Any]:
    tree: dict[str, Any] = {"wcs": image.wcs, "meta": _meta_to_tree(image.meta)}
    for name in _ARRAYS:
        value = getattr(image, name)
        if value is not None:
            tree[name] = np.asarray(value)
    return tree


def _image_from_tree(tree: dict[str, Any]) -> SpectralImage:
    arrays = {name: _own_array(tree[name]) for name in _ARRAYS if name in tree}
    return SpectralImage(wcs=tree["wcs"], meta=_meta_from_tree(dict(tree["meta"])), **arrays)


def _own_array(value: Any) -> np.ndarray:
    """An array of the file's that may be kept and changed: asdf's own array
    when it is writable and contiguous (read into memory, not mapped: the
    files are opened with ``memmap=False``), else a copy.  Not copying
    halves the memory of reading an input."""
    array = np.asarray(value)
    if not (array.flags.writeable and array.flags.c_contiguous and array.dtype.isnative):
        array = np.array(array)
    return array


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


def write(product: SpectralImage | MultiSlitImage, path: str | os.PathLike, *,
          overwrite: bool = False) -> Path:
    """Write ``product`` to an ASDF or FITS file (by suffix), atomically.

    ``.asdf``: the native format (below); ``.fits``: the JWST s2d layout
    (:func:`resamplespec.fits.write_fits`).

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False.
    TypeError
        ``product`` is not a SpectralImage or MultiSlitImage.
    """
    import asdf

    if file_format(path) == "fits":
        from .fits import write_fits

        return write_fits(product, path, overwrite=overwrite)
    kind, slits, path = _product_to_write(product, path, overwrite)
    tree = {
        "resamplespec_format": FORMAT_VERSION,
        "kind": kind,
        "slits": [_image_to_tree(slit) for slit in slits],
    }
    if isinstance(product, MultiSlitImage):
        tree["meta"] = _meta_to_tree(product.meta)
    _atomic_write(path, lambda handle: asdf.AsdfFile(tree).write_to(handle))
    return path


def _product_to_write(product: Any, path: str | os.PathLike,
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


def _atomic_write(path: Path, writer) -> None:
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


def read(path: str | os.PathLike) -> SpectralImage | MultiSlitImage:
    """Read a file written by :func:`write`, or a JWST cal/s2d FITS product.

    Arrays are loaded into memory.  ``.fits`` files are read by
    :func:`resamplespec.fits.read_fits`.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        An unknown suffix; not a resamplespec ASDF product, or of a newer
        format; not a JWST-layout FITS product.
    """
    if file_format(path) == "fits":
        from .fits import read_fits

        return read_fits(path)
    with open_product(path, lazy_load=False) as af:
        slits = [_image_from_tree(dict(slit)) for slit in af.tree["slits"]]
        if af.tree.get("kind") == "multi_slit_image":
            meta = af.tree.get("meta")
            return MultiSlitImage(slits, meta=_meta_from_tree(dict(meta)) if meta else None)
        return slits[0]


def open_product(
    path: str | os.PathLike, *, lazy_load: bool = True, lazy_tree: bool = False
) -> Any:
    """Open a resamplespec ASDF product (an ``AsdfFile``, to use in ``with``).

    With ``lazy_load`` the arrays are read only when accessed; with
    ``lazy_tree`` the tree's objects (each slit's gwcs) are made only when
    accessed, and its mappings and lists are asdf's lazy nodes.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Not a resamplespec ASDF product, or of a newer format.
    """
    import asdf

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        handle = asdf.open(path, lazy_load=lazy_load, memmap=False, lazy_tree=lazy_tree)
    except Exception as exc:
        raise ValueError(f"{path} is not a readable ASDF file: {exc}") from None
    version = handle.tree.get("resamplespec_format")
    problem = None
    if version is None:
        problem = f"{path} is not a resamplespec product (no resamplespec_format)"
    elif int(version) > FORMAT_VERSION:
        problem = (f"{path} has resamplespec_format {version}; this version reads up to "
                   f"{FORMAT_VERSION}: upgrade resamplespec")
    if problem is not None:
        handle.close()
        raise ValueError(problem)
    return handle
