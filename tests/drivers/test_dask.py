"""resamplespec.dask: one task per slit on a cluster, same numbers as the serial run."""

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

import cloudpickle  # noqa: E402 - a dependency of distributed
import internals  # noqa: E402

import resamplespec.dask as rdask  # noqa: E402
from resamplespec import MultiSlitImage, SpectralImage, datasets, io, resample  # noqa: E402
from resamplespec.io import DeferredImage, deferred_exposure  # noqa: E402

SOURCE_ROOT = str(Path(rdask.__file__).resolve().parents[1])

# The workers are other processes: the test's own classes travel by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def mos():
    return [{"slits": slits}
            for slits in datasets.nirspec_mos(n_slits=3, n_exposures=2, nx=90, seed=8)]


@pytest.fixture(scope="module")
def mos_paths(mos, tmp_path_factory):
    folder = tmp_path_factory.mktemp("mos")
    return [str(io.write(MultiSlitImage([SpectralImage.from_dict(s) for s in e["slits"]]),
                         folder / f"mos{k}.asdf"))
            for k, e in enumerate(mos)]


@pytest.fixture(scope="module")
def serial(mos_paths):
    """The serial run over the files, to compare with."""
    return resample(mos_paths)


def test_slits_on_the_cluster_are_identical_to_the_serial_run(client, mos, assert_identical):
    serial = resample(mos, variance="exact", propagate_dq=True)
    remote = rdask.resample(mos, client=client, variance="exact", propagate_dq=True)
    assert isinstance(remote, MultiSlitImage)
    assert [s.name for s in remote.slits] == [s.name for s in serial.slits]
    for a, b in zip(serial.slits, remote.slits, strict=True):
        assert_identical(a, b)


def test_a_single_slit_set_comes_back_as_one_image(client, assert_identical):
    nods = datasets.nirspec_fixed_slit(n_exposures=2, shape=(20, 80), seed=8)
    remote = rdask.resample(nods, client=client, n_jobs=2)
    assert isinstance(remote, SpectralImage)
    assert_identical(resample(nods), remote)


@pytest.mark.parametrize(("spectral_grid", "sampling"),
                         [("log", 2.0), ((1.9, 2.0, 2.2, 2.5, 2.9), 1.0)])
def test_the_chosen_wavelength_grid_is_the_serial_runs(client, mos, spectral_grid, sampling,
                                                       assert_identical):
    serial = resample(mos, spectral_grid=spectral_grid, spectral_sampling=sampling)
    remote = rdask.resample(mos, client=client, spectral_grid=spectral_grid,
                            spectral_sampling=sampling)
    for a, b in zip(serial.slits, remote.slits, strict=True):
        assert_identical(a, b)
        assert b.meta.resample.spectral_sampling == sampling
    with pytest.raises(ValueError, match="spectral_sampling"):
        rdask.resample(mos, client=client, spectral_grid="log", spectral_sampling=-1)


def test_workers_read_the_arrays_from_the_paths(client, mos_paths, serial, monkeypatch,
                                                assert_identical):
    sent = []
    submit = client.submit

    def recording_submit(function, images, *args, **kwargs):
        sent.append(images)
        return submit(function, images, *args, **kwargs)

    monkeypatch.setattr(client, "submit", recording_submit)
    remote = rdask.resample(mos_paths, client=client, in_memory=False)
    assert len(sent) == 3
    for images in sent:
        assert all(isinstance(image, DeferredImage) for image in images)
        # paths and metadata only: a few kB, where the arrays are ~100 kB per slit
        assert len(pickle.dumps(images)) < 20_000
    for a, b in zip(serial.slits, remote.slits, strict=True):
        assert_identical(a, b)
    # the files opened here for their metadata are closed: the workers read them
    assert not internals.kept_open_files()


def test_workers_write_the_products_and_return_their_paths(client, mos_paths, serial,
                                                          tmp_path, assert_identical):
    paths = rdask.resample(mos_paths, client=client, in_memory=False,
                           output_dir=tmp_path / "s2d")
    assert [Path(p).parent for p in paths] == [tmp_path / "s2d"] * 3
    assert len({Path(p).name for p in paths}) == 3
    for path, expected in zip(paths, serial.slits, strict=True):
        assert_identical(io.read(path), expected)


