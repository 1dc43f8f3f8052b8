"""FITS in the JWST layout: our s2d products, and JWST cal files written by stdatamodels."""


import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from resamplespec import MultiSlitImage, SpectralImage, datasets, io, resample
from resamplespec.io import fits_wcs_header, read_fits, read_fits_metadata, write_fits

ARRAYS = ("data", "dq", "err", "wht", "con", "var_rnoise", "var_poisson", "var_flat")


@pytest.fixture(scope="module")
def fixed():
    return resample(datasets.nirspec_fixed_slit(n_exposures=2, shape=(24, 120), seed=31),
                    propagate_dq=True)


@pytest.fixture(scope="module")
def mos():
    return resample(datasets.nirspec_mos(n_slits=2, n_exposures=2, nx=90, seed=31))


@pytest.fixture(scope="module")
def lrs():
    return resample(datasets.miri_lrs(n_exposures=2, shape=(120, 60), seed=31))


def _assert_same(a, b):
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            np.testing.assert_array_equal(x, y, err_msg=name)
    assert a.meta == b.meta
    ny, nx = a.shape
    x, y = np.meshgrid(np.arange(0, nx, 7.0), np.arange(0, ny, 5.0))
    np.testing.assert_allclose(a.wcs(x, y), b.wcs(x, y), rtol=1e-10, atol=1e-10)


def test_extensions_are_those_of_a_jwst_s2d_product(fixed, tmp_path):
    path = write_fits(fixed, tmp_path / "x_s2d.fits")
    with fits.open(path) as hdul:
        assert [(h.name, h.ver) for h in hdul] == [
            ("PRIMARY", 1), ("SCI", 1), ("ERR", 1), ("DQ", 1), ("WAVELENGTH", 1), ("WHT", 1),
            ("CON", 1), ("VAR_POISSON", 1), ("VAR_RNOISE", 1), ("VAR_FLAT", 1),
            ("WCS-TABLE", 1), ("ASDF", 1)]
        primary, sci = hdul[0].header, hdul["SCI"].header
        assert primary["DATAMODL"] == "SlitModel" and primary["INSTRUME"] == "NIRSPEC"
        assert primary["EXP_TYPE"] == "NRS_FIXEDSLIT" and primary["TELESCOP"] == "JWST"
        # (FITS cards hold 16 significant digits)
        assert primary["EFFEXPTM"] == pytest.approx(fixed.meta.exposure.exposure_time, 1e-14)
        assert primary["EXPSTART"] == pytest.approx(fixed.meta.exposure.start_time, 1e-14)
        assert primary["NDRIZ"] == 2 and primary["PIXFRAC"] == 1.0
        assert primary["RESWHT"] == "ivm" and primary["RSKERNEL"] == "square"
        assert sci["SLTNAME"] == "S200A1" and sci["BUNIT"] == "MJy"
        assert sci["PIXAR_SR"] == pytest.approx(fixed.meta.pixel_area_sr, rel=1e-14)
        assert sci["SRCYPOS"] == pytest.approx(fixed.meta.slit.source_ypos, rel=1e-14)
        assert sci["S_REGION"] == fixed.meta.s_region and sci["DISPAXIS"] == 1
        assert hdul["SCI"].data.dtype == np.dtype(">f4")
        assert hdul["DQ"].data.dtype == np.uint32
        assert hdul["CON"].data.shape == fixed.con.shape
        np.testing.assert_array_equal(hdul["SCI"].data, fixed.data)
        np.testing.assert_allclose(hdul["WAVELENGTH"].data[3], fixed.meta.wavelength,
                                   rtol=1e-7)


def test_fits_wavelength_axis_gives_every_columns_wavelength(fixed, tmp_path):
    path = write_fits(fixed, tmp_path / "x.fits")
    with fits.open(path) as hdul:
        wcs = WCS(hdul["SCI"].header, fobj=hdul)
        columns = np.arange(fixed.shape[1], dtype=float)
        wavelength, _ = wcs.pixel_to_world_values(columns, np.zeros_like(columns))
    np.testing.assert_allclose(wavelength, fixed.meta.wavelength, rtol=1e-12)


def test_fits_spatial_axis_is_arcsec_from_the_source(fixed):
    header = fits_wcs_header(fixed)
    assert header["CTYPE2"] == "OFFSET" and header["CUNIT2"] == "arcsec"
    assert header["CDELT2"] == pytest.approx(0.1, rel=1e-6)  # the datasets' 0.1"/pixel
    # the source row: where the output's slit_frame has the source's y_slit
    to_slit = fixed.wcs.get_transform("detector", "slit_frame")
    y_slit = to_slit(fixed.shape[1] / 2, header["CRPIX2"] - 1)[1]
    assert y_slit == pytest.approx(fixed.meta.slit.source_ypos, abs=1e-6)


