"""ASDF files: lossless round trip, atomic writes, clear errors."""

import numpy as np
import pytest

from resamplespec import MultiSlitImage, SpectralImage, datasets, io
from resamplespec.models import ResampleRecord


def _image(seed=0):
    image = SpectralImage.from_dict(datasets.nirspec_fixed_slit(n_exposures=1, shape=(24, 50),
                                                                seed=seed)[0])
    image.wht = np.ones(image.shape, np.float32)
    image.con = np.ones((1, *image.shape), np.int32)
    image.meta = image.meta.replace(
        resample=ResampleRecord(pixfrac=1.0, kernel="square", weight_type="ivm",
                                pixel_scale_ratio=1.0, fillval="NAN", variance="reference"),
        wavelength=np.linspace(1, 2, 50),
    )
    return image


def _assert_same(a, b):
    for name in ("data", "dq", "err", "var_rnoise", "var_poisson", "var_flat", "wht", "con"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.meta == b.meta
    np.testing.assert_array_equal(a.meta.wavelength, b.meta.wavelength)
    x, y = np.meshgrid([3.0, 20.0], [5.0, 12.0])
    np.testing.assert_allclose(a.wcs(x, y), b.wcs(x, y), rtol=1e-12, equal_nan=True)


def test_spectral_image_round_trips(tmp_path):
    image = _image()
    path = io.write(image, tmp_path / "out.asdf")
    _assert_same(image, io.read(path))


def test_multi_slit_image_round_trips(tmp_path):
    multi = MultiSlitImage([_image(1), _image(2)])
    back = io.read(io.write(multi, tmp_path / "multi.asdf"))
    assert isinstance(back, MultiSlitImage)
    for a, b in zip(multi, back, strict=True):
        _assert_same(a, b)


def test_existing_file_is_not_overwritten_unless_asked(tmp_path):
    path = tmp_path / "out.asdf"
    path.write_text("precious")
    with pytest.raises(FileExistsError, match="overwrite"):
        io.write(_image(), path)
    assert path.read_text() == "precious"
    io.write(_image(), path, overwrite=True)
    assert isinstance(io.read(path), SpectralImage)


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    import asdf

    def explode(self, handle, *args, **kwargs):
        handle.write(b"half a product")
        raise OSError("disk full")

    monkeypatch.setattr(asdf.AsdfFile, "write_to", explode)
    with pytest.raises(OSError, match="disk full"):
        io.write(_image(), tmp_path / "out.asdf")
    assert list(tmp_path.iterdir()) == []


def test_reading_bad_files_fails_clearly(tmp_path):
    with pytest.raises(FileNotFoundError):
        io.read(tmp_path / "missing.asdf")
    junk = tmp_path / "junk.asdf"
    junk.write_text("not asdf")
    with pytest.raises(ValueError, match="not a readable ASDF"):
        io.read(junk)
    with pytest.raises(TypeError, match="SpectralImage"):
        io.write(np.zeros(3), tmp_path / "x.asdf")


def test_arrays_read_from_a_file_are_the_readers_own(tmp_path):
    """Reading keeps asdf's arrays instead of copying them (half the memory):
    they must still be writable, and changing one changes nothing else."""
    image = SpectralImage.from_dict(datasets.lamp(shape=(6, 20))[0])
    path = io.write(image, tmp_path / "lamp.asdf")
    first, second = io.read(path), io.read(path)
    assert first.data.flags.writeable and first.data.flags.c_contiguous
    first.data[0, 0] = -123.0
    assert second.data[0, 0] == image.data[0, 0] != -123.0
    assert io.read(path).data[0, 0] == image.data[0, 0]
