"""Command line: ``resamplespec`` resamples files; ``resamplespec demo`` runs the example.

::

    resamplespec INPUT [INPUT ...] -o OUTPUT [options]
    resamplespec ASSOCIATION.json [-o OUTPUT] [options]
    resamplespec demo [-o DIR]
    resamplespec extract PRODUCT --rows A:B [--bin K] [--slit NAME] -o SPECTRUM.ecsv

Inputs are resamplespec ASDF files, JWST level-2 FITS products (``*_cal.fits``)
or a JWST association (JSON) listing them.  The options are those of the JWST
``resample_spec`` step, spelled the same way (``--pixfrac``, ``--kernel``,
``--pixel_scale_ratio``, ``--pixel_scale``, ``--output_shape nx,ny``,
``--output_wcs FILE``, ``--fillval``, ``--weight_type``, ``--single``,
``--blendheaders``/``--no-blendheaders``, ``--in_memory``/``--no-in_memory``,
``--propagate_dq``), plus ``--variance``, ``--covariance``, ``--good_bits``,
``--spectral_grid native|linear|log|FILE`` (FILE: ``.txt``, ``.npy`` or
``.fits`` wavelength centres in um), ``--spectral_sampling``, ``--n_jobs``,
``--plot``, ``--overwrite`` and ``--version``.  String choices are read in
any case.

``resamplespec extract`` sums a product over spatial lines ``A:B`` into a 1D
spectrum (:func:`resamplespec.extract`) written as an astropy ECSV table:
wavelength, flux, error (with the product's covariance), error_naive.

Exit status: 0 on success, 2 for a bad command line, option value or output
path (checked before any work: the product, the ``--plot`` picture and the
``--single`` products' folder must be writable and, without ``--overwrite``,
new), 1 when the run fails (unreadable input, nothing to resample...); the
message is one line, with the traceback only under ``-v``.

Files are written as ``open()`` would write them: with the permissions the
umask allows (or those of the file replaced).
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import logging
import os
import re
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

import resamplespec

from . import datasets, io
from .extraction import extract, write_spectrum
from .io import (
    SUFFIXES,
    check_output_folder,
    check_output_path,
    close_open_files,
    deferred_exposure,
    file_format,
    read_association,
    read_wavelength_grid,
)
from .options import (
    OUTLIER_SHIFT,
    OUTLIER_THRESHOLD,
    SPECTRAL_GRIDS,
    ResampleOptions,
    validate_n_jobs,
)
from .pipeline import resample

__all__ = ["main"]

log = logging.getLogger("resamplespec")

#: The formats the demo writes each product in.
DEMO_SUFFIXES = (".asdf", ".fits")

#: The demo's products, by file name stem.
DEMO_STEMS = ("demo_fixed_slit_s2d", "demo_mos_s2d")

_REPLACE_HINT = "add --overwrite to replace it"


class _UsageError(Exception):
    """A bad command line: exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, with bad command lines reported in one line (exit status 2)."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} -h)\n")


