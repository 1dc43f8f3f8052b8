"""Pixels judged against models, each in one pass of the C core:
:func:`combine_estimates` (``rsp_combine_estimates``: one or two
estimates per point made one model) and :func:`judge_pixels`
(``rsp_judge_pixels``: an image's outliers against its models)."""

from __future__ import annotations

import numpy as np

from . import _kernel


def combine_estimates(
    values: np.ndarray, variances: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One or two estimates per point combined, in one pass.

    Parameters
    ----------
    values, variances : (m, n) arrays, m = 1 or 2
        Per point, m estimates (NaN: missing) and their variances.
    threshold : float
        Two estimates that differ by more than ``threshold`` times the
        square root of their summed variances disagree: the lower is taken
        (an outlier is likelier high), with its variance.

    Returns
    -------
    value, variance : float64 arrays (n,)
        The mean of the estimates present and its variance (the sum of
        their variances over their count squared), or the lower of two
        that disagree; NaN where none is present.
    count : int32 array (n,)
        How many estimates each point has.

    Examples
    --------
    >>> import numpy as np
    >>> from resamplespec.kernel import combine_estimates
    >>> values = np.array([[1.0, 1.0, np.nan], [3.0, 9.0, np.nan]])
    >>> value, variance, count = combine_estimates(values, np.ones((2, 3)), 5.0)
    >>> value, variance, count
    (array([ 2.,  1., nan]), array([0.5, 1. , nan]), array([2, 2, 0], dtype=int32))
    """
    stack = np.ascontiguousarray(values, dtype=np.float64)
    spread = np.ascontiguousarray(variances, dtype=np.float64)
    if stack.ndim != 2 or stack.shape[0] not in (1, 2):
        raise ValueError(f"values must be (1 or 2, n) estimates, got shape {stack.shape}")
    if spread.shape != stack.shape:
        raise ValueError(f"variances has shape {spread.shape}, values {stack.shape}")
    return _kernel.combine_estimates(stack, spread, float(threshold))


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
