"""The processing chain: conservation, bad input, and what the options do."""

import copy
import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polyclip import pixel_fractions

import resamplespec
from resamplespec import MultiSlitImage, SpectralImage, datasets, resample
from resamplespec.geometry import build_output_grid, pixel_map
from resamplespec.pipeline import match_nans_and_flags, pixel_weights


@pytest.fixture(scope="module")
def nods():
    return datasets.nirspec_fixed_slit(n_exposures=2, shape=(24, 80), seed=9)


def test_flux_density_is_conserved_on_clean_data():
    clean = datasets.nirspec_fixed_slit(n_exposures=1, shape=(24, 80), seed=1, noise=False,
                                        sky_level=0.0, bad_fraction=0.0, warn_fraction=0.0)
    for ratio in (1.0, 2.0):
        result = resamplespec.resample(clean, pixel_scale_ratio=ratio)
        flux_in = np.nansum(clean[0]["data"], dtype=np.float64)
        flux_out = np.nansum(result.data, dtype=np.float64)
        assert flux_out == pytest.approx(flux_in, rel=2e-3), ratio


def test_inputs_are_never_modified(nods):
    before = copy.deepcopy([{k: v for k, v in n.items() if k != "wcs"} for n in nods])
    resamplespec.resample(nods, propagate_dq=True)
    for original, image in zip(before, nods, strict=True):
        for key in ("data", "dq", "err", "var_rnoise", "var_poisson", "var_flat"):
            np.testing.assert_array_equal(original[key], image[key], err_msg=key)


def test_output_record_and_types(nods):
    result = resamplespec.resample(nods, pixfrac=0.8, weight_type="exptime")
    assert isinstance(result, SpectralImage)
    assert result.data.dtype == np.float32 and result.wht.dtype == np.float32
    assert result.con.dtype == np.int32 and result.con.ndim == 3
    assert result.meta.resample.pixfrac == 0.8
    assert result.meta.resample.weight_type == "exptime"
    assert result.meta.resample.n_inputs == 2
    assert result.meta.wavelength.shape == (result.data.shape[1],)
    assert result.meta.exposure.exposure_time == pytest.approx(
        sum(n["meta"]["exposure_time"] for n in nods))


def overlap_sums(models, weight_type, variance="var_rnoise", ratio=1.0):
    """The slow oracle of the chain's sums on its own grid, per input:
    sum of w and of w**2 * variance * s**2 over the input's pixels, where w
    is the fraction of the pixel's footprint in the output pixel (polygon
    clipping, tests/polyclip.py, not the C kernel) times the pixel's weight
    of ``weight_type``, and s = 1 / ratio the intensity scale of data in
    MJy (flux density per pixel)."""
    images = [SpectralImage.from_dict(m) for m in models]
    for image in images:
        assert image.meta.bunit_data == "MJy"
        match_nans_and_flags(image)
    grid = build_output_grid(images, pixel_scale_ratio=ratio)
    sums = []
    for image in images:
        pixmap = pixel_map(image, grid)
        weights = pixel_weights(image, weight_type, "~DO_NOT_USE+NON_SCIENCE")
        values = getattr(image, variance)
        sum_w, sum_w2v = np.zeros(grid.shape), np.zeros(grid.shape)
        for j, i in zip(*np.nonzero((weights > 0) & np.isfinite(image.data)), strict=True):
            for iy, ix, fraction in pixel_fractions(pixmap, i, j, grid.shape):
                w = fraction * float(weights[j, i])
                sum_w[iy, ix] += w
                sum_w2v[iy, ix] += w * w * float(values[j, i]) / ratio**2
        sums.append((sum_w, sum_w2v))
    return sums


def test_weight_type_none_gives_pure_overlap_weights(nods):
    # the reference fails on weight_type=None; here every good pixel weighs
    # 1, so an output pixel's weight is the sum of the overlap fractions of
    # the good input pixels that reach it
    result = resamplespec.resample(nods, weight_type=None)
    expected = sum(sum_w for sum_w, _ in overlap_sums(nods, None))
    np.testing.assert_allclose(result.wht, expected, rtol=2e-6, atol=1e-6)
    # each good pixel spreads a weight of 1, less what falls off the grid's
    # edges (the half-pixel ends of the wavelength axis: a few pixels)
    n_good = sum(np.count_nonzero(np.isfinite(n["data"]) & (n["dq"] & 1 == 0)) for n in nods)
    assert n_good - 10 < result.wht.sum(dtype=np.float64) <= n_good


