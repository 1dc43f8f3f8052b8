"""Inputs read from their files when needed: ``resample(..., in_memory=False)``.

With ``in_memory=False``, each input given as a path is opened once up
front for its metadata only (slit names and source attributes, to group the
slits of a multi-slit set, and the exposure times); its arrays and WCS are
read when a step needs them and dropped after use.  The steps see the
inputs of one group through :class:`resamplespec.models.LazyImages`, a
sequence that reads an image on access and keeps at most the last
:data:`resamplespec.limits.CACHED_IMAGES` read, so that at any moment only
one or two inputs are in memory whatever their number.

The price is time: the output grid is built in two passes over the inputs
and the pixel map evaluates each input's WCS once more, where the in-memory
path evaluates it once.
"""

from __future__ import annotations

import contextlib
import io as _bytes_io
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import asdf.tagged
import asdf.yamlutil

from .. import limits
from ..models import InputFrame, SpectralImage, SpectralMeta
from ._asdf import open_product
from ._files import file_format, one_line
from ._fits import fits_slit_frame, load_fits_slit, read_fits_metadata
from ._fits_layout import forget_fits_files
from ._tree import ARRAYS, image_from_tree, meta_from_tree


class DeferredImage:
    """One slit of an input file, with its metadata; arrays read by :meth:`load`.

    Parameters
    ----------
    path : path-like
        A resamplespec ASDF file or a JWST-layout FITS product.
    index : int
        The slit's position in the file (0 for a single-slit file).
    meta : SpectralMeta
        Its metadata, read without the arrays.
    """

    def __init__(self, path: str | os.PathLike, index: int, meta: SpectralMeta,
                 arrays: frozenset[str] = frozenset(), *, n_in_file: int = 1) -> None:
        self.path = Path(path)
        self.index = index
        self.meta = meta
        #: names of the arrays the slit has (``data``, ``err``, ``var_rnoise``...)
        self.arrays = arrays
        #: slits in the file: of a multi-slit ASDF file the slits are read
        #: through the process's open copy of it (:class:`_OpenFiles`).  A
        #: single-slit file is opened afresh: parsing it is cheap, and
        #: keeping such files open (with their WCSs) took in_memory=False
        #: on 30 nods from 1.65x to 2.4x one input plus the output.
        self.n_in_file = n_in_file

    @property
    def name(self) -> str | None:
        return self.meta.slit.name

    @property
    def label(self) -> str:
        return f"{self.path.name}[{self.index}]" if self.index else self.path.name

    def load(self) -> SpectralImage:
        """Read the slit's arrays and WCS (a new SpectralImage each time).

        Raises
        ------
        ValueError
            The file is damaged (named, with the slit).
        """
        with self._named():
            if file_format(self.path) == "asdf":
                if self.n_in_file > 1:
                    return _OPEN_FILES.load(self.path, self.index)
                return _read_asdf_slit(self.path, self.index)
            return load_fits_slit(self.path, self.index)

    def frame(self) -> InputFrame:
        """The slit's WCS and data shape, without its arrays."""
        with self._named():
            if file_format(self.path) == "asdf" and self.n_in_file > 1:
                wcs, meta, shape = _OPEN_FILES.frame(self.path, self.index)
            elif file_format(self.path) == "asdf":
                wcs, meta, shape = _read_asdf_frame(self.path, self.index)
            else:
                wcs, meta, shape = fits_slit_frame(self.path, self.index)
        return InputFrame(wcs, meta, shape, label=self.label)

    @contextlib.contextmanager
    def _named(self):
        """Errors of a read (asdf's, numpy's: a truncated block shows itself
        only when it is read) as one line naming the file and the slit."""
        try:
            yield
        except (FileNotFoundError, ValueError) as exc:
            if str(self.path) in str(exc):
                raise
            raise ValueError(f"{self.path}: {self._slit_label()}: {one_line(exc)}") from None
        except (OSError, TypeError, KeyError, IndexError, RuntimeError) as exc:
            raise ValueError(f"{self.path}: {self._slit_label()}: {one_line(exc)}") from None

    def _slit_label(self) -> str:
        return f"slit {self.index}" + (f" ({self.name})" if self.name else "")

    def __repr__(self) -> str:
        return f"DeferredImage({str(self.path)!r}, index={self.index}, name={self.name!r})"


