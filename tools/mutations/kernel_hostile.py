"""Mutations the hostile-input kernel tests (issue 19, items 13-16 and 18) must catch."""

HOSTILE = "tests/kernel/test_kernel_hostile.py"

MUTATIONS = [
    dict(
        name="point kernel compares the window before finding the pixel on the grid",
        path="src_c/rsp_kernel.c",
        find="pixel_holding(p[1], out->ny, &iy) && in_window(out, ix, iy)",
        replace="pixel_holding(p[1], out->ny, &iy) && in_window(out, ix, iy + 1)",
        tests=[f"{HOSTILE}::test_point_centre_far_out_lands_in_its_own_column"],
    ),
    dict(
        name="data finished where the float32 weight rounded to 0",
        path="src_c/rsp_kernel.c",
        find="data[k] = w32 > 0.0f ? (float)(sum_wd[k] / w) : fill32;",
        replace="data[k] = w > 0.0 ? (float)(sum_wd[k] / w) : fill32;",
        tests=[f"{HOSTILE}::test_weight_that_rounds_to_zero_in_float32_leaves_fill_not_data"],
    ),
    dict(
        name="the footprint limit ignored",
        path="src_c/rsp_kernel.c",
        find=("return par->max_footprint < RSP_MAX_FOOTPRINT ? par->max_footprint : "
              "RSP_MAX_FOOTPRINT;"),
        replace="return RSP_MAX_FOOTPRINT;",
        tests=[f"{HOSTILE}::test_footprints_wider_than_the_limit_are_skipped_with_a_warning"],
    ),
    dict(
        name="no upper bound on a constant variance weight",
        path="resamplespec/kernel/_drizzler.py",
        find="    if not low <= weight <= high:",
        replace="    if not low <= weight:",
        tests=[f"{HOSTILE}::test_variance_weight_whose_square_leaves_double_range_is_refused"],
    ),
    dict(
        name="pixfrac minimum off",
        path="resamplespec/options.py",
        find="    if value < limits.MIN_PIXFRAC:",
        replace="    if value < limits.MIN_PIXFRAC / 100:",
        tests=[f"{HOSTILE}::test_pixfrac_too_small_to_draw_reliably_is_refused"],
    ),
]
