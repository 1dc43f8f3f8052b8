"""Outlier rejection while combining: find_outliers and resample(reject_outliers=True).

The cases are resamplespec.datasets exposures with cosmic rays (random
pixels of each exposure) and hot pixels (the same detector pixels in every
exposure) injected by datasets.with_outliers, of a known amplitude in units
of each pixel's err: what was injected is known exactly, so what is found
and what is flagged without cause can be counted.
"""

import copy
import warnings

import numpy as np
import pytest
from astropy.io import fits

import resamplespec
from resamplespec import OutlierWarning, datasets, find_outliers, limits, resample
from resamplespec.dqflags import JWST_DQ_FLAGS

OUTLIER = JWST_DQ_FLAGS["OUTLIER"]

CASES = {
    "fixed slit, 3 nods": lambda: datasets.nirspec_fixed_slit(
        n_exposures=3, shape=(36, 240), seed=11),
    "MOS, 3 exposures": lambda: datasets.nirspec_mos(n_slits=2, n_exposures=3, nx=240, seed=12),
    "MIRI LRS, 2 nods": lambda: datasets.miri_lrs(n_exposures=2, shape=(240, 80), seed=13),
    # a bright source (peak SNR 200) on a strongly curved trace
    "bright curved trace": lambda: datasets.nirspec_fixed_slit(
        n_exposures=3, shape=(36, 240), seed=14, snr=200.0, trace_curvature=2e-4),
}


def _flat(layout):
    """The images (or masks) of a list, or of a list of lists / dicts, in order."""
    out = []
    for item in layout:
        if isinstance(item, dict) and "data" not in item:
            out.extend(item.values())
        elif isinstance(item, list):
            out.extend(item)
        else:
            out.append(item)
    return out


def _usable(image):
    return datasets._usable_in_box(image)


def _scores(exposures, truth, masks):
    """(found fraction of the injected, flagged fraction of the other usable pixels)."""
    found = injected = false = good = 0
    for image, hit, mask in zip(_flat(exposures), _flat(truth), _flat(masks), strict=True):
        usable = _usable(image)
        found += np.count_nonzero(mask & hit)
        injected += np.count_nonzero(hit)
        false += np.count_nonzero(mask & usable & ~hit)
        good += np.count_nonzero(usable & ~hit)
    return (found / injected if injected else 1.0), false / good


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    return request.param, CASES[request.param]()


@pytest.mark.parametrize("seed", [1, 2])
def test_outliers_of_ten_sigma_and_more_are_found_and_good_pixels_are_left(case, seed):
    # 25 cosmic rays and 4 hot pixels per exposure (0.4% of the pixels), of
    # 10 to 30 times the pixel's noise
    name, exposures = case
    hit, truth = datasets.with_outliers(exposures, cosmic_rays=25, hot_pixels=4,
                                        amplitude=(10.0, 30.0), seed=seed)
    masks = find_outliers(hit)
    recall, false_rate = _scores(hit, truth, masks)
    assert recall >= 0.99, name
    assert false_rate <= 0.001, name
    # only pixels that a combination would use: never flagged or NaN ones
    for image, mask in zip(_flat(hit), _flat(masks), strict=True):
        assert not np.any(mask & ~_usable(image)), name


def test_outliers_of_five_sigma_are_found_in_part(case):
    # the threshold is 5 times the noise of a difference from the others,
    # which is above the pixel's own noise: about 10-25% of 5-sigma outliers
    # reach it (stated in find_outliers' notes)
    name, exposures = case
    hit, truth = datasets.with_outliers(exposures, cosmic_rays=25, hot_pixels=4,
                                        amplitude=5.0, seed=2)
    recall, false_rate = _scores(hit, truth, find_outliers(hit))
    assert 0.05 <= recall <= 0.4, name
    assert false_rate <= 0.001, name


def test_clean_exposures_have_almost_no_outliers(case):
    name, exposures = case
    _, truth = datasets.with_outliers(exposures, cosmic_rays=0, hot_pixels=0)
    assert _scores(exposures, truth, find_outliers(exposures))[1] <= 0.001, name


