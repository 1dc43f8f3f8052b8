"""Outputs back to JWST datamodels (resamplespec.jwst), and through them again."""

import dataclasses

import numpy as np
import pytest

pytest.importorskip("stdatamodels")

from stdatamodels.jwst import datamodels as dm  # noqa: E402

from resamplespec import MultiSlitImage, SpectralImage, datasets, resample  # noqa: E402
from resamplespec.io import as_spectral_inputs  # noqa: E402
from resamplespec.jwst import DatamodelWarning, to_datamodel  # noqa: E402

ARRAYS = ("data", "dq", "err", "var_rnoise", "var_poisson", "var_flat", "wht", "con")


@pytest.fixture(scope="module")
def fixed_slit_result():
    return resample(datasets.nirspec_fixed_slit(n_exposures=2, shape=(24, 120), seed=3),
                    propagate_dq=True)


@pytest.fixture(scope="module")
def mos_result():
    return resample(datasets.nirspec_mos(n_slits=2, n_exposures=2, nx=80, seed=3))


def test_slit_model_holds_copies_of_every_array(fixed_slit_result):
    model = to_datamodel(fixed_slit_result)
    assert isinstance(model, dm.SlitModel)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(model, name), getattr(fixed_slit_result, name))
    model.data[:] = 0
    assert np.nanmax(np.abs(fixed_slit_result.data)) > 0


def test_slit_model_metadata_is_the_outputs(fixed_slit_result):
    meta = fixed_slit_result.meta
    model = to_datamodel(fixed_slit_result)
    assert model.name == meta.slit.name == "S200A1"
    assert model.source_ypos == pytest.approx(meta.slit.source_ypos)
    assert model.meta.exposure.exposure_time == pytest.approx(meta.exposure.exposure_time)
    assert model.meta.exposure.start_time == pytest.approx(meta.exposure.start_time)
    assert model.meta.instrument.name == "NIRSPEC"
    assert model.meta.photometry.pixelarea_steradians == pytest.approx(meta.pixel_area_sr)
    assert model.meta.resample.pixfrac == 1.0
    assert model.meta.resample.weight_type == "ivm"
    assert model.meta.resample.pointings == 2
    assert model.meta.wcsinfo.s_region == meta.s_region
    assert model.meta.bunit_data == meta.bunit_data


def test_pixel_wavelengths_repeat_the_column_table(fixed_slit_result):
    model = to_datamodel(fixed_slit_result)
    ny, nx = fixed_slit_result.shape
    assert model.wavelength.shape == (ny, nx)
    for row in (0, ny // 2, ny - 1):
        np.testing.assert_allclose(model.wavelength[row], fixed_slit_result.meta.wavelength,
                                   rtol=1e-7)


def test_dispersion_along_y_gives_wavelengths_per_row():
    result = resample(datasets.miri_lrs(n_exposures=1, shape=(120, 60), seed=2))
    model = to_datamodel(result)
    np.testing.assert_allclose(model.wavelength[:, 5], result.meta.wavelength, rtol=1e-7)
    assert model.meta.wcsinfo.dispersion_direction == 2


def test_saved_slit_model_reads_back_as_the_same_image(fixed_slit_result, tmp_path):
    path = tmp_path / "result_s2d.fits"
    to_datamodel(fixed_slit_result).save(path)
    with dm.open(path) as model:
        (image,) = as_spectral_inputs(model)
    for name in ("data", "dq", "err", "var_rnoise", "var_poisson", "var_flat"):
        np.testing.assert_array_equal(getattr(image, name), getattr(fixed_slit_result, name))
    assert image.meta.slit == fixed_slit_result.meta.slit
    assert image.meta.exposure == fixed_slit_result.meta.exposure
    ny, nx = fixed_slit_result.shape
    x, y = np.meshgrid(np.arange(0, nx, 7.0), np.arange(0, ny, 5.0))
    np.testing.assert_allclose(image.wcs(x, y), fixed_slit_result.wcs(x, y), rtol=1e-12)


def test_multi_slit_result_becomes_a_multislit_model(mos_result):
    model = to_datamodel(mos_result)
    assert isinstance(model, dm.MultiSlitModel)
    assert [slit.name for slit in model.slits] == mos_result.names
    for slit, image in zip(model.slits, mos_result.slits, strict=True):
        np.testing.assert_array_equal(slit.data, image.data)
        np.testing.assert_array_equal(slit.wht, image.wht)
        assert slit.source_id == image.meta.slit.source_id
    assert model.meta.exposure.exposure_time == pytest.approx(
        mos_result.meta.exposure.exposure_time)


def test_single_results_become_a_list_of_slit_models():
    results = resample(datasets.nirspec_fixed_slit(n_exposures=2, shape=(24, 60), seed=1),
                       single=True)
    models = to_datamodel(results)
    assert [type(m).__name__ for m in models] == ["SlitModel", "SlitModel"]
    np.testing.assert_array_equal(models[1].data, results[1].data)


def test_values_the_jwst_schema_rejects_are_left_out_with_a_warning(fixed_slit_result):
    image = dataclasses.replace(
        fixed_slit_result, meta=fixed_slit_result.meta.replace(instrument="SPECTROGRAPH-X"))
    with pytest.warns(DatamodelWarning, match=r"meta.instrument.name = 'SPECTROGRAPH-X'"):
        model = to_datamodel(image)
    assert model.meta.instrument.name is None
    np.testing.assert_array_equal(model.data, image.data)


@pytest.mark.parametrize("bad", [None, 3, "file.fits", [np.zeros((2, 2))]])
def test_other_objects_are_refused(bad):
    with pytest.raises(TypeError, match="product"):
        to_datamodel(bad)


def test_empty_multi_slit_image_gives_an_empty_model():
    model = to_datamodel(MultiSlitImage([]))
    assert len(model.slits) == 0


def test_input_image_without_resample_record_converts(fixed_slit_result):
    image = SpectralImage.from_dict(datasets.nirspec_fixed_slit(n_exposures=1, seed=4)[0])
    model = to_datamodel(image)
    assert model.meta.resample.pixfrac is None
    np.testing.assert_array_equal(model.var_flat, image.var_flat)
