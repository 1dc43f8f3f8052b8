"""n_jobs: threads change the speed, never a bit of the results."""

import math
import multiprocessing
import threading
import warnings
from unittest import mock

import internals
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kernel_inputs import nodded_inputs

from resamplespec import Drizzler, MultiSlitImage, SpectralImage, datasets, io, limits, resample
from resamplespec.geometry import build_output_grid
from resamplespec.options import available_cores, validate_n_jobs
from resamplespec.parallel import can_fork


@pytest.fixture(autouse=True)
def threads_at_any_size(monkeypatch):
    """Bands and threaded sampling at every size, however small, and for
    both kernels: by default they start at sizes too large for quick tests,
    and the point kernel takes one pass (see
    test_small_inputs_take_one_pass_by_default)."""
    monkeypatch.setattr(limits, "MIN_BAND_PIXELS", 0)
    monkeypatch.setattr(limits, "BANDED_KERNELS", frozenset({"square", "point"}))
    monkeypatch.setattr(limits, "MIN_THREADED_PIXELS", 0)


def _slits(result):
    if isinstance(result, MultiSlitImage):
        return list(result.slits)
    return list(result) if isinstance(result, list) else [result]


def _drizzle(pixmaps, inputs, n_jobs, *, kernel, pixfrac, variance_mode, out_shape):
    """Drizzle the inputs; with n_jobs > 1 always in bands (even where one
    pass would be faster, see test_bands_only_where_they_pay): the bands
    are what these tests check."""
    drizzler = Drizzler(out_shape, kernel=kernel, pixfrac=pixfrac, n_variances=2,
                        variance_mode=variance_mode, propagate_dq=True, n_jobs=n_jobs)
    drawn = 0
    with mock.patch.object(limits, "BAND_SHARE_LIMIT", math.inf):
        for pixmap, (data, weights, variances, dq) in zip(pixmaps, inputs, strict=True):
            counts = drizzler.add(
                data, pixmap, weights=weights, variances=variances, dq=dq,
                variance_weight="ivm" if variance_mode == "reference" else None,
            )
            drawn += counts.drawn
    return drizzler, drawn




@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    ny=st.integers(1, 14),
    nx=st.integers(2, 30),
    n_inputs=st.integers(1, 3),
    scale=st.sampled_from([0.5, 1.0, 1.3, 4.0]),
    angle=st.floats(-0.6, 0.6),
    curvature=st.sampled_from([0.0, 0.01]),
    kernel=st.sampled_from(["square", "point"]),
    pixfrac=st.sampled_from([1.0, 0.7]),
    variance_mode=st.sampled_from(["reference", "exact"]),
    n_jobs=st.integers(2, 5),
)
def test_bands_give_the_same_sums_bit_for_bit(
        seed, ny, nx, n_inputs, scale, angle, curvature, kernel, pixfrac, variance_mode,
        n_jobs):
    pixmaps, inputs, out_shape = nodded_inputs(seed, ny, nx, n_inputs, scale, angle, curvature)
    options = dict(kernel=kernel, pixfrac=pixfrac, variance_mode=variance_mode,
                   out_shape=out_shape)
    serial, drawn_serial = _drizzle(pixmaps, inputs, 1, **options)
    banded, drawn_banded = _drizzle(pixmaps, inputs, n_jobs, **options)
    assert internals.bands(banded), "the output is tall enough for bands: they must be used"
    for whole, split in zip(internals.accumulators(serial), internals.accumulators(banded),
                            strict=True):
        assert whole.tobytes() == split.tobytes()
    a, b = serial.finish(), banded.finish()
    for name in ("data", "wht", "con", "dq"):
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes(), name
    for u, v in zip(a.variances, b.variances, strict=True):
        assert u.tobytes() == v.tobytes()
    # Bands count a pixel in every band it reaches; nothing drawn is the same.
    assert (drawn_banded == 0) == (drawn_serial == 0)
    assert drawn_banded >= drawn_serial


