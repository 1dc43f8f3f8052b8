"""resample() on the wavelength grid the user chooses: flux, weights, line
positions and widths, variances, every other option, products and bad input."""

import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resamplespec import datasets, io, resample

#: the NIRSpec datasets disperse geometrically: lambda = lambda_ref exp(w / tau)
#: with w in pixels, tau = (nx - 1) / ln(lambda_last / lambda_first)
RANGE_UM = (1.70, 3.10)


def tau_of(nx):
    return (nx - 1) / math.log(RANGE_UM[1] / RANGE_UM[0])


@functools.cache
def clean_nods(bunit="MJy", n_exposures=3, nx=120):
    """Noiseless, unflagged nods: the flux of every row is the physics alone."""
    return datasets.nirspec_fixed_slit(n_exposures=n_exposures, shape=(24, nx), seed=2,
                                       noise=False, bad_fraction=0, warn_fraction=0,
                                       bunit=bunit)


@functools.cache
def dithered(noise=False):
    """Four exposures dithered by a quarter pixel along the dispersion, with an
    unresolved line (sigma 0.2 pixel) at 2.4 um."""
    return datasets.nirspec_spectral_dither(n_exposures=4, shape=(24, 200), seed=3,
                                            noise=noise)


def column_edges(wavelength):
    """Edges of the output columns: the means of neighbouring centres (where
    the output's piecewise-linear table puts them), half a step beyond the ends."""
    middle = 0.5 * (wavelength[1:] + wavelength[:-1])
    return np.concatenate([[2 * wavelength[0] - middle[0]], middle,
                           [2 * wavelength[-1] - middle[-1]]])


def column_widths(wavelength):
    return np.abs(np.diff(column_edges(wavelength)))


def integral(row, wavelength, low, high):
    """int f dlambda over [low, high] of one output row: sum of data x column
    width, the columns at the ends of the range counted in part."""
    edges = column_edges(wavelength)
    cumulative = np.concatenate([[0.0], np.cumsum(row.astype(np.float64) * np.diff(edges))])
    if edges[-1] < edges[0]:
        edges, cumulative = edges[::-1], cumulative[::-1]
    return np.interp(high, edges, cumulative) - np.interp(low, edges, cumulative)


def row_integrals(product, low=1.8, high=3.0):
    return np.array([integral(row, product.meta.wavelength, low, high)
                     for row in product.data])


# ---------------------------------------------------------------------------
# flux
# ---------------------------------------------------------------------------

SQUARE_GRIDS = [("native", 2.0), ("native", 3.0), ("native", 0.5), ("linear", 1.0),
                ("linear", 2.0), ("log", 1.0), ("log", 2.0), ("log", 0.5)]
#: no finer than the inputs anywhere, so that the point kernel leaves no pixel empty
POINT_GRIDS = [("native", 0.5), ("log", 1.0), ("log", 0.5)]


@pytest.mark.parametrize("bunit", ["MJy", "MJy/sr"])
@pytest.mark.parametrize(("kernel", "spectral_grid", "sampling"),
                         [("square", g, s) for g, s in SQUARE_GRIDS]
                         + [("point", g, s) for g, s in POINT_GRIDS])
def test_flux_of_every_row_is_the_native_grids_to_two_per_mille(bunit, kernel, spectral_grid,
                                                                sampling):
    nods = clean_nods(bunit)
    native = resample(nods, kernel=kernel)
    ours = resample(nods, kernel=kernel, spectral_grid=spectral_grid,
                    spectral_sampling=sampling)
    assert ours.shape[0] == native.shape[0]  # the spatial axis is unchanged
    assert ours.meta.bunit_data == bunit
    if kernel == "point":
        inside = np.abs(ours.meta.wavelength - 2.4) < 0.6
        assert np.all(ours.wht[4:-4][:, inside] > 0)  # no empty pixel on the slit
    expected, found = row_integrals(native), row_integrals(ours)
    rows = np.isfinite(expected) & (np.abs(expected) > 0.05 * np.nanmax(np.abs(expected)))
    assert np.count_nonzero(rows) >= 4
    np.testing.assert_allclose(found[rows], expected[rows], rtol=2e-3)


