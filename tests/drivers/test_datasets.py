"""The synthetic datasets are deterministic, well formed and physically sensible."""

import math

import numpy as np
import pytest
from astropy import units as u

from resamplespec import datasets

ARRAY_KEYS = ("data", "err", "var_rnoise", "var_poisson", "var_flat")
META_KEYS = {
    "instrument", "detector", "exp_type", "dispersion_direction", "bunit_data", "bunit_err",
    "pixel_area_sr", "pixel_area_arcsec2", "exposure_time", "effective_exposure_time",
    "measurement_time", "duration", "start_time", "mid_time", "end_time", "filename",
    "s_region", "slit_name", "slitlet_id", "source_id", "source_name", "source_type",
    "source_xpos", "source_ypos", "source_ra", "source_dec", "xstart", "ystart", "xsize",
    "ysize", "program_number", "observation_number", "visit_number", "visit_group",
    "sequence_id", "activity_id", "exposure_number", "nod_index", "wavelength_range_um",
}  # fmt: skip

SMALL = {
    "fixed_slit": lambda **kw: datasets.nirspec_fixed_slit(shape=(30, 120), **kw),
    "mos": lambda **kw: [s for e in datasets.nirspec_mos(2, 2, nx=100, **kw) for s in e],
    "lrs": lambda **kw: datasets.miri_lrs(shape=(150, 70), **kw),
    "lamp": lambda **kw: datasets.lamp(n_exposures=2, shape=(30, 120), **kw),
}


@pytest.fixture(scope="module", params=sorted(SMALL))
def kind(request):
    return request.param


@pytest.fixture(scope="module")
def images(kind):
    return SMALL[kind]()


def _pixels_in_box(wcs, n=5):
    (x0, x1), (y0, y1) = wcs.bounding_box.bounding_box(order="F")
    xs = np.linspace(math.ceil(x0 + 0.5), math.floor(x1 - 0.5), n)
    ys = np.linspace(math.ceil(y0 + 0.5), math.floor(y1 - 0.5), n)
    return xs, ys


def test_same_seed_gives_identical_images_and_another_seed_does_not(kind):
    first, again, other = SMALL[kind](seed=3), SMALL[kind](seed=3), SMALL[kind](seed=4)
    for a, b, c in zip(first, again, other, strict=True):
        for key in (*ARRAY_KEYS, "dq"):
            np.testing.assert_array_equal(a[key], b[key])
        assert a["meta"] == b["meta"]
        assert not np.array_equal(a["data"], c["data"], equal_nan=True)


def test_arrays_share_one_shape_with_jwst_dtypes(images):
    for image in images:
        shape = image["data"].shape
        for key in ARRAY_KEYS:
            assert image[key].dtype == np.float32 and image[key].shape == shape
        assert image["dq"].dtype == np.uint32 and image["dq"].shape == shape


def test_err_is_the_root_sum_of_the_variances(images):
    for image in images:
        total = image["var_rnoise"] + image["var_poisson"] + image["var_flat"]
        good = np.isfinite(total)
        np.testing.assert_allclose(image["err"][good], np.sqrt(total[good]), rtol=1e-6)
        assert np.all(total[good] > 0)


def test_meta_is_flat_and_complete(images):
    for image in images:
        meta = image["meta"]
        assert META_KEYS <= set(meta)
        assert all(not isinstance(v, dict) for v in meta.values())
        assert meta["dispersion_direction"] in (1, 2)
        assert meta["start_time"] < meta["mid_time"] < meta["end_time"]
        assert meta["measurement_time"] <= meta["effective_exposure_time"]
        if meta["s_region"] is not None:
            assert meta["s_region"].startswith("POLYGON ICRS  ")
            assert len(meta["s_region"].split()) == 10
    assert len({im["meta"]["filename"] for im in images}) == len(
        {(im["meta"]["exposure_number"]) for im in images}
    )


def test_world_to_pixel_to_world_round_trips(images):
    for image in images:
        wcs = image["wcs"]
        xs, ys = _pixels_in_box(wcs)
        world = wcs(xs, ys)
        assert all(np.all(np.isfinite(w)) for w in world)
        x_back, y_back = wcs.invert(*world)
        np.testing.assert_allclose(x_back, xs, atol=1e-6)
        np.testing.assert_allclose(y_back, ys, atol=1e-6)


def test_world_has_a_spectral_axis_in_microns_that_is_monotonic(images):
    for image in images:
        wcs = image["wcs"]
        frame = wcs.output_frame
        assert "SPECTRAL" in frame.axes_type
        assert frame.unit[2] == u.um
        xs, ys = _pixels_in_box(wcs, n=9)
        meta = image["meta"]
        if meta["dispersion_direction"] == 1:
            lam = wcs(xs, np.full_like(xs, ys[4]))[2]
        else:
            lam = wcs(np.full_like(ys, xs[4]), ys)[2]
        steps = np.diff(lam)
        lo, hi = meta["wavelength_range_um"]
        assert np.all(steps > 0) or np.all(steps < 0)
        assert lo - 0.05 * (hi - lo) < lam.min() and lam.max() < hi + 0.05 * (hi - lo)


