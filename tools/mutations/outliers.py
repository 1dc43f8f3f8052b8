"""Mutations that the outlier-rejection tests must catch (tools/mutation.py)."""

MUTATIONS = [
    dict(
        name="cubic weight of the sample past the point with the wrong sign",
        path="src_c/rsp_kernel.c",
        find="w[2] = -1.5 * t3 + 2.0 * t2 + 0.5 * t;",
        replace="w[2] = -1.5 * t3 + 2.0 * t2 - 0.5 * t;",
        tests=["tests/kernel/test_interpolate.py::"
               "test_a_plane_is_interpolated_exactly_anywhere_inside"],
    ),
    dict(
        name="interpolation not renormalised over the known neighbours",
        path="src_c/rsp_kernel.c",
        find="value = total / weight;",
        replace="value = total;",
        tests=["tests/kernel/test_interpolate.py::"
               "test_missing_neighbours_are_left_out_and_the_rest_renormalised"],
    ),
    dict(
        name="pixels below the model flagged instead of above",
        path="resamplespec/pipeline/_outliers.py",
        find="high = residual > tolerance",
        replace="high = -residual > tolerance",
        tests=["tests/pipeline/test_outliers.py::"
               "test_two_exposures_flag_only_pixels_above_the_other"],
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
        path="resamplespec/pipeline/_outliers.py",
        find="lower = np.argmin(both, axis=0)",
        replace="lower = np.argmax(both, axis=0)",
        tests=["tests/pipeline/test_outliers.py::"
               "test_two_exposures_hit_at_the_same_place_are_both_found_against_a_third"],
    ),
    dict(
        name="the y coordinate map left squared",
        path="resamplespec/pipeline/_outliers.py",
        find="maps[1][reached] = np.sqrt(result.variances[0][reached])",
        replace="maps[1][reached] = result.variances[0][reached]",
        tests=["tests/pipeline/test_outliers.py::"
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
]
