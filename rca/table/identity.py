"""Event identity in structured lines: keys with few categorical values stay in the template.

In a JSON or logfmt line, `status=503` and `status=200`, or `path=/api/order` and
`path=/api/franchise`, are different events even when the message is the same; a request id
or a duration is not. Which keys are which is decided from the data: a key is categorical
when it takes more than one and only a few distinct values across the export (raw, or once
its numbers and ids are masked: `/api/order/<*>`). No key is named here.
"""

from __future__ import annotations

import math
from collections import defaultdict

import orjson
import pyarrow as pa

from rca.lazy import LazyRegex

_LOGFMT_PAIR = LazyRegex(r"""(?:^|(?<=\s))([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)""")
MAX_CATEGORIES = 20
MAX_VALUE_LEN = 120
_TWO_LETTERS = LazyRegex(r"[A-Za-z]{2}")


def fields_of(line: str) -> dict[str, str] | None:
    """Top-level scalar fields of a JSON object line, or the pairs of a logfmt line."""
    s = line.strip()
    if s.startswith("{"):
        try:
            obj = orjson.loads(s)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(obj, dict):
            return None
        return {k: v if isinstance(v, str) else orjson.dumps(v).decode()
                for k, v in obj.items() if isinstance(v, str | int | float | bool)}
    pairs = _LOGFMT_PAIR.findall(s)
    if len(pairs) < 2 or not s.startswith(pairs[0][0] + "="):
        return None
    return {k: v for k, v in pairs}


def category_limit(total: int) -> int:
    """Most values a key may take and still be identity: few, and fewer in short exports."""
    return min(MAX_CATEGORIES, max(2, int(math.sqrt(max(total, 1)))))


def choose(raw: set[str] | None, seen: set[str], limit: int, mask) -> bool | None:
    """Whether a key is identity: None (no), False (its values as they are), True (its values
    masked first). `raw` holds its raw values, or is None when they are known to be more than
    `limit`; `seen` holds its values as far as they are known (raw or already masked)."""
    values = raw if raw is not None else seen
    if any(len(v) > MAX_VALUE_LEN for v in values):
        return None
    if raw is not None:
        if len(raw) <= 1:
            return None
        if len(raw) <= limit:
            return False
    masked = set(mask(pa.array(sorted(seen), pa.string())).unique().to_pylist())
    if 1 < len(masked) <= limit and any(_TWO_LETTERS.search(m.replace("<*>", "")) for m in masked):
        return True
    return None


def categorical_keys(field_rows: list[dict[str, str] | None], total: int, mask) -> dict[str, bool]:
    """Keys to keep as identity → whether their values are masked first (`mask` is the
    miner's vectorised masking of an Arrow string array)."""
    values: dict[str, set[str]] = defaultdict(set)
    for fields in field_rows:
        for k, v in (fields or {}).items():
            values[k].add(v[:MAX_VALUE_LEN + 1])
    limit = category_limit(total)
    chosen = {k: choose(vs, vs, limit, mask) for k, vs in values.items()}
    return {k: c for k, c in chosen.items() if c is not None}


def identity_of(fields: dict[str, str] | None, keys: dict[str, bool], masked: dict[str, str]) -> str:
    """`k=v` for the line's categorical keys, in the line's order."""
    if not fields:
        return ""
    return " ".join(f"{k}={masked.get(v, v) if keys[k] else v}" for k, v in fields.items() if k in keys)


def masked_values(field_rows: list[dict[str, str] | None], keys: dict[str, bool], mask) -> dict[str, str]:
    """Each value of a masked categorical key → its masked form."""
    raw = sorted({v for fields in field_rows for k, v in (fields or {}).items() if keys.get(k)})
    if not raw:
        return {}
    return dict(zip(raw, mask(pa.array(raw, pa.string())).to_pylist(), strict=True))


def without_keys(line: str, keys: dict[str, bool]) -> str:
    """A logfmt line with its identity pairs taken out (they are rendered separately)."""
    if not keys:
        return line
    return " ".join(_LOGFMT_PAIR.sub(lambda m: "" if m[1] in keys else m[0], line).split())
