"""pyarrow.compute as the command line imports it: lean (no wrapper help) on the pyarrow it was
checked against, otherwise pyarrow's own with each options docstring parsed once."""

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


_LEAN = "from rca.lazy import compute_wrappers_without_help\ncompute_wrappers_without_help()"
# A pyarrow the lean import was not checked against: its own import, each options docstring parsed once.
_UNCHECKED = "import rca.lazy\nrca.lazy._LEAN_COMPUTE_PYARROW = ('0.',)\n" + _LEAN


def _described(before: str) -> list:
    out = subprocess.run([sys.executable, "-c", _DESCRIBE.format(before=before)], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def test_the_hook_is_gone_and_the_parser_restored_once_pyarrow_compute_is_imported():
    functions, parser_is_the_class, dedent_kind, hooked = _described(_UNCHECKED)
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


# What the command line's pyarrow.compute holds, name by name, and what a few calls give back.
_LEAN_DESCRIBE = """
import json, sys
{before}
import pyarrow as pa, pyarrow._compute, pyarrow.compute as pc
names = {{}}
for k, v in sorted(vars(pc).items()):
    if k.startswith("__"):
        continue
    seen = [type(v).__name__]
    if hasattr(v, "__arrow_compute_function__"):
        seen += [repr(v.__arrow_compute_function__), v.__name__, v.__qualname__, v.__module__, v.__code__.co_name]
    elif hasattr(v, "__code__"):
        seen += [v.__code__.co_filename, v.__code__.co_firstlineno]
    names[k] = seen
text = pa.array(["ab1", "cd22", None])
calls = [pc.replace_substring_regex(text, "[0-9]", "#"), pc.add(pa.array([1, 2]), 3), pc.round(pa.array([1.25]), 1),
         pc.round(pa.array([1.25]), ndigits=1), pc.and_(pa.array([True, False]), True), pc.utf8_upper(text),
         pc.max_element_wise(pa.array([1, 5]), pa.array([3, 2])), pc.count(text), pc.utf8_zfill(pa.array(["7"]), 3),
         pc.match_substring(text, pattern="b"), pc.field("x") > 1]
for wrong in (lambda: pc.add(1), lambda: pc.round(pa.array([1.0]), 2, options=pc.RoundOptions(1))):
    try:
        wrong()
    except TypeError as exc:
        calls.append(exc)
help_text = pc.utf8_upper.__doc__ is not None
print(json.dumps([names, [str(c) for c in calls], help_text, pyarrow._compute.function_registry is pc.function_registry,
                  any(getattr(f, "_name", None) == "pyarrow.compute" for f in sys.meta_path)]))
"""


def _lean_described(before: str) -> list:
    out = subprocess.run([sys.executable, "-c", _LEAN_DESCRIBE.format(before=before)], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def test_the_command_line_s_pyarrow_compute_has_every_name_and_wrapper_of_a_plain_import():
    plain_names, _, _, _, _ = _lean_described("")
    lean_names, _, help_text, registry_restored, hooked = _lean_described(_LEAN)
    assert len(plain_names) > 300
    assert lean_names == plain_names
    assert (help_text, registry_restored, hooked) == (False, True, False)


def test_the_command_line_s_compute_wrappers_compute_and_refuse_as_pyarrow_s_own():
    _, plain_calls, _, _, _ = _lean_described("")
    _, lean_calls, _, _, _ = _lean_described(_LEAN)
    assert lean_calls == plain_calls


def test_with_a_pyarrow_it_was_not_checked_against_the_import_is_pyarrow_s_own():
    plain = _described("")
    unchecked = _described(_UNCHECKED)
    assert len(plain[0]) > 200
    assert unchecked == plain


def test_pydoc_is_imported_only_when_something_uses_it():
    code = ("import sys\n" + _LEAN + "\nimport pyarrow.compute\nfrom pyarrow.vendored import docscrape\n"
            "print('pydoc' in sys.modules)\nprint(docscrape.pydoc.getdoc(len) == 'Return the number of items in a container.')\n"
            "import pydoc\nprint('pydoc' in sys.modules and pydoc.getdoc is docscrape.pydoc.getdoc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True", "True"]