def test_the_combination_without_outliers_agrees_with_the_clean_one_within_the_noise(case):
    name, exposures = case
    hit, _ = datasets.with_outliers(exposures, cosmic_rays=25, hot_pixels=4,
                                    amplitude=(10.0, 100.0), seed=3)
    clean = resample(exposures)
    cleaned = resample(hit, reject_outliers=True)
    plain = resample(hit)
    for a, b, c in zip(_flat([clean]), _flat([cleaned]), _flat([plain]), strict=True):
        a, b, c = (getattr(x, "slits", [x]) for x in (a, b, c))
        for clean_slit, cleaned_slit, plain_slit in zip(a, b, c, strict=True):
            both = np.isfinite(clean_slit.data) & np.isfinite(cleaned_slit.data)
            both &= np.isfinite(clean_slit.err) & (clean_slit.err > 0)
            close = np.abs(cleaned_slit.data - clean_slit.data) <= 3 * clean_slit.err
            assert np.count_nonzero(close & both) >= 0.995 * np.count_nonzero(both), name
            # and the outliers did spoil the plain combination
            spoiled = np.abs(plain_slit.data - clean_slit.data) > 3 * clean_slit.err
            assert np.count_nonzero(spoiled & both) > np.count_nonzero(~close & both), name


@pytest.fixture(scope="module")
def nods():
    return datasets.nirspec_fixed_slit(n_exposures=3, shape=(30, 160), seed=21)


@pytest.fixture(scope="module")
def nods_hit(nods):
    return datasets.with_outliers(nods, cosmic_rays=15, hot_pixels=3, amplitude=20.0, seed=4)


def test_nothing_flagged_gives_the_plain_resample_bit_for_bit(nods, assert_identical):
    masks = find_outliers(nods, outlier_threshold=1000.0)
    assert not any(mask.any() for mask in masks)
    plain = resample(nods)
    rejected = resample(nods, reject_outliers=True, outlier_threshold=1000.0)
    assert rejected.dq is None
    assert rejected.meta.resample.outliers_rejected == (0, 0, 0)
    rejected.meta = rejected.meta.replace(resample=plain.meta.resample)
    assert_identical(rejected, plain)


def test_rejection_leaves_out_exactly_the_masks_of_find_outliers(nods_hit):
    # On the same grid (the grid is that of the inputs as given: flagging
    # the outliers by hand could move the wavelengths a little)
    hit, _ = nods_hit
    grid = resample(hit).wcs
    masks = find_outliers(hit, output_wcs=grid)
    flagged = copy.deepcopy(hit)
    for image, mask in zip(flagged, masks, strict=True):
        image["dq"] = image["dq"] | np.where(mask, np.uint32(1), np.uint32(0))
    by_hand = resample(flagged, output_wcs=grid)
    rejected = resample(hit, reject_outliers=True, output_wcs=grid)
    assert rejected.meta.resample.outliers_rejected == tuple(int(m.sum()) for m in masks)
    assert sum(rejected.meta.resample.outliers_rejected) > 0
    for name in ("data", "err", "wht", "con", "var_rnoise", "var_poisson", "var_flat"):
        assert getattr(rejected, name).tobytes() == getattr(by_hand, name).tobytes(), name


def test_output_pixels_that_lost_a_contribution_are_flagged_outlier(nods_hit):
    hit, _ = nods_hit
    plain = resample(hit)
    rejected = resample(hit, reject_outliers=True, propagate_dq=True)
    flagged = (rejected.dq & OUTLIER) != 0
    lost_weight = rejected.wht < plain.wht
    assert flagged.any()
    assert np.array_equal(flagged & lost_weight, lost_weight)
    # flagged without a visible loss: only slivers below float32 resolution
    assert np.count_nonzero(flagged & ~lost_weight) <= 0.05 * np.count_nonzero(flagged)
    # the flags the inputs had are still propagated
    assert np.array_equal(rejected.dq & ~np.uint32(OUTLIER),
                          resample(hit, propagate_dq=True).dq & ~np.uint32(OUTLIER))


