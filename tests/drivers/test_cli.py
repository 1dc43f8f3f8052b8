"""The command line: flags as the JWST step spells them, error paths, the demo."""

import json
import subprocess
import sys

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
        "--variance", "exact", "--good_bits", "0", "--n_jobs", "2", "-q",
        "--reject_outliers", "--outlier_threshold", "4", "--outlier_shift", "0.1",
    ])
    assert status == 0
    assert captured_options["options"] == {
        "pixfrac": 0.5, "kernel": "point", "pixel_scale_ratio": 2.0, "pixel_scale": 0.05,
        "output_shape": "100,40", "output_wcs": str(wcs_file), "fillval": "INDEF",
        "weight_type": "exptime", "single": True, "blendheaders": False,
        "in_memory": False, "propagate_dq": True, "good_bits": 0, "variance": "exact",
        "reject_outliers": True, "outlier_threshold": 4.0, "outlier_shift": 0.1,
        "n_jobs": 2, "progress_bar": False,
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
    assert main(["demo", "-o", str(tmp_path)]) == 0
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
