"""Inputs that do not belong together, exposures with nothing usable, weights
that silently count an input out, and negative variances (issue 19, items 1,
4, 6, 7 and 10)."""

import warnings

import numpy as np
import pytest

import resamplespec
from resamplespec import SpectralImage, datasets, io
from resamplespec.cli import main
from resamplespec.pipeline import InputWarning


def _nods(n=2, **kwargs):
    return datasets.nirspec_fixed_slit(n_exposures=n, shape=(24, 80), seed=3, **kwargs)


def _with_meta(nod, **changes):
    return dict(nod, meta=dict(nod["meta"], **changes))


# --- 1, 4: inputs that do not belong together ----------------------------------------


def test_different_instruments_are_refused_naming_both_inputs():
    nirspec = _nods(1)[0]
    miri = datasets.miri_lrs(n_exposures=1, shape=(60, 80), seed=1)[0]
    with pytest.raises(ValueError, match=r"^jw\S+_nrs1_cal.fits \(slit S200A1\) and "
                       r"jw\S+_mirimage_cal.fits \(slit LRS\) do not belong together: different "
                       r"instruments \('NIRSPEC' and 'MIRI'\)"):
        resamplespec.resample([nirspec, miri])


@pytest.mark.parametrize("attribute, other", [("grating", "G395M"), ("filter", "F290LP")])
def test_different_gratings_or_filters_are_refused(attribute, other):
    nods = _nods()
    nods[1] = _with_meta(nods[1], **{attribute: other})
    with pytest.raises(ValueError, match=rf"different {attribute}s \('.*' and '{other}'\)"):
        resamplespec.resample(nods)


def test_flux_density_and_surface_brightness_are_not_averaged():
    nods = _nods()
    nods[1] = _with_meta(nods[1], bunit_data="MJy/sr")
    with pytest.raises(ValueError, match=r"different data units \('MJy' and 'MJy/sr'\)"):
        resamplespec.resample(nods)


def test_units_spelled_differently_but_equal_are_combined():
    nods = _nods()
    nods[1] = _with_meta(nods[1], bunit_data="megajansky")
    assert np.isfinite(resamplespec.resample(nods).data).any()


def test_unstated_set_ups_are_not_compared():
    nods = _nods()
    nods[1] = _with_meta(nods[1], instrument=None, grating=None, filter=None)
    assert np.isfinite(resamplespec.resample(nods).data).any()


def test_the_set_up_round_trips_through_files(tmp_path):
    image = SpectralImage.from_dict(_nods(1)[0])
    for suffix in ("asdf", "fits"):
        back = io.read(io.write(image, tmp_path / f"nod.{suffix}"))
        assert (back.meta.filter, back.meta.grating) == ("F170LP", "G235M")


def test_the_command_line_refuses_mixed_instruments_in_one_line(tmp_path, capsys):
    nirspec = SpectralImage.from_dict(_nods(1)[0])
    miri = SpectralImage.from_dict(datasets.miri_lrs(n_exposures=1, shape=(60, 80), seed=1)[0])
    paths = [str(io.write(nirspec, tmp_path / "fs_cal.asdf")),
             str(io.write(miri, tmp_path / "lrs_cal.asdf"))]
    status = main(paths + ["-o", str(tmp_path / "out.asdf")])
    lines = capsys.readouterr().err.splitlines()
    assert status == 1
    assert lines[0].startswith("resamplespec: error: ")
    assert "do not belong together: different instruments ('NIRSPEC' and 'MIRI')" in lines[0]
    assert len(lines) == 1
    assert not (tmp_path / "out.asdf").exists()


# --- 10: an exposure with nothing usable -----------------------------------------------


def _all_nan(nod):
    return dict(nod, data=np.full_like(nod["data"], np.nan))


def test_an_all_nan_exposure_is_left_out_with_a_warning(assert_identical):
    nods = _nods(3)
    broken = [nods[0], _all_nan(nods[1]), nods[2]]
    name = nods[1]["meta"]["filename"]
    with pytest.warns(InputWarning, match=rf"^{name} \(slit S200A1\): every data value is "
                      r"NaN .*; left out of the result"):
        result = resamplespec.resample(broken)
    assert_identical(result, resamplespec.resample([nods[0], nods[2]]))


def test_an_exposure_whose_variance_is_nan_everywhere_is_left_out_saying_why():
    nods = _nods(3)
    nods[2] = dict(nods[2], var_poisson=np.full_like(nods[2]["var_poisson"], np.nan))
    with pytest.warns(InputWarning, match=r"its var_poisson is NaN everywhere\); left out"):
        result = resamplespec.resample(nods)
    assert result.meta.resample.n_inputs == 2


def test_nothing_usable_at_all_is_an_error_naming_every_input():
    nods = [_all_nan(nod) for nod in _nods()]
    with pytest.raises(ValueError, match=r"every data value is NaN.*; .*every data value is "
                       r"NaN.*; nothing to resample$"):
        resamplespec.resample(nods)