def test_single_products_leave_out_their_own_outliers(nods_hit):
    hit, _ = nods_hit
    masks = find_outliers(hit)
    products = resample(hit, reject_outliers=True, single=True)
    for product, mask in zip(products, masks, strict=True):
        assert product.meta.resample.outliers_rejected == (int(mask.sum()),)
        assert ((product.dq & OUTLIER) != 0).any() == bool(mask.any())


def test_inputs_are_never_modified(nods_hit):
    hit, _ = nods_hit
    before = copy.deepcopy(hit)
    resample(hit, reject_outliers=True)
    find_outliers(hit)
    for a, b in zip(hit, before, strict=True):
        for key in ("data", "dq", "err", "var_rnoise", "var_poisson", "var_flat"):
            assert a[key].tobytes() == b[key].tobytes()


def test_results_are_deterministic_and_the_same_from_files_and_workers(nods_hit, tmp_path,
                                                                       assert_identical):
    hit, _ = nods_hit
    paths = [resamplespec.write(resamplespec.SpectralImage.from_dict(image),
                                tmp_path / f"nod{k}.asdf") for k, image in enumerate(hit)]
    reference = resample(hit, reject_outliers=True)
    assert_identical(resample(hit, reject_outliers=True), reference)
    # from files, window by window
    assert_identical(resample(paths, reject_outliers=True, in_memory=False), reference)
    assert_identical(resample(hit, reject_outliers=True, n_jobs=2), reference)
    masks = find_outliers(hit)
    for other in (find_outliers(paths, in_memory=False), find_outliers(hit, n_jobs=2)):
        assert all(np.array_equal(a, b) for a, b in zip(masks, other, strict=True))


@pytest.fixture(scope="module")
def mos_hit():
    exposures = datasets.nirspec_mos(n_slits=3, n_exposures=3, nx=120, seed=22)
    return datasets.with_outliers(exposures, cosmic_rays=10, hot_pixels=2, amplitude=20.0,
                                  seed=5)


def test_multi_slit_masks_come_by_slit_name_and_match_n_jobs(mos_hit, assert_identical):
    hit, truth = mos_hit
    masks = find_outliers(hit)
    assert len(masks) == 3
    for exposure, by_name, hits in zip(hit, masks, truth, strict=True):
        assert list(by_name) == [slit["meta"]["slit_name"] for slit in exposure]
        for slit, mask, injected in zip(exposure, by_name.values(), hits, strict=True):
            assert mask.shape == slit["data"].shape
            assert np.count_nonzero(mask & injected) >= 0.95 * np.count_nonzero(injected)
    parallel = find_outliers(hit, n_jobs=3)
    for a, b in zip(masks, parallel, strict=True):
        assert all(np.array_equal(a[name], b[name]) for name in a)
    serial = resample(hit, reject_outliers=True)
    for a, b in zip(resample(hit, reject_outliers=True, n_jobs=3).slits, serial.slits,
                    strict=True):
        assert_identical(a, b)
    for slit in serial.slits:
        assert sum(slit.meta.resample.outliers_rejected) > 0


def test_a_slit_seen_in_one_exposure_is_combined_without_rejection_and_said_so(mos_hit):
    hit, _ = mos_hit
    exposures = [hit[0], hit[1][:2], hit[2][:2]]  # the third slit only in the first
    with pytest.warns(OutlierWarning, match="one exposure only"):
        masks = find_outliers(exposures)
    third = list(masks[0])[2]
    assert not masks[0][third].any()


def test_two_exposures_flag_only_pixels_above_the_other():
    nods = datasets.nirspec_fixed_slit(n_exposures=2, shape=(30, 160), seed=23)
    first, second = (dict(n, data=np.array(n["data"])) for n in nods)
    sky = (5, 40)  # a sky pixel of the first exposure, seen by the second too
    first["data"][sky] += 30 * first["err"][sky]
    low = (5, 80)
    first["data"][low] -= 30 * first["err"][low]
    masks = find_outliers([first, second])
    assert masks[0][sky]
    assert not masks[0][low]
    # the second exposure's pixels at the same place are not blamed
    assert not masks[1].any() or np.count_nonzero(masks[1]) <= 2


