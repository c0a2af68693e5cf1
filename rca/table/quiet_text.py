"""Plain-text lines that say nothing but their message, found over the whole column at once.

Most lines of a plain-text log (a time, then words) decode to their message alone: no status,
no failure word, no request line, no URL, no JSON or key=value pairs. Decoding each in Python
costs ~50 us, most of it the pack's failure pattern run by `regex`; Arrow's RE2 runs the same
patterns over the column in a fraction of that. A line is *quiet* only when every reason
`decode_line` could have to say more is ruled out: each check below is the RE2 twin of a test
`decode_line` makes, and the twins are exact on the lines they are run on — printable ASCII
and tabs, where `regex` and RE2 agree on every class (`\\d`, `\\s`, `\\w`, `\\b`) — for
patterns written in the syntax both engines read alike (`re2_twin`). Every other line (and
every line, when a pattern is written otherwise) is decoded by `decode_line` as before.
"""

from __future__ import annotations

import string

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex

from rca.compiled import compiled
from rca.inputs.timestamps import split_header_array, year_first_date

# Lines where `regex` and RE2 read every twin alike: printable ASCII and tabs.
_SIMPLE = r"^[\t\x20-\x7e]*$"
# `_parse_line`'s leading time before JSON (`_TIME_PREFIX`), stripped like it: RE2 has no
# look-ahead, so the opener is matched and written back.
_TIME_PREFIX = (rf"^{year_first_date('[0-9]')}[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}[^\t ]*[\t ]+"
                r"(?:(?:stdout|stderr) [FP] )?([{\[\"])")
# What `_parse_line` may turn into a structure, on the stripped line without that time: JSON
# (a line opening with `{`, `[` or `"` can be JSON only if it closes with `}`, `]` or `"`), an
# object closing the line.
_STRUCTURED = r"^[{\[\"].*[}\]\"]$|\}$"
# What `find_urls` could find (it drops backslashes before it looks).
_MAY_HOLD_URL = r"https?://|\\"
_FLAGS = regex.IGNORECASE | regex.MULTILINE | regex.DOTALL | regex.UNICODE | regex.V0
_ESCAPED = frozenset(string.punctuation + " ")
_CLASS_ESCAPES = frozenset("dDsSwW")
_GROUP_OPENERS = compiled(r"\(\?(?::|i:|P<[A-Za-z_][A-Za-z0-9_]*>)")
_COUNT = compiled(r"\{[0-9]+(?:,[0-9]*)?\}")


def re2_twin(pattern: regex.Pattern | None) -> str | None:
    """The RE2 pattern that finds a match in exactly the lines of _SIMPLE characters (and no
    newline) where `pattern.search` does, or None when the pattern is written in syntax the
    two engines might read differently (anything but literals, `.`, classes, escaped
    punctuation, `\\d\\s\\w\\b` and their negations, groups, alternation, greedy or lazy
    counts, anchors, and a leading `(?i)`)."""
    if pattern is None or pattern.flags & ~_FLAGS or not _plain_syntax(pattern.pattern):
        return None
    twin = ("(?i)" if pattern.flags & regex.IGNORECASE else "") + pattern.pattern
    try:
        pc.match_substring_regex(pa.array([], pa.string()), twin)
    except pa.ArrowInvalid:  # RE2 refuses it (a count above 1000)
        return None
    return twin


def _plain_syntax(source: str) -> bool:
    i, n, in_class = 0, len(source), False
    if source.startswith("(?i)"):
        i = 4
    while i < n:
        c = source[i]
        if not " " <= c <= "~":
            return False
        if c == "\\":
            e = source[i + 1:i + 2]
            if not (e in _ESCAPED or e in _CLASS_ESCAPES or (e in "bB" and not in_class)) or not e:
                return False
            if in_class and e in _CLASS_ESCAPES and source[i + 2:i + 3] == "-" and source[i + 3:i + 4] != "]":
                return False  # a range from a class escape
            i += 2
            continue
        if in_class:
            if c == "[":  # a nested set or a POSIX class
                return False
            in_class = c != "]"
            i += 1
            continue
        if c == "[":
            i += 2 if source[i + 1:i + 2] == "^" else 1
            if source[i:i + 1] in ("]", ""):
                return False
            in_class = True
            continue
        if c == "(" and source[i + 1:i + 2] == "?":
            m = _GROUP_OPENERS.match(source, i)
            if m is None:
                return False
            i = m.end()
            continue
        if c == "{":
            m = _COUNT.match(source, i)
            if m is None or source[m.end():m.end() + 1] == "+":
                return False
            i = m.end()
            continue
        if c in "*+?" and source[i + 1:i + 2] == "+":  # possessive
            return False
        i += 1
    return not in_class


def opens_object(lines: pa.Array) -> np.ndarray:
    """Which lines open with "{" (a null line does not)."""
    return pc.starts_with(lines, "{").fill_null(False).to_numpy(zero_copy_only=False)


def quiet_lines(lines: pa.Array, pack, logfmt: regex.Pattern, http: regex.Pattern, sql: regex.Pattern,
                few: int = 1, opens: np.ndarray | None = None) -> tuple[np.ndarray, pa.Array, pa.Array] | None:
    """Which lines decode to their message alone (and the program a syslog header names),
    and those lines' messages and programs (in order), or None when fewer than `few` lines
    may be one. `logfmt`, `http` and `sql` are decoding's
    key=value, request-line and SQL patterns; the pack's `text_status` and `text_failure` are
    its other tests of a text line. `opens`: which lines open with "{" (null lines do not),
    when the caller has looked."""
    pairs = re2_twin(logfmt)
    twins = [re2_twin(p) for p in (pack.text_status, pack.text_failure, http, sql) if p is not None]
    if pairs is None or any(t is None for t in twins):
        return None
    says_more = "|".join(f"(?:{t})" for t in twins)  # one pass; a leading (?i) stays in its group
    # A JSON export's lines open with "{": they are left alone at the cost of one look each.
    if opens is None:
        opens = opens_object(lines)
    maybe = np.flatnonzero(~opens & lines.is_valid().to_numpy(zero_copy_only=False) if lines.null_count else ~opens)
    if maybe.size < few:
        return None
    some = lines.take(pa.array(maybe))
    simple = pc.match_substring_regex(some, _SIMPLE).fill_null(False).to_numpy(zero_copy_only=False)
    candidates = maybe[simple]
    if candidates.size < few:
        return None
    some = some.filter(pa.array(simple))
    # What `_parse_line` reads (the line stripped, its time before JSON dropped) and the
    # message `decode_line` makes of it when it is no structure (without its leading time;
    # clipping a long one is left to decode_line).
    parsed = pc.replace_substring_regex(pc.ascii_trim_whitespace(some), _TIME_PREFIX, r"\1", max_replacements=1)
    loud = pc.or_(pc.match_substring_regex(parsed, _STRUCTURED), pc.match_substring_regex(some, _MAY_HOLD_URL))
    loud = pc.or_(loud, pc.greater_equal(pc.count_substring_regex(parsed, pairs), 2))
    message, program = split_header_array(parsed, printable_ascii=True)
    loud = pc.or_(loud, pc.greater(pc.utf8_length(message), 500))
    loud = pc.or_(loud, pc.match_substring_regex(message, says_more))
    quiet = ~loud.to_numpy(zero_copy_only=False)
    mask = np.zeros(len(lines), dtype=bool)
    mask[candidates[quiet]] = True
    keep = pa.array(quiet)
    return mask, message.filter(keep), program.filter(keep)
