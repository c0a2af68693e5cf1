"""The methods dataclasses writes as rca starts, compiled once and kept for later runs.

`dataclasses` writes each class's `__init__`, `__repr__`, `__eq__`… as Python source and
compiles it as the class is defined: the ~60 dataclasses a small analysis defines (rca's and
its libraries') make ~180 such compiles, about a tenth of the instructions of analysing a
1 MB export. Read back with marshal, the same code costs ~1 ms.

The command line has dataclasses take its code from here (`install`). The source is compiled
exactly as dataclasses compiles it (same text, file name "<string>", no inherited flags) and
run in the same namespaces, so the methods are the same. Kept in rca's cache folder "code"
(rca.cache: the user's own, 0700), one file per Python build; only source dataclasses itself
wrote is kept.
"""

from __future__ import annotations

import dataclasses
import marshal
import sys
from types import CodeType
from typing import Any

from rca import cache


def _dumps(kept: dict) -> bytes | None:
    try:
        return marshal.dumps(kept)
    except ValueError:
        return None


# Beyond 2048 sources, only the code the latest run used is kept.
_CODE = cache.Kept("code", f"dataclasses-{sys.implementation.cache_tag}-{sys.hexversion:x}.marshal", 2048,
                   _dumps, marshal.loads, lambda source, code: isinstance(source, str) and isinstance(code, CodeType))


def install() -> None:
    """Have dataclasses compile through here from now on (the command line's process only)."""
    if hasattr(dataclasses, "_create_fn") or hasattr(dataclasses, "_FuncBuilder"):
        dataclasses.exec = _exec  # a module global: it shadows the builtin for dataclasses alone


def _exec(source: Any, globals: dict[str, Any] | None = None, locals: Any = None) -> None:
    """`exec` as dataclasses calls it, the compiled source read from earlier runs."""
    if not isinstance(source, str):
        return exec(source, globals, locals)
    if globals is None:  # the builtin would run it in its caller's namespaces
        caller = sys._getframe(1)
        globals, locals = caller.f_globals, caller.f_locals if locals is None else locals
    code = _CODE.get(source)
    if code is None:
        code = compile(source, "<string>", "exec", dont_inherit=True)
        _CODE.add(source, code)
    return exec(code, globals, locals)


def keep() -> None:
    """Write the code kept so far for later runs, when this run compiled new code (the
    command line calls this as it leaves)."""
    _CODE.keep()