def _run_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="resamplespec",
        description="Rectify and combine 2D slit spectra onto a common spatial x wavelength "
        "grid (the JWST resample_spec step, standalone). 'resamplespec demo' runs the "
        "built-in example.",
        epilog="Options and their meaning are those of the JWST resample_spec step.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="resamplespec ASDF files, JWST *_cal.fits files, or one "
                        "association JSON listing them")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="output file, .asdf or .fits (default: the association's "
                        "product name + '_s2d.fits')")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing output files (product, --plot picture, "
                        "--single products)")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {resamplespec.__version__}")
    drizzle = parser.add_argument_group("resampling (as the JWST resample_spec step)")
    drizzle.add_argument("--pixfrac", type=float, default=1.0,
                         help="linear shrink factor of input pixels, in [0.001, 1] (default 1)")
    drizzle.add_argument("--kernel", default="square", help="square (default) or point")
    drizzle.add_argument("--pixel_scale_ratio", type=float, default=1.0,
                         help="input / output spatial pixel scale (default 1)")
    drizzle.add_argument("--pixel_scale", type=float, default=None,
                         help="output spatial pixel scale in arcsec")
    drizzle.add_argument("--output_shape", default=None, metavar="NX,NY",
                         help="output size, nx,ny")
    drizzle.add_argument("--output_wcs", default=None, metavar="FILE",
                         help="ASDF file with the output gwcs under 'wcs'")
    drizzle.add_argument("--fillval", default="NAN",
                         help="value where nothing landed: NAN (default), INDEF or a number")
    drizzle.add_argument("--weight_type", default="ivm",
                         help="ivm (default), exptime or none")
    drizzle.add_argument("--single", action=argparse.BooleanOptionalAction, default=False,
                         help="resample each input onto its own copy of the grid")
    drizzle.add_argument("--blendheaders", action=argparse.BooleanOptionalAction,
                         default=True, help="blend the inputs' metadata (default on)")
    drizzle.add_argument("--in_memory", action=argparse.BooleanOptionalAction, default=True,
                         help="hold all inputs in memory (default on); off: read each "
                         "input when needed")
    drizzle.add_argument("--propagate_dq", action=argparse.BooleanOptionalAction,
                         default=False, help="output DQ: OR of contributing input flags")
    drizzle.add_argument("--good_bits", default="~DO_NOT_USE+NON_SCIENCE",
                         help="DQ bits that count as good (JWST flag names or an integer)")
    drizzle.add_argument("--variance", default="reference",
                         help="reference (as the JWST pipeline, default) or exact")
    drizzle.add_argument("--covariance", action=argparse.BooleanOptionalAction,
                         default=False, help="also keep the correlation of neighbouring "
                         "output pixels (needs --variance exact), for resamplespec extract")
    drizzle.add_argument("--spectral_grid", default="native", metavar="native|linear|log|FILE",
                         help="wavelength grid: native (the reference's, default), linear "
                         "(constant step), log (constant step in ln wavelength), or a "
                         ".txt/.npy/.fits FILE of wavelength centres in um")
    drizzle.add_argument("--spectral_sampling", type=float, default=1.0, metavar="S",
                         help="output pixels per native pixel along the dispersion "
                         "(default 1); not with a FILE")
    drizzle.add_argument("--reject_outliers", action=argparse.BooleanOptionalAction,
                         default=False, help="leave cosmic rays and other outliers out of "
                         "the combination (two exposures or more; see find_outliers)")
    drizzle.add_argument("--outlier_threshold", type=float, default=OUTLIER_THRESHOLD,
                         metavar="SIGMA", help="how far from the other exposures a pixel is "
                         f"an outlier, in noise units (default {OUTLIER_THRESHOLD:g})")
    drizzle.add_argument("--outlier_shift", type=float, default=OUTLIER_SHIFT,
                         metavar="PIXELS", help="misalignment tolerated on a steep scene "
                         f"(default {OUTLIER_SHIFT:g})")
    drizzle.add_argument("--n_jobs", type=int, default=1, metavar="N",
                         help="processes to use (the slits of a multi-slit set run "
                         "in forked processes, one large slit in threads), -1 for every "
                         "core (default 1); the results are the same, bit for bit")
    look = parser.add_argument_group("output and messages")
    look.add_argument("--plot", metavar="PNG",
                      help="also draw a quick-look picture into this .png file (needs "
                      "matplotlib: pip install 'resamplespec[plot]')")
    look.add_argument("-v", "--verbose", action="count", default=0,
                      help="more messages; tracebacks on failure")
    look.add_argument("-q", "--quiet", action="store_true",
                      help="only errors; no progress bar")
    return parser


def _demo_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="resamplespec demo",
        description="Make a synthetic NIRSpec-like set (3 nods of a fixed slit and a small "
        "MOS exposure set), resample it, write ASDF, FITS and a PNG, print a summary.",
    )
    parser.add_argument("-o", "--output", metavar="DIR", default="resamplespec-demo",
                        help="folder for the products (default ./resamplespec-demo, "
                        "which git ignores)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the products of an earlier demo in that folder")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    return parser


def _extract_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="resamplespec extract",
        description="Sum a resampled product over spatial lines into a 1D spectrum, with "
        "errors from the product's covariance (resample it with --variance exact "
        "--covariance); written as an astropy ECSV table, readable by specutils.",
    )
    parser.add_argument("product", metavar="PRODUCT", help="a resamplespec ASDF or FITS product")
    parser.add_argument("--rows", required=True, metavar="A:B",
                        help="spatial lines A to B-1 (rows; columns when the dispersion "
                        "runs along y)")
    parser.add_argument("--bin", type=int, default=1, metavar="K",
                        help="wavelengths averaged into one element (default 1)")
    parser.add_argument("--slit", metavar="NAME", help="the slit of a multi-slit product")
    parser.add_argument("-o", "--output", required=True, metavar="SPECTRUM.ecsv",
                        help="the table to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing file")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    return parser


