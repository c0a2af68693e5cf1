"""Heavy modules imported only when used: public names of a package (so `rca --help` does not
load pyarrow) and loguru's logger (so a run that says nothing does not load asyncio); and
pyarrow.compute imported for less when it is."""

from __future__ import annotations

import functools
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from importlib import import_module
from typing import Any, ContextManager


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
    After `quiet` (rca used as a library) a message is dropped here while nothing has loaded
    loguru, as loguru would drop it, and goes to loguru once something has.
    """

    def __init__(self) -> None:
        self._threshold = 0
        self._setup: Callable[[Any], None] | None = None
        self._quiet = False

    def quiet(self, name: str) -> None:
        """loguru's `disable(name)`, the way a library stays quiet, without importing loguru:
        applied now when loguru is loaded, else the moment anything imports it, so that a
        caller who imports loguru later can still `enable(name)`."""
        self._quiet = True
        if "loguru" in sys.modules:
            self._real().disable(name)
        else:
            sys.meta_path.insert(0, _AfterImport("loguru", lambda loguru: loguru.logger.disable(name)))

    def configure(self, level: str, setup: Callable[[Any], None]) -> None:
        """Show messages at `level` and above; `setup(loguru_logger)` installs the handler."""
        self._threshold = _LEVELS[level.lower()]
        self._setup = setup
        self._quiet = False
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
        if self._quiet and name in _LEVELS and "loguru" not in sys.modules:
            return _dropped
        return getattr(self._real(), name)


class _AfterImport:
    """An import hook that runs `then(module)` as soon as `name` is first imported, by anyone,
    before the importer gets the module back; it removes itself once used. With `around`, the
    module's code runs inside `around()`."""

    def __init__(self, name: str, then: Callable[[Any], None],
                 around: Callable[[], ContextManager[Any]] = nullcontext) -> None:
        self._name, self._then, self._around = name, then, around

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self._name:
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        from importlib.util import find_spec

        spec = find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenLoader(spec.loader, self._then, self._around)
        return spec


class _ThenLoader:
    """A module's own loader, inside `around()` and followed by `then(module)`; anything else
    is the loader's."""

    def __init__(self, loader: Any, then: Callable[[Any], None],
                 around: Callable[[], ContextManager[Any]] = nullcontext) -> None:
        self._loader, self._then, self._around = loader, then, around

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        with self._around():
            self._loader.exec_module(module)
        self._then(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


logger = LazyLogger()


def parse_compute_docs_once() -> None:
    """Make the first import of pyarrow.compute, by anyone, parse each docstring it writes once
    (an import hook; nothing is imported now). That import wraps each of Arrow's ~290 compute
    functions and writes each wrapper's docstring, parsing the NumPy-style docstring of the
    function's options class every time: 109 parses of 57 docstrings, about a quarter of the
    import. The wrappers and their docstrings come out the same."""
    if "pyarrow.compute" not in sys.modules and not any(
            isinstance(f, _AfterImport) and f._name == "pyarrow.compute" for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport("pyarrow.compute", lambda module: None, around=_docs_parsed_once))


@contextmanager
def _docs_parsed_once() -> Iterator[None]:
    """pyarrow's docstring parser and textwrap.dedent remembering their answers, for as long
    as pyarrow.compute is being imported (which binds dedent for itself). A pyarrow without
    that parser is imported as it is: this is a saving, never a condition."""
    try:
        from pyarrow.vendored import docscrape
    except ImportError:
        docscrape = None
    parse, dedent = getattr(docscrape, "NumpyDocString", None), textwrap.dedent
    if parse is None:
        yield
        return
    docscrape.NumpyDocString = functools.lru_cache(maxsize=None)(parse)
    textwrap.dedent = functools.lru_cache(maxsize=None)(dedent)
    try:
        yield
    finally:
        docscrape.NumpyDocString, textwrap.dedent = parse, dedent


class LazyRegex:
    """A `regex` pattern compiled when first used (rca.compiled, so kept for later runs too),
    for a module's patterns that most runs never use (compiling one costs ~0.3-1 ms, and a
    small analysis imports ~100): used as the compiled pattern. The first use keeps the pattern's methods on this object, so later
    uses cost what a compiled pattern's do."""

    _KEPT = ("search", "match", "fullmatch", "sub", "subn", "split", "splititer", "findall", "finditer",
             "scanner", "pattern", "flags", "groups", "groupindex")

    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        from rca.compiled import compiled

        pattern = compiled(*self._source)
        for kept in self._KEPT:
            self.__dict__[kept] = getattr(pattern, kept)
        return getattr(pattern, name)

    def __reduce__(self) -> tuple[Any, ...]:
        return LazyRegex, self._source