def test_explicit_array_conserves_flux_and_fills_columns_beyond_the_inputs():
    nods = clean_nods()
    native = resample(nods)
    # uneven steps from below the inputs to inside them
    centres = 1.55 + 1.3 * np.linspace(0.0, 1.0, 90) ** 1.3
    ours = resample(nods, spectral_grid=centres, fillval=-7)
    assert ours.meta.wavelength.tobytes() == centres.tobytes()
    beyond = column_edges(centres)[1:] < RANGE_UM[0] - 0.01  # whole columns
    assert beyond.any() and np.all(ours.data[:, beyond] == -7)
    assert np.all(ours.wht[:, beyond] == 0)
    expected, found = row_integrals(native, 1.8, 2.8), row_integrals(ours, 1.8, 2.8)
    rows = np.abs(expected) > 0.05 * np.nanmax(np.abs(expected))
    np.testing.assert_allclose(found[rows], expected[rows], rtol=2e-3)


# ---------------------------------------------------------------------------
# weights, from the geometry
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("spectral_grid", "sampling"),
                         [("native", 1.0), ("native", 2.0), ("linear", 1.0), ("log", 2.0),
                          ("log", 0.5)])
@pytest.mark.parametrize("ratio", [1.0, 2.0])
def test_weight_of_a_covered_pixel_is_its_area_in_input_pixels(spectral_grid, sampling, ratio):
    # One input, unit weights: the kernel deposits each input pixel's unit
    # weight in proportion to overlap, so a pixel covered by the input weighs
    # its own area in input pixels: its width in wavelength over the input's
    # dispersion (lambda / tau um per pixel), times its height (1 / ratio).
    # (The detector geometry of the dataset preserves area: its trace and
    # tilt make a shear.)
    nods = clean_nods(n_exposures=1)
    ours = resample(nods, spectral_grid=spectral_grid, spectral_sampling=sampling,
                    weight_type=None, pixel_scale_ratio=ratio)
    wavelength = ours.meta.wavelength
    expected = column_widths(wavelength) * tau_of(120) / wavelength / ratio
    ny = ours.shape[0]
    rows = slice(int(0.3 * ny), int(0.7 * ny))  # well inside the slit
    columns = slice(4, -4)
    np.testing.assert_allclose(ours.wht[rows, columns],
                               np.broadcast_to(expected, ours.shape)[rows, columns], rtol=1e-3)


@pytest.mark.parametrize("descending", [False, True])
def test_end_columns_of_an_explicit_array_inside_the_inputs_are_whole(descending):
    # input pixels straddling an end of the grid give their inside part, so
    # the end columns weigh their area in input pixels, as the others do
    nods = clean_nods(n_exposures=1)
    centres = np.linspace(1.9, 2.6, 50)[::-1 if descending else 1]
    ours = resample(nods, spectral_grid=centres, weight_type=None)
    expected = column_widths(centres) * tau_of(120) / centres
    ny = ours.shape[0]
    rows = slice(int(0.3 * ny), int(0.7 * ny))
    np.testing.assert_allclose(ours.wht[rows], np.broadcast_to(expected, ours.shape)[rows],
                               rtol=1e-3)


def test_total_weight_is_the_same_on_every_grid_that_holds_every_input_pixel():
    # each good input pixel deposits its whole weight on a grid that holds it
    nods = clean_nods()
    totals = [float(np.sum(resample(nods, spectral_grid=g, spectral_sampling=s).wht,
                           dtype=np.float64))
              for g, s in [("native", 1.0), ("native", 2.0), ("native", 0.5), ("log", 2.0)]]
    np.testing.assert_allclose(totals, totals[0], rtol=1e-5)


# ---------------------------------------------------------------------------
# lines: where they are and how wide
# ---------------------------------------------------------------------------

LINE_UM = 2.4


def line_profile(product):
    """Wavelength and continuum-subtracted spectrum (summed over rows) within
    12 native pixels of the line."""
    step = LINE_UM / tau_of(200)
    wavelength = product.meta.wavelength
    spectrum = np.nansum(product.data, axis=0, dtype=np.float64)
    window = np.abs(wavelength - LINE_UM) < 12 * step
    sides = window & (np.abs(wavelength - LINE_UM) > 6 * step)
    continuum = np.polyval(np.polyfit(wavelength[sides], spectrum[sides], 1), wavelength)
    return wavelength[window], (spectrum - continuum)[window]


def centroid_native_pixels(product):
    wavelength, line = line_profile(product)
    return (np.sum(wavelength * line) / np.sum(line) - LINE_UM) / (LINE_UM / tau_of(200))


