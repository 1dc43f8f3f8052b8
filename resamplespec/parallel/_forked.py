"""Work items in forked processes, the calling process among them.

:func:`map_forked` runs ``function(k)`` for every item ``k`` on ``workers``
processes: this one and ``workers - 1`` children forked from it.  Why this
and not :class:`concurrent.futures.ProcessPoolExecutor`:

* The children inherit the items (the inputs) through the fork, and the
  caller works too: with two workers, one child, and only its share of
  the results crosses between processes.
* Results come back through files in shared memory (``/dev/shm`` where
  there is one), each as soon as it is made: a child pickles a result
  with its arrays out of band and writes the arrays there; this process,
  between items of its own, maps the file and unpickles over the mapping,
  so the products' arrays are not copied here.  Through a pool's pipes,
  pickling and unpickling 80 MB of products took as long as a third of
  the work they came from, all of it after the work.
* Items are handed out by an atomic counter in shared memory, in the
  order given (largest first balances best), so a process that finishes
  early takes the next item.  No lock: a lock held by a killed child would
  hang everyone.

A child that dies (killed by the system, say) is reported with the items
it had taken; an exception in any process stops the others from taking
new items and is raised here, with a child's traceback as its cause.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import pickle
import shutil
import signal
import struct
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..kernel import fetch_add

#: Byte alignment of each array in a result file (a cache line; the
#: mapping itself starts on a page).
_ALIGN = 64

# The words of a _Board: two counters, then per position its owner and state.
_NEXT, _FINISHED = 0, 1
_UNFINISHED, _FINISHED_HERE, _PUBLISHED, _SPILLED, _COLLECTED = range(5)


class WorkerDied(RuntimeError):
    """A worker process ended without returning its results."""


class _RemoteTraceback(Exception):
    """The traceback of an exception raised in a child, as its text."""

    def __init__(self, text: str) -> None:
        super().__init__(text)

    def __str__(self) -> str:
        return "\n" + self.args[0]


def map_forked(
    function: Callable[[int], Any],
    order: Sequence[int],
    *,
    workers: int,
    on_finished: Callable[[int], Any] | None = None,
    describe: Callable[[int], str] = str,
) -> dict[int, Any]:
    """``{k: function(k) for k in order}``, on ``workers`` processes.

    ``order``: the items (distinct integers), in the order they are handed
    out.  ``on_finished(n)`` is called in this process with the number of
    items finished since its last call (progress).  ``describe(k)`` names
    item ``k`` in the error for a child that died.  ``function`` must not
    rely on other threads (a fork copies only the calling one).
    """
    order = list(order)
    workers = max(1, min(workers, len(order)))
    board = _Board(len(order))
    folders = _Folders()
    children: dict[int, int] = {}  # worker number -> pid
    results: dict[int, Any] = {}
    reported = 0

    def collect() -> None:
        """What the children have published so far, and progress."""
        nonlocal reported
        for position, spilled in board.published():
            results[order[position]] = _load(folders.of(spilled), str(position))
            board.collected(position)
        finished = board.finished
        if on_finished is not None and finished > reported:
            on_finished(finished - reported)
        reported = finished

    try:
        for worker in range(1, workers):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which never returns
                _child(worker, function, order, board, folders)
            children[worker] = pid
        try:
            while (position := board.take(0)) is not None:
                results[order[position]] = function(order[position])
                board.set_state(position, _FINISHED_HERE)
                collect()
        except BaseException:
            board.stop()
            raise
        failures = []
        for worker, pid, code in _wait(children, collect):
            del children[worker]
            collect()
            error = _load_error(folders, worker)
            lost = board.unfinished(worker)
            if error is not None:
                failures.append(error)
            elif lost:  # (a child that ends badly after publishing all it took lost nothing)
                taken = ", ".join(describe(order[p]) for p in lost) or "nothing"
                failures.append(WorkerDied(f"a worker process (pid {pid}) {_how(code)} "
                                           f"while resampling {taken}; its results are lost"))
        collect()
        if failures:
            raise failures[0]
        return results
    finally:
        board.stop()
        _reap(children)
        folders.remove()
        board.close()


class _Board:
    """What the processes share, in an anonymous shared mapping made before
    the fork: the next position in the order to hand out (past the end: no
    more work, which is also how work is stopped), the number of items
    finished (progress), and per position the worker that took it and its
    state (unfinished, finished here, published by a child in shared memory
    or in the spill folder, collected).  Every change is atomic."""

    def __init__(self, n_items: int) -> None:
        self._n_items = n_items
        self._mapping = mmap.mmap(-1, 8 * (2 + 2 * n_items))
        self._words = np.frombuffer(self._mapping, dtype=np.int64)

    def take(self, worker: int) -> int | None:
        """The next position for ``worker``, or None when there is none."""
        position = fetch_add(self._words, _NEXT, 1)
        if position >= self._n_items:
            return None
        fetch_add(self._words, 2 + position, worker)
        return position

    def set_state(self, position: int, state: int) -> None:
        """Move ``position`` on from its present state (states only grow)."""
        word = 2 + self._n_items + position
        before = fetch_add(self._words, word, 0)
        fetch_add(self._words, word, state - before)
        if before == _UNFINISHED:
            fetch_add(self._words, _FINISHED, 1)

    def publish(self, position: int, spilled: bool) -> None:
        self.set_state(position, _SPILLED if spilled else _PUBLISHED)

    def collected(self, position: int) -> None:
        self.set_state(position, _COLLECTED)

    def published(self) -> list[tuple[int, bool]]:
        """(position, spilled) of the results published and not collected."""
        states = self._words[2 + self._n_items:]
        return [(int(p), bool(states[p] == _SPILLED))
                for p in np.flatnonzero((states == _PUBLISHED) | (states == _SPILLED))]

    def stop(self) -> None:
        """No process takes another item."""
        fetch_add(self._words, _NEXT, self._n_items + 1)

    @property
    def finished(self) -> int:
        return int(self._words[_FINISHED])

    def unfinished(self, worker: int) -> list[int]:
        """The positions ``worker`` (a child) took and did not publish."""
        owners = self._words[2:2 + self._n_items]
        states = self._words[2 + self._n_items:]
        return [int(p) for p in np.flatnonzero((owners == worker) & (states == _UNFINISHED))]

    def close(self) -> None:
        del self._words
        self._mapping.close()


class _Folders:
    """Where children put their results: a folder in shared memory, and a
    spill folder on disk for when shared memory is full (the same folder
    where there is no shared memory)."""

    def __init__(self) -> None:
        shared = _shared_memory_folder()
        self.primary = tempfile.mkdtemp(prefix="resamplespec-", dir=shared)
        self.spill = self.primary if shared is None else tempfile.mkdtemp(
            prefix="resamplespec-spill-")

    def of(self, spilled: bool) -> str:
        return self.spill if spilled else self.primary

    def remove(self) -> None:
        for folder in {self.primary, self.spill}:
            shutil.rmtree(folder, ignore_errors=True)


def _child(worker: int, function, order, board: _Board,
           folders: _Folders) -> None:  # pragma: no cover - runs in a child
    """A child's whole life: items until there are none, each result
    published as soon as it is made; an exception stops every process and
    is published as ``error-<worker>``.  Exits, never returns."""
    code = 1
    try:
        try:
            while (position := board.take(worker)) is not None:
                result = function(order[position])
                board.publish(position, _dump(folders, str(position), result))
        except BaseException as exc:
            board.stop()
            _dump(folders, f"error-{worker}", _portable(exc))
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


def _portable(exc: BaseException) -> tuple[BaseException, str]:
    """``exc`` as something that pickles, and its traceback's text (which
    pickling drops, with the cause: :func:`_load_error` puts it back)."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        clone = pickle.loads(pickle.dumps(exc))
    except Exception:
        clone = RuntimeError(f"{type(exc).__name__}: {exc}")
    return clone, text


