"""resamplespec.extract: errors of sums of drizzled pixels, checked by Monte
Carlo against many noise realisations drizzled with the same geometry."""

import numpy as np
import pytest

import resamplespec
from resamplespec import Drizzler, PixelCorrelation, SpectralImage, SpectralMeta, datasets
from resamplespec.extraction import CovarianceWarning, write_spectrum
from resamplespec.kernel import pair_covariance

N_REALISATIONS = 400
# Relative standard error of a variance estimated from N Gaussian samples:
# sqrt(2 / N) = 7 % per quantity; averaged over >= 10 spectral elements it
# is <= 2.2 %.  The tests allow 4 of those: 9 %.
VARIANCE_TOLERANCE = 4 * np.sqrt(2 / N_REALISATIONS) / np.sqrt(10)
# A correlation coefficient estimated from N samples has a standard error
# <= 1 / sqrt(N) = 0.05 per pixel; averaged over >= 50 pixels, <= 0.007.
CORRELATION_TOLERANCE = 4 * 0.05 / np.sqrt(50)


def _slit(ratio, n_inputs=2, ny=10, nx=36):
    """A small slit: nodded inputs (the source at the same sky position: the
    second input's map is offset by the nod), wavelength along x with a
    slight tilt, the spatial axis sampled at ``ratio``."""
    rng = np.random.default_rng(11)
    y, x = np.indices((ny, nx), dtype=float)
    inputs = []
    for k in range(n_inputs):
        nod = 2.37 * k
        pixmap = np.dstack([x + 0.31 + 0.01 * y, ratio * (y + nod + 0.003 * x) + 1.2])
        variance = rng.uniform(0.5, 2.0, (ny, nx)).astype(np.float32)
        inputs.append((pixmap, variance))
    out_shape = (int(ratio * (ny + 2.37 * (n_inputs - 1))) + 3, nx + 2)
    return inputs, out_shape


def _drizzle(inputs, out_shape, noise, *, kernel, pixfrac, covariance=False):
    drizzler = Drizzler(out_shape, kernel=kernel, pixfrac=pixfrac, n_variances=1,
                        variance_mode="exact", covariance=covariance)
    for (pixmap, variance), data in zip(inputs, noise, strict=True):
        drizzler.add(data, pixmap, weights=1.0 / variance, variances=(variance,))
    return drizzler.finish()


def _product(result):
    err = np.sqrt(result.variances[0])
    correlation = PixelCorrelation(result.pairs.offsets,
                                   pair_covariance(result.pairs, result.wht, err))
    ny, nx = result.data.shape
    meta = SpectralMeta(bunit_data="MJy", wavelength=np.linspace(1.0, 2.0, nx))
    return SpectralImage(data=result.data, wcs=None, meta=meta, err=err,
                         correlation=correlation)


CASES = [
    pytest.param("square", 1.0, 1.0, id="square-pixfrac1-ratio1"),
    pytest.param("square", 0.6, 1.0, id="square-pixfrac0.6-ratio1"),
    pytest.param("square", 1.0, 0.5, id="square-pixfrac1-ratio0.5"),
    pytest.param("square", 1.0, 2.0, id="square-pixfrac1-ratio2"),
    pytest.param("point", 1.0, 1.0, id="point-ratio1"),
]