def fwhm_native_pixels(product):
    """Full width at half maximum, linear between samples, in native pixels."""
    wavelength, line = line_profile(product)
    peak = int(np.argmax(line))
    half = 0.5 * line[peak]
    left = peak
    while line[left] > half:
        left -= 1
    right = peak
    while line[right] > half:
        right += 1
    at_left = np.interp(half, line[left:left + 2], wavelength[left:left + 2])
    at_right = np.interp(half, line[right - 1:right + 1][::-1],
                         wavelength[right - 1:right + 1][::-1])
    return (at_right - at_left) / (LINE_UM / tau_of(200))


@pytest.mark.parametrize(("spectral_grid", "sampling"),
                         [("native", 1.0), ("native", 2.0), ("native", 4.0), ("linear", 1.0),
                          ("linear", 2.0), ("log", 1.0), ("log", 2.0), ("explicit", 1.0)])
def test_narrow_line_keeps_its_centroid_to_two_hundredths_of_a_pixel(spectral_grid, sampling):
    exposures = dithered()
    if spectral_grid == "explicit":
        # a grid of the user's, 1.3 native pixels a step, off the native phase
        step = LINE_UM / tau_of(200)
        spectral_grid = LINE_UM + 0.37 * step + 1.3 * step * np.arange(-60, 60)
    product = resample(exposures, spectral_grid=spectral_grid, spectral_sampling=sampling)
    assert abs(centroid_native_pixels(product)) < 0.02


@pytest.mark.parametrize(("pixfrac", "native_fwhm", "oversampled_fwhm"),
                         [(1.0, 1.52, 1.34), (0.5, 1.41, 1.07)])
def test_oversampling_dithered_exposures_narrows_an_unresolved_line(pixfrac, native_fwhm,
                                                                    oversampled_fwhm):
    # Four exposures a quarter pixel apart; the line (sigma 0.2 pixel) is as
    # wide as the pixels let it be.  On the native grid each exposure's pixel
    # and the output's pixel both widen it; spectral_sampling=2 halves the
    # second: FWHM 1.52 -> 1.34 native pixels (pixfrac 1), 1.41 -> 1.07 with
    # the drops shrunk to pixfrac 0.5.
    exposures = dithered()
    native = fwhm_native_pixels(resample(exposures, pixfrac=pixfrac))
    oversampled = fwhm_native_pixels(resample(exposures, pixfrac=pixfrac,
                                              spectral_sampling=2))
    assert native == pytest.approx(native_fwhm, abs=0.01)
    assert oversampled == pytest.approx(oversampled_fwhm, abs=0.01)
    assert oversampled < native - 0.15


def test_dithered_dataset_puts_the_source_at_one_sky_position_and_moves_the_spectrum():
    exposures = dithered(noise=True)
    assert {(e["meta"]["source_ra"], e["meta"]["source_dec"]) for e in exposures} == {
        (53.1625, -27.7914)}
    # the same detector pixel sees a wavelength a quarter pixel bluer in each
    # next exposure
    lam = [e["wcs"](100.0, 12.0)[2] for e in exposures]
    # (to the small change the trace curvature makes to the tilted lines)
    np.testing.assert_allclose(np.diff(np.log(lam)), -0.25 / tau_of(200), rtol=1e-3)
    # noise drawn from the error arrays
    truth = dithered(noise=False)
    pulls = np.concatenate([((e["data"] - t["data"]) / e["err"])[np.isfinite(e["err"])]
                            for e, t in zip(exposures, truth, strict=True)])
    assert np.std(pulls) == pytest.approx(1.0, abs=0.03)


# ---------------------------------------------------------------------------
# errors and variances
# ---------------------------------------------------------------------------

VARIANCE_GRIDS = [("native", 1.0), ("native", 2.0), ("linear", 1.0), ("log", 2.0)]


@pytest.mark.parametrize("variance", ["reference", "exact"])
@pytest.mark.parametrize(("spectral_grid", "sampling"), VARIANCE_GRIDS)
def test_error_is_the_root_of_the_summed_variances_on_every_grid(variance, spectral_grid,
                                                                 sampling):
    product = resample(datasets.nirspec_fixed_slit(n_exposures=2, shape=(20, 80), seed=5),
                       variance=variance, spectral_grid=spectral_grid,
                       spectral_sampling=sampling)
    total = product.var_rnoise + product.var_poisson + product.var_flat
    finite = np.isfinite(total)
    assert finite.mean() > 0.5
    np.testing.assert_allclose(product.err[finite] ** 2, total[finite], rtol=1e-5)


