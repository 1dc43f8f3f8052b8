"""Where products may be written, and what the files written look like to others."""

import errno
import os
import stat

import pytest

from resamplespec import SpectralImage, datasets, io
from resamplespec.io import atomic_write, check_output_folder, check_output_path, current_umask


@pytest.fixture(scope="module")
def product():
    return SpectralImage.from_dict(datasets.nirspec_fixed_slit(n_exposures=1, shape=(12, 30),
                                                               seed=3)[0])


@pytest.fixture
def umask():
    """Set the process's umask for one test, and put the old one back."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield os.umask
    os.umask(previous)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002, 0o077])
@pytest.mark.parametrize("suffix", [".asdf", ".fits"])
def test_products_get_the_mode_open_would_give_under_the_umask(product, tmp_path, umask,
                                                               mask, suffix):
    umask(mask)
    assert current_umask() == mask
    written = io.write(product, tmp_path / f"out{suffix}")
    with open(tmp_path / "plain.txt", "w") as handle:
        handle.write("as open() makes it")
    assert _mode(written) == _mode(tmp_path / "plain.txt") == 0o666 & ~mask


def test_a_replaced_file_keeps_its_mode_as_with_open(product, tmp_path, umask):
    umask(0o022)
    path = tmp_path / "out.asdf"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    io.write(product, path, overwrite=True)
    assert _mode(path) == 0o640
    assert io.read(path).data.shape == (12, 30)


def test_any_atomic_write_gets_the_umask_mode(tmp_path, umask):
    umask(0o007)
    atomic_write(tmp_path / "picture.png", lambda handle: handle.write(b"\x89PNG"))
    assert _mode(tmp_path / "picture.png") == 0o660


def test_a_failed_write_names_the_file_not_its_temporary(tmp_path):
    def disk_full(handle):
        handle.write(b"half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OSError) as caught:
        atomic_write(tmp_path / "out.fits", disk_full)
    assert str(caught.value) == f"cannot write {tmp_path / 'out.fits'}: No space left on device"
    assert list(tmp_path.iterdir()) == []


def test_a_parent_that_is_a_file_is_said_before_any_work(product, tmp_path):
    (tmp_path / "taken").write_bytes(b"a file")
    for target in (tmp_path / "taken" / "out.fits", tmp_path / "taken" / "sub" / "out.fits"):
        with pytest.raises(NotADirectoryError) as caught:
            check_output_path(target)
        assert str(caught.value) == (f"cannot write {target}: {tmp_path / 'taken'} is a "
                                     "file, not a folder")
        with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
            io.write(product, target)
    with pytest.raises(NotADirectoryError, match="taken is a file, not a folder"):
        check_output_folder(tmp_path / "taken")


def test_a_folder_or_an_existing_file_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder; give a file name"):
        check_output_path(tmp_path)
    (tmp_path / "out.fits").write_bytes(b"keep")
    with pytest.raises(FileExistsError, match="out.fits exists; pass overwrite=True"):
        check_output_path(tmp_path / "out.fits")
    assert check_output_path(tmp_path / "out.fits", overwrite=True) == tmp_path / "out.fits"
    assert check_output_path(tmp_path / "new" / "deeper" / "a.asdf").parent.name == "deeper"
    assert not (tmp_path / "new").exists()  # checked, not made


def _unwritable(folder):
    """os.access that says ``folder`` cannot be written (as a read-only
    folder or file system does; root may write anywhere, so chmod would not)."""
    real_access = os.access

    def access(path, mode, **kwargs):
        if os.path.realpath(path) == os.path.realpath(folder) and mode & os.W_OK:
            return False
        return real_access(path, mode, **kwargs)

    return access


def test_a_read_only_folder_is_said_before_any_work(product, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "access", _unwritable(tmp_path))
    target = tmp_path / "sub" / "out.fits"
    with pytest.raises(PermissionError) as caught:
        check_output_path(target)
    assert str(caught.value) == f"cannot write {target}: no permission to write into {tmp_path}"
    with pytest.raises(PermissionError, match="no permission to write into"):
        check_output_folder(tmp_path / "single")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_a_really_read_only_folder_is_refused(product, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match="no permission to write into"):
            io.write(product, folder / "out.fits")
    finally:
        folder.chmod(0o755)