def _rows(text: str) -> tuple[int, int]:
    try:
        start, stop = (int(part) for part in text.split(":"))
    except ValueError:
        raise _UsageError(f"--rows: expected A:B (two integers), got {text!r}") from None
    return start, stop


def _extract(args: argparse.Namespace) -> int:
    rows = _rows(args.rows)
    output = Path(args.output)
    try:
        check_output_path(output, overwrite=args.overwrite, replace_hint=_REPLACE_HINT)
    except OSError as exc:
        raise _UsageError(f"-o/--output: {exc}") from None
    product = io.read(args.product)
    if args.slit is not None:
        product = product[args.slit]
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")  # the naive error is said below
        try:
            spectrum = extract(product, rows=rows, bin=args.bin)
        except (TypeError, ValueError) as exc:
            raise _UsageError(str(exc)) from None
    if spectrum.error_is_naive:
        log.warning("the product has no covariance: the errors written are naive "
                    "(resample with --variance exact --covariance)")
    write_spectrum(spectrum, output)
    if not args.quiet:
        ratio = np.nanmedian(spectrum.error / spectrum.error_naive)
        print(f"{output}: {len(spectrum.flux)} wavelengths, rows {rows[0]}:{rows[1]}, "
              f"bin {spectrum.bin}, flux in {spectrum.unit}; median error / naive error "
              f"{ratio:.3f}")
    return 0


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The resample() keywords of the parsed command line, checked."""

    weight_type = None if args.weight_type.strip().lower() in ("none", "") else args.weight_type
    options = {
        "pixfrac": args.pixfrac,
        "kernel": args.kernel,
        "pixel_scale_ratio": args.pixel_scale_ratio,
        "pixel_scale": args.pixel_scale,
        "output_shape": args.output_shape,
        "output_wcs": args.output_wcs or None,
        "fillval": args.fillval,
        "weight_type": weight_type,
        "single": args.single,
        "blendheaders": args.blendheaders,
        "in_memory": args.in_memory,
        "propagate_dq": args.propagate_dq,
        "good_bits": _good_bits(args.good_bits),
        "variance": args.variance,
        "covariance": args.covariance,
        "spectral_grid": _spectral_grid(args.spectral_grid),
        "spectral_sampling": args.spectral_sampling,
        "reject_outliers": args.reject_outliers,
        "outlier_threshold": args.outlier_threshold,
        "outlier_shift": args.outlier_shift,
    }
    try:
        ResampleOptions.validated(**options)
        options["n_jobs"] = args.n_jobs
        validate_n_jobs(args.n_jobs)
    except (TypeError, ValueError) as exc:
        raise _UsageError(f"--{_option_named_in(str(exc), options)}: {exc}") from None
    if options["output_wcs"] is not None and not Path(options["output_wcs"]).is_file():
        raise _UsageError(f"--output_wcs: no such file: {options['output_wcs']}")
    return options


def _spectral_grid(text: str) -> Any:
    """A grid name as it is; anything else is a FILE of wavelengths, read here."""
    if text.strip().lower() in SPECTRAL_GRIDS:
        return text
    try:
        return read_wavelength_grid(text)
    except ValueError as exc:
        raise _UsageError(f"--{exc}") from None


def _option_named_in(message: str, options: dict[str, Any]) -> str:
    names = sorted(options, key=len, reverse=True)
    # the option a message starts with, else the first one it names
    for name in names:
        if message.startswith(name):
            return name
    for name in names:
        if f" {name}" in message:
            return name
    return "option"


def _good_bits(text: str) -> Any:
    text = text.strip()
    if text.lower() in ("none", ""):
        return None
    try:
        return int(text)
    except ValueError:
        return text


def _input_paths(inputs: list[str]) -> tuple[list[Path], str | None]:
    paths = [Path(name) for name in inputs]
    if len(paths) == 1 and paths[0].suffix.lower() == ".json":
        if not paths[0].is_file():
            raise FileNotFoundError(f"no such file: {paths[0]}")
        return read_association(paths[0])
    if any(p.suffix.lower() == ".json" for p in paths):
        raise _UsageError("an association (.json) must be the only input")
    return paths, None


def _output_path(args: argparse.Namespace, product_name: str | None) -> Path:
    """The product's path, checked before any work (with ``--single``: the
    folder of the products, and no product of an earlier run in it)."""
    if args.output:
        path = Path(args.output)
    elif product_name:
        path = Path(f"{product_name}_s2d.fits")
    else:
        raise _UsageError("-o/--output is required (an .asdf or .fits file name)")
    try:
        file_format(path)
    except ValueError:
        raise _UsageError(
            f"-o/--output: {path.name!r} must end in one of {', '.join(SUFFIXES)}"
        ) from None
    try:
        if not args.single:
            return check_output_path(path, overwrite=args.overwrite, replace_hint=_REPLACE_HINT)
        check_output_folder(path.parent)
    except OSError as exc:
        raise _UsageError(f"-o/--output: {exc}") from None
    stem, suffix = _stem_and_suffix(path)
    earlier = sorted(
        p for p in path.parent.glob(f"{glob.escape(stem)}_[0-9][0-9][0-9]*{glob.escape(suffix)}")
        if re.fullmatch(r"_[0-9]{3}(_.*)?", p.name[len(stem):len(p.name) - len(suffix)]))
    if earlier and not args.overwrite:
        raise _UsageError(f"-o/--output: {earlier[0]} exists (--single names its products "
                          f"{stem}_000_<slit>{suffix}, ...); add --overwrite to replace "
                          "such files")
    return path


def _stem_and_suffix(path: Path) -> tuple[str, str]:
    """``('s', '.fits.gz')`` for ``s.fits.gz``: the name split at its format's suffix."""
    suffix = next(s for s in sorted(SUFFIXES, key=len, reverse=True)
                  if path.name.lower().endswith(s))
    return path.name[: len(path.name) - len(suffix)], path.name[len(path.name) - len(suffix):]


