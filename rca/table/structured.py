"""What `rca patterns` templates in each distinct line, and the line's identity, worked out
per masked shape instead of per line.

A million JSON lines hold a few thousand shapes once their variables are masked (one RE2
pass over the Arrow column); each shape is decoded once in Python and speaks for all its
lines. Only the keys whose values could be identity (few distinct values) are read back from
the raw lines, with one vectorised regex per key. A shape that cannot speak for its lines
(masking reached a key, a key repeats in nested objects, the masked text is not JSON) has its
lines decoded one by one, as are logfmt lines and quoted lines with escapes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import regex

from rca.inputs.string_bytes import first_bytes
from rca.inputs.timestamps import header_less_array
from rca.lazy import LazyRegex
from rca.table import identity
from rca.inputs.numpy_arrays import distinct

VAR = "<*>"
# A masked JSON number becomes this string, so the shape stays JSON; it renders as VAR.
_NUMBER = "\x00" + VAR
_NUMBER_JSON = orjson.dumps(_NUMBER).decode()
# A JSON string (left as it is) or a masked number outside strings (made a string).
_BARE_VAR = LazyRegex(r'"(?:[^"\\]|\\.)*"|(?<=[:\[,]\s*)-?<\*>(?:\.<\*>)?(?=\s*[,\]}])')
_SIMPLE_KEY = LazyRegex(r"[A-Za-z_@$][\w.@$-]*")
_PREFIX = 1000                     # lines read before deciding a key takes too many values


@dataclass
class Lines:
    """Per distinct line: the message to template and the identity (`k=v …`, or "")."""
    messages: pa.DictionaryArray
    identities: pa.DictionaryArray


@dataclass
class _Shape:
    obj: dict | None                 # decoded masked line; None: decode its lines one by one
    fields: dict[str, str] = field(default_factory=dict)   # top-level scalars as text
    varying: set[str] = field(default_factory=set)         # fields whose value was masked


def _shape(text: str) -> _Shape:
    try:
        obj = orjson.loads(_BARE_VAR.sub(lambda m: m[0] if m[0][0] == '"' else _NUMBER_JSON, text))
    except orjson.JSONDecodeError:
        return _Shape(None)
    if not isinstance(obj, dict) or any(VAR in k or "\x00" in k for k in obj):
        return _Shape(None)
    shape = _Shape(obj)
    for k, v in obj.items():
        if isinstance(v, str):
            shape.fields[k] = VAR if v == _NUMBER else v
            if VAR in v:
                shape.varying.add(k)
        elif isinstance(v, int | float | bool):
            shape.fields[k] = orjson.dumps(v).decode()
    # A varying key is read back from the raw line by its one occurrence as a key.
    for k in shape.varying:
        encoded = regex.escape(orjson.dumps(k).decode())
        if not _SIMPLE_KEY.fullmatch(k) or len(regex.findall(encoded + r"\s*:", text)) != 1:
            return _Shape(None)
    return shape


def _render(value) -> str:
    if isinstance(value, str):
        return VAR if value == _NUMBER else value
    return orjson.dumps(value).decode().replace(_NUMBER_JSON, VAR)


def _message(shape: _Shape, keys: dict[str, bool], message_keys: tuple[str, ...]) -> str:
    """As `patterns.message_of` renders the line, from its masked shape."""
    obj = shape.obj
    for key in message_keys:
        value = obj.get(key)
        if isinstance(value, str) and value != _NUMBER and value.strip():
            return value
    return " ".join(f"{k}={_render(v)}" for k, v in obj.items() if k not in keys)


def _raw_values(objects: pa.Array, rows: np.ndarray, key: str) -> tuple[np.ndarray, list[str | None]]:
    """Each given line's raw value of `key` (index into the distinct values, -1 for none)."""
    token = orjson.dumps(key).decode()
    pattern = regex.escape(token) + r'\s*:\s*(?P<v>"(?:[^"\\]|\\.)*"|[^\s,}\]]+)'
    if 4 * len(rows) > len(objects):   # most lines: scan them all rather than copy them
        found = _take(pc.struct_field(pc.extract_regex(objects, pattern), [0]), rows)
    else:
        order = np.argsort(rows, kind="stable")    # lines taken in order; only values reordered
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        found = pc.struct_field(pc.extract_regex(_take(objects, rows[order]), pattern), [0]).take(pa.array(inverse))
    encoded = encode(found)
    values = []
    for t in encoded.dictionary.to_pylist():
        try:
            v = orjson.loads(t)
        except orjson.JSONDecodeError:
            v = None
        values.append(v if isinstance(v, str) else None if v is None or isinstance(v, dict | list)
                      else orjson.dumps(v).decode())
    return encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64), values