@pytest.mark.parametrize("kernel, pixfrac, ratio", CASES)
def test_predicted_covariance_matches_monte_carlo(kernel, pixfrac, ratio):
    # enough output rows for a 7-row box where both nods overlap
    inputs, out_shape = _slit(ratio, ny=int(round(12 / min(ratio, 1.0))))
    rng = np.random.default_rng(2024)
    draws = []
    for _ in range(N_REALISATIONS):
        noise = [rng.normal(0.0, np.sqrt(v)).astype(np.float32) for _, v in inputs]
        draws.append(_drizzle(inputs, out_shape, noise, kernel=kernel, pixfrac=pixfrac).data)
    draws = np.array(draws, dtype=np.float64)
    zeros = [np.zeros_like(v) for _, v in inputs]
    product = _product(_drizzle(inputs, out_shape, zeros, kernel=kernel, pixfrac=pixfrac,
                                covariance=True))
    # rows every realisation covers (all inputs overlap there)
    covered = np.isfinite(draws[:, :, 2:-2]).all(axis=0).all(axis=1)
    rows = np.flatnonzero(covered)
    start = int(rows[0]) + 1
    centred = draws - draws.mean(axis=0)

    # 1. neighbours: the empirical correlation of each held pair
    correlation = product.correlation
    if kernel == "point":
        assert len(correlation.offsets) == 0
    for (dy, dx), plane in zip(correlation.offsets, correlation.values, strict=True):
        ys = slice(start, start + 5)
        xs = slice(max(-dx, 0) + 1, out_shape[1] - max(dx, 0) - 1)
        a = centred[:, ys, xs]
        b = centred[:, ys.start + dy:ys.stop + dy, xs.start + dx:xs.stop + dx]
        empirical = (a * b).mean(axis=0) / np.sqrt((a * a).mean(axis=0) * (b * b).mean(axis=0))
        predicted = plane[ys, xs]
        strong = predicted > 0.1
        if strong.sum() >= 50:
            assert abs(np.mean(empirical[strong] - predicted[strong])) < CORRELATION_TOLERANCE

    # 2. boxcar sums of 3 to 7 rows, and bins of 2 to 4 columns
    expected_naive_ratio = []
    for n_rows, n_bin in ((3, 1), (5, 2), (7, 4), (4, 3)):
        with np.errstate(invalid="ignore"):
            spectrum = resamplespec.extract(product, rows=(start, start + n_rows), bin=n_bin)
        n_elements = len(spectrum.flux)
        sums = draws[:, start:start + n_rows, :n_elements * n_bin].sum(axis=1)
        binned = sums.reshape(N_REALISATIONS, n_elements, n_bin).mean(axis=2)
        empirical = binned.var(axis=0)
        good = np.isfinite(empirical) & np.isfinite(spectrum.error)
        assert good.sum() >= 8
        ratio_true = np.mean(empirical[good] / spectrum.error[good] ** 2)
        assert ratio_true == pytest.approx(1.0, abs=VARIANCE_TOLERANCE), (n_rows, n_bin)
        naive = np.mean(empirical[good] / spectrum.error_naive[good] ** 2)
        expected_naive_ratio.append((naive, np.mean(spectrum.error[good] ** 2 /
                                                    spectrum.error_naive[good] ** 2)))
    for naive, predicted in expected_naive_ratio:
        # the naive error is off by the factor the covariance predicts
        assert naive == pytest.approx(predicted, rel=VARIANCE_TOLERANCE)
        if kernel == "point":
            assert predicted == pytest.approx(1.0)
        else:
            assert predicted > 1.05  # the naive variance is 5 % or more too small
    if kernel != "point":
        # and the Monte Carlo sees it: over the four boxes the naive variance
        # falls short by more than 4 of its standard errors (halved by 4 boxes)
        measured = np.mean([naive for naive, _ in expected_naive_ratio])
        assert measured > 1.0 + VARIANCE_TOLERANCE / 2


def test_extract_sums_the_rows_and_bins_the_columns():
    data = np.arange(6 * 8, dtype=np.float32).reshape(6, 8)
    meta = SpectralMeta(bunit_data="MJy", wavelength=np.arange(8.0) + 1.0)
    image = SpectralImage(data=data, wcs=None, meta=meta, err=np.ones((6, 8), np.float32),
                          correlation=PixelCorrelation(np.array([[1, 0]]),
                                                       np.full((1, 6, 8), 0.5, np.float32)))
    spectrum = resamplespec.extract(image, rows=(1, 4), bin=2)
    np.testing.assert_array_equal(spectrum.flux,
                                  data[1:4].sum(axis=0).reshape(4, 2).mean(axis=1))
    np.testing.assert_allclose(spectrum.wavelength, [1.5, 3.5, 5.5, 7.5])
    # 6 pixels of err 1, coefficients 1/2; vertical pairs (1,2), (2,3) per column
    # with rho 0.5: var = 6/4 + 2 * 4 pairs * 0.5 / 4
    np.testing.assert_allclose(spectrum.error_naive, np.sqrt(6 / 4))
    np.testing.assert_allclose(spectrum.error, np.sqrt(6 / 4 + 2 * 4 * 0.5 / 4))
    table = spectrum.to_table()
    assert str(table["flux"].unit) == "MJy" and str(table["wavelength"].unit) == "um"


