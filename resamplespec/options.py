"""Validation of the user-facing options.

Every option of :func:`resamplespec.resample` and :class:`resamplespec.Drizzler`
is checked here, before any work starts, so that a wrong value fails at once
with a message naming the option, the value and what would be accepted.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["KERNELS", "parse_fillval", "validate_kernel", "validate_pixfrac"]

#: Kernels that conserve spectral flux; the only ones offered.
KERNELS = ("square", "point")

# Other drizzle kernels, refused with an explanation rather than "unknown".
_IMAGING_ONLY_KERNELS = ("gaussian", "lanczos2", "lanczos3", "turbo", "tophat")


def _is_real_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def validate_pixfrac(pixfrac: object) -> float:
    """Return ``pixfrac`` as a float, or raise if it is not in (0, 1]."""
    if not _is_real_number(pixfrac):
        raise TypeError(f"pixfrac must be a real number in (0, 1], got {pixfrac!r}")
    value = float(pixfrac)
    if not (0.0 < value <= 1.0):
        raise ValueError(f"pixfrac must be in (0, 1], got {pixfrac!r}")
    return value


def validate_kernel(kernel: object) -> str:
    """Return the kernel name in lower case, or raise for anything but square/point."""
    if not isinstance(kernel, str):
        raise TypeError(f"kernel must be a string, one of {KERNELS}, got {kernel!r}")
    name = kernel.strip().lower()
    if name in KERNELS:
        return name
    if name in _IMAGING_ONLY_KERNELS:
        raise ValueError(
            f"kernel {kernel!r} is a drizzle kernel for imaging: it does not conserve "
            f"spectral flux, so it is not offered for spectra; use one of {KERNELS}"
        )
    raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")


def parse_fillval(fillval: object) -> float | None:
    """Interpret ``fillval`` as the reference does.

    Returns NaN for ``'NAN'`` (any case), ``None`` for ``'INDEF'`` (pixels
    without weight keep the value they accumulated: zero), otherwise the
    number given as a number or as a number string.
    """
    if _is_real_number(fillval):
        return float(fillval)
    if isinstance(fillval, str):
        text = fillval.strip()
        if text.upper() == "INDEF":
            return None
        try:
            return float(text)  # accepts 'NaN', 'nan', 'inf', '0', '-1e30'
        except ValueError:
            pass
    raise ValueError(
        f"fillval must be 'NAN', 'INDEF', a number or a number string, got {fillval!r}"
    )


def validate_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices`` (strings), else raise."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {choices}, got {value!r}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def validate_count(name: str, value: object, low: int, high: int) -> int:
    """Return ``value`` as an int if it is an integer in [low, high], else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    if not (low <= int(value) <= high):
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return int(value)


def validate_positive_finite(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise."""
    if not _is_real_number(value):
        raise TypeError(f"{name} must be a positive finite number, got {value!r}")
    number = float(value)
    if not (math.isfinite(number) and number > 0.0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return number
