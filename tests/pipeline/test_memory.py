"""Memory: what resample() keeps alive, measured with tracemalloc.

numpy reports its array buffers to tracemalloc, so the traced peak counts
every array the chain holds at once.  These tests compare two runs that
differ only in the number of something (slit groups, inputs) and check that
the memory of the arrays is not multiplied by it: exact properties of what
is kept alive, not timings or thresholds tuned to a machine.
"""

import gc
import tracemalloc

import internals
import numpy as np
import pytest

import resamplespec
from resamplespec import MultiSlitImage, SpectralImage, datasets

_ARRAYS = ("data", "dq", "err", "var_rnoise", "var_poisson", "var_flat")


def _traced(run):
    """(peak, retained) bytes traced over ``run()``: the highest total while it
    ran and what is still allocated once it returned (its result held)."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        result = run()
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak - base, retained - base


@pytest.fixture(scope="module")
def one_mos_slit():
    """One MOS slit in 3 exposures (its slit dicts, exposure by exposure)."""
    return [exposure[0] for exposure in
            datasets.nirspec_mos(n_slits=1, n_exposures=3, nx=240, seed=4)]


def _mos_set(slit_per_exposure, n_groups):
    """3 multi-slit exposures holding ``n_groups`` copies of the same slit under
    different source names: groups of identical size (arrays shared)."""
    exposures = []
    for slit in slit_per_exposure:
        copies = []
        for k in range(n_groups):
            meta = dict(slit["meta"], slit_name=f"S{k}", source_name=f"src{k}",
                        source_id=1000 + k)
            copies.append({**slit, "meta": meta})
        exposures.append({"slits": copies})
    return exposures


def test_working_memory_of_a_multi_slit_set_does_not_grow_with_its_slits(one_mos_slit):
    # Beyond the products it returns, resample() needs the memory of one slit
    # group at a time: its inputs are copied when the group starts and
    # released with it.  Copying every input up front would add the arrays
    # of every further group to the peak.
    group_bytes = sum(slit[name].nbytes for slit in one_mos_slit for name in _ARRAYS)
    resamplespec.resample(_mos_set(one_mos_slit, 2))  # first-call caches, imports
    transient = {}
    for n_groups in (2, 8):
        peak, retained = _traced(lambda n=n_groups: resamplespec.resample(
            _mos_set(one_mos_slit, n)))
        transient[n_groups] = peak - retained
    # 6 more groups would hold 6 * group_bytes of copies at once
    assert transient[8] - transient[2] < group_bytes / 2, (transient, group_bytes)


@pytest.mark.parametrize("wrap", ["dict", "SpectralImage", "MultiSlitImage"])
def test_multi_slit_inputs_are_never_modified(wrap, one_mos_slit):
    exposures = _mos_set(one_mos_slit, 2)
    if wrap != "dict":
        exposures = [MultiSlitImage([SpectralImage.from_dict(s) for s in e["slits"]])
                     for e in exposures]
    slits = [s for e in exposures for s in (e["slits"] if wrap == "dict" else e.slits)]

    def arrays(slit):
        return {name: (slit[name] if wrap == "dict" else getattr(slit, name)) for name in _ARRAYS}

    before = [{k: v.copy() for k, v in arrays(slit).items()} for slit in slits]
    resamplespec.resample(exposures if wrap != "SpectralImage" else
                          [e.slits for e in exposures], propagate_dq=True)
    for original, slit in zip(before, slits, strict=True):
        for name, values in arrays(slit).items():
            np.testing.assert_array_equal(values, original[name], err_msg=name)


def test_the_grid_builder_keeps_only_the_pixel_maps_of_its_inputs():
    # build_output_grid evaluates every input's WCS (3 world arrays, the
    # tangent-plane offsets, the slit frame of the reference input); what it
    # keeps for pixel_map is each input's map, 2 float64 values per pixel.
    from resamplespec.geometry import build_output_grid, pixel_map

    images = [SpectralImage.from_dict(nod) for nod in
              datasets.nirspec_fixed_slit(n_exposures=2, shape=(40, 1024), seed=3)]
    build_output_grid(images)  # first-call caches
    n_pixels = sum(image.data.size for image in images)
    _, retained = _traced(lambda: build_output_grid(images))
    maps = 2 * 8 * n_pixels
    # the grid itself (gwcs, wavelength table) is small beside one more
    # float64 value per input pixel
    assert maps <= retained < maps + 8 * n_pixels, (retained, maps)
    grid = build_output_grid(images)
    kept = pixel_map(images[0], grid)
    np.testing.assert_array_equal(kept, pixel_map(images[0], grid))  # re-evaluated: same


def _product_bytes(image):
    arrays = [getattr(image, name) for name in _ARRAYS + ("wht", "con")]
    return sum(a.nbytes for a in arrays if a is not None)


def test_only_the_products_are_alive_when_the_output_is_assembled(monkeypatch):
    # Once a group is drawn, its inputs' copies, pixel maps and the kernel's
    # double-precision accumulators (about 100 bytes per output pixel) are
    # released before the products' metadata is made: what is traced then,
    # beyond the products, is small Python objects (the output gwcs, the
    # metadata), well under one float64 value per output pixel.
    nods = datasets.nirspec_fixed_slit(n_exposures=3, shape=(40, 1024), seed=2)
    resamplespec.resample(nods)  # first-call caches
    seen = []
    output_meta = internals.chain_module._output_meta

    def recording_output_meta(*args, **kwargs):
        seen.append(tracemalloc.get_traced_memory()[0])
        return output_meta(*args, **kwargs)

    monkeypatch.setattr(internals.chain_module, "_output_meta", recording_output_meta)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        result = resamplespec.resample(nods)
    finally:
        tracemalloc.stop()
    (alive,) = seen
    products = _product_bytes(result)
    n_out = result.data.size
    assert products <= alive - base < products + 8 * n_out, (alive - base, products, n_out)


def test_bands_add_no_accumulators():
    # n_jobs > 1 splits each kernel pass into bands of output rows or
    # columns that write their own part of the same accumulators: the memory is that of
    # one pass, not one set of double-precision sums per band.
    from resamplespec import Drizzler

    rng = np.random.default_rng(8)
    y, x = np.indices((120, 90), dtype=np.float64)
    pixmap = np.dstack([x + 0.3 * np.sin(y / 9.0), 1.1 * y + 2.0])
    data = rng.uniform(0, 1, (120, 90)).astype(np.float32)
    variances = tuple(rng.uniform(0.5, 1, (120, 90)).astype(np.float32) for _ in range(3))
    out_shape = (140, 95)

    def run(n_jobs):
        drizzler = Drizzler(out_shape, n_variances=3, n_jobs=n_jobs)
        for _ in range(2):
            drizzler.add(data, pixmap, variances=variances)
        return drizzler

    run(3)  # thread pool start-up
    peaks = {n_jobs: _traced(lambda n=n_jobs: run(n))[0] for n_jobs in (1, 3)}
    # What bands add: which input pixels reach which band, found from the
    # 3 x 3 range of the pixel map (about ten float64 temporaries of the
    # input's size), far less than the 12 float64 sums per output pixel
    # that a private set per band would cost.
    n_out, n_in = out_shape[0] * out_shape[1], data.size
    assert peaks[3] < peaks[1] + 8 * n_out + 80 * n_in, (peaks, n_out, n_in)
