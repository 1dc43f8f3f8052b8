"""Products as ASDF trees and back: the layout of a resamplespec ASDF file,
also embedded in the FITS products."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..models import (
    ExposureTimes,
    PixelCorrelation,
    ResampleRecord,
    SlitInfo,
    SpectralImage,
    SpectralMeta,
)

#: The version of the layout, written as ``resamplespec_format``.

FORMAT_VERSION = 1


ARRAYS = ("data", "dq", "err", "var_rnoise", "var_poisson", "var_flat", "wht", "con")


def meta_to_tree(meta: SpectralMeta) -> dict[str, Any]:
    tree = {}
    for field in dataclasses.fields(meta):
        value = getattr(meta, field.name)
        if dataclasses.is_dataclass(value):
            value = dataclasses.asdict(value)
        tree[field.name] = value
    return tree


def meta_from_tree(tree: dict[str, Any]) -> SpectralMeta:
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


def image_to_tree(image: SpectralImage) -> dict[str, Any]:
    tree: dict[str, Any] = {"wcs": image.wcs, "meta": meta_to_tree(image.meta)}
    for name in ARRAYS:
        value = getattr(image, name)
        if value is not None:
            tree[name] = np.asarray(value)
    if image.correlation is not None:
        # correlation.offsets[p] = (dy, dx) of plane p of correlation.values
        tree["correlation"] = {"offsets": np.asarray(image.correlation.offsets),
                               "values": np.asarray(image.correlation.values)}
    return tree


def image_from_tree(tree: dict[str, Any]) -> SpectralImage:
    arrays = {name: own_array(tree[name]) for name in ARRAYS if name in tree}
    correlation = None
    if tree.get("correlation") is not None:
        node = tree["correlation"]
        correlation = PixelCorrelation(offsets=own_array(node["offsets"]).astype(np.int64),
                                       values=own_array(node["values"]))
    return SpectralImage(wcs=tree["wcs"], meta=meta_from_tree(dict(tree["meta"])),
                         correlation=correlation, **arrays)


def own_array(value: Any) -> np.ndarray:
    """An array of the file's that may be kept and changed: asdf's own array
    when it is writable and contiguous (read into memory, not mapped: the
    files are opened with ``memmap=False``), else a copy.  Not copying
    halves the memory of reading an input."""
    array = np.asarray(value)
    if not (array.flags.writeable and array.flags.c_contiguous and array.dtype.isnative):
        array = np.array(array)
    return array
