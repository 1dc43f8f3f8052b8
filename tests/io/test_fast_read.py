"""Files in, products out: the same numbers as the same inputs in memory,
bit for bit, whatever the format, the number of slits, n_jobs, in_memory
or Dask, and files read the quick way (extensions indexed once, arrays
from their bytes, each embedded ASDF tree parsed once per process)."""

import io as bytes_io

import asdf
import numpy as np
import pytest
from astropy.io import fits

from resamplespec import MultiSlitImage, SpectralImage, datasets, io, resample

dm = pytest.importorskip("stdatamodels.jwst.datamodels")
import jwst_adapter as ja  # noqa: E402 - needs stdatamodels

OPTIONS = {"variance": "exact", "propagate_dq": True}


@pytest.fixture(scope="module")
def nods():
    return datasets.nirspec_fixed_slit(n_exposures=3, shape=(20, 90), seed=41)


@pytest.fixture(scope="module")
def mos():
    return datasets.nirspec_mos(n_slits=3, n_exposures=2, nx=70, seed=42)


@pytest.fixture(scope="module")
def files(nods, mos, tmp_path_factory):
    """The same inputs as JWST cal files (stdatamodels), our ASDF and our FITS."""
    folder = tmp_path_factory.mktemp("inputs")
    paths = {}
    paths["single", "cal"] = [_save(ja.to_slit_model(nod), folder / f"nod{k}_cal.fits")
                              for k, nod in enumerate(nods)]
    paths["multi", "cal"] = [_save(ja.to_multislit_model(slits), folder / f"mos{k}_cal.fits")
                             for k, slits in enumerate(mos)]
    for suffix in (".asdf", ".fits"):
        paths["single", suffix] = [
            str(io.write(SpectralImage.from_dict(nod), folder / f"nod{k}{suffix}"))
            for k, nod in enumerate(nods)]
        paths["multi", suffix] = [
            str(io.write(MultiSlitImage([SpectralImage.from_dict(s) for s in slits]),
                         folder / f"mos{k}{suffix}"))
            for k, slits in enumerate(mos)]
    return paths


def _save(model, path):
    model.save(path)
    return str(path)


@pytest.fixture(scope="module")
def in_memory(nods, mos):
    """The products of the objects path."""
    return {"single": resample(nods, **OPTIONS),
            "multi": resample([{"slits": slits} for slits in mos], **OPTIONS)}


def _slits(product):
    return list(product.slits) if isinstance(product, MultiSlitImage) else [product]


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("deferred", [False, True], ids=["in_memory", "from_files"])
@pytest.mark.parametrize("kind", ["single", "multi"])
@pytest.mark.parametrize("fmt", ["cal", ".asdf", ".fits"])
def test_files_resample_bit_for_bit_as_the_objects(files, in_memory, fmt, kind, deferred,
                                                   n_jobs, assert_identical):
    product = resample(files[kind, fmt], in_memory=not deferred, n_jobs=n_jobs, **OPTIONS)
    expected = in_memory[kind]
    assert type(product) is type(expected)
    for got, want in zip(_slits(product), _slits(expected), strict=True):
        # metadata read from a JWST cal file lack what the dicts hold beyond
        # the JWST keywords (filename...): arrays and the grid must agree
        if fmt == "cal":
            for name in ("data", "wht", "con", "err", "var_rnoise", "var_poisson",
                         "var_flat", "dq"):
                assert getattr(got, name).tobytes() == getattr(want, name).tobytes(), name
            np.testing.assert_array_equal(got.meta.wavelength, want.meta.wavelength)
        else:
            assert_identical(got, want)


def test_dask_reads_the_cal_files_bit_for_bit(files, in_memory):
    distributed = pytest.importorskip("distributed")
    import resamplespec.dask as rdask

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = rdask.resample(files["multi", "cal"], client=client, in_memory=False,
                                **OPTIONS)
    for got, want in zip(remote.slits, in_memory["multi"].slits, strict=True):
        for name in ("data", "wht", "con", "err", "dq"):
            assert getattr(got, name).tobytes() == getattr(want, name).tobytes(), name


def test_arrays_are_the_values_astropy_reads(nods, tmp_path):
    """Floats, and DQ stored as int32 with BZERO = 2**31 (unsigned): the
    same values as astropy's, in native byte order, high bits included."""
    nod = {**nods[0], "dq": nods[0]["dq"].copy()}
    nod["dq"][0, :4] = [2**31, 2**31 + 1, 2**32 - 1, 2**30]
    path = tmp_path / "flags_cal.fits"
    ja.to_slit_model(nod).save(path)
    image = io.read(path)
    with fits.open(path) as hdul:
        for attribute, extname in (("data", "SCI"), ("dq", "DQ"), ("err", "ERR"),
                                   ("var_flat", "VAR_FLAT")):
            expected = hdul[extname].data
            got = getattr(image, attribute)
            assert got.dtype.isnative and got.flags.writeable
            assert got.dtype == expected.dtype.newbyteorder("=")
            np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(image.dq, nod["dq"])


