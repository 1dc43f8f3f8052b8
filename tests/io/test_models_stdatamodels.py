"""Real JWST datamodels (stdatamodels) as inputs: the same numbers as our own inputs.

The datamodels are built from the same `resamplespec.datasets` dicts by the
dev adapter the golden files are made with (tests/reference/jwst_adapter.py).
"""


import numpy as np
import pytest

pytest.importorskip("stdatamodels")

import jwst_adapter as ja  # noqa: E402

from resamplespec import MultiSlitImage, datasets, resample  # noqa: E402

ARRAYS = ("data", "wht", "con", "err", "var_rnoise", "var_poisson", "var_flat")


def _assert_same(ours, theirs, *, slit=True):
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(ours, name), getattr(theirs, name), err_msg=name)
    if slit:
        assert ours.meta.slit == theirs.meta.slit
    assert ours.meta.exposure == theirs.meta.exposure
    assert ours.meta.s_region == theirs.meta.s_region


class _Container(list):
    """What a jwst ModelContainer looks like to us: iterable models, no .data."""

    meta = None


def test_slit_models_resample_as_their_dicts():
    nods = datasets.nirspec_fixed_slit(n_exposures=3, shape=(24, 100), seed=11)
    models = [ja.to_slit_model(nod) for nod in nods]
    before = [m.data.copy() for m in models]
    _assert_same(resample(_Container(models)), resample(nods))
    for model, data in zip(models, before, strict=True):
        np.testing.assert_array_equal(model.data, data)  # inputs untouched


def test_image_models_with_a_spectral_wcs_resample_as_their_dicts():
    nods = datasets.miri_lrs(n_exposures=2, shape=(120, 60), seed=11)
    models = [ja.to_image_model(nod) for nod in nods]
    result, expected = resample(models), resample(nods)
    # an ImageModel holds no slit attributes but the source position
    _assert_same(result, expected, slit=False)
    assert result.meta.slit.source_xpos == expected.meta.slit.source_xpos
    assert result.meta.slit.source_ypos == expected.meta.slit.source_ypos
    assert result.meta.dispersion_direction == 2


def test_multislit_models_resample_as_their_dicts():
    exposures = datasets.nirspec_mos(n_slits=2, n_exposures=2, nx=80, seed=11)
    models = [ja.to_multislit_model(slits) for slits in exposures]
    ours = resample(models)
    reference = resample([{"slits": slits} for slits in exposures])
    assert isinstance(ours, MultiSlitImage)
    assert ours.names == reference.names
    for a, b in zip(ours, reference, strict=True):
        _assert_same(a, b)


def test_a_single_multislit_model_is_one_exposure():
    exposures = datasets.nirspec_mos(n_slits=2, n_exposures=1, nx=80, seed=12)
    result = resample(ja.to_multislit_model(exposures[0]))
    assert len(result) == 2
    assert all(slit.meta.resample.n_inputs == 1 for slit in result)
