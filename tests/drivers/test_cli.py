"""The command line: flags as the JWST step spells them, error paths, the demo."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import resamplespec
from resamplespec import SpectralImage, datasets, io
from resamplespec.cli import main
from resamplespec.io import read_association

RESAMPLE_MODULE = sys.modules["resamplespec.cli"]


@pytest.fixture(scope="module")
def nod_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nods")
    paths = []
    for k, nod in enumerate(datasets.nirspec_fixed_slit(n_exposures=2, shape=(24, 90), seed=5)):
        paths.append(io.write(SpectralImage.from_dict(nod), folder / f"nod{k}_cal.asdf"))
    return paths


@pytest.fixture
def captured_options(monkeypatch):
    """Replace resample() by a recorder, to see exactly what the flags became."""
    calls = {}

    def fake_resample(models, **options):
        calls["models"], calls["options"] = models, options
        return resamplespec.resample(models, single=options["single"])

    monkeypatch.setattr(RESAMPLE_MODULE, "resample", fake_resample)
    return calls


def test_every_flag_of_the_step_is_spelled_as_the_step_spells_it(
        nod_files, tmp_path, captured_options):
    wcs_file = tmp_path / "grid.asdf"
    wcs_file.write_bytes(b"placeholder; resample() is replaced in this test")
    status = main([str(p) for p in nod_files] + [
        "-o", str(tmp_path / "out.asdf"), "--pixfrac", "0.5", "--kernel", "point",
        "--pixel_scale_ratio", "2", "--pixel_scale", "0.05", "--output_shape", "100,40",
        "--output_wcs", str(wcs_file), "--fillval", "INDEF", "--weight_type", "exptime",
        "--single", "--no-blendheaders", "--no-in_memory", "--propagate_dq",
        "--variance", "exact", "--covariance", "--good_bits", "0", "--n_jobs", "2", "-q",
        "--reject_outliers", "--outlier_threshold", "4", "--outlier_shift", "0.1",
    ])
    assert status == 0
    # --single --no-in_memory: products made beside the output, in a folder removed after
    staging = captured_options["options"].pop("output_dir")
    assert staging.parent == tmp_path and not staging.exists()
    assert captured_options["options"] == {
        "pixfrac": 0.5, "kernel": "point", "pixel_scale_ratio": 2.0, "pixel_scale": 0.05,
        "output_shape": "100,40", "output_wcs": str(wcs_file), "fillval": "INDEF",
        "weight_type": "exptime", "single": True, "blendheaders": False,
        "in_memory": False, "propagate_dq": True, "good_bits": 0, "variance": "exact",
        "covariance": True, "n_jobs": 2, "progress_bar": False, "spectral_grid": "native",
        "spectral_sampling": 1.0,
        "reject_outliers": True, "outlier_threshold": 4.0, "outlier_shift": 0.1,
    }
    assert captured_options["models"] == [str(p) for p in nod_files]


def test_defaults_are_the_steps(nod_files, tmp_path, captured_options):
    assert main([str(nod_files[0]), "-o", str(tmp_path / "out.asdf"), "-q"]) == 0
    options = captured_options["options"]
    assert options["pixfrac"] == 1.0 and options["kernel"] == "square"
    assert options["fillval"] == "NAN" and options["weight_type"] == "ivm"
    assert options["blendheaders"] is True and options["in_memory"] is True
    assert options["single"] is False and options["propagate_dq"] is False
    assert options["good_bits"] == "~DO_NOT_USE+NON_SCIENCE"
    assert options["n_jobs"] == 1


def test_weight_type_none_means_equal_weights(nod_files, tmp_path, captured_options):
    main([str(nod_files[0]), "-o", str(tmp_path / "out.asdf"), "--weight_type", "none", "-q"])
    assert captured_options["options"]["weight_type"] is None


def test_the_file_written_is_what_resample_returns(nod_files, tmp_path, capsys):
    output = tmp_path / "combined.asdf"
    assert main([str(p) for p in nod_files] + ["-o", str(output), "--pixel_scale_ratio",
                                              "2"]) == 0
    expected = resamplespec.resample([str(p) for p in nod_files], pixel_scale_ratio=2)
    written = io.read(output)
    np.testing.assert_array_equal(written.data, expected.data)
    np.testing.assert_array_equal(written.err, expected.err)
    captured = capsys.readouterr()
    assert f"wrote {output}" in captured.out
    assert "resampling" not in captured.err  # no progress bar when not a terminal


def test_single_writes_one_file_per_input(nod_files, tmp_path):
    assert main([str(p) for p in nod_files] + ["-o", str(tmp_path / "s.asdf"), "--single",
                                              "-q"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["s_000_S200A1.asdf", "s_001_S200A1.asdf"]
    first = io.read(tmp_path / names[0])
    assert first.meta.resample.n_inputs == 1


def test_plot_writes_a_png(nod_files, tmp_path):
    pytest.importorskip("matplotlib")
    picture = tmp_path / "look.png"
    assert main([str(nod_files[0]), "-o", str(tmp_path / "o.asdf"), "--plot", str(picture),
                 "-q"]) == 0
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--pixfrac", "2"], "--pixfrac: pixfrac must be in (0, 1]"),
        (["--pixfrac", "abc"], "argument --pixfrac: invalid float value: 'abc'"),
        (["--kernel", "gaussian"], "--kernel"),
        (["--output_shape", "100"], "--output_shape"),
        (["--fillval", "lots"], "--fillval"),
        (["--weight_type", "median"], "--weight_type"),
        (["--variance", "approximate"], "--variance"),
        (["--pixel_scale_ratio", "-1"], "--pixel_scale_ratio"),
        (["--output_wcs", "no_such_grid.asdf"], "--output_wcs: no such file"),
        (["--n_jobs", "0"], "--n_jobs: n_jobs must be a positive integer or -1"),
        (["--n_jobs", "two"], "argument --n_jobs: invalid int value: 'two'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_a_bad_flag_gives_one_line_and_status_2(nod_files, tmp_path, capsys, flags, message):
    status = main([str(nod_files[0]), "-o", str(tmp_path / "out.asdf"), *flags])
    assert status == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out.asdf").exists()


def test_help_exits_with_status_0(capsys):
    assert main(["--help"]) == 0
    assert "--pixel_scale_ratio" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("output", "message"),
    [(None, "-o/--output is required"), ("out.txt", "must end in one of .asdf, .fits")],
)
def test_output_name_is_checked(nod_files, tmp_path, capsys, monkeypatch, output, message):
    monkeypatch.chdir(tmp_path)
    args = [str(nod_files[0])] + (["-o", output] if output else [])
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_an_existing_output_is_kept_unless_overwrite(nod_files, tmp_path, capsys):
    output = tmp_path / "out.asdf"
    output.write_bytes(b"precious")
    assert main([str(nod_files[0]), "-o", str(output)]) == 2
    assert output.read_bytes() == b"precious"
    assert "add --overwrite" in capsys.readouterr().err
    assert main([str(nod_files[0]), "-o", str(output), "--overwrite", "-q"]) == 0
    assert io.read(output).data.shape[1] == 90


def test_a_missing_input_fails_with_status_1_and_no_traceback(tmp_path, capsys):
    assert main([str(tmp_path / "nope.asdf"), "-o", str(tmp_path / "out.asdf")]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"resamplespec: error: no such input file: {tmp_path / 'nope.asdf'}"


def test_an_unreadable_input_fails_cleanly(tmp_path, capsys):
    junk = tmp_path / "junk.asdf"
    junk.write_text("not asdf at all")
    assert main([str(junk), "-o", str(tmp_path / "out.asdf")]) == 1
    assert "junk.asdf" in capsys.readouterr().err
    assert not (tmp_path / "out.asdf").exists()


def test_verbose_shows_the_traceback(tmp_path):
    junk = tmp_path / "junk.asdf"
    junk.write_text("not asdf at all")
    with pytest.raises(ValueError, match="junk.asdf"):
        main([str(junk), "-o", str(tmp_path / "out.asdf"), "-v"])


def _association(folder, members, name="jw01234-o001_t001_nirspec_clear"):
    path = folder / "asn.json"
    path.write_text(json.dumps({
        "asn_type": "spec2", "products": [{"name": name, "members": members}]}))
    return path


def test_association_lists_science_members_relative_to_its_folder(nod_files):
    folder = nod_files[0].parent
    path = _association(folder, [
        {"expname": nod_files[0].name, "exptype": "science"},
        {"expname": "background_cal.asdf", "exptype": "background"},
        {"expname": nod_files[1].name, "exptype": "science"},
    ])
    members, name = read_association(path)
    assert members == [nod_files[0], nod_files[1]]
    assert name == "jw01234-o001_t001_nirspec_clear"


def test_association_run_names_its_product(nod_files, tmp_path, monkeypatch):
    path = _association(tmp_path, [{"expname": str(p), "exptype": "science"}
                                   for p in nod_files], name="prod")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(io, "write", lambda product, path, overwrite: path)
    assert main([str(path), "-q"]) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not a readable association"),
     (json.dumps({"products": []}), "needs a 'products' list"),
     (json.dumps({"products": [{"members": [{"expname": "a", "exptype": "dark"}]}]}),
      "no science member")],
)
def test_bad_associations_are_refused(tmp_path, capsys, content, message):
    path = tmp_path / "asn.json"
    path.write_text(content)
    assert main([str(path), "-o", str(tmp_path / "o.asdf")]) == 1
    assert message in capsys.readouterr().err


def test_demo_writes_its_products_and_a_summary(tmp_path, capsys):
    folder = tmp_path / "demo"
    assert main(["demo", "-o", str(folder)]) == 0
    # a folder the demo makes is ignored by git wherever it is
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    tmp_path = folder
    out = capsys.readouterr().out
    assert "3 nods of 36x400" in out and "MOS: 3 exposures x 3 slits" in out
    ratio = float(out.split("(ratio ")[1].split(")")[0])
    assert abs(ratio - 1) < 0.02  # flux in = flux out, to the sky and noise of the nods
    fixed = io.read(tmp_path / "demo_fixed_slit_s2d.asdf")
    assert fixed.data.shape == (47, 400)
    assert len(io.read(tmp_path / "demo_mos_s2d.asdf")) == 3
    from astropy.io import fits

    with fits.open(tmp_path / "demo_mos_s2d.fits") as hdul:
        assert hdul[0].header["DATAMODL"] == "MultiSlitModel"
        assert [h.ver for h in hdul if h.name == "SCI"] == [1, 2, 3]
    np.testing.assert_array_equal(io.read(tmp_path / "demo_fixed_slit_s2d.fits").data,
                                  fixed.data)


def test_python_dash_m_runs_the_same_command_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "resamplespec", "--pixfrac"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "argument --pixfrac: expected one argument" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_fits_output_holds_the_same_product_as_asdf(nod_files, tmp_path):
    assert main([str(p) for p in nod_files] + ["-o", str(tmp_path / "a.asdf"), "-q"]) == 0
    assert main([str(p) for p in nod_files] + ["-o", str(tmp_path / "a.fits"), "-q"]) == 0
    from_asdf, from_fits = io.read(tmp_path / "a.asdf"), io.read(tmp_path / "a.fits")
    for name in ("data", "err", "wht", "con", "var_rnoise"):
        np.testing.assert_array_equal(getattr(from_fits, name), getattr(from_asdf, name))
    assert from_fits.meta == from_asdf.meta


# --- outputs checked before the work (issue 19) -----------------------------------------


def _first_line(capsys):
    return capsys.readouterr().err.strip().splitlines()[0]


@pytest.mark.parametrize("suffix", [".asdf", ".fits"])
def test_single_without_in_memory_lands_where_asked_as_in_memory(nod_files, tmp_path, suffix):
    output = tmp_path / "out" / f"s{suffix}"
    args = [str(p) for p in nod_files] + ["-o", str(output), "--single", "-q"]
    assert main(args + ["--no-in_memory"]) == 0
    names = sorted(p.name for p in output.parent.iterdir())
    assert names == [f"s_000_S200A1{suffix}", f"s_001_S200A1{suffix}"]  # no staging left
    lazy = [io.read(output.parent / name) for name in names]
    in_memory = resamplespec.resample([str(p) for p in nod_files], single=True)
    for written, expected in zip(lazy, in_memory, strict=True):
        assert written.data.tobytes() == expected.data.tobytes()
        assert written.meta.resample.n_inputs == 1


def test_single_refuses_products_of_an_earlier_run_before_the_work(nod_files, tmp_path, capsys):
    (tmp_path / "s_001_S200A1.asdf").write_bytes(b"earlier")
    (tmp_path / "s_1.asdf").write_bytes(b"not a --single name")
    status = main([str(p) for p in nod_files] + ["-o", str(tmp_path / "s.asdf"), "--single"])
    assert status == 2
    assert _first_line(capsys) == (
        f"resamplespec: error: -o/--output: {tmp_path / 's_001_S200A1.asdf'} exists (--single "
        "names its products s_000_<slit>.asdf, ...); add --overwrite to replace such files "
        "(see resamplespec -h)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s_001_S200A1.asdf", "s_1.asdf"]


def test_a_plot_path_that_cannot_be_written_stops_the_run_before_the_work(
        nod_files, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    (tmp_path / "afile").write_bytes(b"")
    output = tmp_path / "o.asdf"
    picture = tmp_path / "afile" / "look.png"
    assert main([str(nod_files[0]), "-o", str(output), "--plot", str(picture)]) == 2
    assert _first_line(capsys) == (
        f"resamplespec: error: --plot: cannot write {picture}: {tmp_path / 'afile'} is a "
        "file, not a folder (see resamplespec -h)")
    assert not output.exists()  # so that the corrected command runs without --overwrite
    assert main([str(nod_files[0]), "-o", str(output), "--plot", str(tmp_path / "look.png"),
                 "-q"]) == 0


@pytest.mark.parametrize(
    ("plot", "message"),
    [("look.pdf", "--plot: 'look.pdf' must end in .png"),
     ("o.png", "--plot: {tmp}/o.png exists; add --overwrite to replace it")],
)
def test_plot_names_are_checked(nod_files, tmp_path, capsys, plot, message):
    (tmp_path / "o.png").write_bytes(b"keep")
    assert main([str(nod_files[0]), "-o", str(tmp_path / "o.asdf"), "--plot",
                 str(tmp_path / plot)]) == 2
    assert message.format(tmp=tmp_path) in _first_line(capsys)
    assert (tmp_path / "o.png").read_bytes() == b"keep"


def test_an_output_under_a_file_is_said_in_one_line_without_errno(nod_files, tmp_path, capsys):
    (tmp_path / "existing.fits").write_bytes(b"")
    output = tmp_path / "existing.fits" / "out.fits"
    assert main([str(nod_files[0]), "-o", str(output)]) == 2
    line = _first_line(capsys)
    assert line == (f"resamplespec: error: -o/--output: cannot write {output}: "
                    f"{tmp_path / 'existing.fits'} is a file, not a folder (see resamplespec -h)")
    assert "Errno" not in line


def test_a_read_only_folder_is_said_before_the_work_naming_the_output(
        nod_files, tmp_path, capsys, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if (
        os.path.realpath(path) == str(folder) and mode & os.W_OK) else real_access(path, mode))
    monkeypatch.setattr(RESAMPLE_MODULE, "resample", lambda *a, **k: pytest.fail("ran"))
    output = folder / "out.fits"
    assert main([str(nod_files[0]), "-o", str(output)]) == 2
    line = _first_line(capsys)
    assert line == (f"resamplespec: error: -o/--output: cannot write {output}: no permission "
                    f"to write into {folder} (see resamplespec -h)")
    assert ".part" not in line


def test_run_summary_names_the_axes_of_dispersion_along_y(tmp_path, capsys):
    lrs = [io.write(SpectralImage.from_dict(e), tmp_path / f"lrs{k}.asdf")
           for k, e in enumerate(datasets.miri_lrs(n_exposures=1, shape=(120, 60), seed=2))]
    assert main([str(lrs[0]), "-o", str(tmp_path / "o.asdf")]) == 0
    written = io.read(tmp_path / "o.asdf")
    rows, columns = written.shape
    assert written.meta.wavelength.size == rows  # the first axis is the wavelength's
    assert f"LRS {rows}x{columns} (wavelength x spatial)" in capsys.readouterr().out


def test_n_jobs_help_says_processes(capsys):
    assert main(["--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--n_jobs N processes to use" in help_text
    assert "threads to use" not in help_text


@pytest.mark.parametrize(
    ("flags", "message"),
    [(["--output_shape", "-5,10"], "--output_shape: output_shape must be two positive "
                                    "integers (nx, ny), got '-5,10'"),
     (["--fillval", "-1e30x"], "--fillval: fillval must be 'NAN', 'INDEF', a number"),
     (["--pixel_scale", "-.5"], "--pixel_scale: pixel_scale must be a positive finite")],
)
def test_negative_values_reach_our_checks(nod_files, tmp_path, capsys, flags, message):
    assert main([str(nod_files[0]), "-o", str(tmp_path / "o.asdf"), *flags]) == 2
    assert _first_line(capsys).startswith(f"resamplespec: error: {message}")


def test_a_negative_number_value_is_taken_as_a_value(nod_files, tmp_path, captured_options):
    assert main([str(nod_files[0]), "-o", str(tmp_path / "o.asdf"), "--fillval", "-1e30",
                 "-q"]) == 0
    assert captured_options["options"]["fillval"] == "-1e30"


def test_string_choices_are_read_in_any_case(nod_files, tmp_path):
    upper = tmp_path / "upper.asdf"
    assert main([str(nod_files[0]), "-o", str(upper), "--kernel", "SQUARE", "--weight_type",
                 "IVM", "--variance", "EXACT", "-q"]) == 0
    expected = resamplespec.resample([str(nod_files[0])], variance="exact")
    written = io.read(upper)
    assert written.data.tobytes() == expected.data.tobytes()
    assert written.err.tobytes() == expected.err.tobytes()
    assert written.meta.resample.weight_type == "ivm"
    assert written.meta.resample.variance == "exact"


def test_version_prints_the_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"resamplespec {resamplespec.__version__}"


def test_the_demo_refuses_to_replace_earlier_products(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "demo_mos_s2d.fits").write_bytes(b"earlier")
    monkeypatch.setattr(RESAMPLE_MODULE, "resample", lambda *a, **k: pytest.fail("ran"))
    assert main(["demo", "-o", str(folder)]) == 2
    assert _first_line(capsys) == (
        f"resamplespec demo: error: -o/--output: {folder / 'demo_mos_s2d.fits'} exists; add "
        "--overwrite to replace the demo's products (see resamplespec demo -h)")
    assert (folder / "demo_mos_s2d.fits").read_bytes() == b"earlier"
    assert not (folder / ".gitignore").exists()  # a folder the demo did not make
    with pytest.raises(FileExistsError, match="demo_mos_s2d.fits exists"):
        RESAMPLE_MODULE.demo(folder)
    assert RESAMPLE_MODULE.check_demo_folder(folder, overwrite=True) == folder


def test_the_demos_default_folder_is_ignored_by_git(capsys):
    assert main(["demo", "-h"]) == 0
    assert "default ./resamplespec-demo, which git ignores" in " ".join(
        capsys.readouterr().out.split())
    repository = Path(__file__).resolve().parents[2]
    assert "resamplespec-demo/" in (repository / ".gitignore").read_text().splitlines()


def test_the_readmes_first_command_installs_matplotlib_for_the_demo():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    first_command = readme.split("```bash\n")[1].split("```")[0]
    assert "resamplespec demo" in first_command
    assert "[plot]" in first_command


def test_a_failed_single_run_leaves_no_staging_folder(nod_files, tmp_path, capsys, monkeypatch):
    def fails(*args, **options):
        (options["output_dir"] / "half_written.asdf").write_bytes(b"")
        raise RuntimeError("killed")

    monkeypatch.setattr(RESAMPLE_MODULE, "resample", fails)
    assert main([str(p) for p in nod_files] + ["-o", str(tmp_path / "s.asdf"), "--single",
                                              "--no-in_memory"]) == 1
    assert _first_line(capsys) == "resamplespec: error: killed"
    assert list(tmp_path.iterdir()) == []


def test_plot_without_matplotlib_is_said_before_the_work(nod_files, tmp_path, capsys,
                                                         monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if (
        name == "matplotlib") else real_find_spec(name, *a))
    assert main([str(nod_files[0]), "-o", str(tmp_path / "o.asdf"), "--plot",
                 str(tmp_path / "o.png")]) == 2
    assert _first_line(capsys) == ("resamplespec: error: --plot needs matplotlib: pip install "
                                   "'resamplespec[plot]' (see resamplespec -h)")
    assert list(tmp_path.iterdir()) == []
