"""Mutations that the tests of issue 19's output paths, file modes, command
line messages and quick-look plot must catch (see tools/mutation.py)."""

MUTATIONS = [
    dict(
        name="files keep mkstemp's private mode",
        path="resamplespec/io/_files.py",
        find="return 0o666 & ~current_umask()",
        replace="return 0o600",
        tests=["tests/io/test_files.py::test_products_get_the_mode_open_would_give_under_the_umask"],
    ),
    dict(
        name="the folder of an output is not checked",
        path="resamplespec/io/_files.py",
        find="    _check_folder_of(path, path.parent)\n    return path",
        replace="    return path",
        tests=["tests/io/test_files.py::test_a_parent_that_is_a_file_is_said_before_any_work",
               "tests/drivers/test_cli.py::"
               "test_a_plot_path_that_cannot_be_written_stops_the_run_before_the_work"],
    ),
    dict(
        name="--single products numbered from 1",
        path="resamplespec/cli.py",
        find='tag = f"{k:03d}"',
        replace='tag = f"{k + 1:03d}"',
        tests=["tests/drivers/test_cli.py::"
               "test_single_without_in_memory_lands_where_asked_as_in_memory"],
    ),
    dict(
        name="plot offsets a pixel off (FITS CRPIX taken as 0-based)",
        path="resamplespec/plot.py",
        find='(edges - (header[f"CRPIX{axis}"] - 1.0))',
        replace='(edges - header[f"CRPIX{axis}"])',
        tests=["tests/drivers/test_plot.py::"
               "test_the_source_sits_at_zero_arcsec_and_rows_are_a_pixel_scale_apart"],
    ),
    dict(
        name="surface brightness summed without the pixel solid angle",
        path="resamplespec/plot.py",
        find="(total * area * u.sr * unit).to(u.Jy)",
        replace="(total * u.sr * unit).to(u.Jy)",
        tests=["tests/drivers/test_plot.py::"
               "test_surface_brightness_times_pixel_solid_angle_is_the_flux_in_the_slit"],
    ),
    dict(
        name="string choices read case-sensitively",
        path="resamplespec/options.py",
        find="name_given = value.strip().lower()",
        replace="name_given = value.strip()",
        tests=["tests/support/test_options.py::test_every_string_choice_is_read_in_any_case",
               "tests/drivers/test_cli.py::test_string_choices_are_read_in_any_case"],
    ),
]
