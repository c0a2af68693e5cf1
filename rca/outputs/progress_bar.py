"""The phase and the bytes read, drawn on a terminal once the work has lasted a moment.

A bar for work that ends within half a second is gone before it can be read, and drawing it
cost more than the rest of the terminal answer: rich's console and live display imported
(~0.07 s, an eighth of a 1 MB export's analysis) and a thread redrawing it. So the bar is
started by a timer, on the timer's thread, and only if the work is still running then; the
reports made before it are kept, so it opens on the current phase and count.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

class LateBar:
    """A listener for rca.inputs.progress whose rich bar appears when `start` is called
    (never after `stop`), on the last phase and byte count reported; reports from any thread."""

    def __init__(self, console: Callable[[], Any]) -> None:
        self._console = console
        self._lock = threading.Lock()
        self._phase = "starting"
        self._read: tuple[int, int] | None = None  # the last (bytes done, bytes in all)
        self._bar: Any = None
        self._task: Any = None
        self._stopped = False

    def start(self) -> None:
        """Draw the bar on the console `console()` gives, if it is a terminal with colour."""
        console = self._console()
        if not console.is_terminal or console.no_color:
            return
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn(),
                       console=console, transient=True)
        with self._lock:
            if self._stopped:
                return
            self._bar, self._task = bar, bar.add_task(self._phase, total=None)
            if self._read:
                bar.update(self._task, completed=self._read[0], total=self._read[1])
            bar.start()

    def show(self, phase: str, done: int, total: int) -> None:
        with self._lock:
            # A new phase is drawn at once: a short phase would otherwise end between refreshes.
            fresh = phase != self._phase
            self._phase = phase
            if total:
                self._read = (done, total)
            if self._bar is None:
                return
            if total:
                self._bar.update(self._task, description=phase, completed=done, total=total, refresh=fresh)
            else:
                self._bar.update(self._task, description=phase, refresh=fresh)

    def stop(self) -> None:
        """Take the bar off the screen (if drawn); a `start` still to come draws nothing."""
        with self._lock:
            self._stopped = True
            bar, self._bar = self._bar, None
        if bar is not None:
            bar.stop()


def _quietly(start: Callable[[], None]) -> Callable[[], None]:
    """`start`, on the timer's thread, where an error would be a traceback on stderr: a bar
    that cannot be drawn is left undrawn, the work goes on."""

    def run() -> None:
        try:
            start()
        except Exception:  # noqa: BLE001 - the bar is an aid, never worth a traceback
            return

    return run


@contextmanager
def late_bar(console: Callable[[], Any], after: float) -> Iterator[LateBar]:
    """A LateBar started `after` seconds into the block unless the block has ended by then,
    and taken off the screen when it ends."""
    bar = LateBar(console)
    timer = threading.Timer(after, _quietly(bar.start))
    timer.daemon = True
    timer.start()
    try:
        yield bar
    finally:
        timer.cancel()
        bar.stop()
