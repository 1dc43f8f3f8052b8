"""Regression tests for hostile kernel inputs found by fuzzing under
AddressSanitizer and UndefinedBehaviorSanitizer (issue 19, items 13-16 and 18).

``tools/sanitize.py`` runs this file with the kernel built with sanitizers,
where an access outside the arrays or a signed overflow stops the run; in an
ordinary build the same cases check what is drawn.
"""

import numpy as np
import pytest

from resamplespec import Drizzler, limits
from resamplespec.kernel import DrizzleWarning, _kernel

BIG = 2**53  # above it, doubles no longer hold every integer


# --- 13: point kernel, windows far out on huge grids ---------------------------------


def test_point_centre_before_a_far_window_draws_nothing_along_columns():
    # The reproducer: the centre lies in column 2**53, one before the
    # window; mapped through a double relative to the window it landed 8
    # bytes before the accumulators.
    d = Drizzler((1, BIG + 10), kernel="point", window=(0, 1, BIG + 1, BIG + 3))
    counts = d.add(np.ones((1, 1), np.float32), np.array([[[2.0**53, 0.0]]]))
    out = d.finish()
    assert counts == (0, 1)
    assert not out.wht.any() and np.isnan(out.data).all()


def test_point_centre_before_a_far_window_draws_nothing_along_rows():
    d = Drizzler((BIG + 10, 1), kernel="point", window=(BIG + 1, BIG + 3, 0, 1))
    counts = d.add(np.ones((1, 1), np.float32), np.array([[[0.0, 2.0**53]]]))
    assert counts == (0, 1)
    assert not d.finish().wht.any()


@pytest.mark.parametrize("column", [BIG + 2, BIG + 4])
def test_point_centre_far_out_lands_in_its_own_column(column):
    # Even integers above 2**53 are exact doubles: the centre's pixel is known
    # exactly, and it must be that pixel of the window, not a neighbour.
    d = Drizzler((1, BIG + 10), kernel="point", window=(0, 1, BIG + 2, BIG + 6))
    counts = d.add(np.full((1, 1), 5.0, np.float32), np.array([[[float(column), 0.0]]]))
    out = d.finish()
    assert counts == (1, 0)
    expected = np.zeros((1, 4), np.float32)
    expected[0, column - (BIG + 2)] = 1.0
    np.testing.assert_array_equal(out.wht, expected)
    assert out.data[0, column - (BIG + 2)] == 5.0


# --- 14: the shim's check of the accumulators' height ---------------------------------


def _kernel_call(origin, window):
    sums = [np.zeros((2, 2)) for _ in range(2)]
    pixmap = np.dstack(np.meshgrid(np.arange(2.0), np.arange(2.0)))
    return _kernel.drizzle_add(
        np.ones((2, 2), np.float32), np.ascontiguousarray(pixmap), None, (), None, 1.0,
        (0, 1, 0, 1), 0, 0, 1.0, sums[0], sums[1], (), None, None, 1, None,
        (2**62, 2**62), window, origin)


@pytest.mark.parametrize("origin_row", [2**63 - 1, 2**63 - 2])
def test_origin_near_the_int64_limit_is_refused_without_overflow(origin_row):
    # origin_row + height overflowed int64 (undefined behaviour) in the check
    with pytest.raises(ValueError, match="accumulators|window"):
        _kernel_call((origin_row, 0), (0, 2, 0, 2))


def test_storage_too_short_for_the_window_is_refused():
    with pytest.raises(ValueError, match="accumulators do not hold"):
        _kernel_call((0, 0), (0, 3, 0, 2))
    assert _kernel_call((0, 0), (0, 2, 0, 2))[0] == 4  # the storage that fits draws


# --- 15: constant variance weights and their squares -----------------------------------


def _two_input_variances(weights):
    d = Drizzler((3, 4), n_variances=1)
    pixmap = np.dstack(np.meshgrid(np.arange(4.0), np.arange(3.0)))
    for k, weight in enumerate(weights):
        d.add(np.ones((3, 4), np.float32), pixmap,
              variances=[np.full((3, 4), 2.0 + k, np.float32)], variance_weight=weight)
    return d.finish().variances[0]


@pytest.mark.parametrize("weight", [1e200, 1e155, 1e-161, 1e-200])
def test_variance_weight_whose_square_leaves_double_range_is_refused(weight):
    d = Drizzler((3, 4), n_variances=1)
    with pytest.raises(ValueError, match=r"variance_weight=.* is outside"):
        d.add(np.ones((3, 4), np.float32), np.zeros((3, 4, 2)),
              variances=[np.ones((3, 4), np.float32)], variance_weight=weight)


