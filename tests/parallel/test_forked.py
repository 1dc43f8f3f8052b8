"""map_forked: work items on forked processes, results through shared memory."""

import multiprocessing
import os
import signal
import tempfile
import time

import internals
import numpy as np
import pytest

from resamplespec.parallel import WorkerDied, map_forked

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="no fork on this platform")

PARENT = os.getpid()


def _product(k):
    """A result like a product: arrays large and small, and other objects."""
    rng = np.random.default_rng(k)
    return {"k": k, "data": rng.random((37, 211), dtype=np.float32),
            "table": np.arange(k + 3, dtype=np.float64), "pid": os.getpid(),
            "name": f"slit {k}"}


def _slow_first(function):
    """``function``, slow in this process: the child takes items too."""
    def slow(k):
        if os.getpid() == PARENT:
            time.sleep(0.2)
        return function(k)

    return slow


@pytest.fixture
def made_folders(monkeypatch):
    """The folders map_forked makes, to check that none is left."""
    made = []
    mkdtemp = tempfile.mkdtemp

    def recording_mkdtemp(*args, **kwargs):
        made.append(mkdtemp(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", recording_mkdtemp)
    return made


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_every_item_once_with_the_values_of_a_serial_run(workers, made_folders):
    order = [5, 0, 3, 1, 4, 2, 9, 7, 8, 6]
    results = map_forked(_product, order, workers=workers)
    assert sorted(results) == list(range(10))
    for k, value in results.items():
        expected = _product(k)
        assert value["data"].tobytes() == expected["data"].tobytes()
        assert value["table"].tobytes() == expected["table"].tobytes()
        assert value["name"] == expected["name"]
    pids = {value["pid"] for value in results.values()}
    assert len(pids) <= workers  # (fast items may all go to one process)
    assert made_folders and not any(os.path.exists(f) for f in made_folders)


def test_arrays_from_a_child_are_writable_and_independent():
    results = map_forked(_slow_first(_product), range(6), workers=2)
    from_child = [v for v in results.values() if v["pid"] != PARENT]
    assert from_child, "no item ran in the child: the test proved nothing"
    value = from_child[0]
    assert value["data"].flags.writeable and value["data"].flags.aligned
    value["data"][0, 0] = -1.0
    value["table"] += 1.0
    others = [v for v in from_child[1:]]
    assert all(v["data"][0, 0] != -1.0 for v in others)


def test_progress_counts_every_item():
    steps = []
    map_forked(_product, range(7), workers=2, on_finished=steps.append)
    assert sum(steps) == 7 and all(n > 0 for n in steps)


def _fails_in_the_child(k):
    if os.getpid() != PARENT and k >= 2:
        raise ValueError(f"bad slit {k}")
    return k


def test_an_exception_in_a_child_is_raised_here_with_its_traceback(made_folders):
    with pytest.raises(ValueError, match="bad slit") as caught:
        # the parent takes item 0, then item 1 slowly enough for the child to take 2
        map_forked(_slow_first(_fails_in_the_child), range(6), workers=2)
    assert "_fails_in_the_child" in str(caught.value.__cause__)
    assert not any(os.path.exists(f) for f in made_folders)


def _dies_in_the_child(k):
    if os.getpid() != PARENT:
        os.kill(os.getpid(), signal.SIGKILL)
    return k


def test_a_child_that_dies_is_reported_with_what_it_had_taken(made_folders):
    with pytest.raises(WorkerDied, match=r"killed by SIGKILL while resampling item [0-9]"):
        map_forked(_slow_first(_dies_in_the_child), range(4), workers=2,
                   describe=lambda k: f"item {k}")
    assert not any(os.path.exists(f) for f in made_folders)


def _fails_here(k):
    if os.getpid() == PARENT:
        raise KeyError("here")
    time.sleep(0.05)
    return k


def test_an_exception_here_stops_the_children_and_removes_their_files(made_folders,
                                                                      monkeypatch):
    forked = []
    fork = os.fork

    def recording_fork():
        pid = fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recording_fork)
    with pytest.raises(KeyError, match="here"):
        map_forked(_fails_here, range(50), workers=3)
    assert len(forked) == 2 and not any(os.path.exists(f) for f in made_folders)
    for pid in forked:  # every child was waited for
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_the_callers_own_children_are_left_to_the_caller():
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    map_forked(_product, range(4), workers=2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 7


def test_full_shared_memory_spills_to_the_temporary_folder(monkeypatch, tmp_path):
    """Where the shared-memory folder takes no more (here: it is not
    writable), the results go to the spill folder, with the same values."""
    full = tmp_path / "full"
    full.mkdir()

    class FullFolders(internals.Folders):
        def __init__(self):
            super().__init__()
            self.primary = str(full / "missing")  # every write there fails

    monkeypatch.setattr(internals.forked_module, "_Folders", FullFolders)
    results = map_forked(_slow_first(_product), range(6), workers=2)
    assert any(v["pid"] != PARENT for v in results.values())
    for k, value in results.items():
        assert value["data"].tobytes() == _product(k)["data"].tobytes()


def test_an_unpicklable_result_is_an_error_not_a_hang():
    def lambda_result(k):
        return (lambda: k) if os.getpid() != PARENT else k

    with pytest.raises(Exception, match="pickle|lambda"):
        map_forked(_slow_first(lambda_result), range(4), workers=2)
