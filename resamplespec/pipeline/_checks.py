"""Inputs that do not belong together, or count for less than they seem.

Checked for each group before anything is allocated for it:

- :func:`check_inputs_belong_together`: one instrument, one grating and
  filter, one unit of the data (a flux density per pixel and a surface
  brightness cannot be averaged; neither can two instruments' pixels);
- :func:`usable_inputs`: an exposure with no usable pixel (all NaN or
  DO_NOT_USE, e.g. its ``var_poisson`` NaN everywhere) is left out with an
  :class:`InputWarning`; an error only when nothing is left;
- :func:`warn_about_ivm_weights`: ``weight_type='ivm'`` with an input whose
  read-noise variance is missing or has no usable value, which then weighs
  far more or nothing at all beside the others.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from astropy import units as u

from ..models import VARIANCE_NAMES, LazyImages, SpectralMeta


class InputWarning(UserWarning):
    """An input left out of a result, or weighted so that it counts for far
    more or far less than the others (the message names it and says why)."""


def input_label(meta: SpectralMeta, index: int) -> str:
    """How messages name an input: its file and slit, else its position."""
    name = meta.filename or f"input {index}"
    slit = meta.slit.name
    return f"{name} (slit {slit})" if slit and slit != name else name


def _unit_key(bunit: str) -> Any:
    try:
        return u.Unit(bunit)
    except (ValueError, TypeError):
        return bunit.strip()


def check_inputs_belong_together(metas: Sequence[SpectralMeta]) -> None:
    """Refuse inputs of different instruments, gratings, filters or data units.

    Values an input does not state are not compared.  Raises ValueError
    naming the first two inputs that differ and how.
    """
    for attribute, normalise in (("instrument", str.upper), ("grating", str.upper),
                                 ("filter", str.upper), ("bunit_data", _unit_key)):
        first: dict[Any, int] = {}
        for k, meta in enumerate(metas):
            value = getattr(meta, attribute)
            if not value:
                continue
            key = normalise(str(value))
            first.setdefault(key, k)
            if len(first) > 1:
                j = next(iter(first.values()))
                what = "data units" if attribute == "bunit_data" else f"{attribute}s"
                raise ValueError(
                    f"{input_label(metas[j], j)} and {input_label(meta, k)} do not belong "
                    f"together: different {what} ({getattr(metas[j], attribute)!r} and "
                    f"{value!r}); resample each set-up on its own"
                )


def _no_finite_value(values: Any) -> bool:
    return values is not None and not np.isfinite(values).any()


def nan_arrays(image: Any) -> list[str]:
    """The error arrays of ``image`` that are NaN everywhere (each makes every
    pixel unusable: a NaN variance marks its pixel DO_NOT_USE)."""
    return [name for name in ("err",) + VARIANCE_NAMES
            if _no_finite_value(getattr(image, name))]


def usable_inputs(images: list[Any], causes: dict[int, list[str]]) -> list[int]:
    """The indices of the images with at least one finite data value (NaN
    and DO_NOT_USE already agree); each other one is left out with an
    :class:`InputWarning` that names it (``causes[k]``: its error arrays
    that were all NaN).  Raises ValueError when none is left."""
    kept, dropped = [], []
    for k, image in enumerate(images):
        if np.isfinite(image.data).any():
            kept.append(k)
            continue
        label = input_label(image.meta, k)
        because = (f" (its {', '.join(causes[k])} {'is' if len(causes[k]) == 1 else 'are'} "
                   "NaN everywhere)") if causes.get(k) else ""
        dropped.append(f"{label}: every data value is NaN (or DO_NOT_USE){because}")
    if not kept:
        raise ValueError("; ".join(dropped) + "; nothing to resample")
    for message in dropped:
        warnings.warn(f"{message}; left out of the result", InputWarning, stacklevel=4)
    return kept


def warn_about_ivm_weights(images: Sequence[Any]) -> None:
    """With ``weight_type='ivm'``: warn about inputs whose weights are not
    inverse read-noise variances like the others'.

    An input without ``var_rnoise`` weighs 1 per pixel (as in the reference),
    beside inverse variances of other units and sizes (often ~1e20 and up
    for MJy data): it counts for almost nothing, or for almost everything.
    An input whose ``var_rnoise`` has no positive finite value weighs 0 and
    drops out (not looked for in inputs still in their files, a
    :class:`LazyImages`: that would read them all once more).
    """
    lazy = isinstance(images, LazyImages)
    metas = [images.meta(k) if lazy else images[k].meta for k in range(len(images))]
    missing = [k for k in range(len(images))
               if not (images.has_array(k, "var_rnoise") if lazy
                       else images[k].var_rnoise is not None)]
    if missing and len(missing) < len(images):
        names = ", ".join(input_label(metas[k], k) for k in missing)
        warnings.warn(
            f"{names} {'has' if len(missing) == 1 else 'have'} no var_rnoise: with "
            "weight_type='ivm' {} pixels weigh 1 beside the inverse read-noise variances of "
            "the other inputs, so {} share of the result is set by their units, not by "
            "the noise; use weight_type='exptime' or None to weigh the inputs alike"
            .format(*(("its", "its") if len(missing) == 1 else ("their", "their"))),
            InputWarning, stacklevel=4)
    if lazy:
        return
    for k, image in enumerate(images):
        variance = image.var_rnoise
        if variance is None or not np.isfinite(image.data).any():
            continue
        usable = np.isfinite(variance) & (variance > 0)
        if not usable.any():
            warnings.warn(
                f"{input_label(image.meta, k)}: var_rnoise has no positive finite value, so "
                "with weight_type='ivm' every pixel of it weighs 0 and it drops out of the "
                "result; use weight_type='exptime' or None to keep it",
                InputWarning, stacklevel=4)