@pytest.mark.parametrize(("spectral_grid", "sampling"), VARIANCE_GRIDS)
def test_reference_variance_of_a_uniform_variance_is_that_variance_on_every_grid(
        spectral_grid, sampling):
    # sqrt(var) of one input is drizzled like data: uniform in, uniform out
    exposures = [dict(e) for e in clean_nods(n_exposures=1, nx=80)]
    for e in exposures:
        for name in ("var_rnoise", "var_poisson", "var_flat"):
            e[name] = np.where(np.isfinite(e[name]), np.float32(4.0e-6), np.nan).astype(
                np.float32)
    product = resample(exposures, spectral_grid=spectral_grid, spectral_sampling=sampling)
    inside = product.wht > 0.5 * np.nanmax(product.wht)
    np.testing.assert_allclose(product.var_rnoise[inside], 4.0e-6, rtol=1e-5)


@pytest.mark.parametrize(("spectral_grid", "sampling"), [("native", 2.0), ("log", 2.0)])
def test_exact_variance_is_the_scatter_of_outputs_over_noise_draws(spectral_grid, sampling):
    # Monte Carlo: 160 draws of one exposure's noise, from its own variances
    truth = datasets.nirspec_fixed_slit(n_exposures=1, shape=(16, 40), seed=6, noise=False,
                                        bad_fraction=0, warn_fraction=0)[0]
    sigma = np.sqrt(truth["var_rnoise"] + truth["var_poisson"] + truth["var_flat"])
    rng = np.random.default_rng(7)
    options = {"variance": "exact", "spectral_grid": spectral_grid,
               "spectral_sampling": sampling}
    predicted = resample([truth], **options)
    outputs = []
    for _ in range(160):
        draw = dict(truth, data=(truth["data"] + sigma * rng.standard_normal(sigma.shape)
                                 ).astype(np.float32))
        outputs.append(resample([draw], **options).data)
    scatter = np.var(np.array(outputs, dtype=np.float64), axis=0, ddof=1)
    inside = predicted.wht > 0.5 * np.nanmax(predicted.wht)
    ratio = np.mean(scatter[inside]) / np.mean(predicted.err[inside].astype(np.float64) ** 2)
    assert ratio == pytest.approx(1.0, abs=0.05)


# ---------------------------------------------------------------------------
# every other option, every kind of grid
# ---------------------------------------------------------------------------

GRID_CHOICES = [("linear", 1.0), ("log", 2.0), ("native", 2.0)]


@functools.cache
def kind_inputs(kind):
    if kind == "nirspec":
        return datasets.nirspec_fixed_slit(n_exposures=2, shape=(20, 80), seed=1)
    if kind == "miri_lrs":
        return datasets.miri_lrs(n_exposures=2, seed=1)
    return datasets.lamp(seed=1)


@pytest.mark.parametrize("kind", ["nirspec", "miri_lrs", "lamp"])
@pytest.mark.parametrize(("spectral_grid", "sampling"), GRID_CHOICES)
def test_every_kind_of_grid_takes_every_spectral_grid(kind, spectral_grid, sampling):
    product = resample(kind_inputs(kind), spectral_grid=spectral_grid,
                       spectral_sampling=sampling)
    native = resample(kind_inputs(kind))
    n_native = native.meta.wavelength.size
    n_ours = product.meta.wavelength.size
    assert n_ours == pytest.approx(n_native * sampling, rel=0.05)
    axis = 1 if product.meta.dispersion_direction == 1 else 0
    assert product.shape[axis] == n_ours
    assert product.shape[1 - axis] == native.shape[1 - axis]
    descending = native.meta.wavelength[0] > native.meta.wavelength[-1]
    assert (product.meta.wavelength[0] > product.meta.wavelength[-1]) == descending
    assert np.isfinite(product.data).mean() > 0.3
    record = product.meta.resample
    assert (record.spectral_grid, record.spectral_sampling) == (spectral_grid, sampling)


@pytest.mark.parametrize(("option", "value"), [
    ("pixel_scale_ratio", 2.0), ("pixel_scale", 0.05), ("output_shape", (150, 30)),
    ("kernel", "point"), ("pixfrac", 0.6), ("weight_type", "exptime"), ("propagate_dq", True),
])
@pytest.mark.parametrize(("spectral_grid", "sampling"), GRID_CHOICES)
def test_other_options_leave_the_wavelengths_to_the_spectral_grid(option, value,
                                                                  spectral_grid, sampling):
    nods = kind_inputs("nirspec")
    plain = resample(nods, spectral_grid=spectral_grid, spectral_sampling=sampling)
    product = resample(nods, spectral_grid=spectral_grid, spectral_sampling=sampling,
                       **{option: value})
    n = min(plain.meta.wavelength.size, product.meta.wavelength.size)
    np.testing.assert_array_equal(product.meta.wavelength[:n], plain.meta.wavelength[:n])
    if option == "output_shape":
        assert product.shape == (30, 150)
    elif option == "pixel_scale_ratio":
        assert product.shape[1] == plain.shape[1]
        assert product.shape[0] > 1.8 * plain.shape[0]