def test_single_products_are_written_one_per_input_and_slit(client, mos_paths, tmp_path,
                                                           assert_identical):
    paths = rdask.resample(mos_paths, client=client, in_memory=False, single=True,
                           output_dir=tmp_path)
    serial = resample(mos_paths, single=True)
    assert len(paths) == 6 and all(str(p).endswith("_single_s2d.asdf") for p in paths)
    for path, expected in zip(paths, serial.slits, strict=True):
        assert_identical(io.read(path), expected)


class _DiesOnFirstRead(DeferredImage):
    """An input whose first read kills the worker process reading it."""

    def __init__(self, deferred, marker):
        super().__init__(deferred.path, deferred.index, deferred.meta, deferred.arrays)
        self.marker = marker

    def load(self):
        if not os.path.exists(self.marker):
            Path(self.marker).write_text(str(os.getpid()))
            os._exit(1)  # the worker dies mid-task, as on a lost node
        return super().load()


def test_a_task_whose_worker_dies_is_run_again_and_the_result_is_complete(
        client, mos_paths, serial, tmp_path, monkeypatch, assert_identical):
    marker = tmp_path / "died"
    exposures = [deferred_exposure(path) for path in mos_paths]
    exposures[1][2] = _DiesOnFirstRead(exposures[1][2], str(marker))
    monkeypatch.setattr(rdask, "slit_groups", _groups_of(exposures))
    remote = rdask.resample(mos_paths, client=client, in_memory=False)
    assert marker.exists(), "the worker was not killed: the test proved nothing"
    assert int(marker.read_text()) not in client.run(os.getpid).values()
    assert len(remote.slits) == 3
    for a, b in zip(serial.slits, remote.slits, strict=True):
        assert_identical(a, b)


def _groups_of(exposures):
    def slit_groups(models, options):
        return True, internals.group_by_slit(exposures)

    return slit_groups


def test_bad_options_fail_on_the_client(client, mos):
    with pytest.raises(ValueError, match="pixfrac"):
        rdask.resample(mos, client=client, pixfrac=2)
    with pytest.raises(TypeError, match="unknown option"):
        rdask.resample(mos, client=client, pixel_frac=0.5)
    with pytest.raises(TypeError, match="client must be a distributed.Client"):
        rdask.resample(mos, client="tcp://localhost:8786")
    with pytest.raises(ValueError, match="n_jobs"):
        rdask.resample(mos, client=client, n_jobs=0)
    with pytest.raises(TypeError, match="output_dir must be a folder name"):
        rdask.resample(mos, client=client, output_dir=3)
    with pytest.raises(NotADirectoryError, match="output_dir: .* is a file, not a folder"):
        rdask.resample(mos, client=client, output_dir=__file__)
    with pytest.raises(TypeError, match="progress_bar is not an option"):
        rdask.resample(mos, client=client, progress_bar=True)


def test_an_error_in_a_task_reaches_the_caller(client, mos):
    broken = [{"slits": [dict(s) for s in e["slits"]]} for e in mos]
    for exposure in broken:  # the slit in one exposure only is left out, with a warning
        exposure["slits"][1]["data"] = exposure["slits"][1]["data"] * float("nan")
    with pytest.raises(ValueError, match="every data value is NaN"):
        rdask.resample(broken, client=client)


def test_importing_resamplespec_does_not_import_dask():
    code = ("import sys, resamplespec; "
            "print(any(m == 'dask' or m.startswith(('dask.', 'distributed')) "
            "for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": SOURCE_ROOT})
    assert out.stdout.strip() == "False"


def test_without_distributed_the_import_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.delitem(sys.modules, "resamplespec.dask")
    with pytest.raises(ImportError, match=r"resamplespec\[dask\]"):
        import resamplespec.dask  # noqa: F401


def test_outlier_rejection_on_the_cluster_is_identical_to_the_serial_run(client, mos,
                                                                         assert_identical):
    hit, _ = datasets.with_outliers([e["slits"] for e in mos], cosmic_rays=8,
                                    hot_pixels=2, amplitude=20.0, seed=6)
    serial = resample(hit, reject_outliers=True)
    remote = rdask.resample(hit, client=client, reject_outliers=True)
    assert sum(sum(s.meta.resample.outliers_rejected) for s in serial.slits) > 0
    for a, b in zip(serial.slits, remote.slits, strict=True):
        assert_identical(a, b)
