"""The io layer: products to files and back, and user inputs to images.

- :func:`read` and :func:`write` choose the format by suffix: ``.asdf``,
  the native format, lossless (``resamplespec_format`` = 1: arrays, gwcs
  and typed metadata per slit), or ``.fits``, the JWST s2d layout
  (:func:`write_fits`, :func:`read_fits`), which also reads JWST level-2
  ``*_cal.fits`` products with astropy and asdf only.  Writes are atomic.
  A FITS file's extensions are indexed once and its image arrays read
  straight from their bytes; its embedded ASDF tree is parsed once per
  read (once per run for the slit-by-slit reads of ``in_memory=False``
  and Dask tasks), without schema validation.  A damaged file (truncated,
  not FITS or ASDF, arrays that disagree) is refused with one line naming
  the file and slit.
- :func:`as_spectral_inputs` turns what a user passes (images, dicts, JWST
  datamodels by duck typing, paths) into images the chain may change;
  with ``in_memory=False``, paths become :class:`DeferredImage`, read
  when a step needs them (:func:`deferred_exposure`).
- :func:`read_association`: the science members of a JWST association.
"""

from ._asdf import open_product, read_asdf, write_asdf
from ._association import read_association
from ._deferred import DeferredImage, close_open_files, deferred_exposure
from ._files import SUFFIXES, atomic_write, file_format
from ._fits import fits_wcs_header, read_fits, read_fits_metadata, write_fits
from ._inputs import as_spectral_inputs
from ._readwrite import read, write
from ._tree import FORMAT_VERSION

__all__ = [
    "FORMAT_VERSION",
    "SUFFIXES",
    "DeferredImage",
    "as_spectral_inputs",
    "atomic_write",
    "close_open_files",
    "deferred_exposure",
    "file_format",
    "fits_wcs_header",
    "open_product",
    "read",
    "read_asdf",
    "read_association",
    "read_fits",
    "read_fits_metadata",
    "write",
    "write_asdf",
    "write_fits",
]
