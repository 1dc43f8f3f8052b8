"""resample(..., covariance=True): the products carry the pixel correlation,
the same bits whatever runs them, and it survives the files."""

import internals
import numpy as np
import pytest

import resamplespec
from resamplespec import SpectralImage, datasets, io, resample
from resamplespec.cli import main

windows_module = internals.windows_module


@pytest.fixture(scope="module")
def nods():
    return datasets.nirspec_fixed_slit(n_exposures=3, shape=(24, 90))


def _written(nods, folder):
    return [io.write(SpectralImage.from_dict(image), folder / f"nod{k}.asdf")
            for k, image in enumerate(nods)]


def _same_correlation(a, b):
    assert a.correlation.offsets.tolist() == b.correlation.offsets.tolist()
    assert a.correlation.values.tobytes() == b.correlation.values.tobytes()


def test_default_products_are_unchanged_and_carry_no_correlation(nods):
    plain = resample(nods, variance="exact")
    with_covariance = resample(nods, variance="exact", covariance=True)
    assert plain.correlation is None
    for name in ("data", "err", "wht", "con", "var_rnoise", "var_poisson", "var_flat"):
        assert getattr(plain, name).tobytes() == getattr(with_covariance, name).tobytes()
    values = with_covariance.correlation.values
    assert values.dtype == np.float32 and values.shape[1:] == plain.shape
    assert 0.0 <= values.min() and values.max() <= 1.0 + 1e-5  # weights are positive


def test_point_kernel_products_have_no_correlated_neighbours(nods):
    product = resample(nods, variance="exact", covariance=True, kernel="point")
    assert product.correlation.offsets.shape == (0, 2)


def test_correlation_is_the_same_bits_with_n_jobs():
    mos = datasets.nirspec_mos(n_slits=3, n_exposures=2, nx=80)
    one = resample(mos, variance="exact", covariance=True)
    two = resample(mos, variance="exact", covariance=True, n_jobs=2)
    for a, b in zip(one, two, strict=True):
        _same_correlation(a, b)


def test_correlation_is_the_same_bits_window_by_window(nods, tmp_path):
    paths = _written(nods, tmp_path)
    in_memory = resample(paths, variance="exact", covariance=True)
    budget = windows_module.window_count
    try:
        windows_module.window_count = lambda *a: 4
        windowed = resample(paths, variance="exact", covariance=True, in_memory=False)
    finally:
        windows_module.window_count = budget
    _same_correlation(in_memory, windowed)


def test_single_products_each_carry_their_own_correlation(nods):
    products = resample(nods, variance="exact", covariance=True, single=True)
    assert len(products) == 3
    for product in products:
        assert product.correlation is not None and product.correlation.values.any()


@pytest.mark.parametrize("suffix", [".asdf", ".fits"])
def test_correlation_survives_the_product_files(nods, tmp_path, suffix):
    product = resample(nods, variance="exact", covariance=True)
    back = io.read(io.write(product, tmp_path / f"product{suffix}"))
    _same_correlation(product, back)


def test_covariance_without_variance_arrays_is_refused(nods):
    bare = [{**image, "var_rnoise": None, "var_poisson": None, "var_flat": None}
            for image in nods]
    with pytest.raises(ValueError, match="covariance=True needs variance arrays"):
        resample(bare, variance="exact", covariance=True, weight_type=None)


def test_jwst_datamodel_leaves_the_correlation_out_with_a_warning(nods):
    pytest.importorskip("stdatamodels")
    from resamplespec.jwst import DatamodelWarning, to_datamodel

    product = resample(nods, variance="exact", covariance=True)
    with pytest.warns(DatamodelWarning, match="correlation"):
        to_datamodel(product)


def test_command_line_resamples_with_covariance_and_extracts(nods, tmp_path, capsys):
    paths = [str(path) for path in _written(nods, tmp_path)]
    product = tmp_path / "s2d.fits"
    assert main([*paths, "-o", str(product), "--variance", "exact", "--covariance",
                 "-q"]) == 0
    spectrum = tmp_path / "spec.ecsv"
    assert main(["extract", str(product), "--rows", "10:16", "--bin", "2", "-o",
                 str(spectrum)]) == 0
    assert "median error / naive error" in capsys.readouterr().out
    from astropy.table import QTable

    table = QTable.read(spectrum)
    expected = resamplespec.extract(io.read(product), rows=(10, 16), bin=2)
    np.testing.assert_array_equal(table["error"].value, expected.error)
    assert main(["extract", str(product), "--rows", "10:999", "-o",
                 str(tmp_path / "x.ecsv")]) == 2
    assert main([*paths, "-o", str(tmp_path / "y.fits"), "--covariance"]) == 2
