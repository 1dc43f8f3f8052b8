"""Drizzler(window=...): part of the output grid, held in arrays of its own size.

A window gives the very numbers of the same pixels of a whole-grid Drizzler
(the kernel picks each footprint's arithmetic from the whole grid, never
from the window), so a grid can be drizzled window by window.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kernel_inputs import nodded_inputs

from resamplespec import Drizzler
from resamplespec.kernel import window_sections


def _inputs(seed, ny, nx, n_inputs, scale, angle, curvature):
    pixmaps, inputs, out_shape = nodded_inputs(seed, ny, nx, n_inputs, scale, angle, curvature)
    return [(data, pixmap, weights, variances, dq)
            for pixmap, (data, weights, variances, dq) in zip(pixmaps, inputs, strict=True)
            ], out_shape


def _drizzle(inputs, out_shape, window=None, sections=False, **options):
    drizzler = Drizzler(out_shape, n_variances=2, propagate_dq=True, window=window, **options)
    for k, (data, pixmap, weights, variances, dq) in enumerate(inputs):
        section = {}
        if sections:
            ny, nx = data.shape
            (part,) = window_sections(pixmap, (0, nx - 1, 0, ny - 1), [drizzler.window],
                                      point=options.get("kernel") == "point",
                                      out_shape=out_shape)
            if part is None:
                continue
            section = dict(zip(("xmin", "xmax", "ymin", "ymax"), part, strict=True))
        drizzler.add(data, pixmap, weights=weights, variances=variances, dq=dq,
                     variance_weight="ivm" if k % 2 else 2.5, **section)
    return drizzler.finish()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    ny=st.integers(2, 12),
    nx=st.integers(2, 25),
    n_inputs=st.integers(1, 3),
    scale=st.sampled_from([0.5, 1.0, 1.3, 3.0]),
    angle=st.floats(-0.7, 0.7),
    curvature=st.sampled_from([0.0, 0.02]),
    kernel=st.sampled_from(["square", "point"]),
    pixfrac=st.sampled_from([1.0, 0.6]),
    variance_mode=st.sampled_from(["reference", "exact"]),
    corners=st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)),
    sections=st.booleans(),
)
def test_a_window_holds_the_same_bits_as_that_part_of_the_whole_grid(
        seed, ny, nx, n_inputs, scale, angle, curvature, kernel, pixfrac, variance_mode,
        corners, sections):
    inputs, out_shape = _inputs(seed, ny, nx, n_inputs, scale, angle, curvature)
    rows = sorted(min(int(f * out_shape[0]), out_shape[0] - 1) for f in corners[:2])
    cols = sorted(min(int(f * out_shape[1]), out_shape[1] - 1) for f in corners[2:])
    window = (rows[0], max(rows[1], rows[0] + 1), cols[0], max(cols[1], cols[0] + 1))
    options = dict(kernel=kernel, pixfrac=pixfrac, variance_mode=variance_mode)
    whole = _drizzle(inputs, out_shape, **options)
    part = _drizzle(inputs, out_shape, window=window, sections=sections, **options)
    cut = np.s_[window[0]:window[1], window[2]:window[3]]
    assert part.data.shape == (window[1] - window[0], window[3] - window[2])
    for name in ("data", "wht", "dq"):
        assert getattr(part, name).tobytes() == getattr(whole, name)[cut].tobytes(), name
    assert part.con.tobytes() == whole.con[(slice(None), *cut)].tobytes()
    for a, b in zip(part.variances, whole.variances, strict=True):
        assert a.tobytes() == b[cut].tobytes()


def test_windows_that_tile_the_grid_rebuild_it():
    inputs, out_shape = _inputs(4, 30, 80, 3, 1.2, 0.1, 0.01)
    whole = _drizzle(inputs, out_shape)
    tiled = np.full(out_shape, -1.0, dtype=np.float32)
    for r0, r1 in ((0, 40), (40, out_shape[0])):
        for c0, c1 in ((0, 13), (13, 70), (70, out_shape[1])):
            tiled[r0:r1, c0:c1] = _drizzle(inputs, out_shape, window=(r0, r1, c0, c1),
                                           sections=True).data
    assert tiled.tobytes() == whole.data.tobytes()


def test_flux_lands_only_inside_the_window():
    y, x = np.indices((10, 10), dtype=np.float64)
    drizzler = Drizzler((20, 20), window=(5, 9, 2, 12))
    drizzler.add(np.ones((10, 10)), np.dstack([x + 0.5, y + 0.5]))
    wht = drizzler.finish().wht
    assert wht.shape == (4, 10)
    # Shifted by half a pixel, input column i covers [i, i + 1) and output
    # column k spans [k - 0.5, k + 0.5): of columns 2..11 of the window,
    # 2..9 are covered whole, 10 by half of input column 9, 11 not at all;
    # rows 5..8 are covered whole.
    expected = np.ones((4, 10))
    expected[:, 8] = 0.5
    expected[:, 9] = 0.0
    assert np.array_equal(wht, expected.astype(np.float32))


@pytest.mark.parametrize("bad", [(0, 0, 0, 5), (0, 5, 3, 2), (-1, 3, 0, 3), (0, 21, 0, 3),
                                 (0, 3, 0, 21)])
def test_a_window_outside_the_grid_is_refused(bad):
    with pytest.raises(ValueError, match="window"):
        Drizzler((20, 20), window=bad)


@pytest.mark.parametrize("bad", [(0, 3, 0), "0,3,0,3", (0, 3.0, 0, 3), (0, True, 0, 3), 7])
def test_a_window_that_is_not_four_integers_is_refused(bad):
    with pytest.raises(TypeError, match="window"):
        Drizzler((20, 20), window=bad)