def test_dispersion_along_y_puts_the_table_on_axis_2(lrs, tmp_path):
    path = write_fits(lrs, tmp_path / "lrs.fits")
    with fits.open(path) as hdul:
        header = hdul["SCI"].header
        assert header["CTYPE2"] == "WAVE-TAB" and header["CTYPE1"] == "OFFSET"
        assert header["CRPIX1"] == pytest.approx(lrs.meta.slit.source_xpos + 1)
        wcs = WCS(header, fobj=hdul)
        rows = np.arange(lrs.shape[0], dtype=float)
        _, wavelength = wcs.pixel_to_world_values(np.zeros_like(rows), rows)
    np.testing.assert_allclose(wavelength, lrs.meta.wavelength, rtol=1e-12)


def test_lamp_spatial_axis_is_in_pixels(tmp_path):
    result = resample(datasets.lamp(n_exposures=1, seed=3))
    header = fits_wcs_header(result)
    assert header["CTYPE2"] == "PIXEL" and "CUNIT2" not in header
    assert io.read(io.write(result, tmp_path / "lamp.fits")).meta == result.meta


@pytest.mark.parametrize("name", ["fixed", "mos", "lrs"])
def test_fits_products_read_back_losslessly(name, request, tmp_path):
    product = request.getfixturevalue(name)
    back = io.read(io.write(product, tmp_path / f"{name}.fits"))
    if isinstance(product, MultiSlitImage):
        assert isinstance(back, MultiSlitImage) and back.names == product.names
        assert back.meta == product.meta
        for a, b in zip(back, product, strict=True):
            _assert_same(a, b)
    else:
        _assert_same(back, product)


def test_one_slit_and_metadata_alone(mos, tmp_path):
    path = write_fits(mos, tmp_path / "mos.fits")
    kind, metas, arrays = read_fits_metadata(path)
    assert kind == "multi_slit_image"
    assert [m.slit.name for m in metas] == mos.names
    assert {"data", "err", "wht", "con", "var_rnoise"} <= arrays[1] and "dq" not in arrays[1]
    _assert_same(read_fits(path, index=1), mos[1])
    with pytest.raises(ValueError, match="index must be 0 to 1"):
        read_fits(path, index=2)


def test_stdatamodels_opens_our_products(fixed, mos, tmp_path):
    dm = pytest.importorskip("stdatamodels.jwst.datamodels")
    with dm.open(write_fits(fixed, tmp_path / "a.fits")) as model:
        assert type(model).__name__ == "SlitModel" and model.name == "S200A1"
        np.testing.assert_array_equal(model.data, fixed.data)
        np.testing.assert_allclose(model.meta.wcs(10.0, 5.0), fixed.wcs(10.0, 5.0))
        assert model.meta.photometry.pixelarea_steradians == pytest.approx(
            fixed.meta.pixel_area_sr, rel=1e-14)
    with dm.open(write_fits(mos, tmp_path / "b.fits")) as model:
        assert type(model).__name__ == "MultiSlitModel"
        assert [s.name for s in model.slits] == mos.names
        np.testing.assert_allclose(model.slits[1].meta.wcs(10.0, 5.0), mos[1].wcs(10.0, 5.0))


def test_jwst_cal_files_read_as_the_datamodels_they_were(tmp_path):
    pytest.importorskip("stdatamodels")
    import jwst_adapter as ja

    nods = datasets.nirspec_fixed_slit(n_exposures=2, shape=(24, 100), seed=32)
    paths = []
    for k, nod in enumerate(nods):
        model = ja.to_slit_model(nod)
        paths.append(tmp_path / f"nod{k}_cal.fits")
        model.save(paths[-1])
    images = [io.read(p) for p in paths]
    expected = resample(nods)
    for image, nod in zip(images, nods, strict=True):
        np.testing.assert_array_equal(image.data, nod["data"])
        np.testing.assert_array_equal(image.var_rnoise, nod["var_rnoise"])
        assert image.meta.slit.name == "S200A1"
        assert image.meta.slit.source_ypos == pytest.approx(nod["meta"]["source_ypos"])
        assert image.meta.exposure.measurement_time == pytest.approx(
            nod["meta"]["measurement_time"])
    result = resample([str(p) for p in paths])
    for name in ("data", "err", "wht", "con"):
        np.testing.assert_array_equal(getattr(result, name), getattr(expected, name))
    lazy = resample([str(p) for p in paths], in_memory=False)
    np.testing.assert_array_equal(lazy.data, expected.data)


def test_jwst_multislit_and_image_model_cal_files(tmp_path):
    pytest.importorskip("stdatamodels")
    import jwst_adapter as ja

    exposures = datasets.nirspec_mos(n_slits=2, n_exposures=2, nx=80, seed=33)
    paths = []
    for k, slits in enumerate(exposures):
        paths.append(tmp_path / f"mos{k}_cal.fits")
        ja.to_multislit_model(slits).save(paths[-1])
    result = resample([str(p) for p in paths])
    expected = resample([{"slits": slits} for slits in exposures])
    assert result.names == expected.names
    for a, b in zip(result, expected, strict=True):
        np.testing.assert_array_equal(a.data, b.data)

    nods = datasets.miri_lrs(n_exposures=2, shape=(120, 60), seed=33)
    lrs_paths = []
    for k, nod in enumerate(nods):
        lrs_paths.append(tmp_path / f"lrs{k}_cal.fits")
        ja.to_image_model(nod).save(lrs_paths[-1])
    image = io.read(lrs_paths[0])
    assert image.meta.dispersion_direction == 2
    assert image.meta.slit.source_xpos == pytest.approx(nod_value(nods[0], "source_xpos"))
    np.testing.assert_array_equal(resample([str(p) for p in lrs_paths]).data,
                                  resample(nods).data)