def test_an_all_nan_exposure_read_from_its_file_adds_nothing_with_a_warning(tmp_path):
    nods = _nods(3)
    paths = [io.write(SpectralImage.from_dict(nod), tmp_path / f"nod{k}_cal.asdf")
             for k, nod in enumerate([nods[0], _all_nan(nods[1]), nods[2]])]
    with pytest.warns(InputWarning, match=r"every data value is NaN.*adds nothing"):
        deferred = resamplespec.resample(paths, in_memory=False)
    good = resamplespec.resample([nods[0], nods[2]])
    assert deferred.data.shape == good.data.shape
    np.testing.assert_allclose(deferred.data, good.data, rtol=1e-5, equal_nan=True)


# --- 6: weight_type='ivm' weights that count an input out ------------------------------


def test_an_input_without_read_noise_among_others_is_named():
    nods = _nods(3)
    nods[1] = {k: v for k, v in nods[1].items() if k != "var_rnoise"}
    with pytest.warns(InputWarning, match=rf"^{nods[1]['meta']['filename']} \(slit S200A1\) "
                      r"has no var_rnoise: with weight_type='ivm' its pixels weigh 1"):
        resamplespec.resample(nods)


def test_no_input_with_read_noise_means_equal_weights_without_a_warning():
    nods = [{k: v for k, v in nod.items() if k != "var_rnoise"} for nod in _nods()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resamplespec.resample(nods)


@pytest.mark.parametrize("value", [0.0, -1.0])
def test_read_noise_with_no_usable_value_is_named_as_dropping_out(value):
    nods = _nods(3)
    nods[0] = dict(nods[0], var_rnoise=np.full_like(nods[0]["var_rnoise"], value))
    with pytest.warns(InputWarning, match=r"var_rnoise has no positive finite value.*weighs "
                      r"0 and it drops out"):
        result = resamplespec.resample(nods)
    # what it means: its context bit (bit 0) is set nowhere, the others' are
    assert not (result.con[0] & 1).any()
    assert (result.con[0] & 2).any() and (result.con[0] & 4).any()


def test_other_weight_types_do_not_warn_about_read_noise():
    nods = _nods()
    nods[0] = dict(nods[0], var_rnoise=np.zeros_like(nods[0]["var_rnoise"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resamplespec.resample(nods, weight_type="exptime")


# --- 7: negative variances are unknown, everywhere -------------------------------------


def _with_negative_poisson(nods, rows=slice(8, 12)):
    out = []
    for nod in nods:
        poisson = nod["var_poisson"].copy()
        poisson[rows] = -np.abs(poisson[rows]) - 1e-3
        out.append(dict(nod, var_poisson=poisson))
    return out


@pytest.mark.parametrize("variance", ["reference", "exact"])
def test_negative_poisson_variance_leaves_err_finite_where_data_are(variance):
    nods = _with_negative_poisson(_nods(2, noise=False))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning from a sqrt
        result = resamplespec.resample(nods, variance=variance)
    finite = np.isfinite(result.data)
    assert np.isfinite(result.err[finite]).all()
    # the Poisson part is unknown where a negative value reached (every
    # input has one there): NaN, left out of err; read noise still counts
    unknown = np.isnan(result.var_poisson) & finite
    assert unknown.any()
    np.testing.assert_allclose(
        result.err[unknown] ** 2, (result.var_rnoise + result.var_flat)[unknown], rtol=1e-5)


def test_negative_variance_is_unknown_in_the_drizzler_in_both_modes():
    pixmap = np.dstack(np.meshgrid(np.arange(3.0), np.arange(2.0)))
    variance = np.array([[1.0, -1.0, 4.0], [1.0, 1.0, 1.0]], np.float32)
    for mode in ("exact", "reference"):
        d = resamplespec.Drizzler((2, 3), n_variances=1, variance_mode=mode)
        d.add(np.ones((2, 3), np.float32), pixmap, variances=[variance])
        np.testing.assert_array_equal(d.finish().variances[0],
                                      [[1.0, np.nan, 4.0], [1.0, 1.0, 1.0]])


# --- 1, 17: grids of implausible size, refused before they exist -----------------------


def _lrs(seed, **kwargs):
    return datasets.miri_lrs(n_exposures=1, seed=seed, **kwargs)[0]  # 400 x 80 pixels


def test_targets_a_degree_apart_are_refused_saying_how_far():
    far = _lrs(2, target_ra=80.4891 + 1.0)
    with pytest.raises(ValueError, match=r"^the output grid computed for these inputs would "
                       r"be \d+ x \d+ pixels \(nx x ny\), [\d.]+ times their 64000 pixels, "
                       r"most of it empty: .* are 12\d\d arcsec apart"):
        resamplespec.resample([_lrs(1), far])


def test_targets_a_few_arcsec_apart_are_combined():
    near = _lrs(2, target_ra=80.4891 + 2.0 / 3600)
    assert np.isfinite(resamplespec.resample([_lrs(1), near]).data).any()


def test_the_plausibility_limits_are_read_from_limits(monkeypatch):
    nods = _nods()
    monkeypatch.setattr(resamplespec.limits, "MIN_GRID_PIXELS_CHECKED", 0)
    monkeypatch.setattr(resamplespec.limits, "MAX_GRID_PER_INPUT_PIXEL", 0.1)
    with pytest.raises(ValueError, match="times their 3840 pixels"):
        resamplespec.resample(nods)
    # an explicit size is the user's choice: only its memory is checked
    assert resamplespec.resample(nods, output_shape=(80, 30)).data.shape == (30, 80)


def _diverging(image, big):
    """``image`` with a WCS that sends detector columns beyond 50 to x = big."""
    from astropy.modeling import Model
    from gwcs import WCS

    class Diverge(Model):
        n_inputs, n_outputs = 2, 2

        @staticmethod
        def evaluate(x, y):
            return np.where(x > 50, big, x), y

    steps = image.wcs.pipeline
    forward = Diverge() | steps[0].transform
    wcs = WCS([(steps[0].frame, forward)] + [(s.frame, s.transform) for s in steps[1:]])
    wcs.bounding_box = image.wcs.bounding_box
    image.wcs = wcs
    return image


def test_a_wcs_that_diverges_is_refused_naming_the_input():
    image = _diverging(SpectralImage.from_dict(_nods(1)[0]), 1e9)
    with np.errstate(all="ignore"), pytest.raises(
            ValueError, match=r"would be inf pixels along the slit, most of it empty: the WCS "
            r"of jw\S+ \(slit S200A1\) maps part of the detector far from the rest"):
        resamplespec.resample([image])


@pytest.mark.parametrize("half_width", [3000.0, 1e30])
def test_a_bounding_box_far_larger_than_the_data_gives_the_datas_grid(half_width):
    image = SpectralImage.from_dict(datasets.nirspec_fixed_slit(n_exposures=1, shape=(20, 60),
                                                                seed=1)[0])
    image.wcs.bounding_box = ((-half_width, half_width), (-half_width, half_width))
    result = resamplespec.resample([image])
    # at most one pixel beyond the array on each side, as the reference's grid
    assert result.data.shape[0] <= 20 + 3 and result.data.shape[1] <= 60 + 2
    assert np.isfinite(result.data).sum() > 0.8 * 20 * 60


def test_an_output_shape_beyond_memory_is_refused_before_resampling():
    with pytest.raises(ValueError, match=r"^the output grid asked for is 1000000 x 1000000 "
                       r"pixels \(nx x ny\), whose products alone need 2.98e\+04 GiB; .* GiB "
                       r"of memory is available$"):
        resamplespec.resample(_nods(1), output_shape=(10**6, 10**6))


def test_an_output_wcs_beyond_memory_is_refused(monkeypatch):
    nods = _nods()
    grid = resamplespec.build_output_grid([SpectralImage.from_dict(n) for n in nods])
    monkeypatch.setattr(resamplespec.limits, "GRID_BYTES_PER_PIXEL", 2**60)
    with pytest.raises(ValueError, match=r"^the output grid asked for is \d+ x \d+ pixels"):
        resamplespec.resample(nods, output_wcs=grid.wcs)


def test_the_command_line_refuses_an_output_shape_beyond_memory(tmp_path, capsys):
    path = io.write(SpectralImage.from_dict(_nods(1)[0]), tmp_path / "nod_cal.asdf")
    status = main([str(path), "-o", str(tmp_path / "out.asdf"),
                   "--output_shape", "1000000,1000000"])
    lines = capsys.readouterr().err.splitlines()
    assert status == 1 and len(lines) == 1
    assert lines[0].startswith("resamplespec: error: the output grid asked for is 1000000 x "
                               "1000000 pixels")


def test_an_input_without_read_noise_read_from_its_file_is_named(tmp_path):
    nods = _nods(2)
    nods[0] = {k: v for k, v in nods[0].items() if k != "var_rnoise"}
    paths = [io.write(SpectralImage.from_dict(nod), tmp_path / f"nod{k}_cal.asdf")
             for k, nod in enumerate(nods)]
    with pytest.warns(InputWarning, match=r"^jw\S+ \(slit S200A1\) has no var_rnoise"):
        resamplespec.resample(paths, in_memory=False)


@pytest.mark.parametrize("pixfrac", ["1e-6", "0.0005"])
def test_the_command_line_refuses_a_pixfrac_too_small_to_draw(tmp_path, capsys, pixfrac):
    path = io.write(SpectralImage.from_dict(_nods(1)[0]), tmp_path / "nod_cal.asdf")
    status = main([str(path), "-o", str(tmp_path / "out.asdf"), "--pixfrac", pixfrac])
    lines = capsys.readouterr().err.splitlines()
    assert status != 0 and len(lines) == 1
    assert f"pixfrac={float(pixfrac)!r} is below 0.001" in lines[0]
    assert not (tmp_path / "out.asdf").exists()
