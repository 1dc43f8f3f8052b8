"""resamplespec.kernel.coordinate_maps: an input's pixel coordinates seen
from the output grid, in one kernel pass (the C core's MEAN planes)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resamplespec.kernel import Drizzler, coordinate_maps


def _affine(shape, *, dx=0.0, dy=0.0, scale=1.0, angle=0.0):
    y, x = np.indices(shape, dtype=np.float64)
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([scale * (c * x - s * y) + dx, scale * (s * x + c * y) + dy], axis=-1)


def test_a_whole_pixel_shift_maps_every_output_pixel_to_its_input_pixel():
    pixmap = _affine((5, 7), dx=2.0, dy=1.0)
    maps = coordinate_maps(pixmap, (8, 10))
    y, x = np.indices((8, 10), dtype=np.float32)
    inside = (x >= 2) & (x <= 8) & (y >= 1) & (y <= 5)
    assert np.array_equal(maps[0][inside], x[inside] - 2)
    assert np.array_equal(maps[1][inside], y[inside] - 1)
    assert np.isnan(maps[:, ~inside]).all()


def test_a_half_pixel_shift_gives_the_mean_of_the_two_pixels_met():
    # output pixel k meets input pixels k - 1 and k (x - 0.5) in equal parts
    maps = coordinate_maps(_affine((3, 6), dx=0.5), (3, 8))
    assert np.array_equal(maps[0][1, 1:6], np.array([0.5, 1.5, 2.5, 3.5, 4.5], np.float32))
    # the edge pixels are met by half a pixel: its centre
    assert maps[0][1, 0] == 0.0 and maps[0][1, 6] == 5.0
    assert np.array_equal(maps[1][1, :7], np.ones(7, np.float32))


@settings(max_examples=40, deadline=None)
@given(dx=st.floats(-2, 2), dy=st.floats(-2, 2), scale=st.floats(0.5, 2.0),
       angle=st.floats(-0.3, 0.3), kernel=st.sampled_from(["square", "point"]),
       pixfrac=st.floats(0.3, 1.0))
def test_the_maps_are_two_drizzle_passes_of_the_coordinates_bit_for_bit(
        dx, dy, scale, angle, kernel, pixfrac):
    shape, out_shape = (6, 9), (12, 16)
    pixmap = _affine(shape, dx=dx + 3, dy=dy + 3, scale=scale, angle=angle)
    maps = coordinate_maps(pixmap, out_shape, kernel=kernel, pixfrac=pixfrac, xmin=1, ymax=4)
    rows, columns = np.indices(shape, dtype=np.float32)
    for plane, values in enumerate((columns, rows)):
        drizzler = Drizzler(out_shape, kernel=kernel, pixfrac=pixfrac, context=False)
        drizzler.add(values, pixmap, xmin=1, ymax=4)
        expected = drizzler.finish().data
        assert np.array_equal(maps[plane], expected, equal_nan=True)


def test_a_single_column_input_is_drawn():
    pixmap = _affine((6, 1), dx=2.0, dy=1.0)
    maps = coordinate_maps(pixmap, (8, 5))
    assert np.array_equal(maps[1][1:7, 2], np.arange(6, dtype=np.float32))
    assert np.array_equal(maps[0][1:7, 2], np.zeros(6, np.float32))


def test_the_pixel_map_is_not_changed():
    pixmap = _affine((4, 5), dx=0.3)
    pixmap[0, 0] = np.nan
    before = pixmap.copy()
    coordinate_maps(pixmap, (6, 7))
    assert np.array_equal(pixmap, before, equal_nan=True)


@pytest.mark.parametrize("arguments, message", [
    (dict(pixmap=np.zeros((4, 5))), "pixmap must have shape"),
    (dict(pixmap=np.zeros((4, 5, 3))), "pixmap must have shape"),
    (dict(kernel="gaussian"), "kernel"),
    (dict(pixfrac=0.0), "pixfrac"),
    (dict(out_shape=(0, 5)), "out_shape"),
    (dict(xmin=9), "xmin=9"),
])
def test_bad_arguments_are_refused_by_name(arguments, message):
    call = dict(pixmap=_affine((4, 5)), out_shape=(6, 7))
    call.update(arguments)
    with pytest.raises(ValueError, match=message):
        coordinate_maps(call.pop("pixmap"), call.pop("out_shape"), **call)


def test_the_maps_are_written_into_out_when_given():
    pixmap = _affine((4, 5), dx=1.0)
    out = np.full((2, 6, 7), -1.0, dtype=np.float32)
    assert coordinate_maps(pixmap, (6, 7), out=out) is out
    assert np.array_equal(out, coordinate_maps(pixmap, (6, 7)), equal_nan=True)
    for bad in (np.zeros((2, 6, 7)), np.zeros((2, 7, 6), np.float32),
                np.zeros((2, 6, 14), np.float32)[:, :, ::2]):
        with pytest.raises(ValueError, match="out must be"):
            coordinate_maps(pixmap, (6, 7), out=bad)
