"""Build the C drizzle kernel; all other metadata lives in pyproject.toml."""

import os

from Cython.Build import cythonize
from setuptools import Extension, setup

# -O3 is safe on every target; no -march=native, so wheels stay portable.
# RESAMPLESPEC_CFLAGS adds flags for local experiments (e.g. sanitizers).
# -fno-trapping-math: no code here reads the floating-point exception flags,
# so branch-free selects (a quotient computed, then chosen by a comparison)
# may be vectorized; the values are IEEE's either way, bit for bit (the
# correlation planes of covariance=True are the loop that needs it).
extra_compile_args = (["-O3", "-std=c99", "-fno-trapping-math"] if os.name != "nt"
                      else ["/O2"])
extra_compile_args += os.environ.get("RESAMPLESPEC_CFLAGS", "").split()
extra_link_args = os.environ.get("RESAMPLESPEC_LDFLAGS", "").split()

kernel = Extension(
    "resamplespec.kernel._kernel",
    sources=["resamplespec/kernel/_kernel.pyx", "src_c/rsp_kernel.c", "src_c/rsp_estimates.c"],
    include_dirs=["src_c"],
    # Rebuild when a header changes, not only the .c file.
    depends=["src_c/rsp_kernel.h", "src_c/rsp_geometry.h", "src_c/rsp_estimates.h"],
    extra_compile_args=extra_compile_args,
    extra_link_args=extra_link_args,
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_21_API_VERSION")],
)

setup(ext_modules=cythonize([kernel], language_level=3))
