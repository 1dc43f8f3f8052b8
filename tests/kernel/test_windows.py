"""in_memory=False drizzles window by window: the very numbers of one pass."""

import dataclasses
import os
import tempfile

import internals
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resamplespec import Drizzler, SpectralImage, datasets, io, resample
from resamplespec.kernel import InputDraw, WindowedDrizzle, split_along, window_count

# WindowedDrizzle looks up window_count there: patched to force a number of windows
windows_module = internals.windows_module


def _draws(seed, n_inputs, ny, nx, dispersion_axis, propagate_dq):
    """Inputs whose traces cover different stretches of the grid (some miss
    whole windows), dispersed along x or along y."""
    rng = np.random.default_rng(seed)
    y, x = np.indices((ny, nx), dtype=np.float64)
    draws = []
    for k in range(n_inputs):
        along, across = (x, y) if dispersion_axis == 1 else (y, x)
        start = rng.uniform(0, 0.6 * along.shape[1 if dispersion_axis == 1 else 0])
        bend = 0.002 * (along - along.mean()) ** 2
        out_along = 0.8 * along + start + 1.0
        out_across = across + bend + 2.0 + 0.3 * k
        pixmap = (np.dstack([out_along, out_across]) if dispersion_axis == 1
                  else np.dstack([out_across, out_along]))
        data = rng.normal(1.0, 0.5, (ny, nx)).astype(np.float32)
        data[rng.random((ny, nx)) < 0.03] = np.nan
        draws.append(InputDraw(
            data=data, pixmap=pixmap + rng.normal(0, 0.02, pixmap.shape),
            weights=rng.uniform(0.5, 2.0, (ny, nx)).astype(np.float32), iscale=1.3,
            variances=tuple(rng.uniform(0.1, 1.0, (ny, nx)).astype(np.float32)
                            for _ in range(3)),
            dq=rng.integers(0, 8, (ny, nx)).astype(np.uint32) if propagate_dq else None,
            variance_weight="ivm" if k % 2 else 3.0,
            section={"xmin": 1, "xmax": nx - 1, "ymin": 0, "ymax": ny - 2},
        ))
    return draws


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    n_inputs=st.integers(1, 4),
    dispersion_axis=st.sampled_from([1, 2]),
    kernel=st.sampled_from(["square", "point"]),
    pixfrac=st.sampled_from([1.0, 0.5]),
    variance_mode=st.sampled_from(["reference", "exact"]),
    propagate_dq=st.booleans(),
)
def test_window_by_window_equals_one_pass_bit_for_bit(
        seed, n_inputs, dispersion_axis, kernel, pixfrac, variance_mode, propagate_dq):
    ny, nx = (12, 90) if dispersion_axis == 1 else (90, 12)
    out_shape = (20, 110) if dispersion_axis == 1 else (110, 20)

    def make(window=None):
        return Drizzler(out_shape, kernel=kernel, pixfrac=pixfrac, n_variances=3,
                        variance_mode=variance_mode, propagate_dq=propagate_dq, window=window)

    whole = make()
    for draw in _draws(seed, n_inputs, ny, nx, dispersion_axis, propagate_dq):
        draw.add_to(whole)
    expected = whole.finish()
    windowed = WindowedDrizzle(make, out_shape, dispersion_axis, point=kernel == "point")
    # a budget of a tenth of an input: several windows
    budget = windows_module.window_count
    try:
        windows_module.window_count = lambda *a: 5
        windowed.run(_draws(seed, n_inputs, ny, nx, dispersion_axis, propagate_dq), n_inputs)
    finally:
        windows_module.window_count = budget
    assert len(windowed.windows) == 5
    result = windowed.finish()
    for name in ("data", "wht", "con", "dq"):
        a, b = getattr(result, name), getattr(expected, name)
        assert (a is None and b is None) or a.tobytes() == b.tobytes(), name
    for a, b in zip(result.variances, expected.variances, strict=True):
        assert a.tobytes() == b.tobytes()


def test_inputs_beyond_32_keep_their_context_bits_in_windows_they_miss():
    out_shape = (10, 200)
    y, x = np.indices((6, 20), dtype=np.float64)

    def draws():
        for k in range(35):  # input k covers columns 5k .. 5k + 20
            yield InputDraw(np.ones((6, 20), np.float32), np.dstack([x + 5.0 * k, y + 2.0]),
                            None, 1.0, (), None, None, {})

    def make(window=None):
        return Drizzler(out_shape, window=window)

    whole = make()
    for draw in draws():
        draw.add_to(whole)
    windowed = WindowedDrizzle(make, out_shape, 1, point=False)
    windows_module.window_count, budget = (lambda *a: 4), windows_module.window_count
    try:
        windowed.run(draws(), 35)
    finally:
        windows_module.window_count = budget
    result, expected = windowed.finish(), whole.finish()
    assert result.con.shape == expected.con.shape == (2, *out_shape)
    assert result.con.tobytes() == expected.con.tobytes()
    assert result.wht.tobytes() == expected.wht.tobytes()


def test_windows_keep_their_sums_within_one_input():
    # 100 bytes of sums per output pixel, 5000 output pixels, inputs of 100 kB
    assert window_count((50, 100), 1, 100, 100_000) == 5
    assert window_count((50, 100), 1, 100, 10**9) == 1
    # never narrower than 16 lines along the dispersion
    assert window_count((50, 100), 1, 100, 1) == 6
    assert window_count((100, 50), 2, 100, 1) == 6
    assert split_along((50, 100), 1, 3) == [(0, 50, 0, 33), (0, 50, 33, 67), (0, 50, 67, 100)]
    assert split_along((100, 50), 2, 2) == [(0, 50, 0, 50), (50, 100, 0, 50)]


@pytest.fixture(scope="module")
def nod_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("window_nods")
    nods = datasets.nirspec_fixed_slit(n_exposures=3, shape=(30, 400), seed=5)
    return [str(io.write(SpectralImage.from_dict(nod), folder / f"nod{k}.asdf"))
            for k, nod in enumerate(nods)]


@pytest.mark.parametrize("options", [{}, {"single": True}, {"propagate_dq": True,
                                                             "kernel": "point"}])
def test_files_drizzled_by_windows_give_the_numbers_of_memory(nod_files, options, monkeypatch,
                                                               tmp_path, assert_identical):
    seen = []
    run = WindowedDrizzle.run

    def recording_run(self, *args, **kwargs):
        out = run(self, *args, **kwargs)
        seen.append(len(self.windows))
        return out

    monkeypatch.setattr(WindowedDrizzle, "run", recording_run)
    lazy = resample(nod_files, in_memory=False, output_dir=tmp_path, **options)
    eager = resample(nod_files, **options)
    assert seen and min(seen) > 1, seen  # the sums did not fit one input: windows
    lazy = lazy if isinstance(lazy, list) else [lazy]
    eager = eager if isinstance(eager, list) else [eager]
    for a, b in zip(lazy, eager, strict=True):
        if isinstance(a, (str, os.PathLike)):  # single products written as made
            a = io.read(a)
            b = dataclasses.replace(b, meta=a.meta)  # (the file records where it went)
        assert_identical(a, b)


def test_the_scratch_folder_goes_even_when_a_window_fails(nod_files, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def failing_load(path, like):
        raise OSError("disk gone")

    monkeypatch.setattr(InputDraw, "load", staticmethod(failing_load))
    with pytest.raises(OSError, match="disk gone"):
        resample(nod_files, in_memory=False)
    assert list(tmp_path.iterdir()) == []
