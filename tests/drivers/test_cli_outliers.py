"""The command line's --reject_outliers and its parameters, end to end."""

import numpy as np
import pytest

import resamplespec
from resamplespec import SpectralImage, datasets, io
from resamplespec.cli import main
from resamplespec.dqflags import JWST_DQ_FLAGS


@pytest.fixture(scope="module")
def hit_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hit")
    nods = datasets.nirspec_fixed_slit(n_exposures=3, shape=(24, 90), seed=15)
    hit, _ = datasets.with_outliers(nods, cosmic_rays=6, hot_pixels=1, amplitude=25.0, seed=7)
    return hit, [io.write(SpectralImage.from_dict(image), folder / f"nod{k}_cal.asdf")
                 for k, image in enumerate(hit)]


def test_reject_outliers_gives_the_library_product(hit_files, tmp_path, assert_identical,
                                                   capsys):
    hit, paths = hit_files
    out = tmp_path / "s2d.asdf"
    assert main([str(p) for p in paths] + ["-o", str(out), "--reject_outliers",
                                           "--outlier_threshold", "6",
                                           "--outlier_shift", "0.05"]) == 0
    product = resamplespec.read(out)
    assert_identical(product, resamplespec.resample(hit, reject_outliers=True,
                                                    outlier_threshold=6, outlier_shift=0.05))
    assert (product.dq & JWST_DQ_FLAGS["OUTLIER"]).any()
    assert "outlier pixels left out" in capsys.readouterr().out


@pytest.mark.parametrize("flags, option", [
    (["--outlier_threshold", "0.2"], "outlier_threshold"),
    (["--outlier_shift", "-1"], "outlier_shift"),
])
def test_bad_outlier_parameters_are_usage_errors(hit_files, tmp_path, capsys, flags, option):
    _, paths = hit_files
    status = main([str(p) for p in paths] + ["-o", str(tmp_path / "x.asdf"),
                                             "--reject_outliers", *flags])
    assert status == 2
    assert f"--{option}" in capsys.readouterr().err


def test_one_input_with_reject_outliers_is_an_error(hit_files, tmp_path, capsys):
    _, paths = hit_files
    status = main([str(paths[0]), "-o", str(tmp_path / "y.asdf"), "--reject_outliers"])
    assert status != 0
    assert "two exposures" in capsys.readouterr().err
    assert not np.any([p.name == "y.asdf" for p in tmp_path.iterdir()])
