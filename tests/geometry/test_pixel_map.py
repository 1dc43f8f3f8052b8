"""Pixel maps: agreement with the reference's ``calc_pixmap``, and how inputs are sampled.

Golden maps come from ``tests/reference/make_wcs_golden.py`` (jwst 3.0 output
grid + ``stcal.resample.utils.calc_pixmap``): the finite masks whole, the
values at a fixed sample of pixels.
"""


import internals
import numpy as np
import pytest
from golden_grids import build_case, golden, images_from
from make_wcs_golden import CASES, pixmap_sample

from resamplespec import SpectralImage, datasets, limits
from resamplespec.geometry import (
    InputSamples,
    build_output_grid,
    load_output_wcs,
    pixel_map,
    sample_input,
    world_coordinates,
)

our_grid = build_case


INPUTS = [(name, g) for name in CASES for g in range(int(golden(name)["n_groups"]))]


def unpack(bits, shape):
    return np.unpackbits(bits)[: shape[0] * shape[1]].reshape(shape).astype(bool)


@pytest.mark.parametrize(("name", "group"), INPUTS)
def test_pixel_maps_match_the_reference(name, group):
    """Within 1e-6 pixel wherever the reference map is finite, NaN where it is NaN.

    One deliberate difference: on NIRSpec grids, input pixels redder than the last
    column centre land in the last half column as intended, where the reference
    squeezes them towards the column centre (its red-end extrapolation bug).
    """
    gold, prefix = golden(name), f"{group}/"
    images, grid = our_grid(name, group)
    n_spectral = grid.shape[1] if grid.dispersion_axis == 1 else grid.shape[0]
    for k, image in enumerate(images):
        key = f"{prefix}pixmap/{k}/"
        shape = tuple(gold[key + "shape"])
        assert image.shape == shape
        pixmap = pixel_map(image, grid)
        assert pixmap.shape == shape + (2,) and pixmap.dtype == np.float64
        for axis, mask in ((0, "finite_x"), (1, "finite_y")):
            np.testing.assert_array_equal(
                np.isfinite(pixmap[..., axis]), unpack(gold[key + mask], shape)
            )
        reference = gold[key + "values"]
        ours = pixmap.reshape(-1, 2)[pixmap_sample(shape)]
        spectral = 0 if grid.dispersion_axis == 1 else 1
        red_end = np.zeros(len(reference), dtype=bool)
        if grid.kind == "nirspec":
            red_end = reference[:, spectral] > n_spectral - 1
            assert np.all(ours[red_end, spectral] >= reference[red_end, spectral])
            assert np.all(ours[red_end, spectral] <= n_spectral - 0.5)
        finite = np.isfinite(reference)
        finite[red_end, spectral] = False
        np.testing.assert_allclose(ours[finite], reference[finite], rtol=0, atol=1e-6)


@pytest.fixture(scope="module")
def lrs():
    images = images_from(datasets.miri_lrs(n_exposures=2, shape=(90, 56), seed=4))
    return images, build_output_grid(images, keep_samples=False)


def test_world_coordinates_respect_the_bounding_box(lrs):
    images, _ = lrs
    image = images[0]
    world = world_coordinates(image)
    ny, nx = image.shape
    y, x = np.indices((ny, nx), dtype=float)
    expected = image.wcs(x, y)  # gwcs: NaN outside the bounding box
    for ours, theirs in zip(world, expected, strict=True):
        assert ours.shape == (ny, nx) and ours.dtype == np.float64
        # the same NaNs; values to rounding (numpy arithmetic, not astropy's)
        assert np.array_equal(np.isnan(ours), np.isnan(theirs))
        np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-14, atol=0, equal_nan=True)
    (x_lo, x_hi), (y_lo, y_hi) = image.wcs.bounding_box.bounding_box(order="F")
    inside = (x >= x_lo) & (x <= x_hi) & (y >= y_lo) & (y <= y_hi)
    assert not inside.all()
    np.testing.assert_array_equal(np.isfinite(world[2]), inside)


