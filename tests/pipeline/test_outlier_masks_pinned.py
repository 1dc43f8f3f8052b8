"""The outlier masks found on resamplespec.datasets cases, pinned: the
counts per input and a hash of the masks, computed with the method's first
implementation (numpy bookkeeping, before the judgement moved to the C
core).  Making the search faster must not move a single pixel."""

import hashlib

import numpy as np
import pytest

from resamplespec import datasets, find_outliers

CASES = {
    "fs": ("nirspec_fixed_slit", dict(n_exposures=3, shape=(40, 512), seed=0), 60),
    "fs4": ("nirspec_fixed_slit", dict(n_exposures=4, shape=(40, 512), seed=1), 60),
    "bright": ("nirspec_fixed_slit", dict(n_exposures=3, shape=(40, 512), seed=3, snr=200.0,
                                          trace_curvature=2e-4), 60),
    "mos": ("nirspec_mos", dict(n_slits=3, n_exposures=3, nx=400, shutters_per_slit=5,
                                seed=11), 30),
    "lrs": ("miri_lrs", dict(n_exposures=2, shape=(200, 80), seed=0), 30),
}
# name (-clean: without the injected outliers; -noerr: without error
# arrays, noise estimated from the data): (outliers per input, hash)
PINNED = {
    "fs": ((64, 64, 64), "135ebc79ea5b86ff"),
    "fs-clean": ((0, 0, 0), "f6e28ad1753237d4"),
    "fs-noerr": ((64, 64, 64), "135ebc79ea5b86ff"),
    "fs4": ((65, 64, 65, 64), "4d080310f2e034b7"),
    "bright": ((63, 62, 64), "f25903e9085d32df"),
    "mos": ((33, 34, 34, 34, 33, 33, 34, 34, 34), "43122c878fe9d2ad"),
    "lrs": ((34, 34), "cde189f32e48fae8"),
    "lrs-clean": ((0, 0), "fc19b19971194257"),
    "lrs-noerr": ((51, 37), "e0328cbd3e4f35d4"),
}


def _digest(masks):
    flat = []
    for mask in masks:
        flat += [mask[key] for key in sorted(mask)] if isinstance(mask, dict) else [mask]
    h = hashlib.sha256()
    for mask in flat:
        h.update(np.packbits(mask).tobytes())
    return tuple(int(mask.sum()) for mask in flat), h.hexdigest()[:16]


def _without_errors(images):
    return [{key: value for key, value in image.items()
             if key not in ("err", "var_rnoise", "var_poisson", "var_flat")} for image in images]


@pytest.mark.filterwarnings("ignore::resamplespec.OutlierWarning")
@pytest.mark.parametrize("name", list(CASES))
def test_the_masks_found_are_the_pinned_ones(name):
    maker, params, rays = CASES[name]
    clean = getattr(datasets, maker)(**params)
    hit = datasets.with_outliers(clean, cosmic_rays=rays, hot_pixels=4, seed=2)[0]
    assert _digest(find_outliers(hit)) == PINNED[name]
    if f"{name}-clean" in PINNED:
        assert _digest(find_outliers(clean)) == PINNED[f"{name}-clean"]
        assert (_digest(find_outliers(_without_errors(hit), weight_type=None))
                == PINNED[f"{name}-noerr"])


@pytest.mark.filterwarnings("ignore::resamplespec.OutlierWarning")
def test_the_pinned_masks_of_a_clean_bright_trace_at_full_length():
    # the second pass changes pixels here (a first-pass outlier of one nod
    # lowers a model of another): its shortcuts must not
    clean = datasets.nirspec_fixed_slit(n_exposures=3, shape=(40, 2048), seed=3, snr=200.0,
                                        trace_curvature=2e-4)
    assert _digest(find_outliers(clean)) == ((24, 11, 0), "35c707170a056411")
