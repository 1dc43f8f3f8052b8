"""Peak memory of resample() with in_memory=True and in_memory=False.

Writes N single-slit inputs (NIRSpec-like fixed-slit nods) as resamplespec
ASDF files, then runs ``resamplespec.resample(paths, in_memory=...)`` in a
fresh Python process per case and reports the growth of the process's peak
resident memory over its resident memory after a first call on two of the
inputs (which pays the imports and first-call costs; on Linux the
kernel's high-water mark ``VmHWM``, reset after the imports; elsewhere
``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which on Linux would also
carry the peak of the parent process it was forked from), next to the size
of one input and of the output (the bytes of their arrays).  The issue's
target: with ``in_memory=False`` the growth stays within 2x (one input +
the output).

    python benchmarks/bench_memory.py                 # 30 nods of 40x2048
    python benchmarks/bench_memory.py --inputs 10 --shape 40,1024
    python benchmarks/bench_memory.py --format fits   # the inputs as s2d-layout FITS
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

_CHILD = textwrap.dedent(
    """
    import json, sys, warnings
    import numpy as np
    sys.path.insert(0, {benchmarks!r})
    import resamplespec
    from resamplespec import io

    warnings.simplefilter("ignore")
    paths, in_memory, single, out = json.loads(sys.argv[1])
    from peak_memory import high_water_kb, reset
    # A first call on two of the inputs pays the imports and first-call
    # costs (asdf's extension registry, gwcs and astropy's model classes,
    # numpy's caches), which a process resampling many groups pays once.
    import tempfile
    with tempfile.TemporaryDirectory() as warm_dir:
        resamplespec.resample(paths[:2], in_memory=in_memory, single=single,
                              output_dir=warm_dir)
    before = reset()
    result = resamplespec.resample(paths, in_memory=in_memory, single=single, output_dir=out)
    peak = high_water_kb()
    first = result[0] if isinstance(result, list) else result
    if isinstance(first, str) or hasattr(first, "__fspath__"):
        first = io.read(first)
    arrays = [first.data, first.wht, first.con, first.err, first.var_rnoise,
              first.var_poisson, first.var_flat, first.dq]
    output_bytes = sum(a.nbytes for a in arrays if a is not None)
    print(json.dumps({"growth_kb": peak - before, "output_bytes": output_bytes,
                      "shape": list(first.shape)}))
    """
)


def _input_bytes(path: Path) -> int:
    from resamplespec import io

    image = io.read(path)
    arrays = [image.data, image.dq, image.err, image.var_rnoise, image.var_poisson,
              image.var_flat]
    return sum(a.nbytes for a in arrays if a is not None)


def _run(paths: list[Path], in_memory: bool, single: bool, out: Path) -> dict:
    argument = json.dumps([[str(p) for p in paths], in_memory, single, str(out)])
    code = _CHILD.replace("{benchmarks!r}", repr(str(Path(__file__).parent)))
    done = subprocess.run([sys.executable, "-c", code, argument], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=30)
    parser.add_argument("--shape", default="40,2048", help="ny,nx of each input")
    parser.add_argument("--format", choices=("asdf", "fits"), default="asdf",
                        help="the inputs' file format")
    args = parser.parse_args(argv)
    ny, nx = (int(v) for v in args.shape.split(","))

    from resamplespec import SpectralImage, datasets, io

    with tempfile.TemporaryDirectory(prefix="rsp_bench_memory_") as folder:
        nods = datasets.nirspec_fixed_slit(n_exposures=args.inputs, shape=(ny, nx), seed=0)
        paths = [io.write(SpectralImage.from_dict(nod), Path(folder) / f"nod{k:03d}.{args.format}")
                 for k, nod in enumerate(nods)]
        del nods
        one_input = _input_bytes(paths[0])
        print(f"{args.inputs} inputs of {ny}x{nx}; one input's arrays {one_input / 1e6:.1f} MB")
        print("| case | peak growth MB | output MB | (one input + output) MB | ratio |")
        print("|---|---:|---:|---:|---:|")
        for in_memory in (True, False):
            for single in (False, True):
                out = Path(folder) / f"products_{in_memory}_{single}"
                measured = _run(paths, in_memory, single, out)
                growth = measured["growth_kb"] / 1024
                output = measured["output_bytes"] / 1e6
                budget = one_input / 1e6 + output
                label = f"in_memory={in_memory}" + (", single" if single else "")
                print(f"| {label} | {growth:.1f} | {output:.1f} | {budget:.1f} | "
                      f"{growth / budget:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