def test_bands_share_one_set_of_accumulators():
    """Bands write their own rows or columns of the Drizzler's accumulators
    (the kernel guards every deposit by its window): no band has memory of its own,
    and the sums are those of one pass."""
    for seed in range(6):
        pixmaps, inputs, out_shape = nodded_inputs(seed, 12, 30, 2, 1.3, 0.3, 0.0)
        options = dict(kernel="square", pixfrac=1.0, variance_mode="exact",
                       out_shape=out_shape)
        serial, _ = _drizzle(pixmaps, inputs, 1, **options)
        banded, _ = _drizzle(pixmaps, inputs, 3, **options)
        assert len(internals.bands(banded)) > 1
        assert all(isinstance(n, int) for band in internals.bands(banded) for n in band)
        assert np.array_equal(internals.sum_w(serial), internals.sum_w(banded))
        assert np.array_equal(internals.sum_wd(serial), internals.sum_wd(banded))
        # the bands tile the grid: each output pixel is written by one band
        owner = np.zeros(out_shape, dtype=int)
        for row_start, row_stop, col_start, col_stop in internals.bands(banded):
            owner[row_start:row_stop, col_start:col_stop] += 1
        assert (owner == 1).all()


def test_more_than_32_inputs_fill_the_context_planes_of_every_band():
    rng = np.random.default_rng(3)
    y, x = np.indices((8, 10), dtype=np.float64)
    results = []
    for n_jobs in (1, 3):
        drizzler = Drizzler((40, 20), kernel="point", n_jobs=n_jobs)
        for k in range(35):
            pixmap = np.dstack([x + 3, y + 1 + k * 0.8])
            drizzler.add(rng.normal(size=(8, 10)), pixmap)
        results.append(drizzler.finish())
        rng = np.random.default_rng(3)
    assert results[0].con.shape == (2, 40, 20)
    assert results[0].con.tobytes() == results[1].con.tobytes()
    assert results[0].data.tobytes() == results[1].data.tobytes()


def test_an_output_too_small_for_bands_is_drizzled_in_one_pass():
    drizzler = Drizzler((7, 7), n_jobs=4)
    y, x = np.indices((5, 5), dtype=np.float64)
    drizzler.add(np.ones((5, 5)), np.dstack([x + 1, y + 1]))
    assert internals.bands(drizzler) == []
    assert drizzler.finish().wht.sum() == pytest.approx(25.0)


def test_a_curved_slit_is_split_across_the_dispersion():
    """A long slit whose trace bows by 10 rows: bands of output rows would
    each need almost every input pixel, bands of columns (wavelengths) a
    share each; the columns are chosen, and give the one-pass sums."""
    y, x = np.indices((40, 600), dtype=np.float64)
    pixmap = np.dstack([x + 0.5, y + 3.0 + 10.0 * ((x - 300.0) / 300.0) ** 2])
    data = np.random.default_rng(2).normal(size=(40, 600))
    one, two = Drizzler((56, 602)), Drizzler((56, 602), n_jobs=2)
    for drizzler in (one, two):
        drizzler.add(data, pixmap)
    assert [band[:2] for band in internals.bands(two)] == [(0, 56), (0, 56)]
    assert internals.bands(two)[0][3] == internals.bands(two)[1][2]
    assert one.finish().data.tobytes() == two.finish().data.tobytes()


@pytest.mark.parametrize("bad", [0, -2, -100])
def test_n_jobs_below_one_is_refused(bad):
    with pytest.raises(ValueError, match=r"n_jobs must be a positive integer or -1.*"
                       + str(bad)):
        validate_n_jobs(bad)
    with pytest.raises(ValueError, match="n_jobs"):
        resample(datasets.lamp(shape=(8, 20)), n_jobs=bad)
    with pytest.raises(ValueError, match="n_jobs"):
        Drizzler((4, 4), n_jobs=bad)
    with pytest.raises(ValueError, match="n_jobs"):
        build_output_grid(datasets.lamp(shape=(8, 20)), n_jobs=bad)


@pytest.mark.parametrize("bad", [True, False, 1.5, 2.0, "2", None])
def test_n_jobs_that_is_no_integer_is_refused(bad):
    with pytest.raises(TypeError, match=r"n_jobs must be a positive integer or -1"):
        validate_n_jobs(bad)
    with pytest.raises(TypeError, match="n_jobs"):
        resample(datasets.lamp(shape=(8, 20)), n_jobs=bad)
    with pytest.raises(TypeError, match="n_jobs"):
        build_output_grid(datasets.lamp(shape=(8, 20)), n_jobs=bad)


def test_minus_one_means_every_core_this_process_may_use():
    assert validate_n_jobs(-1) == available_cores() >= 1
    assert validate_n_jobs(np.int64(3)) == 3


