"""numpy as the command line imports it: without the docstrings of its C functions and types
on the numpy release that was checked, otherwise as numpy imports itself; numpy works alike."""

import json
import subprocess
import sys

_DESCRIBE = """
import json, sys
{before}
import numpy as np
a = np.arange(6).reshape(2, 3)
print(json.dumps([np.ndarray.all.__doc__ is not None, np.add.__doc__ is not None,
                  [int(a.sum()), a.max(axis=0).tolist(), np.unique([3, 1, 3]).tolist()],
                  any(type(f).__name__ == "_NumpyDocstrings" for f in sys.meta_path)]))
"""

_HOOKED = "from rca.lazy import numpy_without_docstrings\nnumpy_without_docstrings()"
_UNCHECKED = "import rca.lazy\nrca.lazy._DOCS_ONLY_NUMPY = ('0.',)\n" + _HOOKED
_WORKS = [15, [3, 4, 5], [1, 3]]


def _described(before: str) -> list:
    out = subprocess.run([sys.executable, "-c", _DESCRIBE.format(before=before)], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def test_the_command_line_s_numpy_leaves_its_method_docstrings_unwritten_and_works_alike():
    assert _described("") == [True, True, _WORKS, False]
    assert _described(_HOOKED) == [False, True, _WORKS, False]


def test_a_numpy_release_not_checked_is_imported_with_its_docstrings():
    assert _described(_UNCHECKED) == [True, True, _WORKS, False]


def test_the_command_line_installs_the_hook():
    code = "import sys\nimport rca.cli as cli\ncli._run = lambda: None\ncli._leave = lambda code: None\ncli.main()\n" \
           "print(any(type(f).__name__ == '_NumpyDocstrings' for f in sys.meta_path))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() == ["True"]