def test_scaled_and_compressed_images_are_read_by_astropy(files, tmp_path):
    """Encodings read straight from bytes are only the plain ones: a scaled
    ERR (BSCALE) and a gzipped file give astropy's values."""
    source = files["single", ".fits"][0]
    scaled = tmp_path / "scaled.fits"
    with fits.open(source) as hdul:
        hdul["ERR", 1].data = np.nan_to_num(hdul["ERR", 1].data)
        hdul["ERR", 1].scale("int16", bscale=1e-3, bzero=0.0)
        hdul.writeto(scaled)
    with fits.open(scaled) as hdul:
        expected_err = np.array(hdul["ERR", 1].data)
    np.testing.assert_array_equal(io.read(scaled).err, expected_err)
    zipped = tmp_path / "zipped.fits.gz"
    with fits.open(source) as hdul:
        hdul.writeto(zipped)
    np.testing.assert_array_equal(io.read(zipped).data, io.read(source).data)


def test_each_read_returns_objects_of_its_own(in_memory, tmp_path):
    """The parsed tree is kept, the objects made from it are not shared:
    changing what one read returned changes nothing in the next."""
    path = io.write(in_memory["single"], tmp_path / "s2d.fits")
    first = io.read(path)
    first.data[...] = -1.0
    first.wcs.forward_transform.parameters = first.wcs.forward_transform.parameters * 2.0
    first.meta.wavelength[...] = 0.0
    second = io.read(path)
    np.testing.assert_array_equal(second.meta.wavelength, in_memory["single"].meta.wavelength)
    assert second.wcs is not first.wcs
    assert not np.shares_memory(second.data, first.data)
    assert np.all(second.data[np.isfinite(second.data)] != -1.0)
    x, y = 10.0, 5.0
    np.testing.assert_array_equal(second.wcs(x, y), io.read(path).wcs(x, y))
    assert not np.allclose(second.wcs(x, y), first.wcs(x, y), equal_nan=True)


def test_a_rewritten_file_is_read_anew(nods, tmp_path):
    """Files are known by path, size and modification time: a file written
    again (here with other shapes) is indexed again."""
    path = tmp_path / "nod_cal.fits"
    ja.to_slit_model(nods[0]).save(path)
    io.read(path)
    other = datasets.nirspec_fixed_slit(n_exposures=1, shape=(24, 100), seed=43)[0]
    ja.to_slit_model(other).save(path)
    after = io.read(path)
    np.testing.assert_array_equal(after.data, other["data"])
    np.testing.assert_array_equal(after.var_rnoise, other["var_rnoise"])


def test_embedded_trees_are_parsed_once_per_file_per_run(files, monkeypatch):
    """in_memory=False reads each slit on its own (metadata, grid, drizzle):
    the ASDF extension of a file is parsed once for all of them."""
    parsed = []
    real_open = asdf.open

    def counting_open(source, *args, **kwargs):
        if isinstance(source, bytes_io.BytesIO):
            parsed.append(source)
        return real_open(source, *args, **kwargs)

    monkeypatch.setattr(asdf, "open", counting_open)
    paths = files["multi", "cal"]
    resample(paths, in_memory=False)
    assert len(parsed) == len(paths)
    parsed.clear()
    resample(paths)
    assert len(parsed) == len(paths)


def test_threads_read_the_slits_of_one_file_at_once(files):
    """n_jobs threads load slits of the same file together: each read has
    its own open file (one shared handle was closed under another's read)."""
    from concurrent.futures import ThreadPoolExecutor

    path = files["multi", "cal"][0]
    expected = io.read(path)
    slits = io.deferred_exposure(path)
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            loaded = list(pool.map(lambda k: slits[k % len(slits)].load(), range(60)))
    finally:
        io.close_open_files()
    for k, image in enumerate(loaded):
        want = expected.slits[k % len(slits)]
        for name in ("data", "dq", "err", "var_rnoise"):
            assert getattr(image, name).tobytes() == getattr(want, name).tobytes()


@pytest.mark.parametrize(("kept_single", "parsed_files"), [(8, 16), (0, 1)])
@pytest.mark.parametrize("kind", ["single", "multi"])
def test_trees_kept_or_parsed_again_give_the_same_products(files, in_memory, kind, kept_single,
                                                           parsed_files, monkeypatch,
                                                           assert_identical):
    """The limits on the files kept only trade time for memory."""
    from resamplespec import limits

    monkeypatch.setattr(limits, "KEPT_SINGLE_SLIT_TREES", kept_single)
    monkeypatch.setattr(limits, "PARSED_FITS_FILES", parsed_files)
    product = resample(files[kind, ".fits"], in_memory=False, **OPTIONS)
    for got, want in zip(_slits(product), _slits(in_memory[kind]), strict=True):
        assert_identical(got, want)