def nod_value(nod, key):
    return nod["meta"][key]


def test_a_failed_write_leaves_the_old_file_and_no_debris(fixed, tmp_path, monkeypatch):
    path = tmp_path / "x.fits"
    path.write_bytes(b"old product")

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(fits.HDUList, "writeto", broken)
    with pytest.raises(OSError, match="disk full"):
        write_fits(fixed, path, overwrite=True)
    assert path.read_bytes() == b"old product"
    assert [p.name for p in tmp_path.iterdir()] == ["x.fits"]


def test_an_existing_file_is_kept_unless_asked(fixed, tmp_path):
    path = tmp_path / "x.fits"
    path.write_bytes(b"old")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_fits(fixed, path)
    write_fits(fixed, path, overwrite=True)
    assert fits.getheader(path)["DATAMODL"] == "SlitModel"


def test_bad_files_are_named(tmp_path, fixed):
    junk = tmp_path / "junk.fits"
    junk.write_text("not fits")
    with pytest.raises(ValueError, match="junk.fits is not a readable FITS file"):
        read_fits(junk)
    bare = tmp_path / "bare.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros((2, 2)), name="FOO")]).writeto(bare)
    with pytest.raises(ValueError, match="bare.fits has no SCI extension"):
        read_fits(bare)
    no_asdf = tmp_path / "no_asdf.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros((2, 2), np.float32),
                                                   name="SCI")]).writeto(no_asdf)
    with pytest.raises(ValueError, match="no_asdf.fits has no ASDF extension"):
        read_fits(no_asdf)
    with pytest.raises(FileNotFoundError, match="none.fits"):
        read_fits(tmp_path / "none.fits")
    with pytest.raises(ValueError, match="unknown file type"):
        io.write(fixed, tmp_path / "x.txt")
    with pytest.raises(TypeError, match="product must be"):
        write_fits(np.zeros(3), tmp_path / "y.fits")


def test_wcs_header_needs_a_resampled_image():
    raw = SpectralImage.from_dict(datasets.nirspec_fixed_slit(n_exposures=1, seed=3)[0])
    with pytest.raises(ValueError, match="no meta.wavelength"):
        fits_wcs_header(raw)


def test_gzipped_fits_is_compressed_and_reads_back(fixed, tmp_path):
    path = write_fits(fixed, tmp_path / "x_s2d.fits.gz")
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    _assert_same(read_fits(path), fixed)


def test_jwst_s2d_files_give_the_column_wavelengths(fixed, tmp_path):
    pytest.importorskip("stdatamodels")
    from resamplespec.jwst import to_datamodel

    path = tmp_path / "jwst_s2d.fits"
    to_datamodel(fixed).save(path)
    image = read_fits(path)
    np.testing.assert_allclose(image.meta.wavelength, fixed.meta.wavelength, rtol=1e-7)
    np.testing.assert_array_equal(image.data, fixed.data)


def test_wavelength_extension_is_written_without_err_or_dq(fixed, tmp_path):
    import dataclasses

    bare = dataclasses.replace(fixed, err=None, dq=None, var_rnoise=None, var_poisson=None,
                               var_flat=None)
    with fits.open(write_fits(bare, tmp_path / "bare.fits")) as hdul:
        assert [h.name for h in hdul][:3] == ["PRIMARY", "SCI", "WAVELENGTH"]


@pytest.mark.parametrize(
    "options", [{}, {"single": True}, {"variance": "exact", "propagate_dq": True, "pixfrac": 0.5}]
)
def test_inputs_from_files_give_the_products_of_inputs_in_memory(options, tmp_path,
                                                                 assert_identical):
    """A multi-slit set written as ASDF or FITS and read back (eagerly or
    lazily) resamples to the same bytes as the arrays it was written from."""
    exposures = [MultiSlitImage([SpectralImage.from_dict(s) for s in slits])
                 for slits in datasets.nirspec_mos(n_slits=3, n_exposures=2, nx=90, seed=8)]
    expected = resample(exposures, **options)
    expected = expected if isinstance(expected, list) else expected.slits
    for suffix in (".asdf", ".fits"):
        paths = [str(io.write(e, tmp_path / f"mos{k}{suffix}")) for k, e in enumerate(exposures)]
        for in_memory in (True, False):
            if options.get("single") and not in_memory:
                continue  # written to files instead (tests of in_memory=False)
            got = resample(paths, in_memory=in_memory, **options)
            got = got if isinstance(got, list) else got.slits
            assert len(got) == len(expected)
            for a, b in zip(expected, got, strict=True):
                assert_identical(a, b)
