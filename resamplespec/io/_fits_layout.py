"""A FITS file read the quick way: its extensions indexed once, image arrays
read straight from their bytes, the ASDF tree embedded in it parsed once per
process.

Measured on three MOS ``cal.fits`` files of 30 slits (31 x 1400 pixels)
written by stdatamodels, before this module: looking extensions up by name
(``HDUList.index_of`` scans the list at every lookup, each step reading a
header keyword through astropy's configuration) took 4 s of a 11 s run;
parsing and converting each file's embedded ASDF tree 2.7 s, and with
``in_memory=False`` the tree was parsed again for every slit (375 s).

Here:

* :class:`FitsLayout`: one pass over the headers gives, per extension,
  its name and version, its header and where its data lie; image arrays
  in the plain FITS encodings (IEEE floats, integers, unsigned integers by
  the ``BZERO`` convention) are read with one ``readinto`` each, into
  native byte order, without astropy's scaling machinery; anything else
  (other scalings, ``BLANK``, compressed files) is read by astropy;
* :class:`EmbeddedTree`: the YAML of the ``ASDF`` extension parsed
  without schema validation (the tree is only read) into asdf's tagged
  tree; the objects a caller wants (a slit's gwcs, our metadata) are made
  from it on demand.  A read that hands them to a user
  (:func:`resamplespec.io.read`) parses the tree once for all the slits it
  reads; the slit-by-slit reads of a run share one tree per file and the
  objects made from it (:meth:`EmbeddedTree.shared`);
* :func:`fits_file`: both, for a path, from a small per-process cache
  keyed by the file's identity (path, size, modification time, inode), so
  that the slit-by-slit reads of ``in_memory=False`` and of Dask tasks
  parse nothing again.

Every error names the file and says what is wrong with it.
"""

from __future__ import annotations

import io as _bytes_io
import math
import os
import threading
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any

import asdf
import asdf.yamlutil
import numpy as np
from astropy.io import fits

from .. import limits
from ._files import one_line