def deferred_exposure(path: str | os.PathLike) -> DeferredImage | list[DeferredImage]:
    """The slits of one input file as deferred images (metadata read, arrays not).

    A single-slit file gives one :class:`DeferredImage`, a multi-slit file
    a list of them, as :func:`resamplespec.io.as_spectral_inputs` gives
    images.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Not a readable product.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if file_format(path) == "asdf":
        kind, metas, arrays = _OPEN_FILES.metadata(path)
    else:
        kind, metas, arrays = read_fits_metadata(path)
    deferred = [DeferredImage(path, k, meta, names, n_in_file=len(metas))
                for k, (meta, names) in enumerate(zip(metas, arrays, strict=True))]
    return deferred if kind == "multi_slit_image" else deferred[0]


def _metadata_of(af) -> tuple[str, list[SpectralMeta], list[frozenset[str]]]:
    # lazy tree: the slits' gwcs objects (a tenth of a second each) are not made
    slits = af.tree["slits"]
    metas = [meta_from_tree(dict(slit["meta"])) for slit in slits]
    arrays = [frozenset(k for k in slit if k not in ("wcs", "meta")) for slit in slits]
    return str(af.tree.get("kind")), metas, arrays


def _read_asdf_frame(path: Path, index: int) -> tuple[Any, SpectralMeta, tuple[int, int]]:
    with open_product(path, lazy_load=True, lazy_tree=True) as af:
        return _frame_from(af, index)


def _frame_from(af, index: int) -> tuple[Any, SpectralMeta, tuple[int, int]]:
    # lazy tree and arrays: the gwcs is made, the arrays' shapes read, no array
    slit = af.tree["slits"][index]
    return slit["wcs"], meta_from_tree(dict(slit["meta"])), tuple(slit["data"].shape)


def _read_asdf_slit(path: Path, index: int) -> SpectralImage:
    # lazy tree: of a multi-slit file only this slit's gwcs is made
    with open_product(path, lazy_load=True, lazy_tree=True) as af:
        return image_from_tree(dict(af.tree["slits"][index]))


class _OpenFiles:
    """The multi-slit ASDF files this process reads slits from, kept open
    (the last :data:`resamplespec.limits.OPEN_FILES` used).

    Opening an ASDF file parses its whole YAML tree: 0.5 s for a file of 50
    MOS slits, so reading its slits one by one, each from a fresh open,
    made ``in_memory=False`` (and each Dask task) cost the square of the
    number of slits.  Here each file is parsed once per process, from the
    read of its metadata (:func:`deferred_exposure`) on.  A slit's
    arrays are made afresh from their YAML at each load (so a slit may be
    loaded again without parsing the file again), and asdf's copies of the
    blocks read are dropped after it: what stays with the file is its
    YAML and the WCSs made, never the arrays.  :func:`resamplespec.resample`
    closes them all when it ends; a Dask worker keeps them for its next
    tasks (which read other slits of the same files).  Files are known by path,
    size and modification time (a file rewritten is opened anew), and a
    forked child keeps the parsed trees but reads through files of its own
    (the parent's handles share their file offsets with it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: OrderedDict[tuple, _OpenFile] = OrderedDict()
        self._pid = os.getpid()

    def metadata(self, path: Path) -> tuple[str, list[SpectralMeta], list[frozenset[str]]]:
        """The kind of product, and per slit its metadata and array names
        (:func:`_metadata_of`).  A file of several slits is kept open, so
        the reads of its slits that follow (:class:`DeferredImage`, by the
        same rule) need no parse of their own; any other is closed at once."""
        with self._lock:
            # no file is let go for this one before it is known to be kept
            key, kept = self._open_keyed(path, evict=False)
            try:
                found = _metadata_of(kept.af)
            except BaseException:
                self._close(key)
                raise
            if len(found[1]) < 2:  # read afresh: see DeferredImage.n_in_file
                self._close(key)
            self._evict()
            return found

    def frame(self, path: Path, index: int) -> tuple[Any, SpectralMeta, tuple[int, int]]:
        with self._lock:
            slit, arrays = self._open(path).slit(index)
            return slit["wcs"], meta_from_tree(dict(slit["meta"])), tuple(arrays["data"]["shape"])

    def load(self, path: Path, index: int) -> SpectralImage:

        with self._lock:
            kept = self._open(path)
            slit, arrays = kept.slit(index)
            tree = {name: asdf.yamlutil.tagged_tree_to_custom_tree(node, kept.af)
                    for name, node in arrays.items()}
            image = image_from_tree({"wcs": slit["wcs"], "meta": slit["meta"], **tree})
            _forget_read_blocks(kept.af)
            return image

    def clear(self) -> None:
        with self._lock:
            while self._files:
                self._files.popitem()[1].af.close()

    def _open(self, path: Path) -> _OpenFile:
        return self._open_keyed(path)[1]

    def _open_keyed(self, path: Path, *, evict: bool = True) -> tuple[tuple, _OpenFile]:
        if self._pid != os.getpid():  # a forked child: the trees, not the handles, are its
            self._files = OrderedDict((key, kept) for key, kept in self._files.items()
                                      if kept.read_through_own_file(key))
            self._pid = os.getpid()
        stat = os.stat(path)
        key = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
        kept = self._files.pop(key, None) or _OpenFile(path)
        self._files[key] = kept
        if evict:
            self._evict()
        return key, kept

    def _evict(self) -> None:
        """Close the least recently used files beyond :data:`resamplespec.limits.OPEN_FILES`."""
        while len(self._files) > limits.OPEN_FILES:
            self._files.popitem(last=False)[1].af.close()

    def _close(self, key: tuple) -> None:
        kept = self._files.pop(key, None)
        if kept is not None:
            kept.af.close()


_OPEN_FILES = _OpenFiles()


def close_open_files() -> None:
    """Close the multi-slit files this process keeps open for reading their
    slits one by one (``in_memory=False``), and drop the FITS files' parsed
    trees and the gwcs made from them, once a run is over."""
    _OPEN_FILES.clear()
    forget_fits_files()


class _OpenFile:
    """One file of :class:`_OpenFiles`, with the YAML of its slits' arrays
    as read (the tagged nodes, before asdf makes arrays of them)."""

    def __init__(self, path: Path) -> None:
        self.af = open_product(path, lazy_load=True, lazy_tree=True)
        self._arrays: dict[int, dict[str, Any]] = {}

    def read_through_own_file(self, key: tuple) -> bool:
        """In a forked child: go on with the parsed tree (a parse costs a
        second or so for 50 slits), reading blocks through a file opened
        here, not the one inherited, whose offset the parent moves.  asdf
        reads every block through one file object (``af._fd``, private),
        seeking before each read; its Python file is swapped for the new
        one.  False, and the file is forgotten (not closed: asdf's close
        might touch the shared file), where that is not how this asdf
        reads, or the path now names another file."""

        generic = getattr(self.af, "_fd", None)
        inherited = getattr(generic, "_fd", None)
        if (not isinstance(inherited, _bytes_io.BufferedReader) or hasattr(generic, "_mmap")
                or getattr(generic, "_inner_fd", None) is not None):
            return False
        try:
            fresh = open(key[0], "rb")  # noqa: SIM115 - owned by asdf's file from here on
        except OSError:
            return False
        stat = os.fstat(fresh.fileno())
        if (stat.st_size, stat.st_mtime_ns, stat.st_ino) != key[1:]:
            fresh.close()
            return False
        generic._fd = fresh
        inherited.close()  # this child's descriptor only; a reader's close does not seek
        return True

    def slit(self, index: int) -> tuple[Any, dict[str, Any]]:
        """The slit's lazy node (its ``wcs`` and ``meta`` made once, when
        asked for) and its arrays' YAML nodes, taken before anything made
        arrays of them (the node would keep those)."""

        slit = self.af.tree["slits"][index]
        if index not in self._arrays:
            raw = slit.data  # the tagged values; the lazy node converts on access
            arrays = {name: raw[name] for name in ARRAYS if name in raw}
            if not all(isinstance(node, asdf.tagged.Tagged) for node in arrays.values()):
                raise RuntimeError(f"slit {index} of {self.af.uri}: arrays made before read")
            self._arrays[index] = arrays
        return slit, self._arrays[index]


def _forget_read_blocks(af) -> None:
    """Have asdf drop the blocks it has read (it keeps each one until the
    file closes; a block read again is read from the file).  asdf has no
    public call for this: ``ReadBlock.close`` is what ``AsdfFile.close``
    uses.  Where it is missing (another asdf), the blocks are kept until
    the file is closed, as before; the deferred-reading tests notice."""
    for block in getattr(getattr(af, "_blocks", None), "blocks", ()):
        close = getattr(block, "close", None)
        if callable(close):
            close()
