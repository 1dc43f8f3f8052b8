"""The io layer: products to files and back, and user inputs to images.

- :func:`read` and :func:`write` choose the format by suffix: ``.asdf``,
  the native format, lossless (``resamplespec_format`` = 1: arrays, gwcs
  and typed metadata per slit), or ``.fits``, the JWST s2d layout
  (:func:`write_fits`, :func:`read_fits`), which also reads JWST level-2
  ``*_cal.fits`` products with astropy and asdf only.  Writes are atomic
  and give files the permissions ``open()`` would; :func:`check_output_path`
  and :func:`check_output_folder` say before any work whether a path can be
  written.  A FITS file's extensions are indexed once and its image arrays
  read straight from their bytes; its embedded ASDF tree is parsed once per
  read (once per run for the slit-by-slit reads of ``in_memory=False`` and
  Dask tasks), without schema validation.  A damaged file (truncated, not
  FITS or ASDF, arrays that disagree) is refused with one line naming the
  file and slit.
- :func:`as_spectral_inputs` turns what a user passes (images, dicts, JWST
  datamodels by duck typing, paths) into images the chain may change;
  with ``in_memory=False``, paths become :class:`DeferredImage`, read
  when a step needs them (:func:`deferred_exposure`).
- :func:`read_association`: the science members of a JWST association.
- :func:`read_wavelength_grid`: the wavelength centres of a ``.txt``,
  ``.npy`` or ``.fits`` file (the command line's ``--spectral_grid FILE``).
"""

from ._asdf import open_product, read_asdf, write_asdf
from ._association import read_association
from ._deferred import DeferredImage, close_open_files, deferred_exposure
from ._files import (
    SUFFIXES,
    atomic_write,
    check_output_folder,
    check_output_path,
    current_umask,
    file_format,
)
from ._fits import fits_wcs_header, read_fits, read_fits_metadata, write_fits
from ._inputs import as_spectral_inputs
from ._readwrite import read, write
from ._tree import FORMAT_VERSION
from ._wavelengths import WAVELENGTH_SUFFIXES, read_wavelength_grid

__all__ = [
    "FORMAT_VERSION",
    "SUFFIXES",
    "WAVELENGTH_SUFFIXES",
    "DeferredImage",
    "as_spectral_inputs",
    "atomic_write",
    "check_output_folder",
    "check_output_path",
    "close_open_files",
    "current_umask",
    "deferred_exposure",
    "file_format",
    "fits_wcs_header",
    "open_product",
    "read",
    "read_asdf",
    "read_association",
    "read_fits",
    "read_fits_metadata",
    "read_wavelength_grid",
    "write",
    "write_asdf",
    "write_fits",
]
