"""Mutations the covariance feature (issue 16) must be guarded against."""

MUTATIONS = [
    dict(
        name="pair sums without the input pixel's variance",
        path="src_c/rsp_kernel.c",
        find="- 1;\n            const double wa_var = wa * variance;",
        replace="- 1;\n            const double wa_var = wa;",
        tests=[
            "tests/kernel/test_covariance.py::"
            "test_one_input_pixel_split_over_two_output_pixels_gives_the_overlap_covariance",
        ],
    ),
    dict(
        name="partner offset with the wrong sign along x",
        path="src_c/rsp_kernel.c",
        find="sum_cov[row + cb] += wa_var * w_row[cb];",
        replace="sum_cov[row + ncols - 1 - cb] += wa_var * w_row[cb];",
        tests=["tests/kernel/test_covariance.py::test_covariance_agrees_with_polygon_clipping"],
    ),
    dict(
        name="pairs with the next row of the box left out",
        path="src_c/rsp_kernel.c",
        find=("for (int64_t rb = ra + 1; rb < nrows; ++rb) {\n"
              "                const double *w_row"),
        replace=("for (int64_t rb = ra + 2; rb < nrows; ++rb) {\n"
                 "                const double *w_row"),
        tests=[
            "tests/kernel/test_covariance.py::test_covariance_agrees_with_polygon_clipping",
        ],
    ),
    dict(
        name="small-box weights with rows and columns swapped",
        path="src_c/rsp_kernel.c",
        find="w[k * ncols + c] = fabs(cells[c][k]) > tiny && wc > 0.0 ? wc : 0.0;",
        replace="w[c * nrows + k] = fabs(cells[c][k]) > tiny && wc > 0.0 ? wc : 0.0;",
        tests=["tests/kernel/test_covariance.py::test_covariance_agrees_with_polygon_clipping"],
    ),
    dict(
        name="reach along y taken from the columns",
        path="src_c/rsp_kernel.c",
        find="if (r.iy1 - r.iy0 > *reach_y) *reach_y = r.iy1 - r.iy0;",
        replace="if (r.ix1 - r.ix0 > *reach_y) *reach_y = r.ix1 - r.ix0;",
        tests=["tests/kernel/test_covariance.py::test_covariance_agrees_with_polygon_clipping"],
    ),
    dict(
        name="extraction counts each pair once instead of twice",
        path="resamplespec/extraction.py",
        find="variance = variance_naive + 2.0 * covariance_terms",
        replace="variance = variance_naive + covariance_terms",
        tests=[
            "tests/drivers/test_extract.py::test_extract_sums_the_rows_and_bins_the_columns",
            "tests/drivers/test_extract.py::test_predicted_covariance_matches_monte_carlo",
        ],
    ),
    dict(
        name="correlation divided by one pixel's error twice",
        path="src_c/rsp_kernel.c",
        find="(double)err[pixel + x] * (double)err[partner + x];",
        replace="(double)err[pixel + x] * (double)err[pixel + x];",
        tests=["tests/drivers/test_extract.py::test_predicted_covariance_matches_monte_carlo"],
    ),
]