# What str.strip() strips (str.isspace), for RE2.
_SPACE = r"[\t-\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"


# Bytes a line opening with white space (as str.isspace sees it) can start with.
_SPACE_LEADS = np.zeros(256, bool)
_SPACE_LEADS[[*range(9, 14), *range(0x1C, 0x21), 0xC2, 0xE1, 0xE2, 0xE3]] = True


def _opens_with(lines: pa.Array, first: np.ndarray, char: str, spaced: np.ndarray) -> np.ndarray:
    """Lines whose first non-space character is `char`: by their first byte, and by one RE2
    match over only the few lines that may open with white space."""
    found = first == ord(char)
    rows = np.flatnonzero(spaced)
    if rows.size:
        pattern = rf"^{_SPACE}*{regex.escape(char)}"
        found[rows] = pc.match_substring_regex(_take(lines, rows), pattern).to_numpy(zero_copy_only=False)
    return found


def _kinds(lines: pa.Array):
    """Per line, as numpy booleans: JSON object, quoted, quoted without escapes (its message is
    its inside), logfmt candidate; and the lines opening with a quote (positions, stripped)."""
    def where(mask) -> np.ndarray:
        return mask.to_numpy(zero_copy_only=False)

    first = first_bytes(lines)
    spaced = _SPACE_LEADS[first]
    is_obj = _opens_with(lines, first, "{", spaced)
    quoted = np.zeros(len(lines), bool)
    plain = np.zeros(len(lines), bool)
    # Only lines that open with a quote are stripped and tested further.
    rest = np.flatnonzero(~is_obj & _opens_with(lines, first, '"', spaced))
    stripped = None
    if rest.size:
        stripped = pc.replace_substring_regex(_take(lines, rest), rf"^{_SPACE}+|{_SPACE}+$", "")
        q = pc.and_(pc.starts_with(stripped, '"'), pc.ends_with(stripped, '"'))
        quoted[rest] = where(q)
        plain[rest] = where(pc.and_(pc.and_(q, pc.greater_equal(pc.utf8_length(stripped), 2)), pc.and_(
            pc.invert(pc.match_substring_regex(stripped, r'[\\\x00-\x1f]')),
            pc.equal(pc.count_substring(stripped, '"'), 2))))
    # A logfmt candidate opens with `key=` (decided exactly line by line); JSON lines are not
    # candidates, and are not scanned.
    logfmt = np.zeros(len(lines), bool)
    others = np.flatnonzero(~is_obj & ~quoted)
    if others.size:
        some = lines if others.size == len(lines) else _take(lines, others)
        logfmt[others] = where(pc.match_substring_regex(some, rf"^{_SPACE}*[^\s=]+="))
    return is_obj, quoted, plain, logfmt, (rest, stripped)