@pytest.fixture(scope="module")
def mos():
    return [{"slits": slits}
            for slits in datasets.nirspec_mos(n_slits=5, n_exposures=3, nx=120, seed=4)]


@pytest.fixture(scope="module")
def nods():
    return datasets.nirspec_fixed_slit(n_exposures=3, shape=(30, 160), seed=4)


@pytest.mark.parametrize(
    "options",
    [{}, {"variance": "exact", "propagate_dq": True}, {"kernel": "point"},
     {"single": True}, {"pixel_scale_ratio": 2.5, "pixfrac": 0.6}],
)
def test_slits_in_parallel_are_identical_and_in_the_same_order(mos, options, assert_identical):
    serial = resample(mos, **options)
    parallel = resample(mos, n_jobs=3, **options)
    assert [s.name for s in _slits(parallel)] == [s.name for s in _slits(serial)]
    assert len(_slits(serial)) == (15 if options.get("single") else 5)
    for a, b in zip(_slits(serial), _slits(parallel), strict=True):
        assert_identical(a, b)


@pytest.mark.parametrize(
    "options",
    [{}, {"variance": "exact", "propagate_dq": True}, {"kernel": "point"},
     {"single": True}, {"pixel_scale_ratio": 3.0}, {"weight_type": "exptime"}],
)
def test_one_slit_split_by_rows_is_identical(nods, options, assert_identical):
    serial = resample(nods, **options)
    parallel = resample(nods, n_jobs=4, **options)
    for a, b in zip(_slits(serial), _slits(parallel), strict=True):
        assert_identical(a, b)


def test_files_read_lazily_in_parallel_give_the_same_products(mos, tmp_path, assert_identical):
    paths = [str(io.write(MultiSlitImage([SpectralImage.from_dict(s) for s in e["slits"]]),
                          tmp_path / f"mos{k}.asdf"))
             for k, e in enumerate(mos)]
    serial = resample(paths)
    lazy = resample(paths, in_memory=False, n_jobs=2)
    for a, b in zip(_slits(serial), _slits(lazy), strict=True):
        assert_identical(a, b)
    written = resample(paths, in_memory=False, single=True, n_jobs=2,
                       output_dir=tmp_path / "single")
    assert len(written) == 15 and len({str(p) for p in written}) == 15
    singles = resample(paths, single=True)
    for product, path in zip(_slits(singles), written, strict=True):
        assert io.read(path).data.tobytes() == product.data.tobytes()


def test_the_progress_bar_counts_every_input_once(mos, monkeypatch):
    steps = []

    class Recorder:
        def __init__(self, enabled, total):
            self.total = total

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            steps.append(n)

    monkeypatch.setattr(internals.resample_module, "progress", Recorder)
    resample(mos, n_jobs=2)
    assert sum(steps) == 15


def test_the_callers_warning_filters_are_left_as_they_were(mos):
    before = list(warnings.filters)
    resample(mos, n_jobs=3)
    assert warnings.filters == before


def test_an_error_in_one_slit_is_raised_from_the_parallel_run(mos):
    broken = [{"slits": [dict(s) for s in e["slits"]]} for e in mos]
    for exposure in broken:
        exposure["slits"][3]["data"] = np.full_like(exposure["slits"][3]["data"], np.nan)
    with pytest.raises(ValueError, match="every data value is NaN"):
        resample(broken, n_jobs=2)


@pytest.mark.parametrize("processes", [True, False])
def test_slit_groups_in_processes_or_threads_are_identical(mos, monkeypatch, processes,
                                                           assert_identical):
    """Slit groups run in forked processes where the platform forks and no
    other thread runs, else in threads: the same products either way."""
    if processes and "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    used = []
    in_processes = internals.resample_module._map_groups_in_processes

    def spy(*args, **kwargs):
        used.append(True)
        return in_processes(*args, **kwargs)

    monkeypatch.setattr(internals.resample_module, "can_fork", lambda: processes)
    monkeypatch.setattr(internals.resample_module, "_map_groups_in_processes", spy)
    serial = resample(mos, propagate_dq=True)
    parallel = resample(mos, n_jobs=2, propagate_dq=True)
    assert used == ([True] if processes else [])
    for a, b in zip(_slits(serial), _slits(parallel), strict=True):
        assert_identical(a, b)


def test_no_fork_while_another_thread_runs():
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    before = can_fork()  # False if an earlier test left a thread
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not can_fork()
    finally:
        release.set()
        other.join()
    assert can_fork() == before


