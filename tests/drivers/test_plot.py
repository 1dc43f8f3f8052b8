"""Quick-look pictures."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import internals  # noqa: E402

from resamplespec import MultiSlitImage, SpectralImage, datasets, resample  # noqa: E402
from resamplespec.plot import MAX_SLITS, quick_look  # noqa: E402

_rectified, _edges = internals.plot_helpers()

PNG = b"\x89PNG\r\n\x1a\n"


def test_multi_slit_product_draws_into_one_png(tmp_path):
    result = resample(datasets.nirspec_mos(n_slits=2, n_exposures=1, nx=80, seed=1))
    path = quick_look(result, tmp_path / "mos.png")
    assert path.read_bytes()[:8] == PNG


def test_dispersion_along_y_is_drawn_with_wavelength_along_x():
    result = resample(datasets.miri_lrs(n_exposures=1, shape=(120, 60), seed=2))
    data, wavelength = _rectified(result)
    assert data.shape == (result.shape[1], result.shape[0])
    np.testing.assert_array_equal(data[:, 7], result.data[7, :])
    assert wavelength.size == data.shape[1]


def test_cell_edges_surround_uneven_and_descending_centres():
    edges = _edges(np.array([5.0, 4.0, 2.0]))
    np.testing.assert_allclose(edges, [5.5, 4.5, 3.0, 1.0])
    np.testing.assert_allclose(_edges(np.array([1.0, np.nan, 3.0])), [0.5, 1.5, 2.5, 3.5])


def test_inputs_without_wavelengths_or_of_other_types_are_refused(tmp_path):
    raw = SpectralImage.from_dict(datasets.nirspec_fixed_slit(n_exposures=1, seed=1)[0])
    with pytest.raises(ValueError, match="no meta.wavelength"):
        quick_look(raw, tmp_path / "x.png")
    with pytest.raises(TypeError, match="product must be"):
        quick_look(np.zeros((3, 3)), tmp_path / "x.png")
    with pytest.raises(ValueError, match="no slits"):
        quick_look(MultiSlitImage([]), tmp_path / "x.png")
    assert not list(tmp_path.iterdir())
    assert MAX_SLITS >= 1
