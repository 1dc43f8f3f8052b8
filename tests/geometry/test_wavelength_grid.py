"""The wavelength grid the user chooses (``spectral_grid``, ``spectral_sampling``):
constant steps, explicit centres, split native pixels, for every kind of grid,
and the bad values refused."""

import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resamplespec import SpectralImage, datasets
from resamplespec.geometry import build_output_grid

#: one small case of every kind of grid: NIRSpec slit frame, MIRI LRS
#: (interpolated, wavelength descending along y), lamp (non-celestial)
CASES = {
    "nirspec": lambda: datasets.nirspec_fixed_slit(n_exposures=2, shape=(20, 80), seed=1),
    "miri_lrs": lambda: datasets.miri_lrs(n_exposures=2, seed=1),
    "lamp": lambda: datasets.lamp(seed=1),
}
GENERATED = [("linear", 1.0), ("linear", 2.0), ("log", 1.0), ("log", 2.5), ("native", 2.0),
             ("native", 1.5), ("native", 0.5)]


@functools.cache
def images_of(case):
    return tuple(SpectralImage.from_dict(d) for d in CASES[case]())


@functools.cache
def grid_of(case, spectral_grid="native", spectral_sampling=1.0):
    return build_output_grid(list(images_of(case)), spectral_grid=spectral_grid,
                             spectral_sampling=spectral_sampling)


def spectral_pixels(grid, pixels):
    """World coordinates of output pixels ``pixels`` along the dispersion, on the
    middle spatial line, through the gwcs."""
    n_spatial = grid.shape[0] if grid.dispersion_axis == 1 else grid.shape[1]
    other = np.full(pixels.shape, n_spatial // 2, dtype=np.float64)
    xy = (pixels, other) if grid.dispersion_axis == 1 else (other, pixels)
    return grid.wcs(*xy)


def native_edges(centres):
    """Pixel edges of a table of centres: means of neighbours, half a step beyond the ends."""
    middle = 0.5 * (centres[1:] + centres[:-1])
    return np.concatenate([[centres[0] - (middle[0] - centres[0])], middle,
                           [centres[-1] + (centres[-1] - middle[-1])]])


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("sampling", [1.0, 2.0, 0.7])
def test_linear_grid_has_a_constant_wavelength_step(case, sampling):
    steps = np.diff(grid_of(case, "linear", sampling).wavelength)
    assert np.ptp(steps) <= 1e-9 * np.mean(np.abs(steps))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("sampling", [1.0, 2.0, 0.7])
def test_log_grid_has_a_constant_step_in_log_wavelength(case, sampling):
    steps = np.diff(np.log(grid_of(case, "log", sampling).wavelength))
    assert np.ptp(steps) <= 1e-9 * np.mean(np.abs(steps))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize(("kind", "sampling"), [("linear", 1.0), ("linear", 2.0),
                                                ("log", 1.0), ("log", 2.5)])
def test_uniform_grids_take_the_median_native_step_over_the_sampling(case, kind, sampling):
    native = grid_of(case).wavelength
    ours = grid_of(case, kind, sampling).wavelength
    f = np.log if kind == "log" else (lambda v: v)
    assert abs(np.diff(f(ours))[0]) == pytest.approx(
        np.median(np.abs(np.diff(f(native)))) / sampling, rel=1e-12)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize(("kind", "sampling"), GENERATED)
def test_generated_grids_span_the_native_range_within_one_output_step(case, kind, sampling):
    native = native_edges(grid_of(case).wavelength)
    ours = grid_of(case, kind, sampling).wavelength
    edges = native_edges(ours)
    step = np.max(np.abs(np.diff(ours)))
    assert abs(np.min(edges) - np.min(native)) <= step
    assert abs(np.max(edges) - np.max(native)) <= step


@pytest.mark.parametrize(("kind", "sampling"), GENERATED)
def test_generated_grids_keep_the_descending_order_of_miri_lrs(kind, sampling):
    assert np.all(np.diff(grid_of("miri_lrs").wavelength) < 0)
    assert np.all(np.diff(grid_of("miri_lrs", kind, sampling).wavelength) < 0)


@pytest.mark.parametrize("case", CASES)
def test_native_grid_split_in_two_has_the_native_edges_between_its_pairs(case):
    # each native pixel k becomes two, centred a quarter pixel either side of
    # it on the (linear) native segment: the mean of the second of a pair and
    # the first of the next is the native edge between them
    native = grid_of(case).wavelength
    split = grid_of(case, "native", 2.0).wavelength
    assert split.size == 2 * native.size
    np.testing.assert_allclose(0.5 * (split[1:-1:2] + split[2::2]),
                               0.5 * (native[:-1] + native[1:]), rtol=1e-13)
    # and the two halves of a native pixel lie either side of its centre
    assert np.all((split[0::2] - native) * (split[1::2] - native) < 0)


@pytest.mark.parametrize("case", CASES)
def test_native_grid_at_sampling_one_is_the_default_grid_exactly(case):
    default = grid_of(case)
    explicit = build_output_grid(list(images_of(case)), spectral_grid="NATIVE",
                                 spectral_sampling=1)
    assert explicit.wavelength.tobytes() == default.wavelength.tobytes()
    assert explicit.shape == default.shape
    assert (explicit.spectral_grid, explicit.spectral_sampling) == ("native", 1.0)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("descending", [False, True])
def test_explicit_array_is_the_output_wavelength_and_the_gwcs_inverts_it(case, descending):
    native = grid_of(case).wavelength
    low, high = np.min(native), np.max(native)
    # uneven steps, part of it beyond the inputs
    centres = low + (high - low) * np.linspace(0.1, 1.2, 37) ** 1.5
    if descending:
        centres = centres[::-1]
    grid = build_output_grid(list(images_of(case)), spectral_grid=centres)
    assert grid.wavelength.tobytes() == centres.tobytes()
    assert grid.spectral_grid == "explicit"
    n_spatial = grid.shape[0] if grid.dispersion_axis == 1 else grid.shape[1]
    assert grid.shape == ((n_spatial, 37) if grid.dispersion_axis == 1 else (37, n_spatial))
    pixels = np.arange(37, dtype=np.float64)
    world = spectral_pixels(grid, pixels)
    np.testing.assert_allclose(world[2], centres, rtol=1e-14)
    x, y = grid.world_to_pixel(*world)
    np.testing.assert_allclose(x if grid.dispersion_axis == 1 else y, pixels, atol=1e-9)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize(("kind", "sampling"), GENERATED)
def test_gwcs_and_closed_form_inverse_agree_on_every_generated_grid(case, kind, sampling):
    grid = grid_of(case, kind, sampling)
    n = grid.wavelength.size
    pixels = np.arange(3 * (n - 1) + 1) / 3.0
    world = spectral_pixels(grid, pixels)
    np.testing.assert_allclose(world[2][::3], grid.wavelength, rtol=1e-14)
    x, y = grid.world_to_pixel(*world)
    np.testing.assert_allclose(x if grid.dispersion_axis == 1 else y, pixels, atol=1e-8)


def test_nirspec_grid_ends_half_an_output_pixel_beyond_its_end_centres():
    grid = grid_of("nirspec", "log", 2.0)
    w = grid.wavelength
    ends = spectral_pixels(grid, np.array([-0.5, w.size - 0.5, -0.6, w.size - 0.4]))[2]
    np.testing.assert_allclose(ends[:2], [w[0] - 0.5 * (w[1] - w[0]),
                                          w[-1] + 0.5 * (w[-1] - w[-2])], rtol=1e-14)
    assert np.isnan(ends[2:]).all()


# ---------------------------------------------------------------------------
# bad values: each refused with the option's name, before any grid is made
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "words"), [
    ("cubic", "spectral_grid must be one of"),
    ([], "spectral_grid: an array of wavelength centres needs at least 2 values, got none"),
    ([2.0], "got a single value"),
    ([2.0, 2.1, np.nan, 2.3], "must be finite, got nan at index 2"),
    ([2.0, 2.2, 2.1, 2.3], "strictly increasing or strictly decreasing, got 2.2 then 2.1"),
    ([2.0, 2.0, 2.1], "got 2.0 then 2.0 at indices 0, 1"),
    ([[2.0, 2.1], [2.2, 2.3]], "must be one-dimensional"),
])
def test_bad_spectral_grid_is_refused_naming_the_option(value, words):
    with pytest.raises(ValueError, match="spectral_grid") as info:
        build_output_grid(list(images_of("nirspec")), spectral_grid=value)
    assert words in str(info.value)


