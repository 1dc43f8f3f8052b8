"""Peak resident memory of one call, for the benchmarks' child processes.

``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is the natural measure, but on
Linux it also carries the peak of the process this one was forked from and
the imports' own peak.  So, on Linux, :func:`reset` returns malloc's free
heap to the system (else the call's allocations could fill it unseen) and
clears the kernel's high-water mark (``/proc/self/clear_refs``), and
:func:`high_water_kb` reads it (``VmHWM``, what ru_maxrss reports for this
process's own memory); elsewhere both fall back on ru_maxrss.
"""

from __future__ import annotations

import ctypes
import gc
import resource


def reset() -> int:
    """Start a measurement; returns the current high-water mark (kB)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass
    return high_water_kb()


def high_water_kb() -> int:
    """Peak resident memory (kB) since the last :func:`reset`."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
