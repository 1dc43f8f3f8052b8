"""Damaged inputs: copies of valid ASDF and FITS products truncated at
random points or with bytes flipped.  ``read`` and the command line answer
each with one line naming the file and what is wrong (or read it, when the
damage hit only values), never a traceback, a hang or a crash, and never
leave a file half-written."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from resamplespec import MultiSlitImage, SpectralImage, cli, datasets, io, resample

N_DAMAGED = 8  # damaged copies per product and kind of damage


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    """Valid files: our ASDF and FITS products, single and multi-slit, and
    JWST cal files written by stdatamodels (when it is installed)."""
    folder = tmp_path_factory.mktemp("valid")
    nods = datasets.nirspec_fixed_slit(n_exposures=2, shape=(16, 60), seed=61)
    mos = datasets.nirspec_mos(n_slits=2, n_exposures=1, nx=50, seed=62)[0]
    single = resample(nods)
    multi = resample([{"slits": mos}])
    paths = []
    for stem, product in (("single", single), ("multi", multi)):
        for suffix in (".asdf", ".fits"):
            paths.append(io.write(product, folder / f"{stem}_s2d{suffix}"))
    paths.append(io.write(SpectralImage.from_dict(nods[0]), folder / "nod_cal.asdf"))
    paths.append(io.write(MultiSlitImage([SpectralImage.from_dict(s) for s in mos]),
                          folder / "mos_cal.asdf"))
    try:
        import jwst_adapter as ja
    except ImportError:  # stdatamodels not installed
        return paths
    ja.to_slit_model(nods[0]).save(folder / "nod_cal.fits")
    ja.to_multislit_model(mos).save(folder / "mos_cal.fits")
    return [*paths, folder / "nod_cal.fits", folder / "mos_cal.fits"]


def damaged_copies(source: Path, folder: Path, seed: int):
    """(kind, path) of copies of ``source``: truncated at random points, and
    with 1 to 4 random bits flipped."""
    raw = source.read_bytes()
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(N_DAMAGED):
        cut = int(rng.integers(0, int(len(raw) * 0.9)))
        path = folder / f"cut{k}_{source.name}"
        path.write_bytes(raw[:cut])
        yield "truncated", path
    for k in range(N_DAMAGED):
        flipped = bytearray(raw)
        for _ in range(int(rng.integers(1, 5))):
            flipped[int(rng.integers(0, len(raw)))] ^= 1 << int(rng.integers(0, 8))
        path = folder / f"flip{k}_{source.name}"
        path.write_bytes(bytes(flipped))
        yield "flipped", path


def test_damaged_files_read_or_fail_with_one_line_naming_the_file(products, tmp_path):
    outcomes = {"truncated": [], "flipped": []}
    for n, source in enumerate(products):
        for kind, path in damaged_copies(source, tmp_path / source.stem, seed=n):
            try:
                io.read(path)
            except ValueError as exc:
                message = str(exc)
                assert str(path) in message, message
                assert "\n" not in message, message
                if kind == "truncated" and path.suffix == ".fits":
                    assert f"{path} is truncated" in message, message
                outcomes[kind].append("error")
            else:
                outcomes[kind].append("read")
    # a file cut anywhere before its last tenth loses arrays or its tree
    assert set(outcomes["truncated"]) == {"error"}
    assert "error" in outcomes["flipped"]


def test_damaged_inputs_stop_the_command_line_before_any_work(products, tmp_path, capsys):
    good = products[0]
    for n, source in enumerate(products):
        damaged = [path for kind, path in damaged_copies(source, tmp_path / source.stem, n)
                   if kind == "truncated"][:3]
        for path in damaged:
            output = tmp_path / "out" / f"{path.stem}_s2d.fits"
            status = cli.main([str(good), str(path), "-o", str(output), "-q"])
            err = capsys.readouterr().err
            assert status == 1
            assert err.count("\n") == 1 and err.startswith("resamplespec: error: "), err
            assert str(path) in err
            assert not output.exists()
    leftovers = list((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else []
    assert leftovers == []


def test_python_m_resamplespec_names_the_damaged_file_without_a_traceback(products,
                                                                          tmp_path):
    for source in (products[1], products[0]):  # FITS, ASDF
        damaged = tmp_path / f"cut_{source.name}"
        raw = source.read_bytes()
        damaged.write_bytes(raw[: len(raw) // 2])
        output = tmp_path / "out_s2d.fits"
        run = subprocess.run(
            [sys.executable, "-m", "resamplespec", str(source), str(damaged), "-o",
             str(output), "-q"], capture_output=True, text=True, timeout=300,
            cwd=Path(__file__).resolve().parents[2])
        assert run.returncode == 1, run.stderr
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
        assert str(damaged) in lines[0]
        assert not output.exists()
        assert list(tmp_path.glob(".*.part")) == []


def test_a_directory_is_not_an_input_file(tmp_path, capsys):
    folder = tmp_path / "nods.fits"
    folder.mkdir()
    for name in ("nods.fits", "nods.asdf"):
        path = tmp_path / name
        path.mkdir(exist_ok=True)
        with pytest.raises(ValueError, match=f"{path} is a directory"):
            io.read(path)
        with pytest.raises(ValueError, match=f"{path} is a directory"):
            resample([path], in_memory=False)
    status = cli.main([str(folder), "-o", str(tmp_path / "out.fits"), "-q"])
    assert status == 1
    assert f"{folder} is a directory" in capsys.readouterr().err


def test_a_bad_slit_is_named_with_its_file(products, tmp_path):
    """A slit whose arrays disagree: the message names the file and the slit."""
    path = tmp_path / "mismatch_cal.fits"
    source = next(p for p in products if p.name == "multi_s2d.fits")
    from astropy.io import fits

    with fits.open(source) as hdul:
        hdul["ERR", 2].data = hdul["ERR", 2].data[:-1]
        hdul.writeto(path)
    with pytest.raises(ValueError) as caught:
        io.read(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: slit 2 (")
    assert "shape" in message


@pytest.mark.parametrize("name", ["nod_cal.asdf", "mos_cal.asdf", "single_s2d.fits"])
def test_damage_found_only_when_a_slit_is_read_is_named_with_file_and_slit(products,
                                                                           tmp_path, name):
    """With in_memory=False an ASDF file is opened for its tree; a block cut
    short shows itself when the slit's arrays are read, later in the run:
    that error too names the file and the slit."""
    source = next(p for p in products if p.name == name)
    raw = source.read_bytes()
    damaged = tmp_path / f"cut_{name}"
    damaged.write_bytes(raw[: int(len(raw) * 0.9)])
    with pytest.raises(ValueError) as caught:
        resample([source, damaged], in_memory=False)
    message = str(caught.value)
    assert message.startswith(str(damaged)) and "\n" not in message, message
    status = cli.main([str(source), str(damaged), "-o", str(tmp_path / "o.fits"), "-q",
                       "--no-in_memory"])
    assert status == 1 and not (tmp_path / "o.fits").exists()
