"""pyarrow.compute imported with each options docstring parsed once is the same module."""

import json
import subprocess
import sys

_DESCRIBE = """
import json, sys, textwrap
{before}
import pyarrow.compute as pc
from pyarrow.vendored import docscrape
functions = {{n: [f.__doc__, str(getattr(f, "__signature__", ""))] for n in dir(pc)
             if callable(f := getattr(pc, n)) and hasattr(f, "__arrow_compute_function__")}}
print(json.dumps([functions, isinstance(docscrape.NumpyDocString, type), type(textwrap.dedent).__name__,
                  any(getattr(f, "_name", None) == "pyarrow.compute" for f in sys.meta_path)]))
"""


def _described(before: str) -> list:
    out = subprocess.run([sys.executable, "-c", _DESCRIBE.format(before=before)], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def test_compute_functions_docstrings_and_signatures_are_those_of_a_plain_import():
    plain = _described("")
    once = _described("from rca.lazy import parse_compute_docs_once\nparse_compute_docs_once()")
    assert len(plain[0]) > 200
    assert once == plain


def test_the_hook_is_gone_and_the_parser_restored_once_pyarrow_compute_is_imported():
    functions, parser_is_the_class, dedent_kind, hooked = _described("from rca.lazy import parse_compute_docs_once\n"
                                                          "parse_compute_docs_once()")
    assert (parser_is_the_class, dedent_kind, hooked) == (True, "function", False)



def test_without_pyarrow_s_docstring_parser_the_import_goes_ahead_unchanged(monkeypatch):
    import textwrap

    from rca.lazy import _docs_parsed_once

    import pyarrow.vendored

    # A pyarrow that moved it (the attribute too: an earlier import in this process set it).
    monkeypatch.setitem(sys.modules, "pyarrow.vendored.docscrape", None)
    monkeypatch.delattr(pyarrow.vendored, "docscrape", raising=False)
    dedent = textwrap.dedent
    with _docs_parsed_once():
        assert textwrap.dedent is dedent


def test_a_docstring_module_without_its_parser_leaves_the_import_unchanged(monkeypatch):
    import textwrap
    import types

    from rca.lazy import _docs_parsed_once

    import pyarrow.vendored

    renamed = types.ModuleType("docscrape")
    monkeypatch.setitem(sys.modules, "pyarrow.vendored.docscrape", renamed)
    monkeypatch.setattr(pyarrow.vendored, "docscrape", renamed, raising=False)
    dedent = textwrap.dedent
    with _docs_parsed_once():
        assert textwrap.dedent is dedent
