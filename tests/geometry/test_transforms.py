"""The compiled transforms give astropy's numbers, model by model and on
every synthetic dataset's WCS; anything they do not know falls back."""

import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.modeling import Fittable1DModel, Parameter
from astropy.modeling import models as am
from hypothesis import given, settings
from hypothesis import strategies as st

from resamplespec import datasets
from resamplespec.geometry import compile_transform

finite = st.floats(-50, 50, allow_nan=False)
angle = st.floats(-360, 360, allow_nan=False)
latitude = st.floats(-90, 90, allow_nan=False)


def _points(seed, n=257, scale=30.0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-scale, scale, n)
    y = rng.uniform(-scale, scale, n)
    x[:3] = [0.0, scale, -scale]
    y[:3] = [0.0, 0.0, scale]
    return x, y


def _astropy(model, *inputs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = model(*inputs)
    return values if isinstance(values, tuple) else (values,)


def _unit_vectors(lon, lat):
    lon, lat = np.deg2rad(lon), np.deg2rad(lat)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def _assert_same(model, *inputs, rtol=1e-13, atol=0.0, angles=()):
    """Compiled == astropy to rounding; ``angles``: the (longitude, latitude)
    outputs, compared by their distance on the sphere (longitudes are
    ill-conditioned near the poles)."""
    evaluate = compile_transform(model)
    assert evaluate is not None, f"{model} was not compiled"
    copies = [np.copy(v) for v in inputs]
    got = evaluate(*inputs)
    expected = _astropy(model, *inputs)
    assert len(got) == model.n_outputs == len(expected)
    for k, (g, e) in enumerate(zip(got, expected, strict=True)):
        g, e = np.asarray(g), np.asarray(e)
        assert g.shape == np.shape(inputs[0])
        assert np.array_equal(np.isnan(g), np.isnan(e)), k
        if k not in angles:
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    if angles:
        lon, lat = angles
        chord = np.linalg.norm(
            _unit_vectors(got[lon], got[lat]) - _unit_vectors(expected[lon], expected[lat]), axis=0
        )
        assert np.nanmax(np.rad2deg(chord)) < 1e-11
    for before, after in zip(copies, inputs, strict=True):
        np.testing.assert_array_equal(before, after)  # inputs not modified


@given(offset=finite, factor=finite, seed=st.integers(0, 2**16))
def test_simple_models(offset, factor, seed):
    x, y = _points(seed)
    _assert_same(am.Shift(offset), x)
    _assert_same(am.Scale(factor), x)
    _assert_same(am.Multiply(factor), x)
    _assert_same(am.Const1D(offset), x)
    _assert_same(am.Linear1D(slope=factor, intercept=offset), x)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # small tau
        _assert_same(am.Exponential1D(amplitude=factor, tau=offset or 1.0), x / 10)
        _assert_same(am.Logarithmic1D(amplitude=factor, tau=offset or 1.0), np.abs(x))
    _assert_same(am.Identity(2), x, y)
    _assert_same(am.Mapping((1, 0, 1)), x, y)
    _assert_same(am.Rotation2D(offset * 7), x, y, rtol=1e-12, atol=1e-12)


@given(
    c=st.lists(st.floats(-3, 3, allow_nan=False), min_size=10, max_size=10),
    degree=st.integers(0, 3),
    seed=st.integers(0, 2**16),
    domain=st.sampled_from([None, (-1, 1), (-30, 30), (0, 10)]),
)
def test_polynomials(c, degree, seed, domain):
    x, y = _points(seed)
    one_d = am.Polynomial1D(degree, **{f"c{k}": c[k] for k in range(degree + 1)})
    if domain is not None:
        one_d.domain = domain
    two_d = am.Polynomial2D(degree)
    two_d.parameters = c[: len(two_d.parameters)]
    if domain is not None:
        two_d.x_domain = domain
        two_d.y_domain = (-5, 5)
    # Horner's rule in a different order: agreement to rounding of the
    # largest term, not of the (possibly cancelling) sum
    scale = 30.0 ** degree * 3 * 10
    _assert_same(one_d, x, rtol=1e-12, atol=1e-13 * scale)
    _assert_same(two_d, x, y, rtol=1e-12, atol=1e-13 * scale)


def test_polynomial2d_exact_value():
    poly = am.Polynomial2D(2, c0_0=1, c1_0=2, c0_1=3, c2_0=4, c1_1=5, c0_2=6)
    x, y = np.array([2.0]), np.array([-1.0])
    # 1 + 2*2 + 3*(-1) + 4*4 + 5*2*(-1) + 6*1 = 14
    assert compile_transform(poly)(x, y)[0][0] == 14.0


@given(
    affine=st.lists(st.floats(-2, 2, allow_nan=False), min_size=6, max_size=6),
    seed=st.integers(0, 2**16),
)
def test_affine(affine, seed):
    x, y = _points(seed)
    model = am.AffineTransformation2D(
        matrix=np.reshape(affine[:4], (2, 2)), translation=affine[4:]
    )
    _assert_same(model, x, y, rtol=1e-12, atol=1e-12)


@given(lon=angle, lat=latitude, lon_pole=angle, seed=st.integers(0, 2**16))
@settings(max_examples=60)
def test_sky_rotations_and_tan(lon, lat, lon_pole, seed):
    x, y = _points(seed, scale=20.0)  # TAN plane, degrees
    sky_lon, sky_lat = _points(seed + 1, scale=80.0)
    sky_lon = sky_lon * 4.0
    tan = am.Pix2Sky_Gnomonic()
    to_sky = am.RotateNative2Celestial(lon, lat, lon_pole)
    to_native = am.RotateCelestial2Native(lon, lat, lon_pole)
    _assert_same(tan, x, y, angles=(0, 1))
    _assert_same(to_sky, sky_lon, sky_lat, angles=(0, 1))
    _assert_same(to_native, sky_lon, sky_lat, angles=(0, 1))
    # the fused pair, with longitudes in [0, 360] as astropy gives them
    evaluate = compile_transform(tan | to_sky)
    ra, dec = evaluate(x, y)
    assert np.all((ra >= 0) & (ra <= 360))
    _assert_same(tan | to_sky, x, y, angles=(0, 1))
    # to the plane: compare where the point is on the projected hemisphere
    phi, theta = am.Pix2Sky_Gnomonic()(x, y)
    _assert_same(am.Sky2Pix_Gnomonic(), phi, theta, rtol=1e-10, atol=1e-10)


def test_tan_pole_and_centre():
    ra, dec = compile_transform(am.Pix2Sky_Gnomonic() | am.RotateNative2Celestial(10, 20, 180))(
        np.array([0.0]), np.array([0.0])
    )
    np.testing.assert_allclose([ra[0], dec[0]], [10.0, 20.0], atol=1e-12)
    phi, theta = compile_transform(am.Pix2Sky_Gnomonic())(np.array([0.0]), np.array([0.0]))
    assert (phi[0], theta[0]) == (0.0, 90.0)


def test_tabular():
    points = np.array([1.0, 2.0, 4.0, 8.0])
    table = np.array([10.0, 20.0, 0.0, 5.0])
    x = np.array([0.5, 1.0, 1.5, 3.0, 8.0, 9.0, np.nan])
    for fill in (np.nan, -1.0):
        model = am.Tabular1D(points, table, bounds_error=False, fill_value=fill)
        _assert_same(model, x)
        # descending points give the same function
        flipped = am.Tabular1D(points[::-1], table[::-1], bounds_error=False, fill_value=fill)
        np.testing.assert_array_equal(compile_transform(flipped)(x)[0], _astropy(model, x)[0])
    extrapolating = am.Tabular1D(points, table, bounds_error=False, fill_value=None)
    _assert_same(extrapolating, x, rtol=1e-14, atol=1e-13)
    assert compile_transform(extrapolating)(np.array([0.0, 10.0]))[0].tolist() == [0.0, 7.5]
    # out-of-bounds inputs raise in astropy by default: left to astropy
    assert compile_transform(am.Tabular1D(points, table)) is None


@given(seed=st.integers(0, 2**16), op=st.sampled_from(["+", "-", "*", "/", "**", "&", "|"]))
def test_compound_operators(seed, op):
    x, y = _points(seed)
    x, y = np.abs(x), np.abs(y)  # for "**"
    left = am.Shift(2.5) & am.Scale(0.5)
    right = am.Shift(0.5) & am.Const1D(2.0)
    models = {
        "+": left + right,
        "-": left - right,
        "*": left * right,
        "/": left / right,
        "**": left**right,
        "&": am.Shift(1.0) & am.Scale(3.0) & am.Polynomial1D(1, c0=1.0, c1=0.1),
        "|": am.Mapping((0, 1, 0))
        | left & am.Identity(1)
        | am.Mapping((2, 0))
        | am.Shift(1) & am.Shift(2),
    }
    model = models[op]
    _assert_same(model, *([x, y, x][: model.n_inputs]), rtol=1e-12)


class _Custom(Fittable1DModel):
    amplitude = Parameter(default=1.0)

    @staticmethod
    def evaluate(x, amplitude):
        return amplitude * x


class _ShiftSubclass(am.Shift):
    pass


@pytest.mark.parametrize(
    "model",
    [
        am.Shift(1.0) & _Custom(),
        am.Shift(1.0) | _ShiftSubclass(2.0),  # a subclass may evaluate otherwise
        am.Shift(1.0 * u.deg),  # units
        am.Shift([1.0, 2.0], n_models=2),  # a model set
        am.fix_inputs(am.Shift(1.0) & am.Scale(2.0), {0: 1.0}),
        am.Gaussian1D(),
        "not a model",
    ],
)
def test_unknown_models_are_left_to_astropy(model):
    assert compile_transform(model) is None


@pytest.mark.parametrize("kind", ["fixed_slit", "mos", "miri_lrs", "lamp"])
def test_every_dataset_wcs(kind):
    """The whole detector -> world chain, and its two halves around the
    slit frame, of every synthetic dataset."""
    image = {
        "fixed_slit": lambda: datasets.nirspec_fixed_slit()[0],
        "mos": lambda: datasets.nirspec_mos(n_slits=1, n_exposures=1, nx=300)[0][0],
        "miri_lrs": lambda: datasets.miri_lrs()[0],
        "lamp": lambda: datasets.lamp()[0],
    }[kind]()
    wcs = image["wcs"]
    ny, nx = image["data"].shape
    y, x = np.mgrid[-1 : ny + 1, -1 : nx + 1].astype(float)
    transforms = [wcs.forward_transform]
    if "slit_frame" in wcs.available_frames:
        transforms += [
            wcs.get_transform(wcs.available_frames[0], "slit_frame"),
            wcs.get_transform("slit_frame", wcs.available_frames[-1]),
        ]
    for transform in transforms:
        inputs = (x, y) if transform.n_inputs == 2 else _astropy(transforms[1], x, y)
        celestial = (0, 1) if transform.n_outputs == 3 and kind != "lamp" else ()
        _assert_same(transform, *inputs, rtol=1e-13, atol=1e-13, angles=celestial)


@given(
    lon=angle, lat=st.floats(-89, 89), lon_pole=angle,
    lon0=st.floats(-30, 30), lat0=st.floats(-20, 20), seed=st.integers(0, 2**16),
)
@settings(max_examples=60)
def test_stopping_on_the_tangent_plane(lon, lat, lon_pole, lon0, lat0, seed):
    """A WCS ending on TAN | rotation, compiled to its plane: the plane points
    give the same sky (plane_to_lon_lat) and the same offsets about another
    tangent point as the RA/Dec route (tangent_offsets)."""
    from resamplespec.geometry import (
        compile_to_tangent_plane,
        native_to_celestial_matrix,
        plane_to_lon_lat,
        plane_to_offsets,
        tangent_offsets,
    )

    x, y = _points(seed, scale=0.05)  # a few arcmin of TAN plane
    to_sky = am.RotateNative2Celestial(lon, lat, lon_pole)
    model = (am.Shift(0.01) & am.Scale(1.5) | am.Pix2Sky_TAN() | to_sky) & am.Scale(1e6)
    evaluate, planes = compile_to_tangent_plane(model)
    u, v, lam = evaluate(x, y, x)
    np.testing.assert_array_equal(u, x + 0.01)  # stopped before the projection
    assert set(planes) == {0}
    np.testing.assert_allclose(planes[0], native_to_celestial_matrix(lon, lat, lon_pole))
    ra, dec, _ = _astropy(model, x, y, x)
    got = plane_to_lon_lat(planes[0], u, v)
    chord = np.linalg.norm(_unit_vectors(*got) - _unit_vectors(ra, dec), axis=0)
    assert np.max(np.rad2deg(chord)) < 1e-11
    # offsets about a point near the data, both ways
    centre_ra, centre_dec = lon + lon0 * 0.001, np.clip(lat + lat0 * 0.001, -89.9, 89.9)
    expected = tangent_offsets(ra, dec, centre_ra, centre_dec)
    offsets = plane_to_offsets(planes[0], u, v, centre_ra, centre_dec)
    np.testing.assert_allclose(offsets, expected, rtol=0, atol=1e-12)
    # the whole chain, without stopping, is unchanged
    assert set(compile_to_tangent_plane(model[:-1] | am.Identity(2))[1]) == set()


def test_offsets_behind_the_tangent_point_are_nan():
    from resamplespec.geometry import native_to_celestial_matrix, plane_to_offsets

    matrix = native_to_celestial_matrix(0.0, 0.0, 180.0)  # plane about (0, 0)
    x, y = plane_to_offsets(matrix, np.array([0.0, 1.0]), np.array([0.0, 0.0]), 180.0, 0.0)
    assert np.isnan(x).all() and np.isnan(y).all()
    x, y = plane_to_offsets(matrix, np.array([0.0]), np.array([0.0]), 0.0, 0.0)
    assert (x[0], y[0]) == (0.0, 0.0)


def _inverse_models(lon, lat, lon_pole):
    poly = am.Polynomial1D(1, c0=0.5, c1=2.0)
    poly.inverse = am.Polynomial1D(1, c0=-0.25, c1=0.5)  # a user-set inverse
    return [
        am.Shift(1.5) & am.Scale(0.25),
        am.Multiply(3.0) & am.Linear1D(slope=2.0, intercept=-1.0),
        am.Mapping((1, 0)) | am.Rotation2D(33.0) | am.Identity(2),
        am.AffineTransformation2D(matrix=[[1.0, 0.2], [-0.1, 0.9]], translation=[0.3, -0.2]),
        am.Exponential1D(amplitude=2.0, tau=30.0) & poly,
        am.Logarithmic1D(amplitude=2.0, tau=0.5) & am.Shift(-3.0),
        am.Scale(1e-3) & am.Scale(1e-3) | am.Pix2Sky_TAN()
        | am.RotateNative2Celestial(lon, lat, lon_pole),
        am.Tabular1D([0.0, 1.0, 2.0, 4.0], [1.0, 2.0, 4.0, 8.0], bounds_error=False) & am.Shift(1),
    ]


@given(lon=angle, lat=st.floats(-89, 89), lon_pole=angle, seed=st.integers(0, 2**16))
@settings(max_examples=40)
def test_compiled_inverses_undo_the_transforms(lon, lat, lon_pole, seed):
    """compile_inverse(model)(model(x)) == x, and == astropy's inverse, for
    every kind of model it inverts (the sky pair as one rotation)."""
    from resamplespec.geometry import compile_inverse

    x, y = _points(seed, scale=3.0)
    x, y = np.abs(x) + 0.1, np.abs(y) + 0.1  # inside the table, positive logs
    for model in _inverse_models(lon, lat, lon_pole):
        inverse = compile_inverse(model)
        assert inverse is not None, model
        inputs = (x, y)[: model.n_inputs]
        outputs = _astropy(model, *inputs)
        back = inverse(*outputs)
        np.testing.assert_allclose(back, inputs, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(back, _astropy(model.inverse, *outputs),
                                   rtol=1e-9, atol=1e-9)
    # a sequence of steps is undone in reverse order
    steps = [am.Shift(1.0) & am.Shift(2.0), am.Mapping((1, 0))]
    np.testing.assert_allclose(compile_inverse(steps)(y + 2.0, x + 1.0), (x, y), rtol=1e-15)


def test_a_transform_without_inverse_is_left_to_astropy():
    from resamplespec.geometry import compile_inverse

    assert compile_inverse(am.Shift(1.0) & am.Polynomial1D(2, c2=1.0)) is None
    assert compile_inverse(am.Mapping((0,), n_inputs=2)) is None  # drops an input
    assert compile_inverse(am.Shift(1.0) + am.Shift(2.0)) is None
    assert compile_inverse("no model") is None
    # a part with an inverse of its own is not looked into
    inner = am.Const1D(0.0) & am.Polynomial1D(2, c2=1.0)
    inner.inverse = am.Mapping((1, 1)) | am.Shift(-5.0) & am.Shift(-7.0)
    model = inner | am.Mapping((0,), n_inputs=2)
    model_inverse = compile_inverse(inner)
    assert model_inverse is not None
    assert [v.tolist() for v in model_inverse(np.array([0.0]), np.array([7.0]))] == [[2.0], [0.0]]
    assert compile_inverse(model) is None  # the mapping drops an output of inner