#: FITS files are made of blocks of this many bytes
_BLOCK = 2880
#: FITS BITPIX -> big-endian dtype of the stored values
_BITPIX = {8: ">u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}
#: BITPIX -> (BZERO of the unsigned convention, unsigned dtype)
_UNSIGNED = {16: (32768, np.uint16), 32: (2147483648, np.uint32),
             64: (9223372036854775808, np.uint64)}


class FitsLayout:
    """The extensions of a FITS file: names, versions, headers, data locations.

    Use as a context manager around reads (:meth:`array`): the file is
    opened on the first read and closed on exit; a layout may be used
    again afterwards (it reopens the file).

    Raises
    ------
    ValueError
        The file is not a readable FITS file (truncated headers, not FITS).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._compressed = path.name.lower().endswith(".gz")
        # open files are each thread's own (threads read the slits of one
        # file at once, n_jobs), and each process's (a forked child must
        # not move the parent's file offset)
        self._open = threading.local()
        self.headers: list[Any] = []
        self._data_offsets: list[int] = []
        self._positions: dict[tuple[str, int], int] = {}
        self._hdul = _open_hdul(path)
        try:
            with warnings.catch_warnings():
                # astropy warns of padding and card problems; truncation is
                # found below, by the data that are not there
                warnings.simplefilter("ignore")
                for position, hdu in enumerate(self._hdul):
                    header = hdu.header
                    name = "PRIMARY" if position == 0 else str(header.get("EXTNAME", "")).strip()
                    version = header.get("EXTVER", 1)
                    version = int(version) if isinstance(version, (int, np.integer)) else 1
                    self._positions.setdefault((name.upper(), version), position)
                    self.headers.append(header)
                    self._data_offsets.append(int(hdu.fileinfo()["datLoc"]))
        except Exception as exc:
            self.close()
            raise ValueError(f"{path} is not a readable FITS file: "
                             f"{one_line(exc)}") from None
        if self._compressed:
            return
        size = os.stat(path).st_size
        if size % _BLOCK:
            # a FITS file is whole 2880-byte blocks; cut short, it may still
            # parse (as fewer extensions): say so before anything is missed
            self.close()
            raise ValueError(f"{path} is truncated: {size} bytes is not a whole number of "
                             f"{_BLOCK}-byte FITS blocks")
        # astropy opens a truncated file without a word: the last data unit is short
        for position, header in enumerate(self.headers):
            end = self._data_offsets[position] + _data_bytes(header)
            if end > size:
                self.close()
                raise ValueError(
                    f"{path} is truncated: extension {self._label(position)} needs bytes up to "
                    f"{end}, the file has {size}"
                )
        self.close()

    def __contains__(self, key: tuple[str, int]) -> bool:
        return (key[0].upper(), int(key[1])) in self._positions

    def __enter__(self) -> FitsLayout:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close this thread's files (a later read opens them again)."""
        for handle in (self._handle, self._hdul):
            if handle is not None:
                handle.close()
        self._handle = self._hdul = None

    @property
    def _hdul(self) -> Any:
        return self._opened("hdul")

    @_hdul.setter
    def _hdul(self, value: Any) -> None:
        self._open.hdul = (os.getpid(), value)

    @property
    def _handle(self) -> Any:
        return self._opened("handle")

    @_handle.setter
    def _handle(self, value: Any) -> None:
        self._open.handle = (os.getpid(), value)

    def _opened(self, name: str) -> Any:
        pid, value = getattr(self._open, name, (None, None))
        return value if pid == os.getpid() else None  # a parent's: not this process's

    @property
    def primary(self) -> Any:
        return self.headers[0]

    def header(self, name: str, version: int) -> Any:
        return self.headers[self._position(name, version)]

    def versions(self, name: str) -> list[int]:
        """The versions (``EXTVER``) of the extensions called ``name``, sorted."""
        return sorted(v for (n, v) in self._positions if n == name.upper())

    def shape(self, name: str, version: int) -> tuple[int, ...]:
        """The shape of an image extension's array (from its header)."""
        return _shape(self.header(name, version))

    def array(self, name: str, version: int) -> np.ndarray:
        """The image of extension (``name``, ``version``): a new array of
        the file's values in native byte order.

        Raises
        ------
        ValueError
            The data are not all there, or cannot be read.
        """
        position = self._position(name, version)
        header = self.headers[position]
        encoding = None if self._compressed else _plain_encoding(header)
        try:
            if encoding is None:
                return self._array_by_astropy(position)
            return self._array_from_bytes(position, *encoding)
        except ValueError:
            raise
        except Exception as exc:
            raise ValueError(f"{self.path}: extension {self._label(position)} cannot be read: "
                             f"{one_line(exc)}") from None

    def table_column(self, name: str, version: int, column: str) -> np.ndarray:
        """The first row of a binary table's column, by astropy."""
        position = self._position(name, version)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return np.asarray(self._hdulist()[position].data[column][0])
        except Exception as exc:
            raise ValueError(f"{self.path}: extension {self._label(position)} cannot be read: "
                             f"{one_line(exc)}") from None

    # -- internals ------------------------------------------------------------

    def _position(self, name: str, version: int) -> int:
        return self._positions[(name.upper(), int(version))]

    def _label(self, position: int) -> str:
        header = self.headers[position]
        if position == 0:
            return "PRIMARY"
        return f"{str(header.get('EXTNAME', '')).strip() or position},{header.get('EXTVER', 1)}"

    def _hdulist(self):
        if self._hdul is None:
            self._hdul = _open_hdul(self.path)
        return self._hdul

    def _array_by_astropy(self, position: int) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = self._hdulist()[position].data
        if values is None:
            raise ValueError(f"{self.path}: extension {self._label(position)} has no data")
        return np.array(values, dtype=values.dtype.newbyteorder("="))

    def _array_from_bytes(self, position: int, stored: np.dtype, unsigned: Any) -> np.ndarray:
        values = np.empty(_shape(self.headers[position]), dtype=stored)
        if self._handle is None:
            self._handle = open(self.path, "rb")  # noqa: SIM115 - closed by close()
        self._handle.seek(self._data_offsets[position])
        read = self._handle.readinto(memoryview(values.reshape(-1).view(np.uint8)))
        if read != values.nbytes:
            raise ValueError(f"{self.path} is truncated: extension {self._label(position)} "
                             f"holds {read} of its {values.nbytes} bytes")
        if not values.dtype.isnative:
            values = values.byteswap(inplace=True).view(values.dtype.newbyteorder("="))
        if unsigned is not None:
            # the unsigned convention: stored = value - 2**(bits-1), i.e. the top bit flipped
            values = values.view(unsigned)
            values ^= unsigned(1 << (8 * values.itemsize - 1))
        return values


def _open_hdul(path: Path):
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not a FITS file")
    with warnings.catch_warnings():
        # astropy warns of damaged cards; a warning made an error by the
        # caller's filters would leave the file it opened unclosed
        warnings.simplefilter("ignore")
        try:
            hdul = fits.open(path, memmap=False, lazy_load_hdus=True)
        except FileNotFoundError:
            raise FileNotFoundError(f"no such file: {path}") from None
        except Exception as exc:
            raise ValueError(f"{path} is not a readable FITS file: {one_line(exc)}") from None
        try:
            hdul[0].header  # noqa: B018 - forces the read of the primary header
        except Exception as exc:
            hdul.close()
            raise ValueError(f"{path} is not a readable FITS file: {one_line(exc)}") from None
    return hdul


def _plain_encoding(header: Any) -> tuple[np.dtype, Any] | None:
    """(stored dtype, unsigned type or None) of an image astropy would not
    scale, or of the unsigned-integer convention; None for anything else."""
    if header.get("XTENSION", "IMAGE").strip() != "IMAGE" and "SIMPLE" not in header:
        return None
    bitpix = header.get("BITPIX")
    if bitpix not in _BITPIX or not header.get("NAXIS") or "BLANK" in header:
        return None
    bscale, bzero = header.get("BSCALE", 1), header.get("BZERO", 0)
    if bscale != 1:
        return None
    if bzero == 0:
        return np.dtype(_BITPIX[bitpix]), None
    if bitpix in _UNSIGNED and bzero == _UNSIGNED[bitpix][0]:
        return np.dtype(_BITPIX[bitpix]), _UNSIGNED[bitpix][1]
    return None


def _shape(header: Any) -> tuple[int, ...]:
    return tuple(int(header[f"NAXIS{k}"]) for k in range(int(header.get("NAXIS", 0)), 0, -1))


def _data_bytes(header: Any) -> int:
    """Bytes of an extension's data unit, padding excluded (0 without data)."""
    try:
        naxis = int(header.get("NAXIS", 0))
        if naxis == 0:
            return 0
        pixels = math.prod(int(header[f"NAXIS{k}"]) for k in range(1, naxis + 1))
        groups = int(header.get("GCOUNT", 1))
        return abs(int(header["BITPIX"])) // 8 * groups * (pixels + int(header.get("PCOUNT", 0)))
    except (KeyError, TypeError, ValueError):
        return 0



class EmbeddedTree:
    """The tree of a FITS file's ``ASDF`` extension, parsed once.

    ``tagged`` is asdf's tagged tree (plain dicts, lists and scalars, with
    tagged nodes where objects are stored); :meth:`convert` makes the
    objects of a node afresh, :meth:`shared` once.

    Raises
    ------
    ValueError
        The extension is not a readable ASDF file.
    """

    def __init__(self, raw: bytes, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._shared: dict[tuple, Any] = {}
        try:
            with asdf.config_context() as config, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                config.validate_on_read = False  # only read: its schemas add nothing here
                self._af = asdf.open(_bytes_io.BytesIO(raw), lazy_load=False, memmap=False,
                                     lazy_tree=True)
                root = self._af.tree
                # the lazy root node holds the tagged values, none converted yet
                self.tagged = dict(getattr(getattr(root, "data", None), "data", None) or {})
        except Exception as exc:
            raise ValueError(f"{path}: its ASDF extension cannot be read: "
                             f"{one_line(exc)}") from None

    def node(self, *keys: Any) -> Any:
        """The tagged node at ``keys`` (dict keys, list indices), or None."""
        node: Any = self.tagged
        for key in keys:
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                node = node[key]
            else:
                return None
        return node

    def convert(self, node: Any, what: str) -> Any:
        """The objects of a tagged node, made now (``what`` names it in errors).

        Raises
        ------
        ValueError
            A tag this installation cannot read, or a node that does not convert.
        """
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = asdf.yamlutil.tagged_tree_to_custom_tree(node, self._af)
            except Exception as exc:
                raise ValueError(f"{self.path}: {what} in its ASDF extension cannot be "
                                 f"read: {one_line(exc)}") from None
        unknown = [str(w.message) for w in caught if "tag" in str(w.message).lower()]
        if unknown:
            raise missing_software(self.path, what, unknown[0])
        return value

    def shared(self, node: Any, what: str) -> Any:
        """:meth:`convert`, made once and kept: for the reads of one run."""
        key = (id(node), what)
        with self._lock:
            if key not in self._shared:
                self._shared[key] = (node, self.convert(node, what))
            return self._shared[key][1]


def missing_software(path: Path, what: str, detail: str) -> ValueError:
    """The error for an object of a file stored with ASDF tags no installed
    package converts."""
    return ValueError(
        f"{path}: {what} uses ASDF tags this installation cannot read ({detail}); install "
        "the software that defines them (for JWST instrument models: pip install jwst)"
    )


class _Entry:
    def __init__(self, path: Path) -> None:
        self.layout = FitsLayout(path)
        self._tree: EmbeddedTree | None = None
        self._lock = threading.Lock()

    def has_kept_tree(self) -> bool:
        return self._tree is not None

    def tree(self, *, kept: bool = True) -> EmbeddedTree | None:
        """The embedded tree, or None when there is no ``ASDF`` extension.

        ``kept``: the tree parsed once and kept with the file, whose
        :meth:`EmbeddedTree.shared` objects serve the reads of a run; else
        a tree parsed for the caller alone, so that nothing it makes (gwcs,
        arrays of the metadata: asdf hands out views of the blocks it read)
        is shared with another read, and nothing of it stays.
        """
        with self._lock:
            if kept and self._tree is not None:
                return self._tree
            if ("ASDF", 1) not in self.layout:
                return None
            with self.layout:
                column = self.layout.table_column("ASDF", 1, "ASDF_METADATA")
            tree = EmbeddedTree(np.asarray(column, dtype=np.uint8).tobytes(), self.layout.path)
            if kept:
                self._tree = tree
            return tree


class _FitsFiles:
    """The FITS files this process has read: layouts and parsed trees, the
    last :data:`resamplespec.limits.PARSED_FITS_FILES`, known by identity."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()

    def get(self, path: Path) -> _Entry:
        if path.is_dir():
            raise ValueError(f"{path} is a directory, not a FITS file")
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            raise FileNotFoundError(f"no such file: {path}") from None
        key = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
        with self._lock:
            entry = self._entries.pop(key, None)
        if entry is None:
            entry = _Entry(path)  # outside the lock: other threads read other files
        with self._lock:
            self._entries[key] = entry
            while len(self._entries) > limits.PARSED_FITS_FILES:
                self._entries.popitem(last=False)
        return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def may_keep(self, entry: _Entry) -> bool:
        """Whether the tree of ``entry`` may be kept for the run's reads:
        always for a multi-slit file (whose slits are read one by one, in
        groups across the files), for at most
        :data:`resamplespec.limits.KEPT_SINGLE_SLIT_TREES` single-slit ones."""
        if len(entry.layout.versions("SCI")) > 1 or entry.has_kept_tree():
            return True
        with self._lock:
            kept = sum(1 for other in self._entries.values()
                       if other.has_kept_tree() and len(other.layout.versions("SCI")) == 1)
        return kept < limits.KEPT_SINGLE_SLIT_TREES


_FITS_FILES = _FitsFiles()


def fits_file(path: Path) -> _Entry:
    """The layout and embedded tree of a FITS file, parsed once per process
    (while the file is unchanged).

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        A directory; not a readable FITS file.
    """
    return _FITS_FILES.get(Path(path))


def may_keep_tree(entry: _Entry) -> bool:
    """Whether a run's reads may keep the parsed tree of ``entry`` (see
    :data:`resamplespec.limits.KEPT_SINGLE_SLIT_TREES`)."""
    return _FITS_FILES.may_keep(entry)


def forget_fits_files() -> None:
    """Drop the layouts and trees kept (at the end of a run)."""
    _FITS_FILES.clear()