def test_explicit_world_gives_the_same_map(lrs):
    images, grid = lrs
    image = images[1]
    # through RA/Dec (rounded to ~1e-14 deg) or straight from the input's TAN
    # plane: the same map to far better than the 1e-6 pixel required
    np.testing.assert_allclose(
        pixel_map(image, grid, world_coordinates(image)), pixel_map(image, grid),
        rtol=0, atol=1e-8,
    )
    with pytest.raises(ValueError, match="world"):
        pixel_map(image, grid, [w[:-1] for w in world_coordinates(image)])


def test_builder_samples_are_reused_once():
    images = images_from(datasets.nirspec_fixed_slit(n_exposures=2, shape=(24, 64), seed=5))
    grid = build_output_grid(images)
    assert set(internals.kept_samples(grid)) == {id(image) for image in images}
    first = pixel_map(images[0], grid)
    assert id(images[0]) not in internals.kept_samples(grid)  # consumed
    again = pixel_map(images[0], grid)  # evaluates the WCS anew: same numbers
    np.testing.assert_array_equal(first, again)
    explicit = pixel_map(images[1], grid, world_coordinates(images[1]))
    # explicit world: through RA/Dec, rounded to ~1e-14 deg (~1e-10 pixel)
    np.testing.assert_allclose(pixel_map(images[1], grid), explicit, rtol=0, atol=1e-8)
    # a different image object with the same id-less content is evaluated afresh
    other = SpectralImage(data=images[1].data, wcs=images[1].wcs, meta=images[1].meta)
    np.testing.assert_allclose(pixel_map(other, grid), explicit, rtol=0, atol=1e-8)


def test_samples_of_a_changed_wcs_are_not_reused():
    images = images_from(datasets.lamp(n_exposures=1, shape=(12, 40)))
    grid = build_output_grid(images)
    moved = datasets.lamp(n_exposures=1, shape=(12, 40), msa_origin_m=(0.0123, -0.0314))[0]
    images[0].wcs = moved["wcs"]
    np.testing.assert_array_equal(
        pixel_map(images[0], grid), pixel_map(images[0], grid, world_coordinates(images[0]))
    )


def test_dataset_dicts_are_accepted():
    raw = datasets.lamp(n_exposures=1, shape=(12, 40))[0]
    grid = build_output_grid([raw])
    assert pixel_map(raw, grid).shape == (12, 40, 2)
    assert world_coordinates(raw)[0].shape == (12, 40)
    with pytest.raises(TypeError, match="wcs"):
        pixel_map(np.zeros((3, 3)), grid)


def test_custom_grid_map_goes_through_the_gwcs_inverse(lrs):
    images, grid = lrs
    custom = load_output_wcs(grid.wcs, images=images)
    for image in images:
        np.testing.assert_allclose(
            pixel_map(image, custom), pixel_map(image, grid), rtol=0, atol=1e-9
        )


def test_bounding_box_grid_beyond_the_array():
    """Box limits past the array edge: the grid reaches beyond it, the map stays array-sized."""
    image = images_from(datasets.lamp(n_exposures=1, shape=(12, 40)))[0]
    image.wcs.bounding_box = ((-0.5, 40.3), (-0.9, 11.5))
    samples = sample_input(image)
    assert isinstance(samples, InputSamples)
    assert (samples.x0, samples.y0) == (0, -1) and samples.grid_shape == (13, 41)
    world = world_coordinates(image)
    assert world[0].shape == (12, 40) and np.isfinite(world[0]).all()
    grid = build_output_grid([image])
    assert np.isfinite(pixel_map(image, grid)).all()


def test_inputs_sampled_in_threads_are_the_same():
    from resamplespec.geometry import sample_inputs

    images = images_from(datasets.nirspec_fixed_slit(n_exposures=3, shape=(24, 64), seed=5))
    serial = sample_inputs(images, slit_frame_index=1)
    threaded = sample_inputs(images, slit_frame_index=1, n_jobs=3)
    for a, b in zip(serial, threaded, strict=True):
        assert a.label == b.label and (a.slit is None) == (b.slit is None)
        for x, y in zip(a.values + (a.slit or ()), b.values + (b.slit or ()), strict=True):
            assert x.tobytes() == y.tobytes()
        np.testing.assert_array_equal(a.plane, b.plane)


