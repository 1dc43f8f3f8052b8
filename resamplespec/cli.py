"""Command line: ``resamplespec demo`` runs the built-in example.

(The full command line over files is still to come.)
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np


def _demo() -> str:
    """Combine three nods of a synthetic NIRSpec-like fixed slit and summarise."""
    from . import datasets
    from .resample import resample

    nods = datasets.nirspec_fixed_slit(n_exposures=3, sky_level=0.0, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = resample(nods)
    wavelength = result.meta.wavelength
    flux_in = np.mean([np.nansum(nod["data"], dtype=np.float64) for nod in nods])
    flux_out = float(np.nansum(result.data, dtype=np.float64))
    good = np.isfinite(result.data)
    snr = np.nanmax(result.data[good] / result.err[good]) if good.any() else float("nan")
    return (
        f"resampled {len(nods)} nods of slit {result.name} "
        f"({nods[0]['data'].shape[0]}x{nods[0]['data'].shape[1]} each) onto "
        f"{result.data.shape[0]}x{result.data.shape[1]} (spatial x wavelength)\n"
        f"wavelength {wavelength.min():.4f} - {wavelength.max():.4f} um, "
        f"pixel area {result.meta.pixel_area_sr:.4g} sr\n"
        f"flux: mean per nod {flux_in:.6g}, combined {flux_out:.6g} "
        f"(ratio {flux_out / flux_in:.5f})\n"
        f"peak S/N per pixel {snr:.3g}; {np.count_nonzero(good)} of {good.size} pixels filled"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="resamplespec", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run the built-in example")
    args = parser.parse_args(argv)
    if args.command == "demo":
        print(_demo())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
