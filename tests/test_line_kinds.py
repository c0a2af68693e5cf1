"""How `rca patterns` tells JSON, quoted, logfmt and plain lines apart, decided mostly from each
line's first byte: the same kinds as anchored matches over every line, whatever the white space
(as `str.isspace` sees it), the chunking or the string width."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from rca.table.structured import _SPACE, _kinds

SPACES = ["", " ", "\t", "\r", "\x0b", "\x1c", "\x85", "\xa0", "\u1680", "\u2003", "\u2028", "\u202f", "\u3000", " \u3000\t"]
BODIES = ['{"msg":"x"}', '"quoted"', '"quoted \\"esc\\""', "ts=1 level=info msg=x", "plain text = not logfmt",
          "=no key", "é accent first", "", "\u3001 ideographic comma", "{not json", '"']


def _expected(line: str):
    """The kinds as one anchored RE2 match over every line would give them."""
    one = pa.array([line], pa.string())

    def opens(pattern: str) -> bool:
        return pc.match_substring_regex(one, pattern)[0].as_py()

    is_obj = opens(rf"^{_SPACE}*\{{")
    stripped = line.strip()
    quoted = not is_obj and opens(rf'^{_SPACE}*"') and stripped.startswith('"') and stripped.endswith('"')
    logfmt = not is_obj and not quoted and opens(rf"^{_SPACE}*[^\s=]+=")
    return is_obj, quoted, logfmt


LINES = [s + b for s in SPACES for b in BODIES]


@pytest.mark.parametrize("make", [
    lambda v: pa.array(v, pa.string()),
    lambda v: pa.array(v, pa.large_string()),
    lambda v: pa.chunked_array([pa.array(v[:50], pa.large_string()), pa.array(v[50:], pa.large_string())]),
    lambda v: pa.array(["pad", *v], pa.large_string()).slice(1),
], ids=["string", "large_string", "chunked", "sliced"])
def test_line_kind_follows_the_first_character_after_white_space(make):
    is_obj, quoted, _, logfmt, _ = _kinds(make(LINES))
    got = list(zip(is_obj.tolist(), quoted.tolist(), logfmt.tolist(), strict=True))
    assert got == [_expected(line) for line in LINES]