def _dump(folders: _Folders, name: str, value: Any) -> bool:  # pragma: no cover - child
    """Write ``value`` to the file ``name``: its pickle, then its arrays
    (out of band, each aligned; small ones too: unpickling them in band
    copies them, which costs more than their writes).  Returns whether it
    went to the spill folder (shared memory was full)."""
    buffers: list[pickle.PickleBuffer] = []
    pickled = pickle.dumps(value, protocol=5, buffer_callback=buffers.append)
    try:
        _write(os.path.join(folders.primary, name), pickled, buffers)
        return False
    except OSError:
        if folders.spill == folders.primary:
            raise
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(folders.primary, name))
        _write(os.path.join(folders.spill, name), pickled, buffers)
        return True


def _write(path: str, pickled: bytes,
           buffers: list[pickle.PickleBuffer]) -> None:  # pragma: no cover - child
    """The layout :func:`_load` reads: the header's length (8 bytes), the
    header (the arrays' spans and the pickle), then, from the next aligned
    offset, each array at its span (counted from there)."""
    raws = [buffer.raw() for buffer in buffers]
    spans, offset = [], 0
    for raw in raws:
        offset += -offset % _ALIGN
        spans.append((offset, offset + raw.nbytes))
        offset += raw.nbytes
    header = pickle.dumps((spans, pickled), protocol=5)
    with open(path, "wb") as f:
        f.write(struct.pack("<q", len(header)))
        f.write(header)
        f.write(b"\0" * (_arrays_start(len(header)) - 8 - len(header)))
        position = 0
        for raw, (start, stop) in zip(raws, spans, strict=True):
            f.write(b"\0" * (start - position))
            f.write(raw)
            position = stop


