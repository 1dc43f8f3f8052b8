"""The data model and the input adapters."""

import types

import numpy as np
import pytest

from resamplespec import MultiSlitImage, SlitInfo, SpectralImage, SpectralMeta, datasets
from resamplespec.io import as_spectral_inputs


def test_dict_inputs_are_copied_not_shared():
    images = datasets.nirspec_fixed_slit(n_exposures=2, shape=(24, 60), seed=1)
    before = images[0]["data"].copy()
    exposures = as_spectral_inputs(images)
    assert len(exposures) == 2
    exposures[0].data[:] = 0
    np.testing.assert_array_equal(images[0]["data"], before)
    assert exposures[0].wcs is images[0]["wcs"]  # shared, read only


def test_resampling_leaves_the_input_wcs_as_it_was():
    import resamplespec

    images = datasets.nirspec_fixed_slit(n_exposures=2, shape=(24, 60), seed=1)
    y, x = np.mgrid[-1:25:3.0, -1:61:7.0]

    def state(wcs):
        return (wcs(x, y), wcs(x, y, with_bounding_box=False),
                wcs.bounding_box.bounding_box(), wcs.available_frames,
                wcs.get_transform("world", "slit_frame")(53.1625, -27.79, 2.0))

    before = [state(image["wcs"]) for image in images]
    resamplespec.resample(images, pixel_scale_ratio=2.0)
    resamplespec.resample(images, output_shape=(60, 30), single=True)
    for image, old in zip(images, before, strict=True):
        new = state(image["wcs"])
        assert new[2:4] == old[2:4]
        for a, b in ((new[0], old[0]), (new[1], old[1]), (new[4], old[4])):
            np.testing.assert_array_equal(a, b)


def test_flat_meta_is_read_into_typed_fields():
    image = SpectralImage.from_dict(datasets.nirspec_fixed_slit(n_exposures=1, seed=2)[0])
    meta = image.meta
    assert meta.dispersion_direction == 1
    assert meta.bunit_data == "MJy"
    assert meta.pixel_area_sr > 0
    assert meta.exposure.measurement_time > 0
    assert meta.slit.name == "S200A1"
    assert meta.instrument == "NIRSPEC"


def test_mos_exposures_become_lists_of_slits():
    mos = datasets.nirspec_mos(n_slits=2, n_exposures=2, nx=60, seed=1)
    exposures = as_spectral_inputs([{"slits": exposure} for exposure in mos])
    assert [len(e) for e in exposures] == [2, 2]
    multi = MultiSlitImage(exposures[0])
    assert multi[multi.names[1]] is multi[1]
    with pytest.raises(KeyError, match="no slit named"):
        multi["nope"]


def _fake_slit_model(data, wcs):
    """A stand-in with the attribute layout of a stdatamodels SlitModel."""
    meta = types.SimpleNamespace(
        wcs=wcs,
        filename="x_cal.fits",
        bunit_data="MJy",
        bunit_err="MJy",
        wcsinfo=types.SimpleNamespace(dispersion_direction=1, s_region=None),
        photometry=types.SimpleNamespace(pixelarea_steradians=2e-13, pixelarea_arcsecsq=0.01),
        exposure=types.SimpleNamespace(exposure_time=10.0, measurement_time=9.0,
                                       start_time=1.0, end_time=2.0, type="NRS_FIXEDSLIT"),
        instrument=types.SimpleNamespace(name="NIRSPEC", detector="NRS1"),
    )
    return types.SimpleNamespace(meta=meta, data=data, dq=np.zeros(data.shape, np.uint32),
                                 err=None, var_rnoise=None, var_poisson=None, var_flat=None,
                                 name="S200A1", source_id=3, source_ypos=0.1)


def test_jwst_like_models_are_read_by_duck_typing():
    wcs = datasets.nirspec_fixed_slit(n_exposures=1)[0]["wcs"]
    model = _fake_slit_model(np.ones((4, 5), np.float32), wcs)
    (image,) = as_spectral_inputs(model)
    assert image.meta.slit.name == "S200A1"
    assert image.meta.slit.source_id == 3
    assert image.meta.exposure.measurement_time == 9.0
    assert image.meta.pixel_area_sr == 2e-13
    assert image.meta.exp_type == "NRS_FIXEDSLIT"
    image.data[:] = 7
    assert (model.data == 1).all()


def test_datamodel_without_wcs_is_refused():
    model = _fake_slit_model(np.ones((4, 5), np.float32), None)
    with pytest.raises(ValueError, match="no meta.wcs"):
        as_spectral_inputs(model)


@pytest.mark.parametrize("bad", [None, [], ()])
def test_empty_inputs_are_refused(bad):
    with pytest.raises(ValueError, match="empty"):
        as_spectral_inputs(bad)


def test_unknown_input_types_are_refused():
    with pytest.raises(TypeError, match="models"):
        as_spectral_inputs(42)
    with pytest.raises(TypeError, match="models\\[0\\]"):
        as_spectral_inputs([object()])


def test_mismatched_shapes_are_refused_naming_the_array():
    with pytest.raises(ValueError, match="var_flat has shape"):
        SpectralImage(data=np.ones((3, 4)), wcs=None, var_flat=np.ones((4, 3)))
    with pytest.raises(ValueError, match="non-empty 2D"):
        SpectralImage(data=np.ones(4), wcs=None)
    with pytest.raises(TypeError, match="dq must hold integer"):
        SpectralImage(data=np.ones((3, 4)), wcs=None, dq=np.ones((3, 4)))


def test_dispersion_direction_is_checked():
    with pytest.raises(ValueError, match="dispersion_direction"):
        SpectralMeta(dispersion_direction=3)


def test_print_of_a_result_is_a_few_lines_naming_shape_units_grid_and_inputs():
    from resamplespec import resample

    result = resample(datasets.nirspec_fixed_slit(n_exposures=2, shape=(20, 60), seed=4))
    lines = repr(result).splitlines()
    assert 3 <= len(lines) <= 5 and str(result) == repr(result)
    rows, columns = result.shape
    assert lines[0] == f"SpectralImage S200A1: {rows}x{columns} (spatial x wavelength), " \
                       "float32, MJy"
    wavelength = result.meta.wavelength
    assert f"{np.nanmin(wavelength):.6g}-{np.nanmax(wavelength):.6g} um in {columns} steps" \
        in lines[1]
    assert "resampled from 2 input(s)" in lines[-1]
    assert result.meta.slit.name == "S200A1"  # everything else is still there


def test_print_of_a_large_multi_slit_set_stays_short():
    slits = [SpectralImage(np.zeros((3, 4), np.float32), None,
                           SpectralMeta(slit=SlitInfo(name=f"s{k}")))
             for k in range(30)]
    lines = repr(MultiSlitImage(slits)).splitlines()
    assert lines[0] == "MultiSlitImage of 30 slit(s)"
    assert lines[1] == "  s0: 3x4 (spatial x wavelength), float32, no unit"
    assert len(lines) == 10 and lines[-1].startswith("  ... and 22 more")