def test_four_exposures_flag_pixels_below_the_others_too():
    nods = datasets.nirspec_fixed_slit(n_exposures=4, shape=(30, 160), seed=24,
                                       nod_offsets_arcsec=[-0.3, -0.1, 0.1, 0.3])
    hit = [dict(n, data=np.array(n["data"])) for n in nods]
    low = (15, 80)
    hit[1]["data"][low] -= 30 * hit[1]["err"][low]
    assert find_outliers(hit)[1][low]


def test_inputs_without_errors_fall_back_to_the_scatter_of_the_data(nods_hit):
    hit, truth = nods_hit
    bare = [{key: value for key, value in image.items()
             if key not in ("err", "var_rnoise", "var_poisson", "var_flat")} for image in hit]
    with pytest.warns(OutlierWarning, match="median absolute deviation"):
        masks = find_outliers(bare, weight_type=None)
    recall, false_rate = _scores(hit, truth, masks)
    assert recall >= 0.9
    assert false_rate <= 0.005


def test_an_input_rejected_entirely_is_named_in_a_warning(nods):
    shifted = [dict(n) for n in nods]
    shifted[2] = dict(nods[2], data=nods[2]["data"] + 1000 * np.nanmax(nods[2]["err"]))
    shifted[2]["meta"] = dict(nods[2]["meta"], filename="bad_cal.fits")
    with pytest.warns(OutlierWarning, match="bad_cal.fits"):
        find_outliers(shifted)


@pytest.mark.parametrize("options, error, match", [
    ({"outlier_threshold": 0.5}, ValueError, "outlier_threshold"),
    ({"outlier_threshold": float("nan")}, ValueError, "outlier_threshold"),
    ({"outlier_threshold": "5"}, TypeError, "outlier_threshold"),
    ({"outlier_shift": -0.1}, ValueError, "outlier_shift"),
    ({"outlier_shift": 11}, ValueError, "outlier_shift"),
    ({"reject_outliers": "yes"}, TypeError, "reject_outliers"),
])
def test_bad_options_are_refused_before_any_work(nods, options, error, match):
    with pytest.raises(error, match=match):
        resample(nods, **{"reject_outliers": True, **options})


def test_one_exposure_is_a_clear_error(nods):
    with pytest.raises(ValueError, match="at least two exposures"):
        resample(nods[:1], reject_outliers=True)
    with pytest.raises(ValueError, match="at least two exposures"):
        find_outliers(nods[0])


def test_find_outliers_does_not_take_reject_outliers(nods):
    with pytest.raises(TypeError, match="reject_outliers"):
        find_outliers(nods, reject_outliers=False)


def test_the_record_of_rejected_pixels_survives_a_round_trip(nods_hit, tmp_path):
    hit, _ = nods_hit
    product = resample(hit, reject_outliers=True)
    for suffix in ("asdf", "fits"):
        again = resamplespec.read(resamplespec.write(product, tmp_path / f"out.{suffix}"))
        assert again.meta.resample.outliers_rejected == product.meta.resample.outliers_rejected
    with fits.open(tmp_path / "out.fits") as hdus:
        assert hdus[0].header["RSNOUTLR"] == sum(product.meta.resample.outliers_rejected)


def test_no_warning_on_ordinary_data(nods_hit):
    hit, _ = nods_hit
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resample(hit, reject_outliers=True)


def test_two_exposures_hit_at_the_same_place_are_both_found_against_a_third():
    # nods 5 pixels apart along the slit, no pointing error: row r of the
    # first sees the sky of row r + 5 of the second and r + 10 of the third
    nods = datasets.nirspec_fixed_slit(n_exposures=3, shape=(36, 160), seed=25,
                                       nod_offsets_arcsec=[-0.5, 0.0, 0.5],
                                       pointing_jitter_arcsec=0.0)
    hit = [dict(n, data=np.array(n["data"])) for n in nods]
    for k, place in ((0, (16, 60)), (1, (21, 60))):
        hit[k]["data"][place] += 30 * hit[k]["err"][place]
    masks = find_outliers(hit)
    assert masks[0][16, 60] and masks[1][21, 60]
    assert not masks[2][26, 60]


