"""File names and atomic writes, for every format."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from ..models import MultiSlitImage, SpectralImage

#: File name suffixes and their formats.
SUFFIXES = {".asdf": "asdf", ".fits": "fits", ".fit": "fits", ".fits.gz": "fits"}


def file_format(path: str | os.PathLike) -> str:
    """'asdf' or 'fits' from the file name's suffix.

    Raises
    ------
    ValueError
        Any other suffix.
    """
    name = Path(path).name.lower()
    for suffix, kind in SUFFIXES.items():
        if name.endswith(suffix):
            return kind
    raise ValueError(
        f"{Path(path).name}: unknown file type; use one of {', '.join(SUFFIXES)}"
    )


def one_line(exc: BaseException) -> str:
    """An exception's message on one line, at most 300 characters: what an
    error about a damaged file quotes of the reader's own complaint."""
    if isinstance(exc, KeyError):
        return f"missing {exc}"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def product_to_write(product: Any, path: str | os.PathLike,
                      overwrite: bool) -> tuple[str, list[SpectralImage], Path]:
    """(kind, slits, path) of a product about to be written; refuses other
    objects and paths that cannot be written (:func:`check_output_path`)."""
    if isinstance(product, SpectralImage):
        kind, slits = "spectral_image", [product]
    elif isinstance(product, MultiSlitImage):
        kind, slits = "multi_slit_image", list(product.slits)
    else:
        raise TypeError(
            f"product must be a SpectralImage or MultiSlitImage, got {type(product).__name__}"
        )
    return kind, slits, check_output_path(path, overwrite=overwrite)


def check_output_path(path: str | os.PathLike, *, overwrite: bool = False,
                      replace_hint: str = "pass overwrite=True to replace it") -> Path:
    """Return ``path`` as a Path if a file can be written there, else raise.

    Checked before any work is done, so that a run is not lost at its end:
    the path is not a folder, does not exist (unless ``overwrite``), and its
    folder (or the nearest existing folder above it, where the rest will be
    made) is a folder this process may write into.

    Raises
    ------
    IsADirectoryError
        ``path`` is a folder.
    FileExistsError
        ``path`` exists and ``overwrite`` is False (the message ends with
        ``replace_hint``).
    NotADirectoryError
        A parent of ``path`` is a file.
    PermissionError
        The folder cannot be written into (permissions, read-only file system).

    Examples
    --------
    >>> check_output_path("/dev/null/out.fits")  # nothing is made, nothing is left
    Traceback (most recent call last):
    ...
    NotADirectoryError: cannot write /dev/null/out.fits: /dev/null is a file, not a folder
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give a file name")
    if os.path.lexists(path) and not overwrite:
        raise FileExistsError(f"{path} exists; {replace_hint}")
    _check_folder_of(path, path.parent)
    return path


def check_output_folder(folder: str | os.PathLike) -> Path:
    """Return ``folder`` as a Path if files can be written into it (it
    exists, or can be made), else raise ``NotADirectoryError`` (it or a
    parent is a file) or ``PermissionError``."""
    folder = Path(folder)
    if os.path.lexists(folder) and not folder.is_dir():
        raise NotADirectoryError(f"{folder} is a file, not a folder")
    _check_folder_of(folder, folder)
    return folder


def _check_folder_of(target: Path, folder: Path) -> None:
    """Raise unless ``target`` can be made in ``folder`` (made if missing)."""
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise NotADirectoryError(f"cannot write {target}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        if hasattr(os, "statvfs") and os.statvfs(existing).f_flag & os.ST_RDONLY:
            raise PermissionError(f"cannot write {target}: {existing} is on a read-only "
                                  "file system")
        raise PermissionError(f"cannot write {target}: no permission to write into {existing}")


def atomic_write(path: Path, writer) -> None:
    """Run ``writer(file)`` on a temporary file next to ``path``, then rename.

    The file gets the permissions an ordinary ``open(path, "w")`` would give
    it: those of the file it replaces, else ``0o666`` less the umask (the
    temporary file, made private by ``tempfile``, is opened up before the
    rename).  A failure names ``path``, never the temporary file, which is
    removed.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                                 dir=path.parent)
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            writer(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno is not None and exc.filename in (
                None, temporary):
            raise _naming(exc, path) from None
        raise


def _naming(exc: OSError, path: Path) -> OSError:
    """``exc`` said about ``path`` in one line, without errno or temporary names."""
    return type(exc)(f"cannot write {path}: {exc.strerror or exc}")


def _mode_for(path: Path) -> int:
    """The permission bits ``open(path, "w")`` would leave ``path`` with."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    """This process's umask, read without changing it where the OS says it
    (Linux ``/proc``); else set and restored at once."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
