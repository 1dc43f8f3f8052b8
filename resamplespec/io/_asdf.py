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
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asdf

from ..models import MultiSlitImage, SpectralImage
from ._files import atomic_write, one_line, product_to_write
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
    path = Path(path)
    with open_product(path, lazy_load=False, lazy_tree=True) as af:
        slits = [_image(path, k, slit) for k, slit in enumerate(af.tree["slits"])]
        if af.tree.get("kind") == "multi_slit_image":
            meta = af.tree.get("meta")
            try:
                meta = meta_from_tree(dict(meta)) if meta else None
            except Exception as exc:
                raise ValueError(f"{path}: the product's metadata cannot be read: "
                                 f"{one_line(exc)}") from None
            return MultiSlitImage(slits, meta=meta)
        return slits[0]


def _image(path: Path, k: int, slit: Any) -> SpectralImage:
    """Slit ``k`` of a product as an image; any problem with it named by
    file and slit (a damaged file shows itself here: a block that cannot be
    read, an array of the wrong size)."""
    try:
        return image_from_tree(dict(slit))
    except Exception as exc:
        try:
            name = slit["meta"]["slit"]["name"]
        except Exception:
            name = None
        label = f"slit {k}" + (f" ({name})" if isinstance(name, str) else "")
        raise ValueError(f"{path}: {label}: {one_line(exc)}") from None



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
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not an ASDF file")
    try:
        with asdf.config_context() as config, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            config.validate_on_read = False  # only read: its schemas add nothing here
            handle = asdf.open(path, lazy_load=lazy_load, memmap=False, lazy_tree=lazy_tree)
    except Exception as exc:
        raise ValueError(f"{path} is not a readable ASDF file: {one_line(exc)}") from None
    version = handle.tree.get("resamplespec_format")
    problem = None
    if version is None:
        problem = f"{path} is not a resamplespec product (no resamplespec_format)"
    elif not isinstance(version, int) or not isinstance(handle.tree.get("slits"), Sequence):
        problem = f"{path} is damaged: resamplespec_format or slits are not as written"
    elif int(version) > FORMAT_VERSION:
        problem = (f"{path} has resamplespec_format {version}; this version reads up to "
                   f"{FORMAT_VERSION}: upgrade resamplespec")
    if problem is not None:
        handle.close()
        raise ValueError(problem)
    return handle
