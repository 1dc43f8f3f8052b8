"""Run the kernel under AddressSanitizer and UndefinedBehaviorSanitizer (a CI step).

    python tools/sanitize.py [--examples N] [--seed S] [--tests PATH] [--keep]

1. Builds ``resamplespec.kernel._kernel`` a second time, with
   ``-fsanitize=address,undefined,float-cast-overflow -fno-wrapv
   -fno-omit-frame-pointer -g -O1`` after the normal ``-O3`` (so that they
   win), into a scratch folder holding a copy of the package: the normal
   build in the source tree is left alone.
2. Runs the kernel tests (``tests/kernel``) on that copy, with the ASan
   runtime preloaded (Python itself is not instrumented), leak detection off
   (the interpreter keeps memory to the end on purpose) and every report
   fatal (``-fno-sanitize-recover=all``, ``halt_on_error``).
3. Runs a short seeded fuzz of :class:`resamplespec.Drizzler` on hostile
   inputs (NaN, infinite, huge, folded and tiny pixel maps, thin and huge
   grids, windows, bands, both kernels, both variance modes) on the same
   copy: any access outside the arrays, signed overflow or out-of-range
   float conversion stops it with the sanitizer's report.

Exit status 0 when all of it ran clean.  About a minute on two cores.
``--fuzz-only`` runs step 3 in this process (what step 3 calls itself).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SANITIZE_FLAGS = ("-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all "
                  "-fno-wrapv -fno-omit-frame-pointer -g -O1")
LINK_FLAGS = "-fsanitize=address,undefined,float-cast-overflow"


def _runtime_library(name: str) -> str:
    """Path of a sanitizer runtime (``libasan.so``) as the compiler finds it."""
    compiler = os.environ.get("CC", "cc")
    path = subprocess.run([compiler, f"-print-file-name={name}"], capture_output=True,
                          text=True, check=True).stdout.strip()
    if not os.path.isabs(path):
        raise SystemExit(f"sanitize: {compiler} has no {name} (install the compiler's "
                         "sanitizer runtime, e.g. libasan8)")
    return path


def build(scratch: Path) -> Path:
    """A copy of the package in ``scratch/src`` with the sanitized kernel; returns
    the folder to put on PYTHONPATH."""
    build_dir = scratch / "build"
    env = dict(os.environ, RESAMPLESPEC_CFLAGS=SANITIZE_FLAGS, RESAMPLESPEC_LDFLAGS=LINK_FLAGS)
    subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--force",
                    "--build-lib", str(build_dir / "lib"), "--build-temp", str(build_dir / "tmp")],
                   cwd=ROOT, env=env, check=True)
    src = scratch / "src"
    shutil.copytree(ROOT / "resamplespec", src / "resamplespec",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", "*.c"))
    built = list((build_dir / "lib" / "resamplespec" / "kernel").glob("_kernel*"))
    if len(built) != 1:
        raise SystemExit(f"sanitize: expected one built kernel, found {built}")
    shutil.copy2(built[0], src / "resamplespec" / "kernel" / built[0].name)
    return src


def sanitized_env(src: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["LD_PRELOAD"] = _runtime_library("libasan.so")
    env["ASAN_OPTIONS"] = "detect_leaks=0:halt_on_error=1:abort_on_error=0"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    return env


def run_sanitized(src: Path, examples: int, seed: int, tests: str) -> None:
    env = sanitized_env(src)
    # -P: the source tree (the working directory) must not shadow the copy
    check = subprocess.run([sys.executable, "-P", "-c",
                            "import resamplespec.kernel._kernel as k; print(k.__file__)"],
                           env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    if not check.stdout.strip().startswith(str(src)):
        raise SystemExit(f"sanitize: the tests would import {check.stdout.strip()}, "
                         "not the sanitized copy")
    steps = [
        # --capture=sys: a sanitizer's report (written to fd 2) reaches the log
        ("kernel tests", [sys.executable, "-P", "-m", "pytest", "-q", "-x", "--capture=sys",
                          "-p", "no:cacheprovider", "--rootdir", str(ROOT), "-c",
                          str(ROOT / "pyproject.toml"), str(ROOT / tests)]),
        ("Drizzler fuzz", [sys.executable, "-P", str(ROOT / "tools" / "sanitize.py"),
                           "--fuzz-only", "--examples", str(examples), "--seed", str(seed)]),
    ]
    for name, command in steps:
        start = time.perf_counter()
        result = subprocess.run(command, env=env, cwd=ROOT)
        if result.returncode != 0:
            raise SystemExit(f"sanitize: {name} failed under the sanitizers "
                             f"(exit status {result.returncode})")
        print(f"sanitize: {name} clean in {time.perf_counter() - start:.0f} s", flush=True)


# --- the fuzz --------------------------------------------------------------------------


def _hostile_pixmap(rng, ny, nx, out_shape):
    """A pixel map of one of the shapes that broke kernels before: ordinary,
    scaled, folded, with NaN/inf/huge/tiny values sprinkled, or wholly huge."""
    import numpy as np

    y, x = np.indices((ny, nx), dtype=float)
    kind = rng.integers(6)
    scale = 10.0 ** rng.uniform(-3, 3)
    angle = rng.uniform(0, 2 * np.pi)
    c, s = np.cos(angle), np.sin(angle)
    px = (c * x - s * y) * scale + rng.uniform(-2, out_shape[1] + 2)
    py = (s * x + c * y) * scale + rng.uniform(-2, out_shape[0] + 2)
    pixmap = np.dstack([px, py])
    if kind == 1:  # folded
        pixmap[..., 0] = np.abs(pixmap[..., 0] - pixmap[..., 0].mean())
    elif kind == 2:  # random
        pixmap = rng.uniform(-5, max(out_shape) + 5, (ny, nx, 2))
    elif kind >= 3:  # hostile values sprinkled
        specials = np.array([np.nan, np.inf, -np.inf, 1e300, -1e300, 2.0**53, 2.0**63,
                             -(2.0**63), 1e-300, 0.5, -0.5])
        mask = rng.random((ny, nx, 2)) < (0.05 if kind == 3 else 0.5)
        pixmap[mask] = rng.choice(specials, mask.sum())
    return np.ascontiguousarray(pixmap)


def fuzz(examples: int, seed: int) -> int:
    """Drizzle ``examples`` random hostile cases; returns how many drew something."""
    import numpy as np

    from resamplespec import Drizzler
    from resamplespec.kernel import DrizzleWarning

    rng = np.random.default_rng(seed)
    drew = 0
    for _ in range(examples):
        ny, nx = (int(n) for n in rng.integers(1, 12, 2))
        out_ny, out_nx = (int(n) for n in rng.integers(1, 16, 2))
        if rng.random() < 0.1:  # a grid far larger than memory: only a window is held
            out_ny, out_nx = 2**62, int(rng.integers(1, 2**62))
        window = None
        if rng.random() < 0.5 or out_ny > 2**40:
            r0 = int(rng.integers(0, out_ny)) if out_ny < 2**40 else 2**61
            c0 = int(rng.integers(0, out_nx))
            window = (r0, min(out_ny, r0 + int(rng.integers(1, 8))),
                      c0, min(out_nx, c0 + int(rng.integers(1, 8))))
        kernel = "square" if rng.random() < 0.7 else "point"
        n_variances = int(rng.integers(0, 4))
        mode = "exact" if rng.random() < 0.5 else "reference"
        d = Drizzler((out_ny, out_nx), kernel=kernel,
                     pixfrac=float(rng.choice([1.0, rng.uniform(1e-3, 1.0)])),
                     n_variances=n_variances, variance_mode=mode,
                     propagate_dq=bool(rng.random() < 0.5), window=window,
                     n_jobs=int(rng.integers(1, 4)))
        for _k in range(int(rng.integers(1, 4))):
            pixmap = _hostile_pixmap(rng, ny, nx, (min(out_ny, 64), min(out_nx, 64)))
            if window is not None and rng.random() < 0.5:
                # near the window, where doubles may be 512 pixels apart
                pixmap += np.array([window[2], window[0]], dtype=float)
            data = rng.normal(size=(ny, nx)).astype(np.float32)
            data[rng.random((ny, nx)) < 0.1] = np.nan
            weights = rng.choice([0.0, 1.0, 1e-45, 3e38, np.nan, -1.0], (ny, nx),
                                 p=[0.05, 0.75, 0.05, 0.05, 0.05, 0.05]).astype(np.float32)
            variances = [rng.choice([1.0, 0.0, -1.0, np.nan, 1e-45, 3e38], (ny, nx))
                         .astype(np.float32) for _ in range(n_variances)]
            dq = rng.integers(0, 2**32, (ny, nx), dtype=np.uint32) if d.propagate_dq else None
            xmin = int(rng.integers(0, nx))
            ymin = int(rng.integers(0, ny))
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", DrizzleWarning)
                counts = d.add(data, pixmap, weights=weights, variances=variances, dq=dq,
                               xmin=xmin, xmax=int(rng.integers(xmin, nx)), ymin=ymin,
                               ymax=int(rng.integers(ymin, ny)),
                               variance_weight=rng.choice(["ivm", None, 2.5]))
            drew += counts.drawn > 0
        out = d.finish()
        finite = out.wht[np.isfinite(out.wht)]
        assert (finite >= 0).all(), "negative weight"
    return drew


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=3000, help="fuzz cases (3000)")
    parser.add_argument("--seed", type=int, default=19, help="seed of the fuzz (19)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--tests", default="tests/kernel",
                        help="the tests to run, from the repository root (tests/kernel)")
    parser.add_argument("--fuzz-only", action="store_true",
                        help="run the fuzz in this process, on the resamplespec it imports")
    args = parser.parse_args(argv)
    if args.fuzz_only:
        start = time.perf_counter()
        drew = fuzz(args.examples, args.seed)
        print(f"sanitize: {args.examples} fuzz cases, {drew} inputs drew something, "
              f"{time.perf_counter() - start:.0f} s", flush=True)
        return 0
    scratch = Path(tempfile.mkdtemp(prefix="resamplespec-sanitize-"))
    try:
        src = build(scratch)
        run_sanitized(src, args.examples, args.seed, args.tests)
    finally:
        if args.keep:
            print(f"sanitize: scratch folder kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
