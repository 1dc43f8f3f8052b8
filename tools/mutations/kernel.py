"""Mutations of the drizzle kernel: the C core (src_c/) and the Drizzler.

Each is a plausible bug that would give wrong numbers without crashing;
`tests` names the tests meant to catch it (see tools/mutation.py).
"""

KERNEL_TESTS = "tests/kernel/test_kernel.py"
FAST_PATHS = "tests/kernel/test_kernel_fast_paths.py"
PROPERTIES = "tests/kernel/test_kernel_properties.py"
DRIZZLE = "tests/kernel/test_kernel_drizzle.py"

MUTATIONS = [
    dict(
        # issue 21: the data-and-weight fast path taken with DQ on: flags lost
        name="kernel.dq_fast_path",
        path="src_c/rsp_kernel.c",
        find="!out->sum_w_input && !out->context && !out->dq;",
        replace="!out->sum_w_input && !out->context;",
        tests=[f"{KERNEL_TESTS}::test_flags_land_on_exactly_the_pixels_the_flagged_input_overlaps",
               f"{FAST_PATHS}::test_data_and_weight_alone_equal_data_with_context_bit_for_bit"],
    ),
    dict(
        # the four-pixel path splits the footprint on a grid point half a
        # pixel low in y
        name="kernel.four_cell_half_pixel",
        path="src_c/rsp_kernel.c",
        find="const double cx = (double)ix + 0.5, cy = (double)iy + 0.5;",
        replace="const double cx = (double)ix + 0.5, cy = (double)iy;",
        tests=[f"{FAST_PATHS}::test_unit_square_straddling_a_grid_point_splits_by_its_offsets",
               f"{FAST_PATHS}::test_near_identity_maps_equal_the_polygon_clipping_reference"],
    ),
    dict(
        # the general path clips columns at their centres, not their edges
        name="kernel.column_half_pixel",
        path="src_c/rsp_kernel.c",
        find="rsp_column_clip(edges, (double)ix - 0.5, column);",
        replace="rsp_column_clip(edges, (double)ix, column);",
        tests=[f"{PROPERTIES}::test_square_kernel_equals_the_polygon_clipping_reference",
               f"{PROPERTIES}::test_flux_and_weight_are_conserved_inside_the_frame"],
    ),
    dict(
        # the small-box path puts its origin on a pixel centre in y
        name="kernel.small_box_half_pixel",
        path="src_c/rsp_kernel.c",
        find="v0 = (double)r->iy0 - 0.5;",
        replace="v0 = (double)r->iy0;",
        tests=[f"{PROPERTIES}::test_square_kernel_equals_the_polygon_clipping_reference",
               f"{PROPERTIES}::test_flux_and_weight_are_conserved_inside_the_frame"],
    ),
    dict(
        # pixfrac shrinks the area, not the side, of the input pixel
        name="kernel.pixfrac_on_area",
        path="src_c/rsp_kernel.c",
        # add_square's own line (the covariance reach repeats the first one)
        find=("const double h = 0.5 * par->pixfrac;\n"
              "    const int64_t n_corners = in->xmax - in->xmin + 2;\n    /* Corner rows below"),
        replace=("const double h = 0.5 * sqrt(par->pixfrac);\n"
                 "    const int64_t n_corners = in->xmax - in->xmin + 2;\n"
                 "    /* Corner rows below"),
        tests=[f"{PROPERTIES}::test_square_kernel_equals_the_polygon_clipping_reference",
               f"{DRIZZLE}::test_data_weight_context_equal_drizzle_inside_the_frame"],
    ),
    dict(
        # the point kernel truncates the centre instead of rounding it
        name="kernel.point_truncates",
        path="src_c/rsp_kernel.c",
        find="    const double a = c + 0.5;\n",
        replace="    const double a = c;\n",
        tests=[f"{PROPERTIES}::test_point_kernel_equals_the_reference",
               f"{DRIZZLE}::test_data_weight_context_equal_drizzle_inside_the_frame"],
    ),
    dict(
        # the context bit replaces the plane's bits instead of joining them
        name="kernel.context_bit_overwrites",
        path="src_c/rsp_kernel.c",
        find="out->context[k] |= out->context_bit;",
        replace="out->context[k] = out->context_bit;",
        tests=[f"{DRIZZLE}::test_context_planes_equal_drizzle_beyond_32_inputs",
               f"{DRIZZLE}::test_data_weight_context_equal_drizzle_inside_the_frame"],
    ),
    dict(
        # inputs 32, 33... reuse bit 0, 1... of the first plane
        name="kernel.context_plane_index",
        path="resamplespec/kernel/_drizzler.py",
        find="plane, bit = divmod(self.n_inputs, _CONTEXT_BITS)",
        replace="plane, bit = 0, self.n_inputs % _CONTEXT_BITS",
        tests=[f"{DRIZZLE}::test_context_planes_equal_drizzle_beyond_32_inputs"],
    ),
    dict(
        # exact variance weighted by w, not w**2
        name="kernel.exact_variance_linear_weight",
        path="src_c/rsp_kernel.c",
        find="const double wv = variance_mode == RSP_VARIANCE_EXACT ? w * w : w;",
        replace="const double wv = w;",
        tests=[f"{DRIZZLE}::test_exact_variances_equal_drizzle_squared_weight_data2",
               "tests/pipeline/test_variance.py::test_exact_variance_matches_monte_carlo_scatter"],
    ),
    dict(
        # exact variance scaled by the intensity scale once, not squared
        name="kernel.exact_variance_iscale_once",
        path="src_c/rsp_kernel.c",
        find="var >= 0.0 ? var * in->iscale * in->iscale : NAN;",
        replace="var >= 0.0 ? var * in->iscale : NAN;",
        tests=[f"{KERNEL_TESTS}::test_variances_of_a_quarter_shift"],
    ),
    dict(
        # reference mode averages the variance, not the standard deviation
        name="kernel.reference_variance_not_sqrt",
        path="src_c/rsp_kernel.c",
        find="v->var[k] = sqrt(var) * in->iscale;",
        replace="v->var[k] = var * in->iscale;",
        tests=[f"{DRIZZLE}::test_reference_variances_equal_drizzle_on_sigma",
               "tests/pipeline/test_variance.py"
               "::test_reference_variance_is_the_square_of_the_weighted_mean_sigma"],
    ),
    dict(
        # reference-mode inputs combined with weights 1/sigma, not 1/variance
        name="kernel.reference_combination_weight",
        path="src_c/rsp_kernel.c",
        find="? 1.0 / v[0] : 0.0;",
        replace="? 1.0 / sqrt(v[0]) : 0.0;",
        tests=["tests/pipeline/test_variance.py"
               "::test_reference_combination_across_inputs_uses_inverse_read_noise"],
    ),
    dict(
        # the pending (last) input counted with W, not W**2, at finish
        name="kernel.reference_pending_weight",
        path="src_c/rsp_kernel.c",
        find="total[m] += v[m] * weight * weight;",
        replace="total[m] += v[m] * weight;",
        tests=[f"{FAST_PATHS}::test_finish_with_a_pending_input_equals_folding_it_first",
               "tests/pipeline/test_variance.py"
               "::test_reference_combination_with_exposure_times"],
    ),
    dict(
        # fillval ignored: empty pixels always NaN
        name="kernel.fillval_ignored",
        path="src_c/rsp_kernel.c",
        find="data[k] = w32 > 0.0f ? (float)(sum_wd[k] / w) : fill32;",
        replace="data[k] = w32 > 0.0f ? (float)(sum_wd[k] / w) : (float)NAN;",
        tests=[f"{DRIZZLE}::test_fill_values_equal_drizzle",
               "tests/kernel/test_kernel_geometry.py::test_fillval_goes_where_nothing_landed"],
    ),
    dict(
        # a mirrored footprint on the four-pixel path gets negative weights
        # (then dropped): the orientation's sign is lost
        name="kernel.four_cell_mirror_sign",
        path="src_c/rsp_kernel.c",
        find="const double scale = weight / area, tiny = 1e-12 * fabs(area);",
        replace="const double scale = weight / fabs(area), tiny = 1e-12 * fabs(area);",
        tests=[f"{FAST_PATHS}::test_rotated_square_straddling_a_grid_point_matches_polygon_clipping",
               f"{FAST_PATHS}::test_near_identity_maps_equal_the_polygon_clipping_reference"],
    ),
    dict(
        # the square kernel counts a pixel with finite data as drawn even
        # when its footprint misses the output or it has no weight
        name="kernel.square_counts_misses",
        path="src_c/rsp_kernel.c",
        find="            if (hit > 0) {\n                ++counts->drawn;",
        replace=("            if (hit > 0 || isfinite(in->data[idx])) {\n"
                 "                ++counts->drawn;"),
        tests=[f"{PROPERTIES}::test_hostile_pixmaps_never_crash_and_give_sane_outputs"],
    ),
    dict(
        # a shared corner interpolated from the wrong neighbour
        name="kernel.shared_corner_neighbour",
        path="src_c/rsp_kernel.c",
        find="xo[c] = 0.25 * p00[0] + 0.25 * p10[0] + 0.25 * p01[0] + 0.25 * p11[0];",
        replace="xo[c] = 0.25 * p00[0] + 0.25 * p10[0] + 0.25 * p01[0] + 0.25 * p01[0];",
        tests=[f"{FAST_PATHS}::test_shared_corners_equal_per_pixel_corners_bit_for_bit"],
    ),
]