def split(lines: pa.Array, total: int, mask: Callable[[pa.Array], pa.Array],
          mask_encoded: Callable[[pa.Array], pa.DictionaryArray],
          message_keys: tuple[str, ...], message_of: Callable[..., str]) -> Lines:
    """Message and identity of each distinct line (`lines` holds no duplicates); `mask` masks
    a few values, `mask_encoded` many (returning distinct masked forms and an index)."""
    n = len(lines)
    is_obj, quoted, plain_quoted, logfmt, stripped = _kinds(lines)
    text = ~is_obj & ~quoted & ~logfmt

    message = np.full(n, -1, np.int64)
    ident = np.zeros(n, np.int64)           # index into identity texts; 0 is ""
    texts: list[str] = []                   # messages decided in Python
    idents = _Texts()
    vector_messages: list[pa.Array] = []    # messages decided by Arrow kernels
    offset = [0]

    def vector(rows: np.ndarray, values: pa.Array) -> None:
        vector_messages.append(values)
        message[rows] = -2 - (offset[0] + np.arange(len(rows)))
        offset[0] += len(rows)

    rows = np.flatnonzero(text)
    if rows.size:
        vector(rows, header_less_array(_take(lines, rows)))
    rows = np.flatnonzero(plain_quoted)
    if rows.size:
        rest, stripped = stripped
        vector(rows, pc.utf8_slice_codeunits(stripped.take(pa.array(np.searchsorted(rest, rows))), 1, -1))

    # Lines decoded one by one: logfmt, quoted with escapes, and JSON shapes that cannot speak.
    one_by_one = list(np.flatnonzero(logfmt | (quoted & ~plain_quoted)))
    obj_rows = np.flatnonzero(is_obj)
    shape_of = np.zeros(0, np.int64)
    shapes: list[_Shape] = []
    if obj_rows.size:
        # All lines are masked when most are JSON: cheaper than a copy of the JSON ones.
        whole = 2 * obj_rows.size > n
        encoded = mask_encoded(lines if whole else _take(lines, obj_rows))
        shape_of = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        if whole:
            shape_of = shape_of[obj_rows]
        used = distinct(shape_of)
        shapes = [_shape(t) for t in encoded.dictionary.take(pa.array(used)).to_pylist()]
        shape_of = np.searchsorted(used, shape_of)
        broken = np.array([s.obj is None for s in shapes], bool)
        one_by_one += list(obj_rows[broken[shape_of]])
    one_by_one.sort()
    singles = _take(lines, np.array(one_by_one, np.int64)).to_pylist() if one_by_one else []
    single_fields = [identity.fields_of(line) for line in singles]

    # Categorical keys: every raw value a key takes, where the shapes do not know it.
    constants: dict[str, set[str]] = defaultdict(set)
    shown: dict[str, set[str]] = defaultdict(set)       # values as shapes show them (masked)
    varying_rows: dict[str, list[np.ndarray]] = defaultdict(list)
    for fields in single_fields:
        for k, v in (fields or {}).items():
            constants[k].add(v[:identity.MAX_VALUE_LEN + 1])
    live = [i for i, s in enumerate(shapes) if s.obj is not None]
    shape_rows = _group(shape_of, len(shapes))
    for i in live:
        for k, v in shapes[i].fields.items():
            if k in shapes[i].varying:
                shown[k].add(v[:identity.MAX_VALUE_LEN + 1])
                varying_rows[k].append(shape_rows[i])
            else:
                constants[k].add(v[:identity.MAX_VALUE_LEN + 1])
    limit = identity.category_limit(total)
    keys: dict[str, bool] = {}
    extracted: dict[str, tuple[np.ndarray, np.ndarray, list[str | None]]] = {}
    for k in set(constants) | set(varying_rows):
        raw = constants[k]
        if k in varying_rows and len(raw) <= limit:
            at = np.concatenate(varying_rows[k])
            sample = at[:: max(1, len(at) // _PREFIX)]    # spread over the shapes, not the first
            head, values = _raw_values(lines, obj_rows[sample], k)
            if len(raw | {v for v in values if v is not None}) <= limit:
                index, values = _raw_values(lines, obj_rows[at], k)
                extracted[k] = (at, index, values)
                raw = raw | {v[:identity.MAX_VALUE_LEN + 1] for v in values if v is not None}
            else:
                raw = None
        elif k in varying_rows:
            raw = None
        choice = identity.choose(raw, constants[k] | shown[k], limit, mask)
        if choice is not None and k not in message_keys:
            keys[k] = choice
    masked = identity.masked_values(single_fields, keys, mask)

    for line, fields, row in zip(singles, single_fields, one_by_one, strict=True):
        if fields is not None and not line.lstrip().startswith("{"):
            texts.append(identity.without_keys(line, keys))
        else:
            texts.append(message_of(line, skip=keys))
        message[row] = len(texts) - 1
        found = identity.identity_of(fields, keys, masked)
        if found:
            ident[row] = idents.add(found)

    if live:
        _shape_lines(shapes, live, shape_of, obj_rows, keys, extracted, mask, message_keys,
                     texts, message, idents, ident)
    return Lines(_dictionary(message, texts, vector_messages), _dictionary(ident, idents.values, []))


def _field_value(shape: _Shape, field: str, missing: str) -> str | None:
    """`field` of every line of a masked shape as `message_of(line, field)` renders it, or None
    where the shape cannot say (a nested object's keys may have been masked)."""
    obj = shape.obj
    if field in obj:
        value = obj[field]
    elif "." in field:
        return None
    else:
        return missing
    if isinstance(value, str):
        return VAR if value == _NUMBER else value
    if value is None:
        return missing
    if isinstance(value, dict | list):
        return None
    return orjson.dumps(value).decode()


def field_messages(lines: pa.Array | pa.ChunkedArray, field: str,
                   mask_encoded: Callable[[pa.Array], pa.DictionaryArray],
                   message_of: Callable[..., str], missing: str) -> pa.DictionaryArray:
    """`message_of(line, field)` of each distinct line, worked out per masked JSON shape (its
    value masked, as the miner masks it anyway) and per Arrow kernel for text lines; only
    lines no shape speaks for are decoded one by one."""
    n = len(lines)
    is_obj, quoted, plain_quoted, _, (rest, stripped) = _kinds(lines)
    message = np.full(n, -1, np.int64)
    texts: list[str] = []
    vectors: list[pa.Array] = []
    offset = 0
    for rows, values in ((np.flatnonzero(~is_obj & ~quoted), lambda r: header_less_array(_take(lines, r))),
                         (np.flatnonzero(plain_quoted), lambda r: pc.utf8_slice_codeunits(
                             stripped.take(pa.array(np.searchsorted(rest, r))), 1, -1))):
        if rows.size:
            vectors.append(values(rows))
            message[rows] = -2 - (offset + np.arange(rows.size))
            offset += rows.size
    one_by_one = [np.flatnonzero(quoted & ~plain_quoted)]
    obj_rows = np.flatnonzero(is_obj)
    if obj_rows.size:
        whole = 2 * obj_rows.size > n     # masking every line is cheaper than copying most
        encoded = mask_encoded(lines if whole else _take(lines, obj_rows))
        shape_of = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        if whole:
            shape_of = shape_of[obj_rows]
        used, shape_of = np.unique(shape_of, return_inverse=True)
        found = _Texts()
        text_of = np.full(len(used), -1, np.int64)
        for i, t in enumerate(encoded.dictionary.take(pa.array(used)).to_pylist()):
            shape = _shape(t)
            value = _field_value(shape, field, missing) if shape.obj is not None else None
            if value is not None:
                text_of[i] = found.add(value)
        spoken = text_of[shape_of] >= 0
        message[obj_rows[spoken]] = len(texts) + text_of[shape_of[spoken]]
        texts += found.values
        one_by_one.append(obj_rows[~spoken])
    rows = np.sort(np.concatenate(one_by_one))
    if rows.size:
        message[rows] = len(texts) + np.arange(rows.size)
        texts += [message_of(line, field) for line in _take(lines, rows).to_pylist()]
    return _dictionary(message, texts, vectors)


def _take(values: pa.Array | pa.ChunkedArray, rows: np.ndarray) -> pa.Array | pa.ChunkedArray:
    """values[rows], chunk by chunk: a chunked take may first join every chunk into one copy."""
    rows = np.asarray(rows, np.int64)
    if isinstance(values, pa.Array):
        return values.take(pa.array(rows))
    if len(rows) == len(values) and (rows == np.arange(len(values))).all():
        return values
    bounds = np.cumsum([0] + [len(c) for c in values.chunks])
    order = np.argsort(rows, kind="stable")
    ordered = rows[order]
    cuts = np.searchsorted(ordered, bounds)
    parts = [c.take(pa.array(ordered[cuts[i]:cuts[i + 1]] - bounds[i]))
             for i, c in enumerate(values.chunks) if cuts[i + 1] > cuts[i]]
    if not parts:
        return pa.array([], values.type)
    joined = pa.concat_arrays(parts)
    if (order == np.arange(len(order))).all():
        return joined
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return joined.take(pa.array(inverse))


def encode(values: pa.Array | pa.ChunkedArray) -> pa.DictionaryArray:
    """Distinct values and each value's index, without first copying chunks into one array
    (a chunked encode shares its dictionary across the chunks)."""
    if isinstance(values, pa.Array):
        return values.dictionary_encode()
    encoded = values.dictionary_encode()
    if encoded.num_chunks == 0:
        return pa.array([], values.type).dictionary_encode()
    if len({len(c.dictionary) for c in encoded.chunks}) > 1:
        encoded = encoded.unify_dictionaries()
    return pa.DictionaryArray.from_arrays(pa.concat_arrays([c.indices for c in encoded.chunks]),
                                          encoded.chunks[-1].dictionary)


def distinct_by_batch(column: pa.ChunkedArray, rows: int = 120_000) -> tuple[pa.ChunkedArray, pa.Array]:
    """The column's distinct values batch by batch (one chunk of distinct values per batch of
    about `rows` rows) and each row's index into their concatenation. A value repeated across
    batches appears once per batch; in exchange no hash table ever holds the whole column."""
    parts, indices, offset, batch = [], [], 0, []

    def flush() -> None:
        nonlocal offset, batch
        encoded = encode(pa.chunked_array(batch, column.type))
        parts.append(encoded.dictionary)
        indices.append(pc.add(encoded.indices.cast(pa.int64()), offset))
        offset += len(encoded.dictionary)
        batch = []

    for chunk in column.chunks:
        batch.append(chunk)
        if sum(len(c) for c in batch) >= rows:
            flush()
    if batch or not parts:
        flush()
    return pa.chunked_array(parts, column.type), pa.concat_arrays(indices)


class _Texts:
    """Distinct texts in first-seen order; index 0 is the empty text."""

    def __init__(self) -> None:
        self.values: list[str] = [""]
        self._index: dict[str, int] = {"": 0}

    def add(self, text: str) -> int:
        if text not in self._index:
            self._index[text] = len(self.values)
            self.values.append(text)
        return self._index[text]


def _group(index: np.ndarray, groups: int) -> list[np.ndarray]:
    """Positions of each group's members, in order."""
    order = np.argsort(index, kind="stable")
    bounds = np.searchsorted(index[order], np.arange(groups + 1))
    return [order[bounds[i]:bounds[i + 1]] for i in range(groups)]


def _shape_lines(shapes, live, shape_of, obj_rows, keys, extracted, mask, message_keys,
                 texts, message, idents, ident) -> None:
    """Messages and identities of the lines the shapes speak for."""
    masked_shown = {}
    wanted = sorted({shapes[i].fields[k] for i in live for k in shapes[i].fields if keys.get(k)})
    if wanted:
        masked_shown = dict(zip(wanted, mask(pa.array(wanted, pa.string())).to_pylist(), strict=True))
    shape_message = {}
    for i in live:
        texts.append(_message(shapes[i], keys, message_keys))
        shape_message[i] = len(texts) - 1
    lookup = np.full(len(shapes), -1, np.int64)
    for i, m in shape_message.items():
        lookup[i] = m
    ok = lookup[shape_of] >= 0
    message[obj_rows[ok]] = lookup[shape_of[ok]]
    # Identity: one text per (shape, raw values of its varying categorical keys).
    code = shape_of.copy()
    picked: list[tuple[str, np.ndarray, list[str | None]]] = []
    for k, (at, index, values) in extracted.items():
        if keys.get(k) is not False:
            continue
        column = np.full(len(shape_of), -1, np.int64)
        column[at] = index
        picked.append((k, column, values))
        code = np.unique(code * (len(values) + 1) + column + 1, return_inverse=True)[1]
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    text_of = np.zeros(len(first), np.int64)
    for c, row in enumerate(first):
        shape = shapes[shape_of[row]]
        if shape.obj is None:
            continue
        parts = []
        for k, v in shape.fields.items():
            if k not in keys:
                continue
            if keys[k]:
                v = masked_shown.get(v, v)
            elif k in shape.varying:
                v = next((vals[col[row]] if col[row] >= 0 else None) for kk, col, vals in picked if kk == k)
                if v is None:
                    continue
            parts.append(f"{k}={v}")
        if parts:
            text_of[c] = idents.add(" ".join(parts))
    ident[obj_rows[ok]] = text_of[inverse[ok]]


def _dictionary(index: np.ndarray, texts: list[str], vectors: list[pa.Array]) -> pa.DictionaryArray:
    """Per-line indices into Python texts (>= 0) or into the concatenated Arrow arrays (<= -2)."""
    chunks = [c for v in vectors for c in (v.chunks if isinstance(v, pa.ChunkedArray) else [v])]
    values = pa.concat_arrays([pa.array(texts, pa.string()), *[c.cast(pa.string()) for c in chunks]])
    index = np.where(index >= 0, index, len(texts) + (-2 - index))
    return pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32)), values)