@pytest.mark.parametrize(
    "dicts",
    [
        datasets.nirspec_fixed_slit(n_exposures=1, shape=(24, 64), seed=5),
        datasets.miri_lrs(n_exposures=1, shape=(90, 56), seed=4),
        datasets.lamp(n_exposures=1, shape=(12, 40)),
    ],
    ids=["nirspec", "lrs", "lamp"],
)
def test_pixels_broadcast_from_a_row_and_a_column_give_the_full_grids_bits(dicts):
    """The compiled WCS gets x along a row and y down a column: the same bits
    as evaluating it on full pixel grids."""
    from resamplespec.geometry import transform_steps as _steps

    image = images_from(dicts)[0]
    samples = sample_input(image)
    function, _ = internals.evaluator(_steps(image.wcs, None, None), True)
    y, x = np.indices(samples.grid_shape, dtype=np.float64)
    full = function(x + samples.x0, y + samples.y0)
    inside = np.isfinite(samples.values[0])
    for ours, theirs in zip(samples.values, full, strict=True):
        assert ours[inside].tobytes() == np.broadcast_to(theirs, ours.shape)[inside].tobytes()


def test_outputs_of_one_pixel_axis_fill_the_whole_grid():
    """World coordinates that depend on x (or y) alone still cover every pixel."""
    from astropy.modeling import models as am
    from gwcs import WCS

    transform = am.Mapping((0, 0, 1)) | am.Shift(1.0) & am.Scale(2.0) & am.Exponential1D(1.0, 8.0)
    image = {
        "data": np.zeros((5, 7)),
        "wcs": WCS(transform, input_frame="detector", output_frame="world"),
    }
    first, second, third = world_coordinates(image)
    y, x = np.indices((5, 7), dtype=np.float64)
    np.testing.assert_array_equal(first, x + 1.0)
    np.testing.assert_array_equal(second, 2.0 * x)
    np.testing.assert_array_equal(third, np.exp(y / 8.0))


def test_samples_of_a_small_grid_share_no_array_with_the_slit_coordinates():
    """A ``slit_frame -> world`` step that passes ``y_slit`` on unchanged: the
    world outside the bounding box is NaN, the slit coordinates stay whole."""
    from astropy.modeling import models as am
    from gwcs import WCS

    to_slit = am.Mapping((0, 0, 1, 0)) | (
        am.Const1D(0.0) & am.Polynomial2D(1, c1_0=1e-3, c0_1=0.1) & am.Shift(1.0)
    )
    wcs = WCS([("detector", to_slit), ("slit_frame", am.Identity(3)), ("world", None)])
    wcs.bounding_box = ((0.3, 6.5), (-0.5, 4.5))  # grid columns 0-6, column 0 outside
    samples = sample_input({"data": np.zeros((5, 7)), "wcs": wcs}, slit_frame=True)
    y_slit, _ = samples.slit
    y, x = np.indices((5, 7), dtype=np.float64)
    np.testing.assert_array_equal(y_slit, 1e-3 * x + 0.1 * y)
    assert np.isnan(samples.values[1][:, 0]).all()
    np.testing.assert_array_equal(samples.values[1][:, 1:], y_slit[:, 1:])


@pytest.mark.parametrize(("name", "group"), INPUTS)
def test_maps_made_a_block_of_rows_at_a_time_have_the_whole_evaluations_bits(
        name, group, monkeypatch):
    """in_memory=False maps each input without samples of the whole of it:
    blocks of a few rows (here 3, so that every case has several) must give
    the map of one evaluation, bit for bit, NaN where it has NaN."""

    images, grid = our_grid(name, group)
    monkeypatch.setattr(limits, "MAP_BLOCK_PIXELS", 3 * images[0].data.shape[1])
    for image in images:
        whole = internals.pixel_map_whole(grid, sample_input(image))
        assert internals.pixel_map_by_blocks(grid, image).tobytes() == whole.tobytes()
