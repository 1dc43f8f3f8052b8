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

import os
from pathlib import Path
from typing import Any

import asdf

from ..models import MultiSlitImage, SpectralImage
from ._files import atomic_write, product_to_write
from ._tree import FORMAT_VERSION, image_from_tree, image_to_tree, meta_from_tree, meta_to_tree


def write_asdf(product: SpectralImage | MultiSlitImage, path: str | os.PathLike, *,
               overwrite: bool = False) -> Path:
    """Write ``product`` to a resamplespec ASDF file (the layout above), atomically.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False.
    TypeError
        ``product`` is not a SpectralImage or MultiSlitImage.
    """
    kind, slits, path = product_to_write(product, path, overwrite)
    tree = {
        "resamplespec_format": FORMAT_VERSION,
        "kind": kind,
        "slits": [image_to_tree(slit) for slit in slits],
    }
    if isinstance(product, MultiSlitImage):
        tree["meta"] = meta_to_tree(product.meta)
    atomic_write(path, lambda handle: asdf.AsdfFile(tree).write_to(handle))
    return path


def read_asdf(path: str | os.PathLike) -> SpectralImage | MultiSlitImage:
    """Read a resamplespec ASDF product, its arrays into memory.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Not a resamplespec ASDF product, or of a newer format.
    """
    with open_product(path, lazy_load=False) as af:
        slits = [image_from_tree(dict(slit)) for slit in af.tree["slits"]]
        if af.tree.get("kind") == "multi_slit_image":
            meta = af.tree.get("meta")
            return MultiSlitImage(slits, meta=meta_from_tree(dict(meta)) if meta else None)
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