def _plot_path(args: argparse.Namespace) -> Path | None:
    """The ``--plot`` picture's path, checked before any work, and matplotlib
    there to draw it."""
    if not args.plot:
        return None
    path = Path(args.plot)
    if path.suffix.lower() != ".png":
        raise _UsageError(f"--plot: {path.name!r} must end in .png")
    if importlib.util.find_spec("matplotlib") is None:
        raise _UsageError("--plot needs matplotlib: pip install 'resamplespec[plot]'")
    try:
        return check_output_path(path, overwrite=args.overwrite, replace_hint=_REPLACE_HINT)
    except OSError as exc:
        raise _UsageError(f"--plot: {exc}") from None


def _single_paths(output: Path, names: list[str | None]) -> list[Path]:
    """One file per single=True product: OUTPUT stem + index (and slit name)."""
    stem, suffix = _stem_and_suffix(output)
    paths = []
    for k, name in enumerate(names):
        tag = f"{k:03d}" + (f"_{name}" if name else "")
        paths.append(output.with_name(f"{stem}_{tag}{suffix}"))
    return paths


def _run(args: argparse.Namespace) -> int:

    options = _options(args)
    paths, product_name = _input_paths(args.inputs)
    output = _output_path(args, product_name)
    picture = _plot_path(args)
    if picture is not None and picture.resolve() == output.resolve():
        raise _UsageError(f"--plot: {picture} is the output file too")
    for path in paths:
        if path.is_dir():
            raise ValueError(f"{path} is a directory, not an input file: name the files in it")
        if not path.is_file():
            raise FileNotFoundError(f"no such input file: {path}")
    log.info("resampling %d input file(s) into %s", len(paths), output)
    if options["single"]:
        return _run_single(args, options, [str(p) for p in paths], output, picture)
    result = resample([str(p) for p in paths], progress_bar=not args.quiet, **options)
    io.write(result, output, overwrite=args.overwrite)
    _maybe_plot(picture, result)
    if not args.quiet:
        print(f"wrote {output}: {summary(result)}")
    return 0


def _run_single(args: argparse.Namespace, options: dict[str, Any], inputs: list[str],
                output: Path, picture: Path | None) -> int:
    """``--single``: one product per input (and slit), named after ``output``.

    With ``--no-in_memory`` the library writes each product as it is made;
    they go to a hidden folder beside ``output`` (same file system) and are
    then renamed (or, for FITS, rewritten) to the names the in-memory run
    gives; the folder is removed whatever happens.
    """
    staging = None
    if not options["in_memory"]:
        output.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{output.name}-single-", dir=output.parent))
        options = {**options, "output_dir": staging}
    try:
        result = resample(inputs, progress_bar=not args.quiet, **options)
        products = list(result.slits) if hasattr(result, "slits") else list(result)
        written = [_place_single(product, path, args.overwrite)
                   for product, path in zip(products, _single_paths(output, _names(products)),
                                            strict=True)]
        if picture is not None:
            first = products[0]
            _maybe_plot(picture, io.read(written[0]) if _is_path(first) else first)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    log.info("wrote %d single-input products %s ...", len(written), written[0])
    if not args.quiet:
        print(f"wrote {len(written)} files: {written[0]} ... {written[-1]}")
    return 0