@pytest.mark.parametrize(("spectral_grid", "sampling"), GRID_CHOICES)
def test_single_gives_every_input_the_same_chosen_grid(spectral_grid, sampling):
    nods = kind_inputs("nirspec")
    combined = resample(nods, spectral_grid=spectral_grid, spectral_sampling=sampling)
    singles = resample(nods, spectral_grid=spectral_grid, spectral_sampling=sampling,
                       single=True)
    assert len(singles) == 2
    for single in singles:
        assert single.meta.wavelength.tobytes() == combined.meta.wavelength.tobytes()
        assert single.meta.resample.spectral_grid == spectral_grid


@pytest.mark.parametrize("spectral_grid", ["log", "explicit"])
def test_files_read_when_needed_and_threads_give_identical_products(
        spectral_grid, tmp_path, assert_identical):
    nods = kind_inputs("nirspec")
    grid = np.linspace(1.8, 3.0, 70) if spectral_grid == "explicit" else spectral_grid
    sampling = 2.0 if spectral_grid == "log" else 1.0
    from resamplespec import SpectralImage

    paths = [str(io.write(SpectralImage.from_dict(n), tmp_path / f"nod{k}.asdf"))
             for k, n in enumerate(nods)]
    in_memory = resample(nods, spectral_grid=grid, spectral_sampling=sampling)
    assert_identical(resample(paths, spectral_grid=grid, spectral_sampling=sampling,
                              in_memory=False), in_memory)
    assert_identical(resample(nods, spectral_grid=grid, spectral_sampling=sampling,
                              n_jobs=2), in_memory)


def test_multi_slit_sets_take_the_spectral_grid_in_parallel_too(assert_identical):
    mos = [{"slits": slits}
           for slits in datasets.nirspec_mos(n_slits=3, n_exposures=2, nx=90, seed=8)]
    serial = resample(mos, spectral_grid="log", spectral_sampling=1.5)
    parallel = resample(mos, spectral_grid="log", spectral_sampling=1.5, n_jobs=2)
    for a, b in zip(serial.slits, parallel.slits, strict=True):
        assert_identical(a, b)
        steps = np.diff(np.log(a.meta.wavelength))
        assert np.ptp(steps) <= 1e-9 * np.mean(steps)


# ---------------------------------------------------------------------------
# products
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".asdf", ".fits"])
@pytest.mark.parametrize(("spectral_grid", "sampling"), [("log", 2.0), ("explicit", 1.0)])
def test_products_describe_the_chosen_grid_and_read_back(suffix, spectral_grid, sampling,
                                                         tmp_path):
    from astropy.io import fits

    nods = kind_inputs("nirspec")
    grid = np.geomspace(1.75, 3.05, 64) + 1e-4 * np.arange(64) ** 1.5 if (
        spectral_grid == "explicit") else spectral_grid
    product = resample(nods, spectral_grid=grid, spectral_sampling=sampling)
    path = io.write(product, tmp_path / f"out{suffix}")
    back = io.read(path)
    assert back.meta.resample == product.meta.resample
    assert back.meta.resample.spectral_grid == spectral_grid
    assert back.meta.resample.spectral_sampling == sampling
    assert back.meta.wavelength.tobytes() == product.meta.wavelength.tobytes()
    # the gwcs read back puts the centres on the integer pixels
    n = product.meta.wavelength.size
    world = back.wcs(np.arange(n, dtype=np.float64), np.full(n, product.shape[0] // 2,
                                                              dtype=np.float64))
    np.testing.assert_allclose(world[2], product.meta.wavelength, rtol=1e-14)
    if suffix == ".fits":
        with fits.open(path) as hdul:
            assert hdul[0].header["RSWGRID"] == spectral_grid
            assert hdul[0].header["RSWSAMP"] == sampling
            table = hdul["WCS-TABLE", 1].data["wavelength"].ravel()
            assert table.tobytes() == product.meta.wavelength.astype(">f8").tobytes()
            assert hdul["SCI", 1].header["CTYPE1"] == "WAVE-TAB"
            np.testing.assert_allclose(hdul["WAVELENGTH", 1].data[3],
                                       product.meta.wavelength.astype(np.float32))


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------


