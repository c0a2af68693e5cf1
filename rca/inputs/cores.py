"""How many cores a job may keep busy: the machine's, less what other work already uses.

Threads that share a core with other busy processes buy no time and hold more memory (each
mapped range is held whole while it works), so on a busy machine work runs on one.
"""

from __future__ import annotations

import os
import threading


def spare_cores(limit: int = 2) -> int:
    """At most `limit` cores; one when the 1-minute load average already fills every core."""
    cores = min(limit, os.cpu_count() or 1)
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on every platform
        return cores
    return cores if load < (os.cpu_count() or 1) else 1


def on_worker_thread() -> bool:
    """Whether this code runs on a worker thread (its caller already spreads work over cores)."""
    return threading.current_thread() is not threading.main_thread()
