"""Work for the main thread while the library waits on its own threads.

The command line knows what it will need once the analysis is done (the report's modules and
template); the library knows when its main thread would sit idle (while an export's byte
ranges are mapped on threads whose Arrow kernels release the GIL, so a core is partly free).
The command line hands its work over here; the library runs it then, once. Work nobody runs
is simply left: whoever needs it does it later, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_WORK: ContextVar[list[Callable[[], object]] | None] = ContextVar("rca_meanwhile", default=None)


@contextmanager
def meanwhile(*work: Callable[[], object]) -> Iterator[None]:
    """Run `work` when the library next waits on its threads inside the block (or never)."""
    token = _WORK.set(list(work))
    try:
        yield
    finally:
        _WORK.reset(token)


def while_waiting() -> None:
    """Run the work handed over, each once: called by the library as it starts to wait."""
    work = _WORK.get()
    while work:
        work.pop(0)()
