"""Mutations the input checks of issue 19 (items 1, 4, 6, 7, 10, 17) must catch."""

CHECKS = "tests/pipeline/test_input_checks.py"

MUTATIONS = [
    dict(
        name="data units not compared",
        path="resamplespec/pipeline/_checks.py",
        find='("filter", str.upper), ("bunit_data", _unit_key)):',
        replace='("filter", str.upper)):',
        tests=[f"{CHECKS}::test_flux_density_and_surface_brightness_are_not_averaged"],
    ),
    dict(
        name="an input with some NaN taken for one with nothing usable",
        path="resamplespec/pipeline/_checks.py",
        find="        if np.isfinite(image.data).any():\n            kept.append(k)",
        replace="        if np.isfinite(image.data).all():\n            kept.append(k)",
        tests=[f"{CHECKS}::test_an_all_nan_exposure_is_left_out_with_a_warning"],
    ),
    dict(
        name="equal weights warned about when no input has read noise",
        path="resamplespec/pipeline/_checks.py",
        find="    if missing and len(missing) < len(images):",
        replace="    if missing and len(missing) <= len(images):",
        tests=[f"{CHECKS}::test_no_input_with_read_noise_means_equal_weights_without_a_warning"],
    ),
    dict(
        name="negative variance drizzled as a value in exact mode",
        path="src_c/rsp_kernel.c",
        find="v->var[k] = var >= 0.0 ? var * in->iscale * in->iscale : NAN;",
        replace="v->var[k] = var * in->iscale * in->iscale;",
        tests=[f"{CHECKS}::test_negative_variance_is_unknown_in_the_drizzler_in_both_modes",
               f"{CHECKS}::test_negative_poisson_variance_leaves_err_finite_where_data_are"],
    ),
    dict(
        name="bounding-box grid not cut at the array",
        path="resamplespec/geometry/_sampling.py",
        find="    return (int(min(max(math.floor(lo + 0.5), -1), n)),",
        replace="    return (int(math.floor(lo + 0.5)),",
        tests=[f"{CHECKS}::test_a_bounding_box_far_larger_than_the_data_gives_the_datas_grid"],
    ),
    dict(
        name="grid size taken as a sum",
        path="resamplespec/geometry/_grid_size.py",
        find="    n_out = ny * nx\n",
        replace="    n_out = ny + nx\n",
        tests=[f"{CHECKS}::test_targets_a_degree_apart_are_refused_saying_how_far",
               f"{CHECKS}::test_an_output_shape_beyond_memory_is_refused_before_resampling"],
    ),
]
