"""Mutations of the chosen wavelength grid (``spectral_grid``,
``spectral_sampling``): plausible bugs that would give a wrong grid or a
wrong record without crashing; `tests` names the tests meant to catch each
(see tools/mutation.py).
"""

GEOMETRY = "tests/geometry/test_wavelength_grid.py"
PIPELINE = "tests/pipeline/test_resample_spectral_grid.py"
SPECTRAL = "resamplespec/geometry/_spectral_grid.py"

MUTATIONS = [
    dict(
        # split native pixels centred on the native centres' grid instead of
        # inside the native pixels: every centre half a native pixel too red
        name="spectral_grid.split_off_by_half_a_pixel",
        path=SPECTRAL,
        find="positions = -0.5 + (np.arange(n_out, dtype=np.float64) + 0.5) / self.sampling",
        replace="positions = (np.arange(n_out, dtype=np.float64) + 0.5) / self.sampling",
        tests=[f"{GEOMETRY}::test_native_grid_split_in_two_has_the_native_edges_between_its_pairs"],
    ),
    dict(
        # the sampling multiplies the step instead of dividing it
        name="spectral_grid.sampling_multiplies_the_step",
        path=SPECTRAL,
        find="step = float(np.median(steps)) / self.sampling",
        replace="step = float(np.median(steps)) * self.sampling",
        tests=[f"{GEOMETRY}::test_uniform_grids_take_the_median_native_step_over_the_sampling",
               f"{PIPELINE}::test_every_kind_of_grid_takes_every_spectral_grid"],
    ),
    dict(
        # uniform grid started at the blue edge instead of centred on the range
        name="spectral_grid.not_centred_on_the_range",
        path=SPECTRAL,
        find="middle = 0.5 * (low + high)",
        replace="middle = low",
        tests=[f"{GEOMETRY}::test_generated_grids_span_the_native_range_within_one_output_step",
               f"{PIPELINE}::test_flux_of_every_row_is_the_native_grids_to_two_per_mille"],
    ),
    dict(
        # MIRI LRS's descending order lost on the generated grids
        name="spectral_grid.descending_order_dropped",
        path=SPECTRAL,
        find="if native[-1] < native[0]:",
        replace="if native[-1] > native[0] * 1e9:",
        tests=[f"{GEOMETRY}::test_generated_grids_keep_the_descending_order_of_miri_lrs",
               f"{PIPELINE}::test_every_kind_of_grid_takes_every_spectral_grid"],
    ),
    dict(
        # an array beyond the inputs refused only when it is on both sides at once
        name="spectral_grid.overlap_check_never_fires",
        path=SPECTRAL,
        find="if np.max(wavelengths) < low or np.min(wavelengths) > high:",
        replace="if np.max(wavelengths) < low and np.min(wavelengths) > high:",
        tests=[f"{GEOMETRY}::test_explicit_array_overlapping_no_input_is_refused",
               f"{PIPELINE}::test_bad_spectral_grid_options_fail_before_any_resampling"],
    ),
    dict(
        # NIRSpec pixel maps NaN beyond a chosen grid's ends: the input
        # pixels straddling an end are dropped and the end columns go light
        name="spectral_grid.nirspec_ends_not_mapped",
        path="resamplespec/geometry/_grid_nirspec.py",
        find="map_beyond=not wavelength_grid.is_native",
        replace="map_beyond=False",
        tests=[f"{PIPELINE}::test_end_columns_of_an_explicit_array_inside_the_inputs_are_whole"],
    ),
    dict(
        # the product says 'native' whatever grid it is on
        name="spectral_grid.record_forgets_the_choice",
        path="resamplespec/pipeline/_metadata.py",
        find="spectral_grid=grid.spectral_grid,",
        replace='spectral_grid="native",',
        tests=[f"{PIPELINE}::test_products_describe_the_chosen_grid_and_read_back",
               f"{PIPELINE}::test_every_kind_of_grid_takes_every_spectral_grid"],
    ),
]
