"""Validation of the user-facing options.

Every option of :func:`resamplespec.resample` and :class:`resamplespec.Drizzler`
is checked here, before any work starts, so that a wrong value fails at once
with a message naming the option, the value and what would be accepted.
"""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from . import limits
from .dqflags import interpret_good_bits

__all__ = [
    "KERNELS",
    "WEIGHT_TYPES",
    "SPECTRAL_GRIDS",
    "ResampleOptions",
    "parse_fillval",
    "parse_output_shape",
    "validate_kernel",
    "validate_n_jobs",
    "validate_pixfrac",
    "validate_weight_type",
    "validate_spectral_grid",
    "validate_spectral_sampling",
]

#: Kernels that conserve spectral flux; the only ones offered.
KERNELS = ("square", "point")

# Other drizzle kernels, refused with an explanation rather than "unknown".
_IMAGING_ONLY_KERNELS = ("gaussian", "lanczos2", "lanczos3", "turbo", "tophat")


def _is_real_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def validate_pixfrac(pixfrac: object) -> float:
    """Return ``pixfrac`` as a float, or raise if it is not in
    [``limits.MIN_PIXFRAC``, 1]."""
    if not _is_real_number(pixfrac):
        raise TypeError(f"pixfrac must be a real number in (0, 1], got {pixfrac!r}")
    value = float(pixfrac)
    if not (0.0 < value <= 1.0):
        raise ValueError(f"pixfrac must be in (0, 1], got {pixfrac!r}")
    if value < limits.MIN_PIXFRAC:
        raise ValueError(
            f"pixfrac={pixfrac!r} is below {limits.MIN_PIXFRAC}: footprints that small are "
            "drawn or not as round-off decides; kernel='point' is the limit of a "
            "vanishing pixfrac"
        )
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

    Returns NaN for ``'NAN'`` (any case), ``None`` for ``'INDEF'`` (keep
    the output's initial value: NaN on a fresh grid, as in drizzle),
    otherwise the number given as a number or as a number string.
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
    """Return the one of ``choices`` (lower-case strings) that ``value`` names,
    in any case and with spaces around it, else raise.

    Every string choice of the package (``kernel``, ``weight_type``,
    ``variance``, ``fillval``'s ``'NAN'``/``'INDEF'``) is read this way, by
    the API and the command line alike.

    >>> validate_choice("variance", " EXACT", ("reference", "exact"))
    'exact'
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {choices}, got {value!r}")
    name_given = value.strip().lower()
    if name_given not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return name_given


#: The input weightings; ``None`` (or the string ``'none'``) weighs equally.
WEIGHT_TYPES = ("ivm", "exptime")


def validate_weight_type(weight_type: object) -> str | None:
    """Return ``'ivm'``, ``'exptime'`` or None from ``weight_type`` (any case;
    ``'none'`` means None, as on the command line), else raise."""
    if weight_type is None:
        return None
    if isinstance(weight_type, str) and weight_type.strip().lower() == "none":
        return None
    if not isinstance(weight_type, str):
        raise TypeError(
            f"weight_type must be 'ivm', 'exptime' or None, got {weight_type!r}"
        )
    try:
        return validate_choice("weight_type", weight_type, WEIGHT_TYPES)
    except ValueError:
        raise ValueError(
            f"weight_type must be 'ivm', 'exptime' or None, got {weight_type!r}"
        ) from None


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


VARIANCE_MODES = ("reference", "exact")

#: Default outlier threshold, in units of the noise of a pixel's difference
#: from the other exposures.
OUTLIER_THRESHOLD = 5.0
#: Default misalignment (input pixels) tolerated where the scene is steep.
OUTLIER_SHIFT = 0.02


def validate_outlier_threshold(value: object) -> float:
    """Return the outlier threshold (noise units) if it is finite and >= 1, else raise."""
    if not _is_real_number(value):
        raise TypeError(f"outlier_threshold must be a number >= 1 (noise units), got {value!r}")
    number = float(value)
    if not (math.isfinite(number) and number >= 1.0):
        raise ValueError(
            f"outlier_threshold must be a finite number >= 1 (in units of the noise), got "
            f"{value!r}; below 1 most good pixels would be rejected"
        )
    return number


def validate_outlier_shift(value: object) -> float:
    """Return the tolerated misalignment (pixels) if it is in [0, 10], else raise."""
    if not _is_real_number(value):
        raise TypeError(f"outlier_shift must be a number of pixels in [0, 10], got {value!r}")
    number = float(value)
    if not (0.0 <= number <= 10.0):
        raise ValueError(f"outlier_shift must be a number of pixels in [0, 10], got {value!r}")
    return number


def available_cores() -> int:
    """CPU cores this process may run on (its affinity set where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def validate_n_jobs(n_jobs: object) -> int:
    """Return the number of workers ``n_jobs`` asks for, or raise.

    ``n_jobs`` is a positive integer, or -1 for every core this process may
    use (``available_cores()``).
    """
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, numbers.Integral):
        raise TypeError(
            f"n_jobs must be a positive integer or -1 (all cores), got {n_jobs!r}"
        )
    if n_jobs == -1:
        return available_cores()
    if n_jobs < 1:
        raise ValueError(
            f"n_jobs must be a positive integer or -1 (all cores), got {n_jobs!r}"
        )
    return int(n_jobs)


def validate_flag(name: str, value: object) -> bool:
    """Return ``value`` as a bool if it is True or False, else raise."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def parse_output_shape(output_shape: object) -> tuple[int, int] | None:
    """``(nx, ny)`` from a pair of positive integers or a string ``"nx,ny"``."""
    if output_shape is None:
        return None
    values = output_shape
    if isinstance(output_shape, str):
        values = [v for v in output_shape.replace(" ", "").split(",") if v]
        try:
            values = [int(v) for v in values]
        except ValueError:
            raise ValueError(
                f"output_shape must be 'nx,ny' with positive integers, got {output_shape!r}"
            ) from None
    try:
        dims = tuple(values)
    except TypeError:
        raise TypeError(
            f"output_shape must be (nx, ny) or 'nx,ny', got {output_shape!r}"
        ) from None
    if len(dims) != 2 or not all(
        isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 1 for n in dims
    ):
        raise ValueError(
            f"output_shape must be two positive integers (nx, ny), got {output_shape!r}"
        )
    return int(dims[0]), int(dims[1])


#: The named wavelength grids of ``spectral_grid`` (else an array of centres).
SPECTRAL_GRIDS = ("native", "linear", "log")


def validate_spectral_grid(spectral_grid: object) -> str | np.ndarray:
    """Return the grid name in lower case, or the wavelength centres as a
    read-only float64 copy; raise for anything else.

    An array must hold at least two finite wavelengths (um), strictly
    increasing or strictly decreasing.
    """
    if isinstance(spectral_grid, str):
        name = spectral_grid.strip().lower()
        if name in SPECTRAL_GRIDS:
            return name
        raise ValueError(
            f"spectral_grid must be one of {SPECTRAL_GRIDS} or an array of wavelength "
            f"centres (um), got {spectral_grid!r}"
        )
    try:
        centres = np.array(spectral_grid, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"spectral_grid must be one of {SPECTRAL_GRIDS} or an array of wavelength "
            f"centres (um), got {type(spectral_grid).__name__}"
        ) from None
    if centres.ndim != 1:
        raise ValueError(
            f"spectral_grid: an array of wavelength centres must be one-dimensional, "
            f"got shape {centres.shape}"
        )
    if centres.size < 2:
        raise ValueError(
            f"spectral_grid: an array of wavelength centres needs at least 2 values, got "
            f"{'none (empty)' if centres.size == 0 else 'a single value'}"
        )
    bad = np.flatnonzero(~np.isfinite(centres))
    if bad.size:
        raise ValueError(
            f"spectral_grid: the wavelength centres must be finite, got {centres[bad[0]]} "
            f"at index {bad[0]}"
        )
    steps = np.diff(centres)
    direction = 1.0 if steps[0] > 0 else -1.0
    wrong = np.flatnonzero(steps * direction <= 0)
    if wrong.size:
        k = int(wrong[0])
        raise ValueError(
            "spectral_grid: the wavelength centres must be strictly increasing or "
            f"strictly decreasing, got {centres[k]} then {centres[k + 1]} at indices "
            f"{k}, {k + 1}"
        )
    centres.flags.writeable = False
    return centres


def validate_spectral_sampling(spectral_sampling: object, spectral_grid: object = "native"
                               ) -> float:
    """Return ``spectral_sampling`` (output pixels per native pixel along the
    dispersion) as a float, or raise: a finite number > 0, and 1 with an
    explicit array of wavelengths (which sets its own sampling)."""
    value = validate_positive_finite("spectral_sampling", spectral_sampling)
    if not isinstance(spectral_grid, str) and value != 1.0:
        raise ValueError(
            f"spectral_sampling={spectral_sampling!r} cannot be used with an array of "
            "wavelengths as spectral_grid: the array sets the sampling; leave "
            "spectral_sampling at 1"
        )
    return value


@dataclass(frozen=True)
class ResampleOptions:
    """The validated options of :func:`resamplespec.resample` (see there)."""

    pixfrac: float = 1.0
    kernel: str = "square"
    fillval: str | float = "NAN"
    weight_type: str | None = "ivm"
    output_shape: tuple[int, int] | None = None
    pixel_scale_ratio: float = 1.0
    pixel_scale: float | None = None
    output_wcs: Any = None
    single: bool = False
    blendheaders: bool = True
    in_memory: bool = True
    propagate_dq: bool = False
    good_bits: Any = "~DO_NOT_USE+NON_SCIENCE"
    variance: str = "reference"
    covariance: bool = False
    spectral_grid: Any = field(default="native", compare=False)
    spectral_sampling: float = 1.0
    reject_outliers: bool = False
    outlier_threshold: float = OUTLIER_THRESHOLD
    outlier_shift: float = OUTLIER_SHIFT

    @classmethod
    def validated(cls, **options: Any) -> ResampleOptions:
        """Check every option; raise ValueError/TypeError naming the bad one."""
        unknown = set(options) - {f.name for f in fields(cls)}
        if unknown:
            raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
        values = {**{f.name: f.default for f in fields(cls)}, **options}
        parse_fillval(values["fillval"])
        weight_type = validate_weight_type(values["weight_type"])
        output_wcs = values["output_wcs"]
        if isinstance(output_wcs, str) and not output_wcs.strip():
            output_wcs = None
        pixel_scale = values["pixel_scale"]
        if pixel_scale is not None:
            pixel_scale = validate_positive_finite("pixel_scale", pixel_scale)
        interpret_good_bits(values["good_bits"])
        variance = validate_choice("variance", values["variance"], VARIANCE_MODES)
        covariance = validate_flag("covariance", values["covariance"])
        if covariance and variance != "exact":
            raise ValueError(
                f"covariance=True needs variance='exact', got variance={variance!r}: the "
                "reference's variances are resampled standard deviations squared, not the "
                "variances of the output pixels, and no covariance is consistent with them"
            )
        spectral_grid = validate_spectral_grid(values["spectral_grid"])
        spectral_sampling = validate_spectral_sampling(values["spectral_sampling"],
                                                       spectral_grid)
        if output_wcs is not None and not _native_grid(spectral_grid, spectral_sampling):
            given = ("spectral_grid=<array>" if not isinstance(spectral_grid, str)
                     else f"spectral_grid={spectral_grid!r}")
            raise ValueError(
                f"output_wcs and {given}, spectral_sampling={spectral_sampling!r} were both "
                "given: the output_wcs sets the wavelength grid; give one or the other"
            )
        return cls(
            pixfrac=validate_pixfrac(values["pixfrac"]),
            kernel=validate_kernel(values["kernel"]),
            fillval=values["fillval"],
            weight_type=weight_type,
            output_shape=parse_output_shape(values["output_shape"]),
            pixel_scale_ratio=validate_positive_finite(
                "pixel_scale_ratio", values["pixel_scale_ratio"]
            ),
            pixel_scale=pixel_scale,
            output_wcs=output_wcs,
            single=validate_flag("single", values["single"]),
            blendheaders=validate_flag("blendheaders", values["blendheaders"]),
            in_memory=validate_flag("in_memory", values["in_memory"]),
            propagate_dq=validate_flag("propagate_dq", values["propagate_dq"]),
            good_bits=values["good_bits"],
            variance=variance,
            covariance=covariance,
            spectral_grid=spectral_grid,
            spectral_sampling=spectral_sampling,
            reject_outliers=validate_flag("reject_outliers", values["reject_outliers"]),
            outlier_threshold=validate_outlier_threshold(values["outlier_threshold"]),
            outlier_shift=validate_outlier_shift(values["outlier_shift"]),
        )


def _native_grid(spectral_grid: object, spectral_sampling: float) -> bool:
    """True for the default wavelength grid (the reference's)."""
    return isinstance(spectral_grid, str) and spectral_grid == "native" and (
        spectral_sampling == 1.0)
