"""in_memory=False: inputs read from their files when needed, same numbers."""

import gc
import tempfile
from pathlib import Path

import internals
import numpy as np
import pytest

from resamplespec import MultiSlitImage, SpectralImage, datasets, io, limits, resample
from resamplespec.io import DeferredImage, close_open_files, deferred_exposure
from resamplespec.models import LazyImages

ARRAYS = ("data", "wht", "con", "err", "var_rnoise", "var_poisson", "var_flat", "dq")


def _assert_same(a, b):
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            assert x is None and y is None, name
        else:
            np.testing.assert_array_equal(x, y, err_msg=name)
    assert a.meta == b.meta


@pytest.fixture(scope="module")
def nod_paths(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nods")
    nods = datasets.nirspec_fixed_slit(n_exposures=4, shape=(24, 120), seed=21)
    return [str(io.write(SpectralImage.from_dict(nod), folder / f"nod{k}.asdf"))
            for k, nod in enumerate(nods)]


@pytest.fixture(scope="module")
def mos_paths(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mos")
    exposures = datasets.nirspec_mos(n_slits=3, n_exposures=2, nx=90, seed=21)
    return [str(io.write(MultiSlitImage([SpectralImage.from_dict(s) for s in slits]),
                         folder / f"mos{k}.asdf"))
            for k, slits in enumerate(exposures)]


@pytest.mark.parametrize("options", [{}, {"pixel_scale_ratio": 2.0, "propagate_dq": True},
                                     {"variance": "exact", "kernel": "point"}])
def test_reading_inputs_when_needed_gives_the_same_numbers(nod_paths, options):
    _assert_same(resample(nod_paths, in_memory=False, **options),
                 resample(nod_paths, **options))


def test_multi_slit_sets_from_files_give_the_same_numbers(mos_paths):
    lazy, eager = resample(mos_paths, in_memory=False), resample(mos_paths)
    assert lazy.names == eager.names
    for a, b in zip(lazy, eager, strict=True):
        _assert_same(a, b)


def test_miri_lrs_from_files_gives_the_same_numbers(tmp_path):
    paths = [str(io.write(SpectralImage.from_dict(nod), tmp_path / f"lrs{k}.asdf"))
             for k, nod in enumerate(datasets.miri_lrs(n_exposures=3, shape=(120, 60), seed=2))]
    _assert_same(resample(paths, in_memory=False), resample(paths))


def test_at_most_a_few_inputs_are_in_memory_at_once(nod_paths, inputs_in_memory):
    most = inputs_in_memory
    resample(nod_paths, in_memory=False)
    assert len(most) >= len(nod_paths)  # every input was read from its file
    # the one being read, those cached, and the grid builder's reference input
    assert max(most) <= limits.CACHED_IMAGES + 2


def test_single_products_are_written_as_they_are_made(mos_paths, tmp_path):
    paths = resample(mos_paths, in_memory=False, single=True, output_dir=tmp_path / "single")
    expected = resample(mos_paths, single=True)
    assert len(paths) == len(expected) == 6
    assert paths[0].name == "mos0_" + expected[0].name + "_single_s2d.asdf"
    for path, image in zip(paths, expected, strict=True):
        _assert_same(io.read(path), image)


def test_single_products_go_to_a_new_temporary_folder_by_default(nod_paths, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # not the system's, to clean up
    paths = resample(nod_paths[:2], in_memory=False, single=True)
    assert [p.name for p in paths] == ["nod0_S200A1_single_s2d.asdf",
                                       "nod1_S200A1_single_s2d.asdf"]
    assert paths[0].parent.name.startswith("resamplespec-single-")
    assert paths[0].parent.parent == tmp_path


def test_existing_single_products_are_not_overwritten(nod_paths, tmp_path):
    (tmp_path / "nod0_S200A1_single_s2d.asdf").write_bytes(b"keep")
    with pytest.raises(FileExistsError, match="nod0_S200A1_single_s2d.asdf"):
        resample(nod_paths[:1], in_memory=False, single=True, output_dir=tmp_path)
    assert (tmp_path / "nod0_S200A1_single_s2d.asdf").read_bytes() == b"keep"


def test_paths_and_objects_can_be_mixed(nod_paths):
    objects = [io.read(nod_paths[1]), nod_paths[0]]
    _assert_same(resample(objects, in_memory=False), resample(objects))


def test_deferred_inputs_carry_metadata_and_array_names_only(mos_paths, nod_paths):
    (single,) = [deferred_exposure(nod_paths[0])]
    assert isinstance(single, DeferredImage)
    assert single.name == "S200A1" and single.meta.exposure.exposure_time > 0
    assert {"data", "dq", "err", "var_rnoise"} <= single.arrays
    slits = deferred_exposure(mos_paths[0])
    assert [s.index for s in slits] == [0, 1, 2]
    np.testing.assert_array_equal(slits[2].load().data, io.read(mos_paths[0])[2].data)


def test_lazy_images_read_on_access_and_keep_only_the_last(nod_paths):
    images = LazyImages([deferred_exposure(p) for p in nod_paths])
    assert images.reads == 0 and len(images) == 4
    first = images[0]
    assert images[0] is first and images.reads == 1
    for k in range(1, limits.CACHED_IMAGES + 1):
        images[k]
    reads = images.reads
    assert images[0] is not first and images.reads == reads + 1  # dropped, read again
    assert images.meta(3).slit.name == "S200A1" and images.reads == reads + 1


def test_missing_and_unreadable_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.asdf"):
        resample([str(tmp_path / "nothere.asdf")], in_memory=False)
    junk = tmp_path / "junk.asdf"
    junk.write_text("not asdf")
    with pytest.raises(ValueError, match="junk.asdf"):
        resample([str(junk)], in_memory=False)


def test_input_files_are_not_modified(nod_paths):
    before = [Path(p).read_bytes() for p in nod_paths]
    resample(nod_paths, in_memory=False)
    assert [Path(p).read_bytes() for p in nod_paths] == before


def test_output_dir_must_be_a_folder_name(nod_paths, tmp_path):
    with pytest.raises(TypeError, match="output_dir"):
        resample(nod_paths[:1], in_memory=False, single=True, output_dir=3)
    (tmp_path / "taken").write_bytes(b"")
    for folder in (tmp_path / "taken", tmp_path / "taken" / "sub"):
        with pytest.raises(NotADirectoryError) as caught:
            resample(nod_paths[:1], in_memory=False, single=True, output_dir=folder)
        assert str(caught.value).startswith("output_dir: ")
        assert f"{tmp_path / 'taken'} is a file, not a folder" in str(caught.value)
        assert "Errno" not in str(caught.value)


def test_a_file_whose_wcs_has_no_spectral_axis_is_named(nod_paths, tmp_path):
    """The grid is built from the inputs' WCSs without reading their arrays;
    a bad WCS is still reported with the input's name, before any work."""
    from astropy.modeling import models
    from gwcs import coordinate_frames as cf
    from gwcs.wcs import WCS

    imaging = WCS(models.Shift(0) & models.Shift(0), input_frame=cf.Frame2D(name="detector"),
                  output_frame=cf.Frame2D(name="plane"))
    image = io.read(nod_paths[1])
    bad = io.write(SpectralImage(data=image.data, wcs=imaging, meta=image.meta),
                   tmp_path / "bad.asdf")
    with pytest.raises(ValueError, match=r"bad\.asdf \(slit S200A1\): .*spectral axis"):
        resample([nod_paths[0], str(bad)], in_memory=False)


def test_frames_give_the_wcs_and_shape_without_the_arrays(nod_paths):
    deferred = deferred_exposure(nod_paths[0])
    frame = deferred.frame()
    image = deferred.load()
    assert frame.shape == image.data.shape == frame.data.shape
    assert frame.meta == image.meta
    assert not frame.data.flags.writeable  # a stand-in, not the data
    x, y = np.array([3.0, 50.0]), np.array([5.0, 10.0])
    np.testing.assert_array_equal(frame.wcs(x, y), image.wcs(x, y))


@pytest.fixture
def ten_slits(tmp_path):
    slits = datasets.nirspec_mos(n_slits=10, n_exposures=1, nx=1000, seed=3)[0]
    image = MultiSlitImage([SpectralImage.from_dict(s) for s in slits])
    path = io.write(image, tmp_path / "ten.asdf")
    close_open_files()
    yield path, image
    close_open_files()


def _count_opens(monkeypatch):
    opened = []
    open_product = internals.deferred_module.open_product

    def counting(path, **kwargs):
        opened.append(str(path))
        return open_product(path, **kwargs)

    monkeypatch.setattr(internals.deferred_module, "open_product", counting)
    return opened


def test_the_slits_of_a_multi_slit_file_are_read_from_one_parse(ten_slits, monkeypatch):
    """Opening parses the whole tree (0.5 s for 50 MOS slits): reading slit
    after slit from fresh opens made a lazy run cost the square of the
    number of slits.  The metadata, frames and loads of every slit open the
    file once."""
    path, image = ten_slits
    opened = _count_opens(monkeypatch)
    deferred = deferred_exposure(path)
    for k, item in enumerate(deferred):
        assert item.frame().shape == image.slits[k].data.shape
        loaded = item.load()
        assert loaded.data.tobytes() == image.slits[k].data.tobytes()
        assert loaded.err.tobytes() == image.slits[k].err.tobytes()
    # a slit loaded again is read again, from the same open file
    assert deferred[4].load().data.tobytes() == image.slits[4].data.tobytes()
    assert opened == [str(path)]


def test_slits_loaded_are_not_kept_with_the_open_file(ten_slits):
    """Loading slits leaves nothing of their arrays with the file kept open
    (neither in its tree nor in asdf's blocks): beyond the WCSs that frames
    make (kept with the file until the run ends), memory does not grow with
    the slits loaded."""
    import tracemalloc

    path, image = ten_slits
    deferred = deferred_exposure(path)
    deferred[0].load()  # first-time costs (imports, astropy's caches) not counted
    arrays = sum(s.data.nbytes * 7 for s in image.slits[1:])  # data, err, 3 var, wht, dq
    gc.collect()
    tracemalloc.start()
    try:
        for item in deferred[1:]:
            item.frame()
        gc.collect()
        framed = tracemalloc.get_traced_memory()[0]
        for item in deferred[1:]:
            item.load()
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - framed
    finally:
        tracemalloc.stop()
    assert kept < 0.05 * arrays, (kept, arrays)


def test_a_single_slit_file_is_not_kept_open(tmp_path):
    """Only multi-slit files stay open: a single slit is read once, and
    keeping its tree would hold its WCS as long as the run (the memory
    bound of in_memory=False)."""
    nod = datasets.nirspec_fixed_slit(n_exposures=1, shape=(20, 200), seed=2)[0]
    path = io.write(SpectralImage.from_dict(nod), tmp_path / "one.asdf")
    close_open_files()
    assert deferred_exposure(path).frame().shape == (20, 200)
    assert not internals.kept_open_files()


def test_a_single_slit_file_does_not_push_a_multi_slit_file_out(ten_slits, tmp_path,
                                                                  monkeypatch):
    path, _ = ten_slits
    monkeypatch.setattr(limits, "OPEN_FILES", 1)
    deferred_exposure(path)
    (kept,) = internals.kept_open_files()
    nod = datasets.nirspec_fixed_slit(n_exposures=1, shape=(20, 200), seed=2)[0]
    deferred_exposure(io.write(SpectralImage.from_dict(nod), tmp_path / "one.asdf"))
    assert internals.kept_open_files() == [kept]


def test_a_file_that_fails_its_metadata_read_is_not_kept_open(ten_slits, monkeypatch):
    path, _ = ten_slits

    def broken(af):
        raise ValueError("unreadable metadata")

    monkeypatch.setattr(internals.deferred_module, "_metadata_of", broken)
    with pytest.raises(ValueError, match="unreadable metadata"):
        deferred_exposure(path)
    assert not internals.kept_open_files()


def test_resample_closes_the_files_it_kept_open(mos_paths):
    resample(mos_paths, in_memory=False)
    assert not internals.kept_open_files()


def test_a_rewritten_file_is_read_anew(ten_slits, tmp_path):
    path, image = ten_slits
    first = deferred_exposure(path)
    first[0].frame()  # opened and kept
    slits = [SpectralImage.from_dict(s) for s in
             datasets.nirspec_mos(n_slits=10, n_exposures=1, nx=300, seed=4)[0]]
    io.write(MultiSlitImage(slits), path, overwrite=True)
    assert deferred_exposure(path)[2].load().data.tobytes() == slits[2].data.tobytes()


def test_a_forked_child_reads_the_parsed_file_with_its_own_handle(ten_slits, monkeypatch):
    """A forked child goes on with the tree its parent parsed (no second
    parse), but reads blocks through a file of its own: the parent's and
    the child's reads, at the same time, each get the right arrays (through
    one shared file offset they would read each other's blocks)."""
    import multiprocessing
    import os

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    path, image = ten_slits
    deferred = deferred_exposure(path)  # the parent's open file, inherited by the child
    opened = _count_opens(monkeypatch)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        ok = all(deferred[k].load().data.tobytes() == image.slits[k].data.tobytes()
                 for _ in range(20) for k in (5, 1, 8, 3))
        os.write(write, b"1" if ok and not opened else b"0")
        os._exit(0)
    os.close(write)
    try:
        for _ in range(20):
            for k in (6, 2, 9, 0):
                assert deferred[k].load().data.tobytes() == image.slits[k].data.tobytes()
        assert os.read(read, 1) == b"1"
    finally:
        os.waitpid(pid, 0)
        os.close(read)
    # the parent's handle still reads right after the child's reads
    assert deferred[6].load().data.tobytes() == image.slits[6].data.tobytes()
    assert opened == []


def test_a_forked_child_opens_a_file_rewritten_since(ten_slits, tmp_path):
    """The child's own file is checked against the file parsed: a file
    replaced after the parse is parsed anew, never read with the old tree."""
    import multiprocessing
    import os

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    path, image = ten_slits
    deferred_exposure(path)  # parsed and kept
    (key,) = internals.kept_open_file_keys()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        stale = (key[0], key[1] + 1, key[2], key[3])  # as if the file had changed size
        kept = internals.kept_open_file(key)
        os.write(write, b"0" if kept.read_through_own_file(stale) else b"1")
        os._exit(0)
    os.close(write)
    try:
        assert os.read(read, 1) == b"1"
    finally:
        os.waitpid(pid, 0)
        os.close(read)
