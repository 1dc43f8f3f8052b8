"""The executors: running independent pieces of work on several processes
or threads.

They take the work as a callable and know nothing of what it does: the
chain (:mod:`resamplespec.pipeline`) imports them, never the reverse.

- :func:`map_forked`: items on this process and forked children that
  inherit the inputs; results come back through files in shared memory,
  mapped rather than copied.
- :func:`map_threads`: items on threads, the caller's warning filters kept.
- :func:`can_fork`: whether forking is safe here now.
- :func:`progress`, :func:`locked`: progress across workers.
"""

from ._forked import WorkerDied, map_forked
from ._progress import progress
from ._threads import can_fork, locked, map_threads

__all__ = [
    "WorkerDied",
    "can_fork",
    "locked",
    "map_forked",
    "map_threads",
    "progress",
]
