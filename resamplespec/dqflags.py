"""JWST data-quality bit flags and the good-pixel mask.

The flag names and values are those of the JWST calibration pipeline's
pixel DQ definitions, so ``good_bits`` strings such as
``"~DO_NOT_USE+NON_SCIENCE"`` mean here what they mean there.
"""

from __future__ import annotations

import numpy as np
from astropy.nddata import bitmask

__all__ = ["DEFAULT_GOOD_BITS", "JWST_DQ_FLAGS", "good_pixel_mask", "interpret_good_bits"]

JWST_DQ_FLAGS = {
    "GOOD": 0,
    "DO_NOT_USE": 1 << 0,
    "SATURATED": 1 << 1,
    "JUMP_DET": 1 << 2,
    "DROPOUT": 1 << 3,
    "OUTLIER": 1 << 4,
    "PERSISTENCE": 1 << 5,
    "AD_FLOOR": 1 << 6,
    "CHARGELOSS": 1 << 7,
    "UNRELIABLE_ERROR": 1 << 8,
    "NON_SCIENCE": 1 << 9,
    "DEAD": 1 << 10,
    "HOT": 1 << 11,
    "WARM": 1 << 12,
    "LOW_QE": 1 << 13,
    "RC": 1 << 14,
    "TELEGRAPH": 1 << 15,
    "NONLINEAR": 1 << 16,
    "BAD_REF_PIXEL": 1 << 17,
    "NO_FLAT_FIELD": 1 << 18,
    "NO_GAIN_VALUE": 1 << 19,
    "NO_LIN_CORR": 1 << 20,
    "NO_SAT_CHECK": 1 << 21,
    "UNRELIABLE_BIAS": 1 << 22,
    "UNRELIABLE_DARK": 1 << 23,
    "UNRELIABLE_SLOPE": 1 << 24,
    "UNRELIABLE_FLAT": 1 << 25,
    "OPEN": 1 << 26,
    "ADJ_OPEN": 1 << 27,
    "FLUX_ESTIMATED": 1 << 28,
    "MSA_FAILED_OPEN": 1 << 29,
    "OTHER_BAD_PIXEL": 1 << 30,
    "REFERENCE_PIXEL": 1 << 31,
}

#: Every flag but DO_NOT_USE and NON_SCIENCE counts as good (the reference's default).
DEFAULT_GOOD_BITS = "~DO_NOT_USE+NON_SCIENCE"

_FLAG_MAP = bitmask.extend_bit_flag_map(
    "JWSTPixelFlags", **{name: value for name, value in JWST_DQ_FLAGS.items() if value}
)


def interpret_good_bits(good_bits: object) -> int | None:
    """The integer of bits that count as good (negative: all but some), or
    None, which -- as in astropy and the reference -- treats every pixel as
    good whatever its flags.

    Accepts an integer, None, a sequence of integers, or a string of flag
    names or integers joined by ``+``, ``,`` or ``|``, optionally negated
    with a leading ``~`` (every bit but those).
    """
    if isinstance(good_bits, bool):
        raise TypeError(f"good_bits must be an integer, a flag string or None, got {good_bits!r}")
    try:
        return bitmask.interpret_bit_flags(good_bits, flag_name_map=_FLAG_MAP)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise ValueError(
            f"good_bits={good_bits!r} is not understood: {exc}. Use an integer, None, or flag "
            f"names such as {DEFAULT_GOOD_BITS!r} (known names: {', '.join(JWST_DQ_FLAGS)})"
        ) from None


def good_pixel_mask(dq: np.ndarray | None, good_bits: object, shape: tuple[int, int]) -> np.ndarray:
    """True where a pixel's flags are all among ``good_bits`` (or it has none)."""
    if dq is None:
        return np.ones(shape, dtype=bool)
    bits = interpret_good_bits(good_bits)
    return bitmask.bitfield_to_boolean_mask(
        dq, bits, good_mask_value=True, dtype=bool
    )