def _is_path(product: Any) -> bool:
    return isinstance(product, (str, os.PathLike))


def _names(products: list[Any]) -> list[str | None]:
    """The slit name of each product, read from its file's metadata where it
    was written already (``--no-in_memory``)."""
    names = []
    try:
        for product in products:
            names.append((deferred_exposure(product) if _is_path(product) else product).name)
    finally:
        close_open_files()
    return names


def _place_single(product: Any, path: Path, overwrite: bool) -> Path:
    """Write one single=True product to ``path``; one already written (a
    path, ASDF) is renamed there, or rewritten in ``path``'s format."""
    if not _is_path(product):
        return io.write(product, path, overwrite=overwrite)
    check_output_path(path, overwrite=overwrite, replace_hint=_REPLACE_HINT)
    if file_format(path) == file_format(product):
        os.replace(product, path)
        return path
    return io.write(io.read(product), path, overwrite=overwrite)


def _maybe_plot(picture: Path | None, product: Any) -> None:
    if picture is not None:
        # matplotlib is optional (resamplespec[plot]): imported only for --plot
        from .plot import quick_look

        quick_look(product, picture)
        log.info("wrote %s", picture)


def _shape_and_axes(image: Any) -> str:
    """``'25x90 (spatial x wavelength)'``: the shape, each axis named (the
    wavelength runs along the first axis when the dispersion is along y)."""
    rows, columns = image.shape
    axes = "wavelength x spatial" if image.meta.dispersion_direction == 2 else (
        "spatial x wavelength")
    return f"{rows}x{columns} ({axes})"


def summary(product: Any) -> str:
    """One line per slit: name, shape, wavelength range, filled fraction."""
    images = list(product.slits) if hasattr(product, "slits") else [product]
    lines = []
    for image in images:
        wavelength = image.meta.wavelength
        finite = wavelength[np.isfinite(wavelength)] if wavelength is not None else []
        span = (f"{np.min(finite):.4f}-{np.max(finite):.4f} um" if len(finite)
                else "no wavelengths")
        filled = np.count_nonzero(np.isfinite(image.data) & (image.wht > 0)) if (
            image.wht is not None) else np.count_nonzero(np.isfinite(image.data))
        record = image.meta.resample
        rejected = ("" if record is None or record.outliers_rejected is None
                    else f", {sum(record.outliers_rejected)} outlier pixels left out")
        lines.append(
            f"{image.name or 'slit'} {_shape_and_axes(image)}, {span}, "
            f"{filled / image.data.size:.0%} filled{rejected}"
        )
    return lines[0] if len(lines) == 1 else f"{len(lines)} slits\n  " + "\n  ".join(lines)


# --- the built-in example -------------------------------------------------------------


def demo_paths(folder: str | os.PathLike) -> list[Path]:
    """The files :func:`demo` writes into ``folder`` (the PNG if it can)."""
    folder = Path(folder)
    products = [folder / f"{stem}{suffix}" for stem in DEMO_STEMS for suffix in DEMO_SUFFIXES]
    return products + [folder / f"{DEMO_STEMS[0]}.png"]


