"""Mutations the documentation's checks must catch: the examples on the
pages run as doctests (docs/*.rst), and tests/test_docs.py holds the
options page to resample()'s signature and the command's flags."""

MUTATIONS = [
    dict(
        name="NIRSpec red end anchored on the column before the last (the pipeline's bug)",
        path="resamplespec/geometry/_grid_nirspec.py",
        find="[lam[-1] + 0.5 * (lam[-1] - lam[-2])]",
        replace="[lam[-2] + 0.5 * (lam[-1] - lam[-2])]",
        tests=["docs/differences.rst::differences.rst"],
    ),
    dict(
        name="a default of resample() changed without its row in the options table",
        path="resamplespec/pipeline/_resample.py",
        find="    pixfrac: float = 1.0,",
        replace="    pixfrac: float = 0.8,",
        tests=[
            "tests/test_docs.py::"
            "test_every_option_of_resample_is_in_the_options_table_with_its_default",
        ],
    ),
    dict(
        name="a command-line flag renamed without the options page",
        path="resamplespec/cli.py",
        find='look.add_argument("--plot", metavar="PNG",',
        replace='look.add_argument("--png", metavar="PNG",',
        tests=["tests/test_docs.py::test_every_command_line_flag_is_on_the_options_page"],
    ),
    dict(
        name="the FITS product loses its WCS-TABLE extension name",
        path="resamplespec/io/_fits.py",
        find='name="WCS-TABLE", ver=number)',
        replace='name="WCSTABLE", ver=number)',
        tests=["docs/getting_started.rst::getting_started.rst"],
    ),
    dict(
        name="the FITS CORR planes' offsets written with dy and dx swapped",
        path="resamplespec/io/_fits.py",
        find='hdu.header[f"OFFDY{p}"] = (int(dy),',
        replace='hdu.header[f"OFFDY{p}"] = (int(dx),',
        tests=["docs/covariance.rst::covariance.rst"],
    ),
    dict(
        name="the log grid's centres left in ln(wavelength)",
        path="resamplespec/geometry/_spectral_grid.py",
        find='return np.exp(values) if self.kind == "log" else values',
        replace="return values",
        tests=["docs/wavelength_grids.rst::wavelength_grids.rst"],
    ),
]