def test_from_files_only_a_few_inputs_are_in_memory_at_once(tmp_path, inputs_in_memory):
    # the memory bound of in_memory=False holds with rejection: inputs are
    # read again when needed rather than all kept
    nods = datasets.nirspec_fixed_slit(n_exposures=4, shape=(24, 60), seed=26,
                                       nod_offsets_arcsec=[-0.3, -0.1, 0.1, 0.3])
    hit, _ = datasets.with_outliers(nods, cosmic_rays=5, hot_pixels=1, amplitude=20.0)
    paths = [resamplespec.write(resamplespec.SpectralImage.from_dict(image),
                                tmp_path / f"nod{k}.asdf") for k, image in enumerate(hit)]
    most = inputs_in_memory
    product = resample(paths, in_memory=False, reject_outliers=True)
    assert sum(product.meta.resample.outliers_rejected) > 0
    assert len(most) > 2 * len(paths)  # read again for the judging
    assert max(most) <= limits.CACHED_IMAGES + 2


def _trace_and_slopes(shift_x, shift_y, n=400, seed=5):
    """A bright 2D Gaussian sampled at scattered points, as the other
    exposure would give it (value, d/dx, d/dy), and this exposure's values:
    the same source moved by (shift_x, shift_y)."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-3, 3, n), rng.uniform(-3, 3, n)

    def source(x, y):
        return 1000.0 * np.exp(-0.5 * (x**2 + y**2))

    value = source(x, y)
    gx, gy = value * -x, value * -y
    target = source(x - shift_x, y - shift_y)
    return value, (gx, gy), target


def test_the_shift_between_two_exposures_is_fitted_to_first_order():
    from resamplespec.pipeline._outliers import _fitted_shift
    value, slopes, target = _trace_and_slopes(0.02, -0.03)
    ones = np.ones_like(value)
    shift = _fitted_shift(value, ones, slopes, 1.0, target, ones)
    # target - value = -(dx gx + dy gy) to first order: the shift of the model onto
    # the target is minus the source's move
    assert shift == pytest.approx([-0.02, 0.03], abs=1e-3)


def test_a_shift_is_not_fitted_where_the_slopes_say_nothing_about_one_axis():
    from resamplespec.pipeline._outliers import _fitted_shift
    value, (gx, _), target = _trace_and_slopes(0.02, 0.0)
    ones = np.ones_like(value)
    # no slope along y: the normal equations are singular
    assert _fitted_shift(value, ones, (gx, np.zeros_like(gx)), 1.0, target, ones) is None
    # a residual exactly linear in the slopes gives its shift, up to half a pixel
    gy = np.linspace(-50.0, 50.0, value.size)
    assert _fitted_shift(value, ones, (gx, gy), 1.0, value + 0.3 * gx - 0.1 * gy,
                         ones) == pytest.approx([0.3, -0.1], rel=1e-9)
    assert _fitted_shift(value, ones, (gx, gy), 1.0, value + 0.8 * gx, ones) is None
    # nor on fewer than 50 points
    assert _fitted_shift(value[:40], ones[:40], (gx[:40], gx[:40]), 1.0, target[:40],
                         ones[:40]) is None


def test_the_mapped_pixels_are_those_with_both_coordinates_finite_in_any_layout():
    from resamplespec.pipeline._outliers import _mapped, _places
    rng = np.random.default_rng(6)
    pixmap = rng.random((5, 8, 2))
    pixmap[1, 2, 0], pixmap[3, 4, 1], pixmap[4, 7] = np.nan, np.inf, -np.inf
    mask = rng.random((5, 8)) < 0.5
    for layout in (pixmap, np.asfortranarray(pixmap), pixmap[:, ::2]):
        assert np.array_equal(_mapped(layout), np.isfinite(layout).all(axis=-1))
        chosen = mask[:, :layout.shape[1]]
        assert np.array_equal(_places(layout, chosen), layout[chosen], equal_nan=True)