def _arrays_start(header_length: int) -> int:
    """Where a result file's arrays start: after its header, aligned."""
    start = 8 + header_length
    return start + -start % _ALIGN


def _load(folder: str, name: str) -> Any:
    """A value :func:`_dump` wrote, its arrays mapped rather than copied
    (privately: changing them here writes nothing back); its file is gone
    once read (the mapping keeps the pages as long as an array needs them)."""
    path = os.path.join(folder, name)
    with open(path, "rb") as f:
        (length,) = struct.unpack("<q", f.read(8))
        spans, pickled = pickle.loads(f.read(length))
        buffers = []
        if spans:
            view = memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY))
            base = _arrays_start(length)
            buffers = [view[base + start:base + stop] for start, stop in spans]
    os.unlink(path)
    return pickle.loads(pickled, buffers=buffers)


def _load_error(folders: _Folders, worker: int) -> BaseException | None:
    """The exception child ``worker`` published, if any, caused by its
    traceback in the child."""
    name = f"error-{worker}"
    for folder in (folders.primary, folders.spill):
        if os.path.exists(os.path.join(folder, name)):
            exc, text = _load(folder, name)
            exc.__cause__ = _RemoteTraceback(text)
            return exc
    return None


def _wait(children: dict[int, int], report: Callable[[], None]):
    """(worker, pid, exit code) of each child as it ends; progress meanwhile.
    Only our own children are waited for: a child of the caller's keeps its
    exit status for the caller."""
    running = dict(children)
    while running:
        ended = False
        for worker, pid in list(running.items()):
            waited, status = os.waitpid(pid, os.WNOHANG)
            if waited:
                del running[worker]
                ended = True
                yield worker, pid, os.waitstatus_to_exitcode(status)
        if not ended:
            report()
            time.sleep(0.005)


def _how(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with status {code}"


def _reap(children: dict[int, int]) -> None:
    """Children still running after a failure here: they stop after their
    current item (nothing is handed out any more); a second interrupt while
    waiting kills them."""
    try:
        for pid in children.values():
            _waitpid(pid)
    except BaseException:
        for pid in children.values():
            try:
                os.kill(pid, signal.SIGKILL)
                _waitpid(pid)
            except OSError:
                pass
        raise
    finally:
        children.clear()


def _waitpid(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _shared_memory_folder() -> str | None:
    """``/dev/shm`` where it is a writable folder (memory, not disk), else
    None: the temporary folder."""
    folder = "/dev/shm"
    if os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK):
        return folder
    return None
