"""The command line's wavelength grid: ``--spectral_grid native|linear|log|FILE``
and ``--spectral_sampling``."""

import numpy as np
import pytest
from astropy.io import fits

import resamplespec
from resamplespec import SpectralImage, datasets, io
from resamplespec.cli import main


@pytest.fixture(scope="module")
def nod_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nods")
    return [str(io.write(SpectralImage.from_dict(nod), folder / f"nod{k}_cal.asdf"))
            for k, nod in enumerate(datasets.nirspec_fixed_slit(n_exposures=2, shape=(24, 90),
                                                                seed=5))]


#: wavelength centres (um) with uneven steps, inside the nods' range
CENTRES = 1.8 + 1.1 * np.linspace(0.0, 1.0, 41) ** 1.2


def write_grid(path):
    """``CENTRES`` in the file format of ``path``'s suffix."""
    name = path.name
    if name.endswith(".txt"):
        path.write_text("# wavelength (um)\n" + "\n".join(repr(float(v)) for v in CENTRES) + "\n")
    elif name.endswith(".npy"):
        np.save(path, CENTRES)
    elif name.endswith("_table.fits"):
        column = fits.Column(name="WAVELENGTH", format="D", array=CENTRES)
        fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns([column])]).writeto(path)
    else:
        fits.PrimaryHDU(CENTRES).writeto(path)
    return path


@pytest.mark.parametrize(("flags", "grid", "sampling"), [
    (["--spectral_grid", "log", "--spectral_sampling", "2"], "log", 2.0),
    (["--spectral_grid", "linear"], "linear", 1.0),
    (["--spectral_sampling", "1.5"], "native", 1.5),
])
def test_named_grids_make_the_product_resample_makes(nod_files, tmp_path, flags, grid,
                                                     sampling):
    output = tmp_path / "out.asdf"
    assert main([*nod_files, "-o", str(output), "-q", *flags]) == 0
    written = io.read(output)
    expected = resamplespec.resample(nod_files, spectral_grid=grid, spectral_sampling=sampling)
    assert written.data.tobytes() == expected.data.tobytes()
    assert written.meta.resample.spectral_grid == grid
    assert written.meta.resample.spectral_sampling == sampling


@pytest.mark.parametrize("name", ["grid.txt", "grid.npy", "grid.fits", "grid_table.fits"])
def test_a_file_of_wavelengths_is_the_output_grid(nod_files, tmp_path, name):
    grid_file = write_grid(tmp_path / name)
    output = tmp_path / "out.fits"
    assert main([*nod_files, "-o", str(output), "-q", "--spectral_grid", str(grid_file)]) == 0
    written = io.read(output)
    assert written.meta.wavelength.tobytes() == CENTRES.tobytes()
    assert written.meta.resample.spectral_grid == "explicit"


def test_a_product_of_ours_gives_its_wavelength_table(nod_files, tmp_path):
    first = tmp_path / "first.fits"
    assert main([*nod_files, "-o", str(first), "-q", "--spectral_grid", "log"]) == 0
    again = tmp_path / "again.asdf"
    assert main([*nod_files, "-o", str(again), "-q", "--spectral_grid", str(first)]) == 0
    assert io.read(again).meta.wavelength.tobytes() == io.read(first).meta.wavelength.tobytes()


@pytest.mark.parametrize(("flags", "message"), [
    (["--spectral_grid", "cubic.txt"], "--spectral_grid: no such file"),
    (["--spectral_grid", "cubic"], "--spectral_grid: cubic: a wavelength grid file must end in"),
    (["--spectral_grid", "BROKEN.npy"], "--spectral_grid: cannot read wavelengths from"),
    (["--spectral_grid", "BROKEN.fits"], "--spectral_grid: cannot read wavelengths from"),
    (["--spectral_grid", "BROKEN.txt"], "--spectral_grid: cannot read wavelengths from"),
    (["--spectral_grid", "FLAT.txt"], "--spectral_grid: spectral_grid: the wavelength centres "
                                      "must be strictly"),
    (["--spectral_grid", "GOOD.txt", "--spectral_sampling", "2"],
     "--spectral_sampling: spectral_sampling=2.0 cannot be used with an array"),
    (["--spectral_sampling", "0"], "--spectral_sampling: spectral_sampling must be a positive"),
    (["--spectral_sampling", "two"], "argument --spectral_sampling: invalid float value"),
    (["--spectral_grid", "log", "--output_wcs", "grid.asdf"],
     "--output_wcs: output_wcs and spectral_grid='log'"),
])
def test_a_bad_grid_gives_one_line_and_status_2(nod_files, tmp_path, capsys, monkeypatch,
                                                flags, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "BROKEN.npy").write_bytes(b"not numpy")
    (tmp_path / "BROKEN.fits").write_bytes(b"not FITS either")
    (tmp_path / "BROKEN.txt").write_text("1.0\n2.0 abc\n")
    (tmp_path / "FLAT.txt").write_text("2.0\n2.0\n2.1\n")
    write_grid(tmp_path / "GOOD.txt")
    status = main([*nod_files, "-o", str(tmp_path / "out.asdf"), *flags])
    assert status == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out.asdf").exists()
