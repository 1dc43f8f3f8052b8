"""Mutations that the outlier-rejection tests must catch (tools/mutation.py)."""

MUTATIONS = [
    dict(
        name="cubic weight of the sample past the point with the wrong sign",
        path="src_c/rsp_estimates.c",
        find="w[2] = -1.5 * t3 + 2.0 * t2 + 0.5 * t;",
        replace="w[2] = -1.5 * t3 + 2.0 * t2 - 0.5 * t;",
        tests=["tests/kernel/test_interpolate.py::"
               "test_a_plane_is_interpolated_exactly_anywhere_inside"],
    ),
    dict(
        name="interpolation not renormalised over the known neighbours",
        path="src_c/rsp_estimates.c",
        find=" value = total / weight;",
        replace=" value = total;",
        tests=["tests/kernel/test_interpolate.py::"
               "test_missing_neighbours_are_left_out_and_the_rest_renormalised"],
    ),
    dict(
        name="pixels below the model flagged instead of above",
        path="src_c/rsp_estimates.c",
        find="const int outlier = residual > tolerance ||",
        replace="const int outlier = -residual > tolerance ||",
        tests=["tests/pipeline/test_outliers.py::"
               "test_two_exposures_flag_only_pixels_above_the_other",
               "tests/kernel/test_estimates.py::"
               "test_below_the_model_counts_only_against_three_others"],
    ),
    dict(
        name="the fitted shift applied the wrong way",
        path="resamplespec/pipeline/_outliers.py",
        find="value[steep] += shift[0] * np.nan_to_num(gx) + shift[1] * np.nan_to_num(gy)",
        replace="value[steep] -= shift[0] * np.nan_to_num(gx) + shift[1] * np.nan_to_num(gy)",
        tests=["tests/pipeline/test_outliers.py::test_clean_exposures_have_almost_no_outliers"],
    ),
    dict(
        name="of two others that disagree, the higher taken",
        path="src_c/rsp_estimates.c",
        find="out_value[q] = b < a ? b : a;",
        replace="out_value[q] = b > a ? b : a;",
        tests=["tests/pipeline/test_outliers.py::"
               "test_two_exposures_hit_at_the_same_place_are_both_found_against_a_third",
               "tests/kernel/test_estimates.py::"
               "test_two_that_disagree_give_the_lower_with_its_variance"],
    ),
    dict(
        name="the coordinate maps' MEAN planes drizzled as standard deviations",
        path="src_c/rsp_kernel.c",
        find="v->var[k] = var * in->iscale;",
        replace="v->var[k] = sqrt(var) * in->iscale;",
        tests=["tests/kernel/test_coordinate_maps.py::"
               "test_a_whole_pixel_shift_maps_every_output_pixel_to_its_input_pixel",
               "tests/pipeline/test_outliers.py::"
               "test_outliers_of_ten_sigma_and_more_are_found_and_good_pixels_are_left"],
    ),
    dict(
        name="OUTLIER flags on the output pixels that lost nothing",
        path="resamplespec/pipeline/_chain.py",
        find="product.dq[lost] |= np.asarray(OUTLIER, dtype=product.dq.dtype)",
        replace="product.dq[~lost] |= np.asarray(OUTLIER, dtype=product.dq.dtype)",
        tests=["tests/pipeline/test_outliers.py::"
               "test_output_pixels_that_lost_a_contribution_are_flagged_outlier"],
    ),
    dict(
        name="of four or more exposures, the others' mean for their median",
        path="src_c/rsp_estimates.c",
        find="out_value[q] = median_of(scratch, count);",
        replace="out_value[q] = sum / (double)count;",
        tests=["tests/kernel/test_estimates.py::"
               "test_three_or_more_give_the_median_with_pi_over_two_times_the_mean_variance",
               "tests/pipeline/test_outlier_masks_pinned.py::"
               "test_the_masks_found_are_the_pinned_ones[fs4]"],
    ),
    dict(
        name="the variance of a mean of two divided by the count, not its square",
        path="src_c/rsp_estimates.c",
        find="out_variance[q] = sum_var / (double)((int64_t)count * count);",
        replace="out_variance[q] = sum_var / (double)count;",
        tests=["tests/kernel/test_estimates.py::"
               "test_combine_estimates_is_the_numpy_rule_bit_for_bit"],
    ),
    dict(
        name="the steps along x left out of the model's slope",
        path="src_c/rsp_estimates.c",
        find="step = larger_step(step, model[p + 1], here);",
        replace="(void)0;",
        tests=["tests/kernel/test_estimates.py::"
               "test_a_steep_model_tolerates_its_slope_times_the_shift",
               "tests/kernel/test_estimates.py::"
               "test_judge_pixels_is_the_numpy_rule_bit_for_bit"],
    ),
    dict(
        name="the model's variance left out of the noise",
        path="src_c/rsp_estimates.c",
        find="sqrt(sigma[p] * sigma[p] + finite_or_zero(model_variance[p]))",
        replace="sqrt(sigma[p] * sigma[p])",
        tests=["tests/kernel/test_estimates.py::"
               "test_judge_pixels_is_the_numpy_rule_bit_for_bit",
               "tests/pipeline/test_outlier_masks_pinned.py::"
               "test_the_masks_found_are_the_pinned_ones[bright]"],
    ),
    dict(
        name="the second pass reuses the first's values with the others' outliers in",
        path="resamplespec/pipeline/_outliers.py",
        find="        if exclude is not None and exclude[j].any():\n",
        replace="        if exclude is not None and exclude[j].any() and not again:\n",
        tests=["tests/pipeline/test_outlier_masks_pinned.py::"
               "test_the_pinned_masks_of_a_clean_bright_trace_at_full_length"],
    ),
    dict(
        name="the neighbours' median as the mean of the extremes",
        path="src_c/rsp_estimates.c",
        find="0.5 * (found[(n - 1) / 2] + found[n / 2])",
        replace="0.5 * (found[0] + found[n - 1])",
        tests=["tests/kernel/test_estimates.py::"
               "test_neighbour_models_are_the_numpy_rule_bit_for_bit"],
    ),
    dict(
        name="a tie between the neighbours' medians goes along the dispersion",
        path="src_c/rsp_estimates.c",
        find="fabs(here - along_dispersion) < fabs(here - along_slit)",
        replace="fabs(here - along_dispersion) <= fabs(here - along_slit)",
        tests=["tests/kernel/test_estimates.py::"
               "test_a_cosmic_ray_on_a_sky_line_takes_the_line_and_a_tie_goes_along_the_slit"],
    ),
    dict(
        name="a place in the coordinate maps taken from part of its neighbours",
        path="src_c/rsp_estimates.c",
        find="const double all_of_it = needed_weight(1.0),",
        replace="const double all_of_it = needed_weight(0.5),",
        tests=["tests/kernel/test_interpolate.py::"
               "test_interpolate_through_is_the_three_interpolations_bit_for_bit"],
    ),
    dict(
        name="the straight path deposits a plane's corner with another's weight",
        path="src_c/rsp_kernel.c",
        find="sv[up + 1] += (squared ? w_cell[3] * w_cell[3] : w_cell[3]) * s;",
        replace="sv[up + 1] += (squared ? w_cell[2] * w_cell[2] : w_cell[2]) * s;",
        tests=["tests/kernel/test_coordinate_maps.py::"
               "test_the_maps_are_two_drizzle_passes_of_the_coordinates_bit_for_bit",
               "tests/kernel/test_kernel_fast_paths.py::"
               "test_variance_planes_on_the_straight_path_equal_the_general_one_bit_for_bit"],
    ),
    dict(
        name="the straight path takes non-finite plane values (0 * inf on slivers)",
        path="src_c/rsp_kernel.c",
        find="    if (v->plain && finite_planes(in->n_variances, v) && iy >= out->row_min &&",
        replace="    if (v->plain && iy >= out->row_min &&",
        tests=["tests/kernel/test_kernel_fast_paths.py::"
               "test_a_sliver_cell_gets_nothing_of_an_infinite_variance_on_either_path"],
    ),
    dict(
        name="the bilinear fast path reads the wrong pixel above",
        path="src_c/rsp_estimates.c",
        find="v2 = row[nx], v3 = row[nx + 1];",
        replace="v2 = row[nx + 1], v3 = row[nx + 1];",
        tests=["tests/kernel/test_interpolate.py::"
               "test_a_plane_is_interpolated_exactly_anywhere_inside"],
    ),
    dict(
        name="a pixel without estimates counted as having one",
        path="src_c/rsp_estimates.c",
        find="            out_count[q] = 0;",
        replace="            out_count[q] = 1;",
        tests=["tests/kernel/test_estimates.py::"
               "test_combined_estimates_are_placed_at_the_pixels_where_says"],
    ),
    dict(
        name="a slope along y taken across the point's own row",
        path="src_c/rsp_estimates.c",
        find="interpolate_at(nx, ny, data, NULL, x[p], y[p] + 0.5, needed_fraction, 0, &above,",
        replace="interpolate_at(nx, ny, data, NULL, x[p], y[p], needed_fraction, 0, &above,",
        tests=["tests/kernel/test_interpolate.py::"
               "test_steep_slopes_are_the_points_above_their_noise_and_four_interpolations"],
    ),
    dict(
        name="every point taken as standing out of its noise",
        path="src_c/rsp_estimates.c",
        find="        if (!steep) {\n            continue;",
        replace="        if (!steep && 0) {\n            continue;",
        tests=["tests/kernel/test_interpolate.py::"
               "test_steep_slopes_are_the_points_above_their_noise_and_four_interpolations"],
    ),
    dict(
        name="of two others present among more, the first two rows compared",
        path="src_c/rsp_estimates.c",
        find="const double a = values[first * n + i], b = values[second * n + i];",
        replace="const double a = values[i], b = values[n + i];",
        tests=["tests/kernel/test_estimates.py::"
               "test_of_four_others_two_present_that_disagree_give_the_lower_wherever_they_are"],
    ),
]
