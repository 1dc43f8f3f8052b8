"""Mutations of the Python chain: weights, intensity scale, variances and
errors of the products, the output grid, metadata and the FITS product.

Each is a plausible bug that would give wrong numbers without crashing;
`tests` names the tests meant to catch it (see tools/mutation.py).
"""

WEIGHTS = "tests/pipeline/test_weights.py"
RESAMPLE = "tests/pipeline/test_resample.py"
GOLDEN = "tests/pipeline/test_resample_reference.py::test_outputs_equal_the_reference"
GRID = "tests/geometry/test_output_grid.py"

MUTATIONS = [
    dict(
        # flux density scaled by the pixel area ratio (squared), though only
        # one spatial axis is resampled
        name="chain.flux_density_scale_squared",
        path="resamplespec/pipeline/_weights.py",
        find="return 1.0 / pixel_scale_ratio",
        replace="return 1.0 / pixel_scale_ratio**2",
        tests=[f"{WEIGHTS}::test_only_flux_density_with_a_pixel_area_is_scaled_by_the_ratio",
               f"{GOLDEN}[fs_ratio2]"],
    ),
    dict(
        # ivm weights from the inverse sigma instead of the inverse variance
        name="chain.ivm_inverse_sigma",
        path="resamplespec/pipeline/_weights.py",
        find="inverse = np.float32(1.0) / variance",
        replace="inverse = np.float32(1.0) / np.sqrt(variance)",
        tests=[f"{WEIGHTS}::test_ivm_weights_are_inverse_read_noise_and_zero_where_unusable",
               f"{RESAMPLE}::test_exact_variance_is_the_sum_of_squared_overlap_weights_times_variance"],
    ),
    dict(
        # weight_type=None weighs by the read noise like 'ivm'
        name="chain.weight_none_is_ivm",
        path="resamplespec/pipeline/_weights.py",
        find='if weight_type == "ivm" and image.var_rnoise is not None:',
        replace='if weight_type in ("ivm", None) and image.var_rnoise is not None:',
        tests=[f"{RESAMPLE}::test_weight_type_none_gives_pure_overlap_weights"],
    ),
    dict(
        # exptime weights from the exposure time before the measurement time
        name="chain.exptime_order",
        path="resamplespec/pipeline/_weights.py",
        find="exposure.measurement_time,\n        exposure.exposure_time,",
        replace="exposure.exposure_time,\n        exposure.measurement_time,",
        tests=[f"{WEIGHTS}::test_exptime_weight_prefers_measurement_time"],
    ),
    dict(
        # bad DQ pixels keep their weight
        name="chain.good_mask_dropped",
        path="resamplespec/pipeline/_weights.py",
        find="    return np.where(good, np.float32(weight), np.float32(0.0))",
        replace="    return np.full(image.shape, np.float32(weight))",
        tests=[f"{WEIGHTS}::test_no_weight_type_gives_the_good_pixel_mask",
               f"{WEIGHTS}::test_default_good_bits_reject_only_do_not_use_and_non_science"],
    ),
    dict(
        # NaN in an error array does not flag the pixel DO_NOT_USE
        name="chain.nan_errors_not_flagged",
        path="resamplespec/pipeline/_weights.py",
        find="            invalid |= np.isnan(values)\n",
        replace="            pass\n",
        tests=[f"{WEIGHTS}::test_nan_and_do_not_use_are_made_consistent_everywhere"],
    ),
    dict(
        # DO_NOT_USE pixels keep their data values
        name="chain.do_not_use_data_kept",
        path="resamplespec/pipeline/_weights.py",
        find="    image.data[invalid] = np.nan\n",
        replace="",
        tests=[f"{WEIGHTS}::test_nan_and_do_not_use_are_made_consistent_everywhere"],
    ),
    dict(
        # reference-mode variances not multiplied by the pixel scale ratio
        name="chain.reference_variance_ratio_dropped",
        path="resamplespec/pipeline/_chain.py",
        find='scale = ratio if options.variance == "reference" else 1.0',
        replace="scale = 1.0",
        tests=[f"{GOLDEN}[fs_ratio2]", f"{GOLDEN}[fs_ratio07_sb]"],
    ),
    dict(
        # exact variances multiplied by the ratio as reference ones are
        name="chain.exact_variance_ratio_applied",
        path="resamplespec/pipeline/_chain.py",
        find='scale = ratio if options.variance == "reference" else 1.0',
        replace="scale = ratio",
        tests=[f"{RESAMPLE}::test_exact_variance_is_the_sum_of_squared_overlap_weights_times_variance"],
    ),
    dict(
        # single products: the drizzled variance of err taken as the error
        name="chain.single_err_not_sqrt",
        path="resamplespec/pipeline/_chain.py",
        find="err = (np.sqrt(result.variances[0]) * math.sqrt(ratio)).astype(np.float32)",
        replace="err = (result.variances[0] * math.sqrt(ratio)).astype(np.float32)",
        tests=[f"{RESAMPLE}::test_single_gives_one_output_per_input_on_the_common_grid"],
    ),
    dict(
        # single products: err scaled by the ratio, not its square root
        name="chain.single_err_ratio",
        path="resamplespec/pipeline/_chain.py",
        find="err = (np.sqrt(result.variances[0]) * math.sqrt(ratio)).astype(np.float32)",
        replace="err = (np.sqrt(result.variances[0]) * ratio).astype(np.float32)",
        tests=[f"{RESAMPLE}::test_single_gives_one_output_per_input_on_the_common_grid"],
    ),
    dict(
        # blended metadata: start time the latest instead of the earliest
        name="chain.blend_start_time",
        path="resamplespec/pipeline/_metadata.py",
        find="start_time=min(starts) if starts else None,",
        replace="start_time=max(starts) if starts else None,",
        tests=[f"{GOLDEN}[fs_default]"],
    ),
    dict(
        # blended metadata: exposure time of the first input, not the sum
        name="chain.blend_exposure_time",
        path="resamplespec/pipeline/_metadata.py",
        find='exposure_time = total("exposure_time")',
        replace="exposure_time = times[0].exposure_time",
        tests=[f"{RESAMPLE}::test_output_record_and_types", f"{GOLDEN}[fs_default]"],
    ),
    dict(
        # the NIRSpec red end extrapolated from the wrong pixel pair (the
        # reference's bug, fixed here on purpose)
        name="chain.nirspec_red_end",
        path="resamplespec/geometry/_grid_nirspec.py",
        find="[lam[-1] + 0.5 * (lam[-1] - lam[-2])]",
        replace="[lam[-1] + 0.5 * (lam[-2] - lam[-3])]",
        tests=[f"{GRID}::test_red_end_extends_half_a_pixel_as_intended"],
    ),
    dict(
        # output pixel area divided by the ratio squared (both axes)
        name="chain.pixel_area_squared",
        path="resamplespec/geometry/_grid_build.py",
        find="area_sr = None if nominal is None else float(nominal) / ratio",
        replace="area_sr = None if nominal is None else float(nominal) / ratio**2",
        tests=[f"{GRID}::test_pixel_area_and_ratio_match_the_reference",
               f"{GRID}::test_pixel_scale_sets_the_ratio_and_the_pixel_area"],
    ),
    dict(
        # pixel_scale gives the inverse ratio
        name="chain.pixel_scale_inverted",
        path="resamplespec/geometry/_grid_build.py",
        find="return input_scale / pixel_scale",
        replace="return pixel_scale / input_scale",
        tests=[f"{GRID}::test_pixel_scale_sets_the_ratio_and_the_pixel_area",
               f"{GOLDEN}[fs_pixel_scale]"],
    ),
    dict(
        # the FITS WAVE-TAB axis indexes its table from 0: every column gets
        # its neighbour's wavelength
        name="chain.fits_wave_tab_crpix",
        path="resamplespec/io/_fits.py",
        find='header[f"CRPIX{s}"] = 1.0',
        replace='header[f"CRPIX{s}"] = 0.0',
        tests=["tests/io/test_fits.py::test_fits_wavelength_axis_gives_every_columns_wavelength"],
    ),
]