def test_output_wcs_with_a_spectral_grid_is_refused_naming_both(tmp_path):
    nods = kind_inputs("nirspec")
    for options in ({"spectral_grid": "log"}, {"spectral_sampling": 2.0},
                    {"spectral_grid": [2.0, 2.1]}):
        with pytest.raises(ValueError, match="output_wcs and spectral_grid=.*spectral_sampling"):
            resample(nods, output_wcs=str(tmp_path / "never_read.asdf"), **options)


@pytest.mark.parametrize(("options", "words"), [
    ({"spectral_grid": "loglinear"}, "spectral_grid must be one of"),
    ({"spectral_grid": []}, "spectral_grid: an array"),
    ({"spectral_grid": [2.0]}, "spectral_grid: an array"),
    ({"spectral_grid": [2.0, np.nan]}, "spectral_grid: the wavelength centres must be finite"),
    ({"spectral_grid": [2.0, 2.2, 2.1]}, "spectral_grid: the wavelength centres must be strictly"),
    ({"spectral_grid": [5.0, 5.1, 5.2]}, "spectral_grid: the wavelengths 5 to 5.2 um overlap "
                                         "no input"),
    ({"spectral_sampling": 0.0}, "spectral_sampling must be a positive finite number"),
    ({"spectral_sampling": np.nan}, "spectral_sampling must be a positive finite number"),
    ({"spectral_sampling": 1e13}, r"spectral_sampling=1\d+\.0 .* GiB"),
])
def test_bad_spectral_grid_options_fail_before_any_resampling(options, words, monkeypatch):
    from resamplespec.kernel import Drizzler

    def refuse(*args, **kwargs):  # pragma: no cover - reached only by a regression
        raise AssertionError("a kernel pass started before the options were refused")

    monkeypatch.setattr(Drizzler, "__init__", refuse)
    nods = kind_inputs("nirspec")
    kept = [n["data"].copy() for n in nods]
    with pytest.raises(ValueError, match=words):
        resample(nods, **options)
    for n, data in zip(nods, kept, strict=True):
        assert n["data"].tobytes() == data.tobytes()


@functools.cache
def smooth_dithers():
    """Three exposures a third of a pixel apart along the dispersion, of a
    source with a smooth spectrum (no line), noiseless, 24 x 120 pixels."""
    return datasets.nirspec_spectral_dither(n_exposures=3, shape=(24, 120), seed=4,
                                            noise=False, line_equivalent_width_pix=0.0)


@settings(max_examples=12, deadline=None)
@given(steps=st.lists(st.floats(min_value=0.6, max_value=2.5), min_size=40, max_size=80),
       start=st.floats(min_value=1.72, max_value=1.9))
def test_any_explicit_array_conserves_the_flux_of_every_row_of_a_smooth_spectrum(steps,
                                                                                 start):
    # Centres with any steps from 0.6 to 2.5 native pixels (about 0.01 um).
    # Smooth, because between two centres the wavelength is linear in the
    # pixel: a column whose neighbours are at unequal distances has one
    # dispersion each side of its centre while the kernel spreads flux
    # evenly in pixels, which moves a narrow line's flux in that column by
    # (h2 - h1) / (h1 + h2) of its difference between the halves (0.2 % of
    # a row's flux for the nods' lines on a kink); a smooth spectrum keeps
    # sum(data x width) to about 1e-4 (1.3e-4 at worst in 30 tries of
    # steps alternating among 0.6, 1, 1.7 and 2.5 pixels).
    exposures = smooth_dithers()
    native = resample(exposures)
    centres = start + 0.0105 * np.cumsum([0.0, *steps])
    ours = resample(exposures, spectral_grid=centres)
    edges = column_edges(centres)[1:-1]
    inside = edges[(edges > 1.72) & (edges < 3.05)]  # whole columns, inside the inputs
    low, high = inside[0], inside[-1]
    expected, found = row_integrals(native, low, high), row_integrals(ours, low, high)
    rows = np.abs(expected) > 0.05 * np.nanmax(np.abs(expected))
    assert np.count_nonzero(rows) >= 3
    np.testing.assert_allclose(found[rows], expected[rows], rtol=5e-4)
