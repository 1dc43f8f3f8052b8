"""Command line: ``resamplespec`` resamples files; ``resamplespec demo`` runs the example.

::

    resamplespec INPUT [INPUT ...] -o OUTPUT [options]
    resamplespec ASSOCIATION.json [-o OUTPUT] [options]
    resamplespec demo [-o DIR]

Inputs are resamplespec ASDF files, JWST level-2 FITS products (``*_cal.fits``)
or a JWST association (JSON) listing them.  The options are those of the JWST
``resample_spec`` step, spelled the same way (``--pixfrac``, ``--kernel``,
``--pixel_scale_ratio``, ``--pixel_scale``, ``--output_shape nx,ny``,
``--output_wcs FILE``, ``--fillval``, ``--weight_type``, ``--single``,
``--blendheaders``/``--no-blendheaders``, ``--in_memory``/``--no-in_memory``,
``--propagate_dq``), plus ``--variance``, ``--good_bits``, ``--n_jobs``, ``--plot``.

Exit status: 0 on success, 2 for a bad command line or option value, 1 when
the run fails (unreadable input, nothing to resample...); the message is one
line, with the traceback only under ``-v``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from . import datasets, io
from .io import SUFFIXES, file_format, read_association
from .options import ResampleOptions, validate_n_jobs
from .pipeline import resample

__all__ = ["main"]

log = logging.getLogger("resamplespec")

#: The formats the demo writes each product in.
DEMO_SUFFIXES = (".asdf", ".fits")


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
                        help="replace an existing output file")
    drizzle = parser.add_argument_group("resampling (as the JWST resample_spec step)")
    drizzle.add_argument("--pixfrac", type=float, default=1.0,
                         help="linear shrink factor of input pixels, in (0, 1] (default 1)")
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
    drizzle.add_argument("--n_jobs", type=int, default=1, metavar="N",
                         help="threads to use, -1 for every core (default 1); the "
                         "results are the same")
    look = parser.add_argument_group("output and messages")
    look.add_argument("--plot", metavar="PNG",
                      help="also draw a quick-look picture (needs matplotlib)")
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
                        help="folder for the products (default ./resamplespec-demo)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    return parser


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


def _option_named_in(message: str, options: dict[str, Any]) -> str:
    for name in sorted(options, key=len, reverse=True):
        if message.startswith(name) or f" {name}" in message:
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
    if path.exists() and not args.overwrite:
        raise _UsageError(f"-o/--output: {path} exists; add --overwrite to replace it")
    return path


def _single_paths(output: Path, product: Any) -> list[tuple[Any, Path]]:
    """One file per single=True image: OUTPUT stem + index (and slit name)."""
    images = list(product.slits) if hasattr(product, "slits") else list(product)
    pairs = []
    for k, image in enumerate(images):
        tag = f"{k:03d}" + (f"_{image.name}" if getattr(image, "name", None) else "")
        pairs.append((image, output.with_name(f"{output.stem}_{tag}{output.suffix}")))
    return pairs


def _run(args: argparse.Namespace) -> int:

    options = _options(args)
    paths, product_name = _input_paths(args.inputs)
    output = _output_path(args, product_name)
    for path in paths:
        if path.is_dir():
            raise ValueError(f"{path} is a directory, not an input file: name the files in it")
        if not path.is_file():
            raise FileNotFoundError(f"no such input file: {path}")
    log.info("resampling %d input file(s) into %s", len(paths), output)
    result = resample([str(p) for p in paths], progress_bar=not args.quiet, **options)
    if options["single"]:
        written = []
        for image, path in _single_paths(output, result):
            if path.exists() and not args.overwrite:
                raise FileExistsError(f"{path} exists; add --overwrite to replace it")
            written.append(io.write(image, path, overwrite=args.overwrite))
        log.info("wrote %d single-input products %s ...", len(written), written[0])
        first = next(iter(result.slits if hasattr(result, "slits") else result))
        _maybe_plot(args, first)
        if not args.quiet:
            print(f"wrote {len(written)} files: {written[0]} ... {written[-1]}")
        return 0
    io.write(result, output, overwrite=args.overwrite)
    _maybe_plot(args, result)
    if not args.quiet:
        print(f"wrote {output}: {summary(result)}")
    return 0


def _maybe_plot(args: argparse.Namespace, product: Any) -> None:
    if args.plot:
        # matplotlib is optional (resamplespec[plot]): imported only for --plot
        from .plot import quick_look

        quick_look(product, args.plot)
        log.info("wrote %s", args.plot)


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
        lines.append(
            f"{image.name or 'slit'} {image.shape[0]}x{image.shape[1]} (spatial x "
            f"wavelength), {span}, {filled / image.data.size:.0%} filled"
        )
    return lines[0] if len(lines) == 1 else f"{len(lines)} slits\n  " + "\n  ".join(lines)


# --- the built-in example -------------------------------------------------------------


def demo(folder: str | os.PathLike, *, plot: bool = True) -> str:
    """Run the built-in example into ``folder`` and return its summary.

    Three nods of a NIRSpec-like fixed slit are combined, and a MOS set of
    3 slits x 3 exposures; each result is written as ASDF and FITS, with a
    PNG quick look when matplotlib is installed.
    """

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    nods = datasets.nirspec_fixed_slit(n_exposures=3, sky_level=0.0, seed=0)
    mos = datasets.nirspec_mos(n_slits=3, n_exposures=3, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fixed = resample(nods)
        multi = resample([{"slits": exposure} for exposure in mos])
    written = []
    for stem, product in (("demo_fixed_slit_s2d", fixed), ("demo_mos_s2d", multi)):
        for suffix in DEMO_SUFFIXES:
            written.append(io.write(product, folder / f"{stem}{suffix}", overwrite=True))
    picture = None
    if plot:
        try:
            # matplotlib is optional (resamplespec[plot]): imported only for --plot
            from .plot import quick_look
        except ImportError:
            picture = "no PNG: install matplotlib (pip install 'resamplespec[plot]')"
        else:
            path = quick_look(fixed, folder / "demo_fixed_slit_s2d.png")
            written.append(path)
            picture = f"picture: {path}"

    wavelength = fixed.meta.wavelength
    flux_in = np.mean([np.nansum(nod["data"], dtype=np.float64) for nod in nods])
    flux_out = float(np.nansum(fixed.data, dtype=np.float64))
    lines = [
        f"fixed slit {fixed.name}: {len(nods)} nods of {nods[0]['data'].shape[0]}x"
        f"{nods[0]['data'].shape[1]} -> {fixed.shape[0]}x{fixed.shape[1]} "
        f"(spatial x wavelength), {np.nanmin(wavelength):.4f}-{np.nanmax(wavelength):.4f} um",
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


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    is_demo = bool(argv) and argv[0] == "demo"
    parser = _demo_parser() if is_demo else _run_parser()
    try:
        args = parser.parse_args(argv[1:] if is_demo else argv)
    except SystemExit as exc:  # a bad flag (2, message printed) or --help (0)
        return int(exc.code or 0)
    _configure_logging(args.verbose, args.quiet)
    try:
        if is_demo:
            text = demo(args.output)
            if not args.quiet:
                print(text)
            return 0
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
