"""How many cores a job may keep busy: the machine's, less what other work already uses.

Threads that share a core with other busy processes buy no time and hold more memory (each
mapped range is held whole while it works), so on a busy machine work runs on one.
"""

from __future__ import annotations

import os
import threading


def spare_cores(limit: int = 2) -> int:
    """At most `limit` cores; one when the machine is busy: the 1-minute load average fills
    every core and, right now, other threads are runnable on every core too. The average lags
    by a minute: run after run of rca on an idle machine (a benchmark, a script) would read
    its own last run in it and work on one core."""
    cores = min(limit, os.cpu_count() or 1)
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on every platform
        return cores
    if load < (os.cpu_count() or 1):
        return cores
    others = _runnable_now()
    return cores if others is not None and others < (os.cpu_count() or 1) else 1


def _runnable_now(path: str = "/proc/loadavg") -> int | None:
    """How many threads besides this one are runnable at this instant (Linux's /proc/loadavg:
    its fourth field counts them, this one included); None where that cannot be read."""
    try:
        with open(path, encoding="ascii") as fh:
            return int(fh.read().split()[3].split("/")[0]) - 1
    except (OSError, ValueError, IndexError):
        return None


def on_worker_thread() -> bool:
    """Whether this code runs on a worker thread (its caller already spreads work over cores)."""
    return threading.current_thread() is not threading.main_thread()