def test_bands_only_where_they_pay():
    """Bands are kept when each needs a fraction of the input (a straight
    image), and dropped for one pass when every band, of rows or of
    columns, would need nearly all of it (the bounding box of half an image
    turned by 45 degrees is the whole image): the same sums either way."""
    y, x = np.indices((60, 60), dtype=np.float64)
    data = np.ones((60, 60), dtype=np.float32)
    straight = np.dstack([x + 0.3, y + 0.2])
    turned = np.dstack([(x + y) / np.sqrt(2.0) + 2.0, (x - y) / np.sqrt(2.0) + 50.0])
    for pixmap, banded in ((straight, True), (turned, False)):
        serial = Drizzler((130, 210))
        serial.add(data, pixmap)
        parallel = Drizzler((130, 210), n_jobs=2)
        parallel.add(data, pixmap)
        parallel.add(data, pixmap)  # the choice holds for later inputs
        serial.add(data, pixmap)
        assert bool(internals.bands(parallel)) is banded
        assert internals.sum_w(serial).tobytes() == internals.sum_w(parallel).tobytes()
        assert internals.sum_wd(serial).tobytes() == internals.sum_wd(parallel).tobytes()


def test_small_inputs_take_one_pass_by_default(monkeypatch):
    """Below _MIN_BAND_PIXELS a banded add costs more than it saves (a pool
    and a pass over the pixel map): n_jobs then draws in one pass, and from
    that size on, in bands; the sums are the same either way."""
    monkeypatch.undo()
    y, x = np.indices((60, 60), dtype=np.float64)
    data = np.ones((60, 60), dtype=np.float32)
    pixmap = np.dstack([x + 0.3, y + 0.2])
    sums = []
    for limit, banded in ((limits.MIN_BAND_PIXELS, False), (3600, True)):
        monkeypatch.setattr(limits, "MIN_BAND_PIXELS", limit)
        drizzler = Drizzler((70, 70), n_jobs=2)
        drizzler.add(data, pixmap)
        assert bool(internals.bands(drizzler)) is banded
        sums.append(internals.sum_wd(drizzler).tobytes())
    assert sums[0] == sums[1]


def test_the_point_kernel_takes_one_pass_at_any_size(monkeypatch):
    """The point kernel's pass costs less than choosing bands for it, so by
    default it is never split; split, its sums are the same."""
    monkeypatch.undo()
    monkeypatch.setattr(limits, "MIN_BAND_PIXELS", 0)
    y, x = np.indices((60, 60), dtype=np.float64)
    data = np.arange(3600, dtype=np.float32).reshape(60, 60)
    pixmap = np.dstack([x * 1.1 + 0.3, y + 0.2])
    sums = []
    for kernels, banded in ((limits.BANDED_KERNELS, False),
                            (frozenset({"square", "point"}), True)):
        monkeypatch.setattr(limits, "BANDED_KERNELS", kernels)
        drizzler = Drizzler((70, 70), kernel="point", n_jobs=2)
        drizzler.add(data, pixmap)
        assert bool(internals.bands(drizzler)) is banded
        sums.append(internals.sum_wd(drizzler).tobytes())
    assert sums[0] == sums[1]


def test_with_another_thread_running_slits_go_to_threads_and_say_so(mos, caplog,
                                                                     assert_identical):
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        with caplog.at_level("INFO", logger="resamplespec.pipeline._resample"):
            parallel = resample(mos, n_jobs=2)
    finally:
        release.set()
        other.join()
    assert "slits in threads, not processes (another thread runs" in caplog.text
    for a, b in zip(_slits(resample(mos)), _slits(parallel), strict=True):
        assert_identical(a, b)


def test_products_from_child_processes_write_the_same_files(mos, tmp_path):
    """A child's products are arrays over a mapped file: written, they give
    the files that the serial products give (asdf writes each array, not
    the mapping under it)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    serial = resample(mos)
    parallel = resample(mos, n_jobs=2)
    for name in ("asdf", "fits"):
        a = io.write(serial, tmp_path / f"serial.{name}")
        b = io.write(parallel, tmp_path / f"parallel.{name}")
        assert a.stat().st_size == b.stat().st_size
        for x, y in zip(_slits(io.read(a)), _slits(io.read(b)), strict=True):
            assert x.data.tobytes() == y.data.tobytes() and x.err.tobytes() == y.err.tobytes()
