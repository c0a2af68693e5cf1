"""Heavy modules imported only when used: public names of a package (so `rca --help` does not
load pyarrow) and loguru's logger (so a run that says nothing does not load asyncio); and
pyarrow.compute and numpy imported for less when they are."""

from __future__ import annotations

import functools
import sys
import textwrap
import types
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


def compute_wrappers_without_help() -> None:
    """For the command line: make the first import of pyarrow.compute, by anyone, wrap Arrow's
    compute functions without writing each wrapper's help (an import hook; nothing is imported
    now). That import writes a docstring and a signature for each of its ~290 wrappers (the
    options class's docstring parsed, its signature read, the parameters put together): about
    two thirds of the import, for help() and IDEs, which a command line's process never shows.
    The wrappers are pyarrow's own (`_make_generic_wrapper`: the same calls, options and
    errors), under the same names, with pyarrow's hand-written versions kept where it has them;
    only `__doc__` and `__signature__` are left unset. For a pyarrow this was not checked
    against, the import is pyarrow's own with each options docstring parsed once
    (`_docs_parsed_once`): 109 parses of 57 docstrings were about a quarter of it, and the
    wrappers and their help come out the same. Either way pydoc, which pyarrow's docstring
    parser imports and the command line never uses (~2% of a small analysis, with pkgutil and
    sysconfig), is imported only if something uses it (`_imported_when_used`)."""
    if "pyarrow.compute" not in sys.modules and not any(
            isinstance(f, _AfterImport) and f._name == "pyarrow.compute" for f in sys.meta_path):
        lean = _LeanCompute()
        sys.meta_path.insert(0, _AfterImport("pyarrow.compute", lean.finish, around=lambda: _lean_import(lean)))


@contextmanager
def _lean_import(lean: _LeanCompute) -> Iterator[None]:
    with _imported_when_used("pydoc"), lean.during():
        yield


class _WhenUsed(types.ModuleType):
    """Stands in for module `__name__`: its first attribute looked up imports the module."""

    def __getattr__(self, attr: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(import_module(self.__name__), attr)


@contextmanager
def _imported_when_used(name: str) -> Iterator[None]:
    """Within the block, `import name` gives a stand-in that imports the module when it is
    first used (after the block, `import name` imports it). importlib's LazyLoader cannot do
    this on Python 3.11: the import statement itself looks into the module, which loads it."""
    if name in sys.modules:
        yield
        return
    stand_in = sys.modules[name] = _WhenUsed(name)
    try:
        yield
    finally:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]


def numpy_without_docstrings() -> None:
    """For the command line: make the first import of numpy, by anyone, leave the docstrings
    of its C functions and types unwritten (an import hook; nothing is imported now). numpy
    writes them by running two modules of ~7,500 lines of `add_newdoc` calls as it is
    imported, ~4% of a 1 MB export's analysis, for help() and IDEs, which a command line's
    process never shows. On the numpy releases those modules were read for
    (`_DOCS_ONLY_NUMPY`: they write docstrings and nothing else, and nothing imports from
    them) they are left empty; any other numpy is imported as it is."""
    if "numpy" not in sys.modules and not any(isinstance(f, _NumpyDocstrings) for f in sys.meta_path):
        sys.meta_path.insert(0, _NumpyDocstrings())


# numpy releases whose numpy._core._add_newdocs and _add_newdocs_scalars were read.
_DOCS_ONLY_NUMPY = ("2.4.",)


class _NumpyDocstrings:
    """Finds numpy's docstring modules as empty ones, on a numpy release they were read for
    (whose version numpy has imported by then); it removes itself once both are found."""

    def __init__(self) -> None:
        self._left = {"numpy._core._add_newdocs", "numpy._core._add_newdocs_scalars"}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in self._left:
            return None
        self._left.discard(fullname)
        if not self._left and self in sys.meta_path:
            sys.meta_path.remove(self)
        version = getattr(sys.modules.get("numpy.version"), "version", "")
        if not version.startswith(_DOCS_ONLY_NUMPY):
            return None
        from importlib.machinery import ModuleSpec

        return ModuleSpec(fullname, self)

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        """Nothing run: the docstrings are left unwritten."""


# pyarrow releases whose pyarrow.compute was read for what _LeanCompute relies on: its wrappers
# are made by `_make_global_functions` from `function_registry()` with `_make_generic_wrapper`
# and `_get_options_class`, and only utf8_zero_fill of them is used while the module is run.
_LEAN_COMPUTE_PYARROW = ("26.",)


class _LeanCompute:
    """pyarrow.compute imported with only the wrappers its own import uses, the rest made once
    it is done (`finish`), as pyarrow makes them but without their help."""

    _USED_WHILE_IMPORTED = ("utf8_zero_fill",)
    _RENAMED = {"and": "and_", "or": "or_"}  # pyarrow's names for functions named like keywords

    def __init__(self) -> None:
        self._registry: Callable[[], Any] | None = None
        self._stand_in: Callable[[], Any] | None = None

    @contextmanager
    def during(self) -> Iterator[None]:
        import pyarrow
        import pyarrow._compute as native

        registry = getattr(native, "function_registry", None)
        if registry is None or not pyarrow.__version__.startswith(_LEAN_COMPUTE_PYARROW):
            with _docs_parsed_once():
                yield
            return
        self._registry = registry
        self._stand_in = native.function_registry = lambda: _FewFunctions(registry(), self._USED_WHILE_IMPORTED)
        try:
            yield
        finally:
            native.function_registry = registry

    def finish(self, module: Any) -> None:
        """Every other wrapper pyarrow would have made, where pyarrow has not put its own."""
        if self._registry is None:
            return
        made = module.__dict__
        if made.get("function_registry") is self._stand_in:  # the module imported it by name
            made["function_registry"] = self._registry
        registry = self._registry()
        for cpp_name in registry.list_functions():
            name = self._RENAMED.get(cpp_name, cpp_name)
            if cpp_name in made or name in made:
                continue
            func = registry.get_function(cpp_name)
            if func.kind == "hash_aggregate" or (func.kind == "scalar_aggregate" and func.arity == 0):
                continue  # not callable on their own: pyarrow does not expose them either
            wrapper = module._make_generic_wrapper(name, func, module._get_options_class(func), arity=func.arity)
            doc = func._doc
            wrapper.__arrow_compute_function__ = dict(name=func.name, arity=func.arity, options_class=doc.options_class,
                                                      options_required=doc.options_required)
            wrapper.__name__ = wrapper.__qualname__ = name
            made[cpp_name] = made[name] = wrapper


class _FewFunctions:
    """Arrow's function registry listing only `names` (those it has)."""

    def __init__(self, registry: Any, names: tuple[str, ...]) -> None:
        self._registry, self._names = registry, names

    def list_functions(self) -> list[str]:
        have = set(self._registry.list_functions())
        return [n for n in self._names if n in have]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._registry, name)


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
