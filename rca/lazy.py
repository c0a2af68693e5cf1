"""Heavy modules imported only when used: public names of a package (so `rca --help` does not
load pyarrow) and loguru's logger (so a run that says nothing does not load asyncio)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], list[str]]:
    """A module `__getattr__` resolving each name in `exports` from its module, and `__all__`."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(exports[name]), name)

    return __getattr__, sorted(exports)


# loguru's levels, to drop a message below the configured threshold without importing loguru.
_LEVELS = {"trace": 5, "debug": 10, "info": 20, "success": 25, "warning": 30, "error": 40, "critical": 50}


def _dropped(*args: Any, **kwargs: Any) -> None:
    return None


class LazyLogger:
    """loguru's logger, imported when a message must be shown: loguru loads asyncio and ssl
    (a tenth of a second), which a run that says nothing should not pay for.

    Used as loguru's `logger`. Once `configure` has named the level shown, a message below it
    is dropped here, as loguru's only handler would drop it; the handler itself is added when
    loguru is first imported, on the stream that was current when `configure` was called.
    Without `configure` (rca used as a library) every call goes to loguru, unchanged.
    """

    def __init__(self) -> None:
        self._threshold = 0
        self._setup: Callable[[Any], None] | None = None

    def configure(self, level: str, setup: Callable[[Any], None]) -> None:
        """Show messages at `level` and above; `setup(loguru_logger)` installs the handler."""
        self._threshold = _LEVELS[level.lower()]
        self._setup = setup
        if "loguru" in sys.modules:
            self._real()

    def _real(self) -> Any:
        from loguru import logger

        setup, self._setup = self._setup, None
        if setup is not None:
            setup(logger)
        return logger

    def __getattr__(self, name: str) -> Any:
        if _LEVELS.get(name, self._threshold) < self._threshold:
            return _dropped
        return getattr(self._real(), name)


logger = LazyLogger()


class LazyRegex:
    """A `regex` pattern compiled when first used, for a module's patterns that most runs
    never use (compiling one costs ~0.3-1 ms, and a small analysis imports ~100): used as
    the compiled pattern. The first use keeps the pattern's methods on this object, so later
    uses cost what a compiled pattern's do."""

    _KEPT = ("search", "match", "fullmatch", "sub", "subn", "split", "splititer", "findall", "finditer",
             "scanner", "pattern", "flags", "groups", "groupindex")

    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        import regex

        compiled = regex.compile(*self._source)
        for kept in self._KEPT:
            self.__dict__[kept] = getattr(compiled, kept)
        return getattr(compiled, name)

    def __reduce__(self) -> tuple[Any, ...]:
        return LazyRegex, self._source
