"""Interpolation of an image at scattered points, NaN-aware:
:func:`interpolate` (the C core's ``rsp_interpolate``),
:func:`interpolate_through` its coordinate maps (``rsp_others_at``) and
:func:`steep_slopes` (``rsp_steep_slopes``: its slopes where values stand
out of their noise)."""

from __future__ import annotations

import numpy as np

from . import _kernel


def interpolate(
    values: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    *,
    variances: np.ndarray | None = None,
    min_weight: float = 0.5,
    cubic: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """``values`` at the points ``(x, y)``, interpolated bilinearly.

    Parameters
    ----------
    values : (ny, nx) array
        The image (converted to float32); pixel centres at integer
        coordinates, ``values[y, x]``.
    x, y : 1D arrays of the same length
        The points (float64).
    variances : (ny, nx) array, optional
        The variance of every value: the variance of each interpolated
        value, sum(w**2 var) / sum(w)**2, is returned too.
    min_weight : float
        Neighbours that are NaN or outside the image are left out and the
        weights of the others renormalised, if they hold at least this
        fraction of the bilinear weight (0 < min_weight <= 1; 1: all the
        neighbours with weight must be there); else NaN.
    cubic : bool
        Keys' cubic convolution (a = -0.5) over the 4 x 4 nearest values
        where they are all inside and finite (bilinear, as above,
        elsewhere): features a pixel or two wide are smoothed far less.

    Returns
    -------
    value, variance : float64 arrays (variance None without ``variances``)

    Examples
    --------
    >>> import numpy as np
    >>> from resamplespec.kernel import interpolate
    >>> image = np.array([[0.0, 1.0], [2.0, np.nan]])
    >>> interpolate(image, np.array([0.5, 0.25]), np.array([0.0, 0.0]))[0]
    array([0.5 , 0.25])
    >>> interpolate(image, np.array([0.5]), np.array([0.5]), min_weight=1.0)[0]
    array([nan])
    """
    min_weight = _min_weight(min_weight)
    image, spread = _image(values, variances)
    points_x = np.ascontiguousarray(x, dtype=np.float64).ravel()
    points_y = np.ascontiguousarray(y, dtype=np.float64).ravel()
    if points_x.shape != points_y.shape:
        raise ValueError(f"x and y differ in length: {points_x.size} and {points_y.size}")
    return _kernel.interpolate(image, points_x, points_y, min_weight, int(bool(cubic)), spread)


def _min_weight(min_weight) -> float:
    if not (0.0 < float(min_weight) <= 1.0):
        raise ValueError(f"min_weight must be in (0, 1], got {min_weight!r}")
    return float(min_weight)


def _image(values, variances=None, *, name: str = "values"
           ) -> tuple[np.ndarray, np.ndarray | None]:
    """An image (and its variances, or None) as C-contiguous float32 arrays
    of one 2D shape, or a ValueError naming what is wrong."""
    image = np.ascontiguousarray(values, dtype=np.float32)
    if image.ndim != 2:
        raise ValueError(f"{name} must be a 2D image, got shape {image.shape}")
    spread = None
    if variances is not None:
        spread = np.ascontiguousarray(variances, dtype=np.float32)
        if spread.shape != image.shape:
            raise ValueError(f"variances has shape {spread.shape}, {name} {image.shape}")
    return image, spread


def interpolate_through(
    coordinates: np.ndarray,
    points: np.ndarray,
    values: np.ndarray,
    *,
    variances: np.ndarray | None = None,
    min_weight: float = 0.5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """An image's values at points of an output grid, through its
    coordinate maps (:func:`coordinate_maps`) on that grid, in one pass.

    Each point's place in the image is interpolated bilinearly in the maps
    (all four neighbours needed), and the image there with Keys' cubic
    convolution (:func:`interpolate` with ``cubic=True``): the same numbers
    as those three calls of :func:`interpolate`.

    Parameters
    ----------
    coordinates : (2, ny_grid, nx_grid) array
        Where each grid pixel is in the image: x, then y (NaN: nowhere).
    points : (n, 2) array
        The grid points (x, y).
    values : (ny, nx) array
        The image.
    variances : (ny, nx) array, optional
        Its variances.
    min_weight : float
        As for :func:`interpolate`, in the image.

    Returns
    -------
    x, y, value, variance : float64 arrays (n,)
        The points' places in the image, the values there and their
        variances (None without ``variances``).

    Examples
    --------
    >>> import numpy as np
    >>> from resamplespec.kernel import coordinate_maps, interpolate_through
    >>> y, x = np.indices((6, 6), dtype=float)
    >>> maps = coordinate_maps(np.stack([x + 2.0, y], axis=-1), (6, 8))  # 2 pixels right
    >>> image = (10.0 * x + y).astype(np.float32)
    >>> interpolate_through(maps, np.array([[4.5, 2.0]]), image)[2]  # image x = 2.5
    array([27.])
    """
    min_weight = _min_weight(min_weight)
    maps = np.ascontiguousarray(coordinates, dtype=np.float32)
    if maps.ndim != 3 or maps.shape[0] != 2:
        raise ValueError(f"coordinates must be (2, ny, nx) maps, got shape {maps.shape}")
    grid_points = np.ascontiguousarray(points, dtype=np.float64)
    if grid_points.ndim != 2 or grid_points.shape[1] != 2:
        raise ValueError(f"points must be (n, 2), got shape {grid_points.shape}")
    image, spread = _image(values, variances)
    return _kernel.others_at(grid_points, maps, image, spread, min_weight)


def steep_slopes(
    data: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    value: np.ndarray,
    variance: np.ndarray | None,
    *,
    significant: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points whose ``value`` stands out of its noise, and the slopes of
    ``data`` at their places, in one pass.

    A point stands out where ``|value| > significant * sqrt(variance)``
    (without ``variance``: where ``value`` is finite).  Its slopes along x
    and y are differences across one pixel centred on the point
    (:func:`interpolate` bilinearly at x +- 0.5, then at y +- 0.5; NaN
    where a side is unknown).

    Parameters
    ----------
    data : (ny, nx) array
        The image.
    x, y : 1D arrays
        The points' places in it.
    value, variance : 1D arrays of the same length (variance may be None)
        What decides which points stand out.
    significant : float

    Returns
    -------
    index : int64 array
        The points that stand out, ascending.
    gx, gy : float64 arrays
        The slopes there.

    Examples
    --------
    >>> import numpy as np
    >>> from resamplespec.kernel import steep_slopes
    >>> image = np.tile(np.arange(6, dtype=np.float32) * 3.0, (5, 1))  # 3 per pixel along x
    >>> x, y = np.array([2.0, 3.0]), np.array([2.0, 2.0])
    >>> steep_slopes(image, x, y, np.array([50.0, 1.0]), np.ones(2), significant=5.0)
    (array([0]), array([3.]), array([0.]))
    """
    image = _image(data, name="data")[0]
    arrays = [np.ascontiguousarray(a, dtype=np.float64).ravel() for a in (x, y, value)]
    n = arrays[2].size
    for name, array in zip(("x", "y"), arrays[:2], strict=True):
        if array.size != n:
            raise ValueError(f"{name} has {array.size} points, value {n}")
    spread = None
    if variance is not None:
        spread = np.ascontiguousarray(variance, dtype=np.float64).ravel()
        if spread.size != n:
            raise ValueError(f"variance has {spread.size} points, value {n}")
    return _kernel.steep_slopes(image, *arrays, spread, float(significant))