def test_do_not_use_pixels_are_exactly_the_nan_pixels(images):
    for image in images:
        do_not_use = (image["dq"] & datasets.DQ_FLAGS["DO_NOT_USE"]) != 0
        assert do_not_use.any()
        for key in ARRAY_KEYS:
            np.testing.assert_array_equal(np.isnan(image[key]), do_not_use)
        informational = (image["dq"] != 0) & ~do_not_use
        assert informational.any()
        assert np.all(np.isfinite(image["data"][informational]))


def test_unflagged_nans_are_nan_in_data_only():
    image = datasets.nirspec_fixed_slit(n_exposures=1, shape=(30, 120), unflagged_nan=7)[0]
    stray = np.isnan(image["data"]) & ((image["dq"] & 1) == 0)
    assert stray.sum() == 7
    assert np.all(np.isfinite(image["err"][stray]))


def test_nirspec_has_a_slit_frame_with_wavelength_in_metres():
    image = datasets.nirspec_fixed_slit(n_exposures=1, shape=(30, 120))[0]
    wcs = image["wcs"]
    assert wcs.available_frames == ["detector", "slit_frame", "world"]
    x_slit, y_slit, lam_m = wcs.get_transform("detector", "slit_frame")(60.0, 15.0)
    ra, dec, lam_um = wcs.get_transform("slit_frame", "world")(x_slit, y_slit, lam_m)
    assert x_slit == 0.0 and abs(y_slit) < 0.5
    assert lam_um == pytest.approx(lam_m * 1e6)
    back = wcs.get_transform("world", "slit_frame")(ra, dec, lam_um)
    np.testing.assert_allclose(back[1:], (y_slit, lam_m), rtol=1e-9, atol=1e-9)


def test_nods_move_the_trace_along_the_slit_but_not_the_source_on_the_sky():
    images = datasets.nirspec_fixed_slit(
        n_exposures=2, shape=(40, 120), noise=False, sky_level=0.0, nod_offsets_arcsec=[-0.6, 0.6],
        pointing_jitter_arcsec=0.0, bad_fraction=0.0, warn_fraction=0.0,
    )  # fmt: skip
    peak_rows = [int(np.argmax(np.nansum(im["data"], axis=1))) for im in images]
    assert peak_rows[1] - peak_rows[0] == pytest.approx(12, abs=1)
    for image in images:
        x, y = image["wcs"].invert(image["meta"]["source_ra"], image["meta"]["source_dec"], 2.3)
        assert abs(y - (peak_rows[0] + peak_rows[1]) / 2) < 8


def test_mos_exposures_list_the_same_named_slits_in_order():
    exposures = datasets.nirspec_mos(3, 2, nx=80)
    assert len(exposures) == 2 and all(len(e) == 3 for e in exposures)
    names = [[s["meta"]["slit_name"] for s in e] for e in exposures]
    assert names[0] == names[1] and len(set(names[0])) == 3
    assert len({s["meta"]["source_name"] for s in exposures[0]}) == 3
    ranges = {s["meta"]["wavelength_range_um"] for s in exposures[0]}
    assert len(ranges) == 3


def test_miri_lrs_disperses_along_y_with_wavelength_falling_and_a_box_inside_the_array():
    image = datasets.miri_lrs(n_exposures=1, shape=(150, 70))[0]
    wcs = image["wcs"]
    assert image["meta"]["dispersion_direction"] == 2
    assert wcs.available_frames == ["detector", "world"]
    (x0, x1), (y0, y1) = wcs.bounding_box.bounding_box(order="F")
    ny, nx = image["data"].shape
    assert x0 > 0 and x1 < nx - 1 and y0 > 0 and y1 < ny - 1
    lam = wcs(np.full(3, 35.0), np.array([20.0, 70.0, 120.0]))[2]
    assert lam[0] > lam[1] > lam[2]
    assert np.isnan(wcs(2.0, 70.0)[2])  # outside the box
    outside = np.ones((ny, nx), bool)
    # the box's pixels, by the gwcs grid convention (centres within the box)
    rows = slice(math.floor(y0 + 0.5), math.ceil(y1 - 0.5) + 1)
    cols = slice(math.floor(x0 + 0.5), math.ceil(x1 - 0.5) + 1)
    outside[rows, cols] = False
    assert np.all(np.isfinite(image["data"][outside]))


def test_lamp_world_is_not_celestial():
    image = datasets.lamp(shape=(30, 120))[0]
    assert tuple(image["wcs"].output_frame.unit) == (u.m, u.m, u.um)
    assert image["meta"]["pixel_area_sr"] is None and image["meta"]["s_region"] is None


@pytest.mark.parametrize("bunit", ["MJy", "MJy/sr"])
def test_surface_brightness_is_flux_density_over_the_nominal_pixel_area(bunit):
    common = dict(n_exposures=1, shape=(30, 120), noise=False, bad_fraction=0.0)
    flux = datasets.nirspec_fixed_slit(bunit="MJy", **common)[0]
    other = datasets.nirspec_fixed_slit(bunit=bunit, **common)[0]
    scale = 1.0 if bunit == "MJy" else 1.0 / other["meta"]["pixel_area_sr"]
    np.testing.assert_allclose(other["data"], flux["data"] * scale, rtol=1e-6)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="bunit"):
        datasets.nirspec_fixed_slit(bunit="Jy/beam")
    with pytest.raises(ValueError, match="n_exposures"):
        datasets.miri_lrs(n_exposures=0)
    with pytest.raises(ValueError, match="nod offsets"):
        datasets.nirspec_fixed_slit(n_exposures=2, nod_offsets_arcsec=[0.0])