@pytest.mark.parametrize("ratio", [1.0, 2.0])
def test_exact_variance_is_the_sum_of_squared_overlap_weights_times_variance(nods, ratio):
    reference = resamplespec.resample(nods, pixel_scale_ratio=ratio)
    exact = resamplespec.resample(nods, variance="exact", pixel_scale_ratio=ratio)
    np.testing.assert_array_equal(reference.data, exact.data)
    # var = sum(w**2 var_in / ratio**2) / sum(w)**2 over both inputs' pixels,
    # w the overlap fraction times 1 / var_rnoise (weight_type='ivm'): the
    # variance of the output values themselves, with no further factor
    sums = overlap_sums(nods, "ivm", ratio=ratio)
    sum_w = sum(w for w, _ in sums)
    covered = sum_w > 0
    expected = np.full(sum_w.shape, np.nan)
    expected[covered] = sum(w2v for _, w2v in sums)[covered] / sum_w[covered] ** 2
    np.testing.assert_allclose(exact.var_rnoise, expected, rtol=1e-5, atol=0)
    # averaging partly-overlapping pixels reduces the variance below the
    # square of the mean sigma: exact <= reference with equal weights
    both = np.isfinite(reference.var_rnoise) & np.isfinite(exact.var_rnoise)
    assert np.median(exact.var_rnoise[both] / reference.var_rnoise[both]) < 1.0