@pytest.mark.parametrize("value", [0, -1.0, math.nan, math.inf])
def test_bad_spectral_sampling_is_refused_naming_the_option(value):
    with pytest.raises(ValueError, match="spectral_sampling must be a positive finite number"):
        build_output_grid(list(images_of("nirspec")), spectral_grid="log",
                          spectral_sampling=value)


def test_spectral_sampling_is_refused_with_an_explicit_array():
    with pytest.raises(ValueError, match="spectral_sampling=2 cannot be used with an array"):
        build_output_grid(list(images_of("nirspec")), spectral_grid=[2.0, 2.1],
                          spectral_sampling=2)


@pytest.mark.parametrize("case", CASES)
def test_explicit_array_overlapping_no_input_is_refused(case):
    native = grid_of(case).wavelength
    beyond = np.max(native) + np.array([1.0, 1.1, 1.2])
    with pytest.raises(ValueError, match=r"spectral_grid: the wavelengths .* overlap no input"):
        build_output_grid(list(images_of(case)), spectral_grid=beyond)


@pytest.mark.parametrize(("kind", "sampling"), [("native", 1e12), ("linear", 1e12),
                                                ("log", 1e15)])
def test_grid_too_large_for_memory_is_refused_with_its_size(kind, sampling):
    with pytest.raises(ValueError, match=rf"spectral_sampling={sampling!r} .* would make an "
                       r"output of .* wavelengths x \d+ rows .* GiB"):
        build_output_grid(list(images_of("nirspec")), spectral_grid=kind,
                          spectral_sampling=sampling)


@settings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(["native", "linear", "log"]),
       sampling=st.floats(min_value=0.3, max_value=5.0))
def test_any_sampling_gives_the_grid_its_definition_says(kind, sampling):
    native = grid_of("nirspec").wavelength
    ours = build_output_grid(list(images_of("nirspec")), spectral_grid=kind,
                             spectral_sampling=sampling).wavelength
    assert np.all(np.diff(ours) > 0)
    if kind == "native":
        # each native pixel split into `sampling`, whatever is left over at the red end
        assert ours.size == max(2, math.ceil(native.size * sampling - 1e-9))
        steps = np.diff(ours)
    else:
        f = np.log if kind == "log" else (lambda v: v)
        steps = np.diff(f(ours))
        assert np.ptp(steps) <= 1e-9 * np.mean(steps)
        assert steps[0] == pytest.approx(np.median(np.diff(f(native))) / sampling, rel=1e-12)
    # the native range, to within one output pixel at either end
    edges, native_range = native_edges(ours), native_edges(native)
    widest = np.max(np.diff(edges))
    assert abs(edges[0] - native_range[0]) <= widest
    assert abs(edges[-1] - native_range[-1]) <= widest + 1e-12
