"""Inputs into slit groups, and the groups' outputs into what
:func:`resamplespec.resample` returns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..io import as_spectral_inputs
from ..models import MultiSlitImage, SpectralImage
from ..options import ResampleOptions
from ._outliers import check_outlier_groups


def slit_groups(
    models: Any, options: ResampleOptions, *, places: dict[Any, list[Any]] | None = None
) -> tuple[bool, dict[Any, list[Any]]]:
    """Whether the inputs are multi-slit, and their groups (one per output slit):
    the images of each, read or (``in_memory=False``) deferred.

    ``places``, a dict, receives for each group where its images came from:
    ``(exposure index, index of the slit in its exposure or None)``.

    The images share the caller's arrays: :func:`resample_group` copies a
    group's images when it starts on them, so that copies of every input of
    a multi-slit set are never in memory at once.
    """
    exposures = as_spectral_inputs(models, defer_paths=not options.in_memory,
                                   copy_arrays=False)
    multi_slit = any(isinstance(exposure, list) for exposure in exposures)
    found = {} if places is None else places
    if multi_slit:
        groups = _group_by_slit(exposures, found)
    else:
        groups = {("input", "all"): list(exposures)}
        found[("input", "all")] = [(k, None) for k in range(len(exposures))]
    check_outlier_groups(groups, options)
    return multi_slit, groups


def collect_outputs(per_group: list[list[Any]], *, multi_slit: bool, single: bool, written: bool):
    """What :func:`resample` returns, from the outputs of every group in order."""
    if not multi_slit:
        outputs = per_group[0]
        return outputs if single else outputs[0]
    slits = [slit for outputs in per_group for slit in outputs]
    if written:
        return slits
    return MultiSlitImage(slits, meta=slits[0].meta if slits else None)


def _group_by_slit(
    exposures: Sequence[Any], places: dict[Any, list[Any]] | None = None
) -> dict[Any, list[SpectralImage]]:
    """Slits of a multi-slit set grouped by source across exposures.

    The key is, as in the reference, the source name, else the source id;
    slits with neither are grouped by slit name.  Groups keep the order in
    which they are first seen (exposure by exposure, slit by slit).
    """
    groups: dict[Any, list[SpectralImage]] = {}
    places = {} if places is None else places
    for k, exposure in enumerate(exposures):
        slits = exposure if isinstance(exposure, list) else [exposure]
        for m, slit in enumerate(slits):
            info = slit.meta.slit
            if info.source_name:
                key = ("source", info.source_name)
            elif info.source_id is not None:
                key = ("source", str(info.source_id))
            elif slit.name is not None:
                key = ("slit", slit.name)
            else:
                key = ("input", f"models[{k}][{m}]")
            groups.setdefault(key, []).append(slit)
            places.setdefault(key, []).append(
                (k, m if isinstance(exposure, list) else None))
    return groups
