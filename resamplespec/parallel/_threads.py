"""Threads, and whether this process may fork."""

from __future__ import annotations

import multiprocessing
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def can_fork() -> bool:
    """Whether work may run in forked processes: the platform forks,
    and no other thread runs here (a fork copies only the calling thread,
    and locks another thread holds would stay locked in the child).  tqdm's
    monitor thread (of our progress bar or the caller's) is no obstacle: it
    only touches tqdm's own lock, and the children draw no bars."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    # tqdm is imported only where threads may be running, for its monitor's class
    from tqdm._monitor import TMonitor

    others = [t for t in threading.enumerate() if t is not threading.current_thread()]
    return all(isinstance(t, TMonitor) for t in others)


def map_threads(function: Callable[[Item], Result], items: Sequence[Item], *,
                workers: int, name: str = "resample") -> list[Result]:
    """``[function(item) for item in items]`` on ``workers`` threads, in order.

    The first exception is raised once the others are cancelled.
    ``warnings.catch_warnings`` (used down the chain) is not thread-safe:
    the filters the threads save and restore can interleave.  Restoring them
    here, once every thread is done, leaves the caller's filters as found.
    """
    with warnings.catch_warnings(), ThreadPoolExecutor(
        workers, thread_name_prefix=name
    ) as pool:
        futures = [pool.submit(function, item) for item in items]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def locked(tick: Callable[[int], Any]) -> Callable[[int], Any]:
    """``tick`` made safe to call from several threads."""
    lock = threading.Lock()

    def locked_tick(steps: int) -> None:
        with lock:
            tick(steps)

    return locked_tick
