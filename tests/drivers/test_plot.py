"""Quick-look pictures."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import internals  # noqa: E402
from astropy import units as u  # noqa: E402

from resamplespec import MultiSlitImage, SlitInfo, SpectralImage, datasets, resample  # noqa: E402
from resamplespec.io import fits_wcs_header  # noqa: E402
from resamplespec.plot import MAX_SLITS, quick_look, quick_look_figure  # noqa: E402

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


@pytest.fixture(scope="module")
def fixed_slit():
    return resample(datasets.nirspec_fixed_slit(n_exposures=2, shape=(30, 120), sky_level=0.0,
                                                seed=3))


@pytest.fixture(scope="module")
def lrs():
    return resample(datasets.miri_lrs(n_exposures=2, shape=(120, 60), seed=2))


def _row_centres(ax):
    """The y of each row of the 2D panel (the centres of its cells)."""
    y = ax.collections[0].get_coordinates()[:, 0, 1]
    return 0.5 * (y[1:] + y[:-1])


@pytest.mark.parametrize("product", ["fixed_slit", "lrs"])
def test_the_source_sits_at_zero_arcsec_and_rows_are_a_pixel_scale_apart(product, request):
    result = request.getfixturevalue(product)
    figure = quick_look_figure(result)
    ax = figure.axes[0]
    assert ax.get_ylabel() == "offset from the source (arcsec)"
    data, _ = _rectified(result)
    assert ax.get_title(loc="left").endswith(
        f"{data.shape[0]} spatial x {data.shape[1]} wavelength pixels")
    y = _row_centres(ax)
    assert y.size == data.shape[0]
    axis = 2 if result.meta.dispersion_direction == 1 else 1
    np.testing.assert_allclose(np.diff(y), fits_wcs_header(result)[f"CDELT{axis}"], rtol=1e-12)
    # the datasets put the point source at the slit's source position: the
    # spatial profile's centroid lands within a fifth of a pixel of offset 0
    profile = np.nansum(np.clip(data, 0, None), axis=1)
    centroid = np.sum(profile * y) / np.sum(profile)
    assert abs(centroid) < 0.2 * np.diff(y)[0]


def test_without_a_source_position_the_offset_is_from_the_slit_centre(fixed_slit):
    centred = fixed_slit.copy(share_wcs=True)
    centred.meta = centred.meta.replace(slit=SlitInfo(name="S200A1"))
    ax = quick_look_figure(centred).axes[0]
    assert ax.get_ylabel() == "offset from the slit centre (arcsec)"
    y = _row_centres(ax)
    assert y[0] == pytest.approx(-y[-1], abs=1e-9)  # symmetric about the centre


def test_lamp_data_off_the_sky_keep_pixel_indices():
    result = resample(datasets.lamp(n_exposures=1, shape=(20, 80), seed=1))
    ax = quick_look_figure(result).axes[0]
    assert ax.get_ylabel() == "spatial pixel"
    np.testing.assert_array_equal(_row_centres(ax), np.arange(result.shape[0]))


def test_every_panel_shares_one_wavelength_axis_of_the_same_width(tmp_path):
    result = resample(datasets.nirspec_mos(n_slits=2, n_exposures=1, nx=80, seed=1))
    figure = quick_look_figure(result)
    figure.canvas.draw()
    panels = [ax for ax in figure.axes if ax.get_xlabel() or ax.get_ylabel().startswith(
        ("offset", "flux", "mean"))]
    assert len(panels) == 3
    first, *others = panels
    for ax in others:
        assert first.get_shared_x_axes().joined(first, ax)
        assert ax.get_xlim() == first.get_xlim()
        box, reference = ax.get_position(), first.get_position()
        assert (box.x0, box.x1) == pytest.approx((reference.x0, reference.x1), abs=1e-9)


def _spectrum_panel(result):
    ax = [ax for ax in quick_look_figure(result).axes if ax.get_xlabel()][-1]
    label = ax.get_ylabel()
    unit = u.Unit(label.rsplit("(", 1)[1].rstrip(")")) if "(" in label else None
    return label, unit, [line.get_ydata() for line in ax.get_lines()]


def test_flux_densities_per_pixel_are_summed_into_the_flux_in_the_slit(fixed_slit):
    assert fixed_slit.meta.bunit_data == "MJy"
    label, unit, (drawn,) = _spectrum_panel(fixed_slit)
    assert label.startswith("flux density in the slit (")
    expected = np.nansum(fixed_slit.data.astype(np.float64), axis=0) * u.MJy
    np.testing.assert_allclose(drawn, expected.to_value(unit), rtol=1e-12)
    assert 1 <= np.median(np.abs(drawn)) < 1000  # a readable unit


def test_surface_brightness_times_pixel_solid_angle_is_the_flux_in_the_slit(lrs):
    assert lrs.meta.bunit_data == "MJy/sr" and lrs.meta.pixel_area_sr > 0
    label, unit, (drawn,) = _spectrum_panel(lrs)
    assert label.startswith("flux density in the slit (")
    data, _ = _rectified(lrs)
    expected = np.nansum(data, axis=0) * lrs.meta.pixel_area_sr * u.MJy
    finite = np.isfinite(drawn)
    np.testing.assert_allclose(drawn[finite], expected[finite].to_value(unit), rtol=1e-12)


def test_data_of_unknown_unit_are_drawn_as_a_mean_and_labelled_so(fixed_slit):
    unknown = fixed_slit.copy(share_wcs=True)
    unknown.meta = unknown.meta.replace(bunit_data=None)
    label, unit, (drawn,) = _spectrum_panel(unknown)
    assert label == "mean over spatial pixels" and unit is None
    with np.errstate(all="ignore"):
        expected = np.nanmean(fixed_slit.data.astype(np.float64), axis=0)
    finite = np.isfinite(expected)
    np.testing.assert_allclose(drawn[finite], expected[finite], rtol=1e-6)