def check_demo_folder(folder: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Raise, before any work, unless the demo can write into ``folder``:
    ``OSError`` naming the folder, or ``FileExistsError`` naming a product of
    an earlier demo (unless ``overwrite``)."""
    folder = check_output_folder(folder)
    for path in demo_paths(folder):
        check_output_path(path, overwrite=overwrite,
                          replace_hint="add --overwrite to replace the demo's products")
    return folder


def demo(folder: str | os.PathLike, *, plot: bool = True, overwrite: bool = False) -> str:
    """Run the built-in example into ``folder`` and return its summary.

    Three nods of a NIRSpec-like fixed slit are combined, and a MOS set of
    3 slits x 3 exposures; each result is written as ASDF and FITS, with a
    PNG quick look when matplotlib is installed.  Products of an earlier
    demo are replaced only with ``overwrite`` (else ``FileExistsError``,
    before any work).  A folder the demo makes gets a ``.gitignore`` of
    ``*``, so that git ignores it wherever it is.
    """

    folder = check_demo_folder(folder, overwrite=overwrite)
    if not folder.exists():
        folder.mkdir(parents=True)
        io.atomic_write(folder / ".gitignore",
                        lambda handle: handle.write(b"# made by resamplespec demo\n*\n"))
    nods = datasets.nirspec_fixed_slit(n_exposures=3, sky_level=0.0, seed=0)
    mos = datasets.nirspec_mos(n_slits=3, n_exposures=3, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fixed = resample(nods)
        multi = resample([{"slits": exposure} for exposure in mos])
    written = []
    for stem, product in zip(DEMO_STEMS, (fixed, multi), strict=True):
        for suffix in DEMO_SUFFIXES:
            written.append(io.write(product, folder / f"{stem}{suffix}", overwrite=overwrite))
    picture = None
    if plot:
        try:
            # matplotlib is optional (resamplespec[plot]): imported only for --plot
            from .plot import quick_look
        except ImportError:
            picture = "no PNG: install matplotlib (pip install 'resamplespec[plot]')"
        else:
            path = quick_look(fixed, demo_paths(folder)[-1])
            written.append(path)
            picture = f"picture: {path}"

    wavelength = fixed.meta.wavelength
    flux_in = np.mean([np.nansum(nod["data"], dtype=np.float64) for nod in nods])
    flux_out = float(np.nansum(fixed.data, dtype=np.float64))
    lines = [
        f"fixed slit {fixed.name}: {len(nods)} nods of {nods[0]['data'].shape[0]}x"
        f"{nods[0]['data'].shape[1]} -> {_shape_and_axes(fixed)}, "
        f"{np.nanmin(wavelength):.4f}-{np.nanmax(wavelength):.4f} um",
        f"  flux: mean per nod {flux_in:.6g} MJy, combined {flux_out:.6g} MJy "
        f"(ratio {flux_out / flux_in:.5f})",
        f"MOS: {len(mos)} exposures x {len(mos[0])} slits -> {summary(multi)}",
        "wrote " + ", ".join(str(p) for p in written),
    ]
    if picture and not picture.startswith("picture"):
        lines.append(picture)
    return "\n".join(lines)


# --- entry point ----------------------------------------------------------------------


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.INFO if verbose == 1 else
                                         logging.DEBUG if verbose > 1 else logging.WARNING)
    logging.basicConfig(format="resamplespec: %(message)s", level=level)
    logging.getLogger("resamplespec").setLevel(level)
    if not verbose:
        warnings.simplefilter("ignore")


def _negative_values_attached(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """``--output_shape -5,10`` as ``--output_shape=-5,10``: argparse takes a
    value starting with '-' that is not a plain number (``-5,10``,
    ``-1e30``) for a flag; attached, it reaches the option's own check."""
    # argparse lists its actions in _actions (stable since Python 3.2; no public way)
    takes_value = {flag for action in parser._actions if action.nargs is None
                   and action.option_strings for flag in action.option_strings}
    joined: list[str] = []
    k = 0
    while k < len(argv):
        if (argv[k] in takes_value and k + 1 < len(argv)
                and re.match(r"-[0-9.]", argv[k + 1])):
            joined.append(f"{argv[k]}={argv[k + 1]}")
            k += 2
        else:
            joined.append(argv[k])
            k += 1
    return joined


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in ("demo", "extract") else None
    parser = {"demo": _demo_parser, "extract": _extract_parser}.get(command, _run_parser)()
    argv = _negative_values_attached(argv, parser)
    try:
        args = parser.parse_args(argv[1:] if command else argv)
    except SystemExit as exc:  # a bad flag (2, message printed) or --help (0)
        return int(exc.code or 0)
    _configure_logging(args.verbose, args.quiet)
    try:
        if command == "demo":
            try:
                check_demo_folder(args.output, overwrite=args.overwrite)
            except OSError as exc:
                raise _UsageError(f"-o/--output: {exc}") from None
            text = demo(args.output, overwrite=args.overwrite)
            if not args.quiet:
                print(text)
            return 0
        if command == "extract":
            return _extract(args)
        return _run(args)
    except _UsageError as exc:
        print(f"{parser.prog}: error: {exc} (see {parser.prog} -h)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.verbose:
            raise
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
