"""Pixels judged against models, each in one pass of the C core:
:func:`combine_estimates` (``rsp_combine_estimates``: one or two
estimates per point made one model), :func:`neighbour_models`
(``rsp_neighbour_models``: the model of a pixel no other exposure sees,
from its own neighbours) and :func:`judge_pixels` (``rsp_judge_pixels``:
an image's outliers against its models)."""

from __future__ import annotations

import numpy as np

from . import _kernel


def combine_estimates(
    values: np.ndarray, variances: np.ndarray, threshold: float, *,
    where: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The estimates of each point combined, in one pass: one or two
    averaged (the lower of two that disagree), three or more their median.

    Parameters
    ----------
    values, variances : (m, n) arrays, m >= 1
        Per point, m estimates (NaN: missing) and their variances.
    threshold : float
        Two estimates that differ by more than ``threshold`` times the
        square root of their summed variances disagree: the lower is taken
        (an outlier is likelier high), with its variance.
    where : bool array, optional
        The pixels of an image the n points are, in order (n of them
        True): the results are then images of its shape, NaN (count 0)
        elsewhere.

    Returns
    -------
    value, variance : float64 arrays (n,), or of the shape of ``where``
        Of one or two estimates present: their mean and its variance (the
        sum of their variances over their count squared), or the lower of
        two that disagree with its own.  Of three or more: their median
        (the mean of the middle two of an even count) with pi / 2 times
        the variance of their mean (the median's, for Gaussian noise).
        NaN where none is present.
    count : int32 array (n,), or of the shape of ``where``
        How many estimates each point has.

    Examples
    --------
    >>> import numpy as np
    >>> from resamplespec.kernel import combine_estimates
    >>> values = np.array([[1.0, 1.0, np.nan], [3.0, 9.0, np.nan]])
    >>> value, variance, count = combine_estimates(values, np.ones((2, 3)), 5.0)
    >>> value, variance, count
    (array([ 2.,  1., nan]), array([0.5, 1. , nan]), array([2, 2, 0], dtype=int32))
    >>> three = np.array([[1.0], [50.0], [2.0]])   # one of three far off: the median
    >>> combine_estimates(three, np.ones((3, 1)), 5.0)[0]
    array([2.])
    """
    stack = np.ascontiguousarray(values, dtype=np.float64)
    spread = np.ascontiguousarray(variances, dtype=np.float64)
    if stack.ndim != 2 or stack.shape[0] < 1:
        raise ValueError(f"values must be (m >= 1, n) estimates, got shape {stack.shape}")
    if spread.shape != stack.shape:
        raise ValueError(f"variances has shape {spread.shape}, values {stack.shape}")
    if where is not None:
        where = np.ascontiguousarray(where, dtype=bool)
        if np.count_nonzero(where) != stack.shape[1]:
            raise ValueError(f"where has {np.count_nonzero(where)} True pixels for "
                             f"{stack.shape[1]} points")
    return _kernel.combine_estimates(stack, spread, float(threshold), where)


def neighbour_models(
    values: np.ndarray, data: np.ndarray, alone: np.ndarray, model: np.ndarray, *,
    slit_axis: int,
) -> None:
    """The model of each ``alone`` pixel from its own neighbours, written in
    ``model`` (other pixels left as they are).

    Two medians, each of the finite ``values`` among the two pixels on
    either side (the mean of the middle two of four, the mean of two; NaN
    with fewer than two): along the slit and along the dispersion.  The
    model is the one nearer the pixel's ``data`` (along the slit where
    both are as near), the one along the dispersion where the other is
    NaN.  A cosmic ray is far from both; a trace is smooth along the
    dispersion, a sky line along the slit.

    Parameters
    ----------
    values : (ny, nx) array
        The image's usable values (NaN elsewhere, and where the model must
        not look: outliers found before).
    data : (ny, nx) array
        The pixels' own values.
    alone : (ny, nx) bool array
        The pixels to model.
    model : (ny, nx) float64 array, C-contiguous
        Written in place.
    slit_axis : int
        The array axis along the slit: 0 (a spectrum dispersed along x,
        ``dispersion_direction`` 1) or 1.

    Examples
    --------
    >>> import numpy as np
    >>> from resamplespec.kernel import neighbour_models
    >>> image = np.array([[1.0, 1.0, 1.0], [2.0, 50.0, 4.0], [1.0, 1.0, 1.0]])
    >>> model = np.full((3, 3), np.nan)
    >>> alone = np.zeros((3, 3), dtype=bool)
    >>> alone[1, 1] = True
    >>> neighbour_models(image, image, alone, model, slit_axis=0)
    >>> model[1, 1]  # along the dispersion (2, 4) is nearer 50 than along the slit (1, 1)
    np.float64(3.0)
    """
    if slit_axis not in (0, 1):
        raise ValueError(f"slit_axis must be 0 or 1, got {slit_axis!r}")
    if not (isinstance(model, np.ndarray) and model.dtype == np.float64
            and model.flags.c_contiguous and model.flags.writeable):
        raise TypeError("model must be a writeable C-contiguous float64 array")
    shape = model.shape
    arrays = []
    for name, array in (("values", values), ("data", data)):
        array = np.ascontiguousarray(array, dtype=np.float64)
        if array.shape != shape:
            raise ValueError(f"{name} has shape {array.shape}, model {shape}")
        arrays.append(array)
    chosen = np.ascontiguousarray(alone, dtype=bool)
    if chosen.shape != shape:
        raise ValueError(f"alone has shape {chosen.shape}, model {shape}")
    _kernel.neighbour_models(*arrays, chosen.view(np.uint8), slit_axis == 0, model)


def judge_pixels(
    data: np.ndarray,
    model: np.ndarray,
    model_variance: np.ndarray,
    sigma: np.ndarray,
    others: np.ndarray,
    considered: np.ndarray,
    *,
    threshold: float,
    shift: float,
) -> tuple[np.ndarray, int, int]:
    """The pixels of an image that stand out of their models.

    A pixel is judged where ``considered``, its ``model`` is finite and its
    noise, ``sqrt(sigma**2 + model_variance)`` (a NaN variance counts as
    0), is finite and positive; it is an outlier where ``data - model``
    exceeds ``threshold * noise + shift * slope`` (``slope``: the largest
    absolute step of the model to one of its four neighbours, NaN steps
    ignored), or, where ``others >= 3``, where ``model - data`` does.

    Parameters
    ----------
    data, model, model_variance, sigma : (ny, nx) arrays (float64)
    others : (ny, nx) int array
        How many exposures made each model.
    considered : (ny, nx) bool array
        The pixels to judge.
    threshold, shift : float

    Returns
    -------
    mask : (ny, nx) bool array
        The outliers.
    seen, seen_rejected : int
        The judged pixels with ``others > 0``, and how many of them are
        outliers.

    Examples
    --------
    >>> import numpy as np
    >>> from resamplespec.kernel import judge_pixels
    >>> data = np.array([[1.0, 9.0, 1.0]])
    >>> flat = np.ones((1, 3))
    >>> mask, seen, rejected = judge_pixels(
    ...     data, flat, np.zeros((1, 3)), flat, np.ones((1, 3), dtype=np.int32),
    ...     np.ones((1, 3), dtype=bool), threshold=5.0, shift=0.5)
    >>> mask, seen, rejected
    (array([[False,  True, False]]), 3, 1)
    """
    images = [np.ascontiguousarray(a, dtype=np.float64)
              for a in (data, model, model_variance, sigma)]
    counts = np.ascontiguousarray(others, dtype=np.int32)
    chosen = np.ascontiguousarray(considered, dtype=bool)
    shape = images[0].shape
    if len(shape) != 2:
        raise ValueError(f"data must be a 2D image, got shape {shape}")
    for name, array in zip(("model", "model_variance", "sigma", "others", "considered"),
                           (*images[1:], counts, chosen), strict=True):
        if array.shape != shape:
            raise ValueError(f"{name} has shape {array.shape}, data {shape}")
    return _kernel.judge_pixels(*images, counts, chosen.view(np.uint8), float(threshold),
                                float(shift))
