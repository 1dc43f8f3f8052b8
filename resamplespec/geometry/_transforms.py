"""Evaluating astropy transforms as plain numpy arithmetic.

Evaluating each input's gwcs at every pixel is most of the time of a
resampling: astropy validates, broadcasts and converts the inputs of every
sub-model of a compound transform on every call (milliseconds per call for
a NIRSpec-like chain), and a sky projection followed by a sky rotation goes
through six trigonometric functions per pixel.

:func:`compile_transform` turns a transform built from the common models
into a function of numpy arrays that does only the arithmetic:

* shifts, scales, identities, mappings, constants, linear, exponential and
  polynomial models (``Polynomial1D``/``2D`` with their domain maps),
  ``Tabular1D`` with linear interpolation, 2D affine transformations and
  rotations;
* gnomonic (``TAN``) projections and rotations on the sphere.  A
  ``Pix2Sky_TAN | RotateNative2Celestial`` pair -- the celestial end of
  almost every imaging and spectroscopic WCS -- is evaluated as one vector
  rotation, with two ``arctan2`` per pixel instead of six trigonometric
  functions;
* the compound operators ``|``, ``&``, ``+``, ``-``, ``*``, ``/`` and ``**``.

Anything else (other model classes, subclasses of these, parameters with
units, model sets, ``fix_inputs``) makes :func:`compile_transform` return
None, and the caller evaluates the transform with astropy.  The results
agree with astropy's to rounding (about 1e-13 relative; angles to about
1e-12 degree), which the tests check model by model and on the WCS of every
synthetic dataset.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from astropy.modeling import CompoundModel, Model
from astropy.modeling import models as am

#: A compiled transform: arrays in, tuple of arrays out.
Evaluator = Callable[..., tuple[np.ndarray, ...]]

#: Radius of the gnomonic projection's sphere, in the degrees of its plane.
_R0 = 180.0 / np.pi


class _Unsupported(Exception):
    """A model this module does not evaluate."""


def compile_transform(model: Any) -> Evaluator | None:
    """Compile an astropy transform into numpy arithmetic, if possible.

    Parameters
    ----------
    model : astropy.modeling.Model or sequence of them
        A transform, e.g. ``wcs.forward_transform`` of a gwcs, or transforms
        applied in turn (the steps of a gwcs pipeline: this spares astropy
        composing them).

    Returns
    -------
    callable or None
        A function taking ``model.n_inputs`` float arrays of one shape and
        returning a tuple of ``model.n_outputs`` float64 arrays, or None when
        the transform holds a model (or a use of units) this module does not
        evaluate.

    Notes
    -----
    The compiled function computes what ``model(*inputs)`` computes without
    a bounding box, to rounding.  It reads the parameters once, when
    compiled: compile again after changing them.

    Examples
    --------
    >>> from astropy.modeling import models
    >>> evaluate = compile_transform(models.Shift(1.0) & models.Scale(2.0))
    >>> evaluate(np.array([1.0]), np.array([3.0]))
    (array([2.]), array([6.]))
    """
    compiled = _try_compile(model, stop_at_plane=False)
    return None if compiled is None else compiled[0]


def compile_to_tangent_plane(model: Any) -> tuple[Evaluator, dict[int, np.ndarray]] | None:
    """Compile a transform that ends on the sky, stopping before the sky.

    Where the transform ends with ``Pix2Sky_TAN | RotateNative2Celestial``,
    the compiled function returns the coordinates in that projection's
    plane instead of longitude and latitude: the sky positions are those
    points rotated by a matrix (:func:`plane_to_lon_lat`), and offsets
    about another tangent point need no trigonometry at all
    (:func:`plane_to_offsets`).

    Parameters
    ----------
    model : astropy.modeling.Model or sequence of them
        As for :func:`compile_transform`.

    Returns
    -------
    (callable, dict) or None
        The compiled function (as :func:`compile_transform`'s) and, for each
        longitude output ``k`` it returns as plane ``x`` (output ``k + 1``
        being plane ``y``), the 3 x 3 rotation matrix; None when the
        transform cannot be compiled.
    """
    return _try_compile(model, stop_at_plane=True)


def compile_inverse(model: Any) -> Evaluator | None:
    """Compile the inverse of a transform, without having astropy build it.

    astropy makes an inverse by constructing a new model for every part of
    the transform (milliseconds for a NIRSpec-like chain); here inverses
    set by the user (``model.inverse = ...``) are compiled as they are, and
    the inverses of the models :func:`compile_transform` knows are taken
    from their parameters, as astropy would define them.

    Parameters
    ----------
    model : astropy.modeling.Model or sequence of them
        As for :func:`compile_transform` (a sequence: applied in turn, so
        its inverse applies their inverses in reverse order).

    Returns
    -------
    callable or None
        The compiled inverse, or None when some part has no inverse here
        (then ``model.inverse`` says whether astropy has one).
    """
    stages = _as_stages(model)
    if stages is None:
        return None
    try:
        steps = [_compile_inverse(stage) for stage in reversed(stages)]
    except (_Unsupported, NotImplementedError):
        return None
    return _in_turn(steps)


def _in_turn(steps: Sequence[Evaluator]) -> Evaluator:
    def chain(*inputs):
        values = inputs
        for step in steps:
            values = step(*values)
        return tuple(values)

    return chain


def _compile_inverse(model: Model) -> Evaluator:
    user_inverse = model._user_inverse
    if user_inverse is not None:
        return _compile(user_inverse)[0]
    if isinstance(model, CompoundModel):
        if model.op == "|":
            return _compile_inverse_chain(_inverse_stages(model)[::-1])
        if model.op == "&":
            left, right = _compile_inverse(model.left), _compile_inverse(model.right)
            n_left = model.left.n_outputs

            def join(*inputs):
                return left(*inputs[:n_left]) + right(*inputs[n_left:])

            return join
        raise _Unsupported(f"inverse of operator {model.op!r}")
    _check_plain(model)
    inverse = _INVERSES.get(type(model))
    if inverse is not None:
        return inverse(model)
    return _compile(model.inverse)[0]  # astropy builds it (or raises NotImplementedError)


def _inverse_stages(model: Model) -> list[Model]:
    """The models of a ``|`` chain in forward order, not looking inside a
    part that has an inverse of its own (``part.inverse = ...``)."""
    if isinstance(model, CompoundModel) and model.op == "|" and model._user_inverse is None:
        return _inverse_stages(model.left) + _inverse_stages(model.right)
    return [model]


def _compile_inverse_chain(stages: Sequence[Model]) -> Evaluator:
    """The inverses of ``stages`` (in the order they are applied: the
    forward chain reversed); a sky rotation back to a TAN projection's
    native sphere followed by that projection's inverse is one rotation of
    directions, without the ill-conditioned detour through native angles."""
    steps = []
    k = 0
    while k < len(stages):
        pair = stages[k : k + 2]
        if (
            len(pair) == 2
            and _is_tan_then_rotation(pair[1], pair[0])
            and pair[0]._user_inverse is None
            and pair[1]._user_inverse is None
        ):
            _check_plain(pair[0])
            steps.append(_celestial_to_tan(_rotation_matrix(pair[0])))
            k += 2
            continue
        steps.append(_compile_inverse(stages[k]))
        k += 1
    return _in_turn(steps)


def _celestial_to_tan(matrix: np.ndarray) -> Evaluator:
    """Sky (lon, lat) to the points of the TAN plane whose native sphere
    ``matrix`` rotates onto the sky; NaN on the far hemisphere."""
    (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = matrix.T.tolist()

    def celestial_to_tan(lon, lat):
        x, y, z = _unit_vector(lon, lat)
        native_z = m20 * x + m21 * y + m22 * z
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(native_z > 0.0, _R0 / native_z, np.nan)
        return (m10 * x + m11 * y + m12 * z) * scale, -(m00 * x + m01 * y + m02 * z) * scale

    return celestial_to_tan


def _inverse_mapping(model):
    try:
        order = tuple(model.mapping.index(k) for k in range(model.n_inputs))
    except ValueError:
        raise NotImplementedError("a mapping that drops inputs has no inverse") from None
    return lambda *inputs: tuple(inputs[k] for k in order)


def _inverse_linear1d(model):
    slope, intercept = _value(model, "slope"), _value(model, "intercept")
    return _linear_evaluator(slope**-1, -intercept / slope)


def _inverse_affine2d(model):
    matrix = np.linalg.inv(np.asarray(model.matrix.value, dtype=np.float64))
    translation = -np.dot(matrix, np.asarray(model.translation.value, dtype=np.float64))
    (a, b), (c, d) = matrix.tolist()
    tx, ty = translation.tolist()
    return lambda x, y: (a * x + b * y + tx, c * x + d * y + ty)


def _inverse_sky_rotation(model):
    return _sky_rotation_evaluator(_rotation_matrix(model).T)


def plane_to_lon_lat(matrix: np.ndarray, x: np.ndarray, y: np.ndarray):
    """Longitude in [0, 360] and latitude (deg) of points of a TAN plane."""
    return _to_degrees_lon_lat(*_plane_directions(matrix, x, y))


def plane_to_offsets(
    matrix: np.ndarray, x: np.ndarray, y: np.ndarray, lon0: float, lat0: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points of one TAN plane projected on the TAN plane about (lon0, lat0).

    The second plane is that of ``Pix2Sky_TAN() | RotateNative2Celestial(
    lon0, lat0, 180)``: offsets in degrees, ``x`` towards increasing
    longitude and ``y`` towards the north; NaN for points 90 deg or more
    from (lon0, lat0).
    """
    (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = (
        native_to_celestial_matrix(lon0, lat0, 180.0).T @ matrix
    ).tolist()
    # the directions of _plane_directions, in place: this runs on every pixel
    # (one scratch array for the products: each fresh full-size temporary
    # costs as much as the arithmetic, in page faults)
    scale = m21 * x
    product = m20 * y
    scale -= product
    scale += m22 * _R0
    # in front of the tangent point; +inf, like NaN and 0, gives NaN below
    in_front = (scale > 0.0) & (scale < np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(_R0, scale, out=scale)
    scale[~in_front] = np.nan  # behind the tangent point (or NaN)
    east = m11 * x
    east -= np.multiply(m10, y, out=product)
    east += m12 * _R0
    east *= scale
    north = m00 * y
    north -= np.multiply(m01, x, out=product)
    north -= m02 * _R0
    north *= scale
    return east, north


def _as_stages(model: Any) -> list[Model] | None:
    """A model, or a sequence of models applied in turn, as a list; None if neither."""
    if isinstance(model, Model):
        return [model]
    if isinstance(model, Sequence) and model and all(isinstance(m, Model) for m in model):
        return list(model)
    return None


def _try_compile(model: Any, stop_at_plane: bool):
    stages = _as_stages(model)
    if stages is None:
        return None
    try:
        return _compile_chain([s for m in stages for s in _chain_stages(m)], stop_at_plane)
    except _Unsupported:
        return None


def _compile(model: Model, stop_at_plane: bool = False) -> tuple[Evaluator, dict]:
    """(evaluator, {output index: plane rotation matrix}) of a model."""
    if isinstance(model, CompoundModel):
        return _compile_compound(model, stop_at_plane)
    _check_plain(model)
    builder = _LEAVES.get(type(model))
    if builder is None:
        raise _Unsupported(type(model).__name__)
    return builder(model), {}


def _check_plain(model: Model) -> None:
    """Reject model sets and parameters with units."""
    if len(model) != 1:
        raise _Unsupported("model set")
    for name in model.param_names:
        if getattr(model, name).unit is not None:
            raise _Unsupported("units")


# ---------------------------------------------------------------------------
# Compound models
# ---------------------------------------------------------------------------

_ARITHMETIC = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


def _compile_compound(model: CompoundModel, stop_at_plane: bool) -> tuple[Evaluator, dict]:
    if model.op == "|":
        return _compile_chain(_chain_stages(model), stop_at_plane)
    if model.op == "&":
        (left, left_planes), (right, right_planes) = (
            _compile(model.left, stop_at_plane),
            _compile(model.right, stop_at_plane),
        )
        n_left = model.left.n_inputs
        planes = dict(left_planes)
        planes.update({k + model.left.n_outputs: m for k, m in right_planes.items()})

        def join(*inputs):
            return left(*inputs[:n_left]) + right(*inputs[n_left:])

        return join, planes
    if model.op in _ARITHMETIC:
        (left, _), (right, _) = _compile(model.left), _compile(model.right)
        combine = _ARITHMETIC[model.op]

        def arithmetic(*inputs):
            return tuple(
                combine(a, b) for a, b in zip(left(*inputs), right(*inputs), strict=True)
            )

        return arithmetic, {}
    raise _Unsupported(f"operator {model.op!r}")


def _chain_stages(model: Model) -> list[Model]:
    """The models of a ``|`` chain, in order of evaluation."""
    if isinstance(model, CompoundModel) and model.op == "|":
        return _chain_stages(model.left) + _chain_stages(model.right)
    return [model]


def _compile_chain(stages: Sequence[Model], stop_at_plane: bool) -> tuple[Evaluator, dict]:
    steps: list[Evaluator] = []
    planes: dict = {}
    k = 0
    while k < len(stages):
        pair = stages[k : k + 2]
        last = k + len(pair) == len(stages)
        if len(pair) == 2 and _is_tan_then_rotation(*pair):
            _check_plain(pair[1])
            matrix = _rotation_matrix(pair[1])
            if stop_at_plane and last:
                planes = {0: matrix}  # the chain ends on the plane's points
            else:
                steps.append(_tan_to_celestial(matrix))
            k += 2
            continue
        step, planes = _compile(stages[k], stop_at_plane and k == len(stages) - 1)
        steps.append(step)
        k += 1
    return _in_turn(steps), planes


def _is_tan_then_rotation(first: Model, second: Model) -> bool:
    return (
        type(first) is am.Pix2Sky_Gnomonic
        and type(second) is am.RotateNative2Celestial
        and len(first) == 1
    )


# ---------------------------------------------------------------------------
# Simple models
# ---------------------------------------------------------------------------


def _value(model: Model, name: str) -> float:
    return float(getattr(model, name).value)


def _shift(model):
    return _shift_by(_value(model, "offset"))


def _shift_by(offset: float) -> Evaluator:
    return lambda x: (x + offset,)


def _scale(model):
    return _scale_by(_value(model, "factor"))


def _scale_by(factor: float) -> Evaluator:
    return lambda x: (factor * x,)


def _identity(model):
    return lambda *inputs: tuple(inputs)


def _mapping(model):
    order = tuple(model.mapping)
    return lambda *inputs: tuple(inputs[k] for k in order)


def _const1d(model):
    amplitude = _value(model, "amplitude")
    return lambda x: (amplitude * np.ones_like(x, dtype=np.float64),)


def _linear1d(model):
    return _linear_evaluator(_value(model, "slope"), _value(model, "intercept"))


def _linear_evaluator(slope: float, intercept: float) -> Evaluator:
    return lambda x: (slope * x + intercept,)


def _exponential1d(model):
    return _exponential_evaluator(_value(model, "amplitude"), _value(model, "tau"))


def _exponential_evaluator(amplitude: float, tau: float) -> Evaluator:
    return lambda x: (amplitude * np.exp(x / tau),)


def _domain_map(domain, window) -> Callable[[np.ndarray], np.ndarray]:
    """The linear map of a polynomial's domain onto its window."""
    if domain is None or tuple(domain) == tuple(window):
        return lambda x: x
    (d0, d1), (w0, w1) = domain, window
    scale = (w1 - w0) / (d1 - d0)
    offset = (w0 * d1 - w1 * d0) / (d1 - d0)
    return lambda x: offset + scale * x


def _horner(coefficients: Sequence[float], x: np.ndarray):
    """sum_k c_k x^k; a scalar when there is one coefficient."""
    result = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        result = result * x if c == 0.0 else c + result * x
    return result


def _as_array(values, shape) -> np.ndarray:
    """A constant polynomial's scalar as an array of the inputs' shape."""
    if np.ndim(values) == 0:
        return np.full(shape, values, dtype=np.float64)
    return values


def _polynomial1d(model):
    coefficients = [_value(model, f"c{k}") for k in range(model.degree + 1)]
    to_window = _domain_map(model.domain, model.window)

    def polynomial(x):
        x = to_window(x)
        return (_as_array(_horner(coefficients, x), np.shape(x)),)

    return polynomial


def _polynomial2d(model):
    degree = model.degree
    # rows[j]: the coefficients of x^0 .. x^(degree - j) multiplying y^j
    rows = [
        [_value(model, f"c{i}_{j}") for i in range(degree - j + 1)] for j in range(degree + 1)
    ]
    x_map = _domain_map(model.x_domain, model.x_window)
    y_map = _domain_map(model.y_domain, model.y_window)

    def polynomial(x, y):
        x, y = x_map(x), y_map(y)
        result = _horner(rows[-1], x)
        for row in reversed(rows[:-1]):
            result = _horner(row, x) + result * y
        return (_as_array(result, np.broadcast_shapes(np.shape(x), np.shape(y))),)

    return polynomial


def _affine2d(model):
    (a, b), (c, d) = np.asarray(model.matrix.value, dtype=np.float64)
    tx, ty = np.asarray(model.translation.value, dtype=np.float64)
    a, b, c, d, tx, ty = (float(v) for v in (a, b, c, d, tx, ty))
    return lambda x, y: (a * x + b * y + tx, c * x + d * y + ty)


def _rotation2d(model):
    return _rotation_by(_value(model, "angle"))


def _rotation_by(angle_deg: float) -> Evaluator:
    angle = np.deg2rad(angle_deg)
    cos, sin = float(np.cos(angle)), float(np.sin(angle))
    return lambda x, y: (cos * x - sin * y, sin * x + cos * y)


def _logarithmic1d(model):
    return _logarithmic_evaluator(_value(model, "amplitude"), _value(model, "tau"))


def _logarithmic_evaluator(amplitude: float, tau: float) -> Evaluator:
    return lambda x: (amplitude * np.log(x / tau),)


def _tabular1d(model):
    if model.method != "linear" or model.bounds_error:
        raise _Unsupported("Tabular1D other than linear, without bounds errors")
    (points,) = model.points
    points = np.asarray(getattr(points, "value", points), dtype=np.float64)
    table = np.asarray(getattr(model.lookup_table, "value", model.lookup_table))
    if points.ndim != 1 or table.shape != points.shape or points.size < 2:
        raise _Unsupported("Tabular1D table")
    table = table.astype(np.float64)
    steps = np.diff(points)
    if np.all(steps < 0):
        points, table = points[::-1], table[::-1]
    elif not np.all(steps > 0):
        raise _Unsupported("Tabular1D points not strictly monotonic")
    fill = None if model.fill_value is None else float(model.fill_value)
    # fill_value None: linear extrapolation from the end intervals
    slopes = (table[1] - table[0]) / (points[1] - points[0]), (table[-1] - table[-2]) / (
        points[-1] - points[-2]
    )

    def tabular(x):
        x = np.asarray(x, dtype=np.float64)
        values = np.interp(x, points, table)
        below, above = x < points[0], x > points[-1]
        if fill is None:
            values[below] = table[0] + (x[below] - points[0]) * slopes[0]
            values[above] = table[-1] + (x[above] - points[-1]) * slopes[1]
        else:
            values[below | above] = fill
        return (values,)

    return tabular


# ---------------------------------------------------------------------------
# Sky projections and rotations
# ---------------------------------------------------------------------------


def _rotation_matrix(rotation: Model) -> np.ndarray:
    """The 3 x 3 matrix (Cartesian coordinates) of a sky rotation model."""
    lon, lat, lon_pole = (_value(rotation, name) for name in ("lon", "lat", "lon_pole"))
    to_sky = native_to_celestial_matrix(lon, lat, lon_pole)
    return to_sky if type(rotation) is am.RotateNative2Celestial else to_sky.T


def native_to_celestial_matrix(lon: float, lat: float, lon_pole: float) -> np.ndarray:
    """Rotation from native to celestial Cartesian coordinates (FITS WCS paper II).

    ``lon, lat``: celestial coordinates of the fiducial point (the native
    pole of a zenithal projection such as TAN); ``lon_pole``: native
    longitude of the celestial pole; all in degrees.  The celestial
    direction ``(cos d cos a, cos d sin a, sin d)`` of native ``(phi,
    theta)`` follows from Calabretta & Greisen (2002), eq. 2: a turn by
    ``-lon_pole`` about the native z axis, the tilt that takes the native
    pole to latitude ``lat``, and a turn by ``lon`` about the celestial z
    axis.
    """
    a, d, p = np.deg2rad(lon), np.deg2rad(lat), np.deg2rad(lon_pole)
    sin_d, cos_d = np.sin(d), np.cos(d)
    tilt = np.array([[-sin_d, 0.0, cos_d], [0.0, -1.0, 0.0], [cos_d, 0.0, sin_d]])
    return _turn(a) @ tilt @ _turn(-p)


def _turn(angle: float) -> np.ndarray:
    """Rotation by ``angle`` (rad) about the z axis."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _to_degrees_lon_lat(x, y, z):
    """(lon in [0, 360], lat) in degrees of a (not necessarily unit) vector;
    a tiny negative longitude becomes 360.0 when 360 is added, as in astropy."""
    lon = np.rad2deg(np.arctan2(y, x))
    lon[lon < 0] += 360.0
    lat = np.rad2deg(np.arctan2(z, np.hypot(x, y)))
    return lon, lat


def _rotate(matrix: np.ndarray, x, y, z):
    (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = matrix.tolist()
    return (
        m00 * x + m01 * y + m02 * z,
        m10 * x + m11 * y + m12 * z,
        m20 * x + m21 * y + m22 * z,
    )


def _sky_rotation(model):
    return _sky_rotation_evaluator(_rotation_matrix(model))


def _sky_rotation_evaluator(matrix: np.ndarray) -> Evaluator:
    return lambda lon, lat: _to_degrees_lon_lat(*_rotate(matrix, *_unit_vector(lon, lat)))


def _unit_vector(lon, lat):
    """Cartesian unit vector of (lon, lat) in degrees."""
    lon, lat = np.deg2rad(lon), np.deg2rad(lat)
    cos_lat = np.cos(lat)
    return cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)


def _native_vector(x, y):
    """Direction (unnormalised) of a point of the TAN plane, in native
    Cartesian coordinates: native (phi, theta) with phi = arg(-y, x) and
    tan(theta) = R0 / hypot(x, y)."""
    return -y, x, np.broadcast_to(_R0, np.broadcast_shapes(np.shape(x), np.shape(y)))


def _pix2sky_tan(model):
    def pix2sky(x, y):
        vx, vy, vz = _native_vector(np.asarray(x, float), np.asarray(y, float))
        phi = np.rad2deg(np.arctan2(vy, vx))
        phi = np.where((vx == 0) & (vy == 0), 0.0, phi)
        theta = np.rad2deg(np.arctan2(vz, np.hypot(vx, vy)))
        return phi, theta

    return pix2sky


def _sky2pix_tan(model):
    def sky2pix(phi, theta):
        phi, theta = np.deg2rad(phi), np.deg2rad(theta)
        with np.errstate(divide="ignore", invalid="ignore"):
            radius = _R0 / np.tan(theta)
        radius = np.where(theta > 0, radius, np.nan)
        return radius * np.sin(phi), -radius * np.cos(phi)

    return sky2pix


def _plane_directions(matrix: np.ndarray, x, y):
    """Sky directions (unnormalised) of points of a TAN plane whose native
    sphere ``matrix`` rotates onto the sky: the native direction of (x, y)
    is (-y, x, R0) up to its length, which the angles do not depend on."""
    (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = np.asarray(matrix).tolist()
    return (
        m01 * x - m00 * y + m02 * _R0,
        m11 * x - m10 * y + m12 * _R0,
        m21 * x - m20 * y + m22 * _R0,
    )


def _tan_to_celestial(matrix: np.ndarray) -> Evaluator:
    """``Pix2Sky_TAN | rotation`` as one rotation of the native direction."""
    return lambda x, y: plane_to_lon_lat(matrix, x, y)


_LEAVES: dict[type, Callable[[Model], Evaluator]] = {
    am.Shift: _shift,
    am.Scale: _scale,
    am.Multiply: _scale,
    am.Identity: _identity,
    am.Mapping: _mapping,
    am.Const1D: _const1d,
    am.Linear1D: _linear1d,
    am.Exponential1D: _exponential1d,
    am.Logarithmic1D: _logarithmic1d,
    am.Polynomial1D: _polynomial1d,
    am.Polynomial2D: _polynomial2d,
    am.AffineTransformation2D: _affine2d,
    am.Rotation2D: _rotation2d,
    am.Tabular1D: _tabular1d,
    am.Pix2Sky_Gnomonic: _pix2sky_tan,
    am.Sky2Pix_Gnomonic: _sky2pix_tan,
    am.RotateNative2Celestial: _sky_rotation,
    am.RotateCelestial2Native: _sky_rotation,
}

#: Inverses taken from the parameters of the forward model, as astropy
#: defines them (``Scale(f).inverse`` multiplies by ``1 / f``, ...).
_INVERSES: dict[type, Callable[[Model], Evaluator]] = {
    am.Shift: lambda m: _shift_by(-_value(m, "offset")),
    am.Scale: lambda m: _scale_by(1.0 / _value(m, "factor")),
    am.Multiply: lambda m: _scale_by(1.0 / _value(m, "factor")),
    am.Identity: _identity,
    am.Mapping: _inverse_mapping,
    am.Linear1D: _inverse_linear1d,
    am.Exponential1D: lambda m: _logarithmic_evaluator(_value(m, "tau"), _value(m, "amplitude")),
    am.Logarithmic1D: lambda m: _exponential_evaluator(_value(m, "tau"), _value(m, "amplitude")),
    am.AffineTransformation2D: _inverse_affine2d,
    am.Rotation2D: lambda m: _rotation_by(-_value(m, "angle")),
    am.Pix2Sky_Gnomonic: _sky2pix_tan,
    am.Sky2Pix_Gnomonic: _pix2sky_tan,
    am.RotateNative2Celestial: _inverse_sky_rotation,
    am.RotateCelestial2Native: _inverse_sky_rotation,
}