@pytest.mark.parametrize("ratio", [1.0, 2.0])
def test_single_gives_one_output_per_input_on_the_common_grid(nods, ratio):
    outputs = resamplespec.resample(nods, single=True, pixel_scale_ratio=ratio)
    combined = resamplespec.resample(nods, pixel_scale_ratio=ratio)
    assert isinstance(outputs, list) and len(outputs) == 2
    sums = overlap_sums(nods, "ivm", variance="err", ratio=ratio)
    for k, output in enumerate(outputs):
        # the input resampled alone on the grid of all of them
        alone = resamplespec.resample([nods[k]], output_wcs=combined.wcs,
                                      output_shape=combined.data.shape[::-1])
        # (the user-grid path inverts the grid's WCS its own way: equal to
        # the last bits of float32)
        scale = np.nanmax(np.abs(alone.data))
        np.testing.assert_allclose(output.data, alone.data, rtol=1e-5, atol=1e-6 * scale)
        np.testing.assert_allclose(output.wht, alone.wht, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(output.con, alone.con)
        assert output.var_rnoise is None
        # err as the reference gives it for single products: the err array
        # drizzled like data with the data's weights, sum(w err / ratio) /
        # sum(w), times sqrt(ratio)
        sum_w, _ = sums[k]
        drizzled_err = resamplespec.resample([dict(nods[k], data=nods[k]["err"])],
                                             output_wcs=combined.wcs,
                                             output_shape=combined.data.shape[::-1])
        np.testing.assert_allclose(output.err, drizzled_err.data * np.sqrt(ratio), rtol=1e-6,
                                   equal_nan=True)
        np.testing.assert_array_equal(np.isnan(output.err), sum_w == 0)


def test_multi_slit_inputs_give_a_multi_slit_result():
    mos = datasets.nirspec_mos(n_slits=2, n_exposures=2, nx=60, seed=3)
    exposures = [MultiSlitImage([SpectralImage.from_dict(s) for s in e]) for e in mos]
    result = resamplespec.resample(exposures)
    assert isinstance(result, MultiSlitImage)
    assert len(result) == 2
    assert result[result.names[0]].meta.resample.n_inputs == 2


def test_output_shape_sets_the_size(nods):
    result = resamplespec.resample(nods, output_shape="70,30")
    assert result.data.shape == (30, 70)


def test_propagated_dq_is_the_or_of_contributing_flags(nods):
    result = resamplespec.resample(nods, propagate_dq=True)
    assert result.dq.dtype == np.uint32
    all_flags = np.bitwise_or.reduce([n["dq"].ravel() for n in nods], axis=None)
    assert np.all((result.dq & ~np.uint32(all_flags)) == 0)
    assert np.all(result.dq & 1 == 0)  # DO_NOT_USE pixels have no weight


def test_empty_input_list_is_refused():
    with pytest.raises(ValueError, match="empty"):
        resamplespec.resample([])


def test_all_nan_input_is_refused(nods):
    bad = dict(nods[0])
    bad["data"] = np.full_like(nods[0]["data"], np.nan)
    with pytest.raises(ValueError, match="NaN"):
        resamplespec.resample([bad])


def test_wcs_without_spectral_axis_is_refused(nods):
    from astropy.modeling import models
    from gwcs import coordinate_frames as cf
    from gwcs.wcs import WCS

    imaging = WCS(models.Shift(0) & models.Shift(0), input_frame=cf.Frame2D(name="detector"),
                  output_frame=cf.Frame2D(name="plane"))
    bad = dict(nods[0], wcs=imaging)
    with pytest.raises(ValueError, match="spectral axis"):
        resamplespec.resample([bad])


def test_bad_option_values_are_refused_before_any_work(nods):
    with pytest.raises(ValueError, match="pixfrac"):
        resamplespec.resample(nods, pixfrac=2)
    with pytest.raises(ValueError, match="kernel"):
        resamplespec.resample(nods, kernel="turbo")
    with pytest.raises(TypeError, match="unexpected keyword"):
        resamplespec.resample(nods, pixfrak=1)
    with pytest.raises(TypeError, match="progress_bar must be True or False"):
        resamplespec.resample(nods, progress_bar="yes")
    with pytest.raises(TypeError, match="in_memory must be True or False"):
        resamplespec.resample(nods, in_memory=0)


def test_lamp_output_has_no_sky_footprint():
    result = resample(datasets.lamp(n_exposures=1, seed=1))
    assert result.meta.s_region is None


def test_s_region_box_across_zero_hours_is_narrow():
    nods = datasets.nirspec_fixed_slit(n_exposures=1, shape=(24, 80), seed=1,
                                       target_ra=0.0001)
    numbers = [float(w) for w in resample(nods).meta.s_region.split()[2:]]
    ra = numbers[0::2]
    # the slit straddles RA 0: the box runs from just below 360 to just above 0
    assert ra[0] > 359.99 and ra[1] < 0.01
    assert all(0 <= value < 360 for value in ra)


def test_miri_lrs_source_position_moves_onto_the_output_grid():
    # jwst 3.0 on the same single input gives (21.44962841, 190.69924039)
    result = resample(datasets.miri_lrs(n_exposures=1, seed=0))
    assert result.meta.slit.source_xpos == pytest.approx(21.44962841, abs=1e-6)
    assert result.meta.slit.source_ypos == pytest.approx(190.69924039, abs=1e-6)


def test_miri_lrs_s_region_is_a_slit_wide_box_along_the_slit():
    from astropy.coordinates import SkyCoord

    nods = datasets.miri_lrs(n_exposures=2, seed=0)
    result = resample(nods)
    words = result.meta.s_region.split()
    corners = SkyCoord(words[2::2], words[3::2], unit="deg")
    numbers = [float(w) for w in nods[0]["meta"]["s_region"].split()[2:]]
    slit = SkyCoord(numbers[0::2], numbers[1::2], unit="deg")
    width = min(slit.separation(slit[[1, 2, 3, 0]]))
    # sides: c1 -> c3 along the slit, c3 -> c4 across it (the slit width)
    assert corners[1].separation(corners[2]).arcsec == pytest.approx(width.arcsec, abs=2e-5)
    assert corners[3].separation(corners[0]).arcsec == pytest.approx(width.arcsec, abs=2e-5)
    assert corners[0].separation(corners[1]).arcsec > 3 * width.arcsec


@settings(max_examples=15, deadline=None)
@given(ratio=st.floats(0.4, 3.0))
def test_flux_density_is_conserved_for_any_pixel_scale_ratio(ratio):
    # flux density per pixel (MJy): the total is kept whatever the spatial
    # sampling.  (pixfrac < 1 or the point kernel leave holes in the grid of
    # a single input, where the flux is missing, by design.)
    clean = _clean_nod()
    result = resamplespec.resample(clean, pixel_scale_ratio=ratio)
    flux_in = np.nansum(clean[0]["data"], dtype=np.float64)
    flux_out = np.nansum(result.data, dtype=np.float64)
    assert flux_out == pytest.approx(flux_in, rel=3e-3)


@settings(max_examples=10, deadline=None)
@given(ratio=st.floats(0.5, 3.0))
def test_surface_brightness_is_not_scaled_by_the_ratio(ratio):
    # MJy/sr: values are intensities, not scaled; every input pixel covers
    # `ratio` output pixels along the slit, so the sum of the values grows
    # with the ratio (for flux density it would stay, see above)
    clean = _clean_nod(bunit="MJy/sr")
    base = resamplespec.resample(clean)
    result = resamplespec.resample(clean, pixel_scale_ratio=ratio)
    sum_in = np.nansum(base.data, dtype=np.float64)
    sum_out = np.nansum(result.data, dtype=np.float64)
    assert sum_out / sum_in == pytest.approx(result.meta.resample.pixel_scale_ratio, rel=5e-3)


@functools.lru_cache(maxsize=4)
def _clean_nod_cached(bunit):
    return datasets.nirspec_fixed_slit(n_exposures=1, shape=(24, 80), seed=1, noise=False,
                                       sky_level=0.0, bad_fraction=0.0, warn_fraction=0.0,
                                       bunit=bunit)


def _clean_nod(bunit="MJy"):
    return copy.deepcopy(_clean_nod_cached(bunit))