def test_variance_weights_at_the_ends_of_the_range_give_the_ratios_answer():
    # Only the ratio of the weights matters: (1 * 2 + 4 * 3) / 3**2.
    low, high = limits.VARIANCE_WEIGHT_RANGE
    expected = np.full((3, 4), (2.0 + 4 * 3.0) / 9, np.float32)
    for scale in (low, high / 2):
        np.testing.assert_allclose(_two_input_variances([scale, 2 * scale]), expected,
                                   rtol=1e-6)


# --- 16: weights that vanish in float32; pixfrac too small to draw ---------------------


@pytest.mark.parametrize("variance_mode", ["reference", "exact"])
def test_weight_that_rounds_to_zero_in_float32_leaves_fill_not_data(variance_mode):
    # Pixel weights of float32's smallest subnormal (1.4e-45), shifted by 0.3
    # of a pixel: the last output pixel gets a 0.3 share of one, which rounds
    # to 0 in the float32 wht (the first gets 0.7, which rounds to 1.4e-45).
    # Where wht is 0, data must be the fill value and the variances NaN, as
    # anywhere else nothing counts.
    tiny = np.float32(1.4e-45)
    pixmap = np.dstack(np.meshgrid(np.arange(4.0) + 0.3, np.arange(3.0)))
    d = Drizzler((3, 5), n_variances=1, variance_mode=variance_mode, fillval=-7)
    d.add(np.ones((3, 4), np.float32), pixmap, weights=np.full((3, 4), tiny),
          variances=[np.ones((3, 4), np.float32)])
    out = d.finish()
    empty = out.wht == 0
    np.testing.assert_array_equal(empty[0], [False, False, False, False, True])
    assert (out.data[empty] == -7).all() and np.isnan(out.variances[0][empty]).all()
    np.testing.assert_array_equal(out.data[~empty], 1.0)


@pytest.mark.parametrize("pixfrac", [1e-6, 1e-4, 9.99e-4])
def test_pixfrac_too_small_to_draw_reliably_is_refused(pixfrac):
    with pytest.raises(ValueError, match=r"pixfrac=.* is below 0.001.*kernel='point'"):
        Drizzler((3, 3), pixfrac=pixfrac)


def test_smallest_pixfrac_draws_every_pixel_into_its_centre_pixel():
    pixmap = np.dstack(np.meshgrid(np.arange(4.0), np.arange(3.0)))
    d = Drizzler((3, 4), pixfrac=limits.MIN_PIXFRAC)
    counts = d.add(np.arange(12, dtype=np.float32).reshape(3, 4), pixmap)
    out = d.finish()
    assert counts == (12, 0)
    np.testing.assert_array_equal(out.data, np.arange(12).reshape(3, 4))
    # each footprint keeps the whole input weight (1) within float32 round-off
    np.testing.assert_allclose(out.wht, 1.0, rtol=1e-6)


# --- 18: footprints larger than any input pixel ----------------------------------------


def _scaled_input(scale):
    """A 3 x 3 input whose pixels are ``scale`` output pixels across, inside
    an output grid that holds all of it."""
    size = int(4 * scale)
    x, y = np.meshgrid(np.arange(3.0), np.arange(3.0))
    pixmap = np.dstack([(x + 0.5) * scale, (y + 0.5) * scale])
    return (size, size), np.ones((3, 3), np.float32), pixmap


def test_footprints_wider_than_the_limit_are_skipped_with_a_warning():
    shape, data, pixmap = _scaled_input(2 * limits.MAX_FOOTPRINT_PIXELS)
    d = Drizzler(shape)
    with pytest.warns(DrizzleWarning, match=r"^9 input pixel\(s\) skipped.*128 output pixels"):
        counts = d.add(data, pixmap)
    assert counts == (0, 9)
    assert not d.finish().wht.any()


def test_footprints_just_inside_the_limit_are_drawn_and_conserve_weight():
    shape, data, pixmap = _scaled_input(limits.MAX_FOOTPRINT_PIXELS / 2)
    d = Drizzler(shape)
    assert d.add(data, pixmap) == (9, 0)
    assert d.finish().wht.sum(dtype=np.float64) == pytest.approx(9.0, rel=1e-9)


def test_the_footprint_limit_is_read_from_limits(monkeypatch):
    shape, data, pixmap = _scaled_input(limits.MAX_FOOTPRINT_PIXELS / 2)
    monkeypatch.setattr(limits, "MAX_FOOTPRINT_PIXELS", limits.MAX_FOOTPRINT_PIXELS / 4)
    with pytest.warns(DrizzleWarning, match="9 input pixel"):
        assert Drizzler(shape).add(data, pixmap) == (0, 9)
