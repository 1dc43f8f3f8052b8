"""Option validation: every bad value fails up front, naming the option."""

import math

import pytest

from resamplespec.options import (
    ResampleOptions,
    parse_fillval,
    parse_output_shape,
    validate_kernel,
    validate_pixfrac,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("NAN", "nan"), ("nan", "nan"), ("INDEF", None), ("indef", None), ("0", 0.0),
     (" -1e30 ", -1e30), (3, 3.0), (2.5, 2.5)],
)
def test_fillval_forms_are_understood(value, expected):
    parsed = parse_fillval(value)
    if expected == "nan":
        assert math.isnan(parsed)
    else:
        assert parsed == expected


@pytest.mark.parametrize("value", ["zero", "", None, [1], True])
def test_bad_fillval_is_refused_with_its_name(value):
    with pytest.raises(ValueError, match="fillval"):
        parse_fillval(value)


@pytest.mark.parametrize("value", [0, -0.1, 1.0001, float("nan"), float("inf")])
def test_pixfrac_outside_unit_interval_is_refused(value):
    with pytest.raises(ValueError, match="pixfrac"):
        validate_pixfrac(value)


@pytest.mark.parametrize("value", ["1", None, True])
def test_pixfrac_of_wrong_type_is_refused(value):
    with pytest.raises(TypeError, match="pixfrac"):
        validate_pixfrac(value)


def test_kernels_other_than_square_and_point_are_refused_with_a_reason():
    assert validate_kernel("Square") == "square"
    assert validate_kernel("point") == "point"
    for name in ("gaussian", "lanczos3", "turbo", "tophat", "lanczos2"):
        with pytest.raises(ValueError, match="does not conserve spectral flux"):
            validate_kernel(name)
    with pytest.raises(ValueError, match="kernel must be one of"):
        validate_kernel("boxcar")
    with pytest.raises(TypeError, match="kernel"):
        validate_kernel(1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("100,40", (100, 40)), ("100, 40", (100, 40)), ((7, 3), (7, 3)), ([1, 1], (1, 1)),
     (None, None)],
)
def test_output_shape_accepts_pairs_and_strings_in_nx_ny_order(value, expected):
    assert parse_output_shape(value) == expected


@pytest.mark.parametrize("value", ["100", "a,b", "1,2,3", (0, 5), (5, -1), (2.5, 3), "0,4",
                                   (True, 2)])
def test_bad_output_shape_is_refused(value):
    with pytest.raises((ValueError, TypeError), match="output_shape"):
        parse_output_shape(value)


def test_defaults_are_the_reference_defaults():
    options = ResampleOptions.validated()
    assert options.pixfrac == 1.0
    assert options.kernel == "square"
    assert options.fillval == "NAN"
    assert options.weight_type == "ivm"
    assert options.pixel_scale_ratio == 1.0
    assert options.pixel_scale is None
    assert options.output_wcs is None
    assert not options.single
    assert options.blendheaders
    assert options.in_memory
    assert not options.propagate_dq
    assert options.good_bits == "~DO_NOT_USE+NON_SCIENCE"
    assert options.variance == "reference"


def test_empty_output_wcs_string_means_none():
    assert ResampleOptions.validated(output_wcs="  ").output_wcs is None


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"weight_type": "ivm-sky"}, "weight_type"),
        ({"pixel_scale": 0}, "pixel_scale"),
        ({"pixel_scale": -0.1}, "pixel_scale"),
        ({"pixel_scale_ratio": 0}, "pixel_scale_ratio"),
        ({"pixel_scale_ratio": float("inf")}, "pixel_scale_ratio"),
        ({"single": "yes"}, "single"),
        ({"blendheaders": None}, "blendheaders"),
        ({"in_memory": 0}, "in_memory"),
        ({"propagate_dq": "False"}, "propagate_dq"),
        ({"good_bits": "NOT_A_FLAG"}, "good_bits"),
        ({"variance": "approximate"}, "variance"),
        ({"pixfrak": 1.0}, "pixfrak"),
    ],
)
def test_every_bad_option_names_itself(options, name):
    with pytest.raises((ValueError, TypeError), match=name):
        ResampleOptions.validated(**options)


@pytest.mark.parametrize(
    ("given", "expected"),
    [({"kernel": "SQUARE"}, {"kernel": "square"}), ({"kernel": " Point "}, {"kernel": "point"}),
     ({"weight_type": "IVM"}, {"weight_type": "ivm"}),
     ({"weight_type": "ExpTime"}, {"weight_type": "exptime"}),
     ({"weight_type": "none"}, {"weight_type": None}),
     ({"weight_type": "NONE"}, {"weight_type": None}),
     ({"variance": "EXACT"}, {"variance": "exact"}),
     ({"variance": "Reference"}, {"variance": "reference"})],
)
def test_every_string_choice_is_read_in_any_case(given, expected):
    options = ResampleOptions.validated(**given)
    for name, value in expected.items():
        assert getattr(options, name) == value


@pytest.mark.parametrize(
    ("options", "error"),
    [({"weight_type": "ivms"}, ValueError), ({"weight_type": 1}, TypeError),
     ({"variance": "exactly"}, ValueError), ({"variance": None}, TypeError)],
)
def test_near_misses_of_a_choice_are_still_refused(options, error):
    with pytest.raises(error, match=next(iter(options))):
        ResampleOptions.validated(**options)