def test_dispersion_along_y_extracts_columns():
    data = np.arange(8 * 6, dtype=np.float32).reshape(8, 6)
    meta = SpectralMeta(dispersion_direction=2, bunit_data="MJy",
                        wavelength=np.arange(8.0))
    # pairs along the spatial axis (x here): offset (0, 1)
    corr = PixelCorrelation(np.array([[0, 1]]), np.full((1, 8, 6), 0.25, np.float32))
    image = SpectralImage(data=data, wcs=None, meta=meta, err=np.ones((8, 6), np.float32),
                          correlation=corr)
    spectrum = resamplespec.extract(image, rows=(2, 5))
    np.testing.assert_array_equal(spectrum.flux, data[:, 2:5].sum(axis=1))
    np.testing.assert_allclose(spectrum.error, np.sqrt(3 + 2 * 2 * 0.25))


def test_surface_brightness_is_summed_as_flux_with_the_pixel_area():
    data = np.ones((4, 5), np.float32)
    meta = SpectralMeta(bunit_data="MJy/sr", pixel_area_sr=2e-13, wavelength=np.arange(5.0))
    image = SpectralImage(data=data, wcs=None, meta=meta, err=np.ones((4, 5), np.float32),
                          correlation=PixelCorrelation(np.zeros((0, 2), np.int64),
                                                       np.zeros((0, 4, 5), np.float32)))
    spectrum = resamplespec.extract(image, rows=(0, 4))
    assert spectrum.unit == "MJy"
    np.testing.assert_allclose(spectrum.flux, 4 * 2e-13)


def test_bad_extraction_arguments_are_refused_with_their_name():
    nods = datasets.nirspec_fixed_slit(n_exposures=2, shape=(20, 60))
    product = resamplespec.resample(nods, variance="exact", covariance=True)
    n_rows = product.shape[0]
    with pytest.raises(ValueError, match="rows=.*inside the product"):
        resamplespec.extract(product, rows=(n_rows - 2, n_rows + 3))
    with pytest.raises(ValueError, match="rows="):
        resamplespec.extract(product, rows=(5, 5))
    with pytest.raises(ValueError, match="bin must be at least 1"):
        resamplespec.extract(product, rows=(1, 4), bin=0)
    with pytest.raises(TypeError, match="rows must be"):
        resamplespec.extract(product, rows=3)
    with pytest.raises(ValueError, match="weights must hold"):
        resamplespec.extract(product, rows=(1, 4), weights=[1.0, 2.0])


def test_extraction_without_covariance_works_and_says_its_error_is_naive():
    nods = datasets.nirspec_fixed_slit(n_exposures=2, shape=(20, 60))
    product = resamplespec.resample(nods, variance="exact")
    with pytest.warns(CovarianceWarning, match="naive"):
        spectrum = resamplespec.extract(product, rows=(8, 12))
    assert spectrum.error_is_naive
    np.testing.assert_array_equal(spectrum.error, spectrum.error_naive)
    assert spectrum.to_table().meta["error_is_naive"]


def test_covariance_with_reference_variances_is_refused_before_any_work():
    nods = datasets.nirspec_fixed_slit(n_exposures=2, shape=(20, 60))
    with pytest.raises(ValueError, match="covariance=True needs variance='exact'"):
        resamplespec.resample(nods, covariance=True)


def test_spectrum_written_as_ecsv_reads_back(tmp_path):
    from astropy.table import QTable

    nods = datasets.nirspec_fixed_slit(n_exposures=2, shape=(20, 60))
    product = resamplespec.resample(nods, variance="exact", covariance=True)
    spectrum = resamplespec.extract(product, rows=(8, 14), bin=2)
    path = write_spectrum(spectrum, tmp_path / "spec.ecsv")
    table = QTable.read(path)
    np.testing.assert_array_equal(table["error"].value, spectrum.error)
    assert str(table["error"].unit) == spectrum.unit
