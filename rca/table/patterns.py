"""Log template mining: messages → templates with `<*>` for variables.

1. Masking, vectorised over Arrow strings (RE2): numbers, hex, IPs — the variables that
   no template ever keeps.
2. Each distinct masked message is normalised once with the template-correction rules of
   the corrected Loghub ground truth (Khan et al., ICSE'22): double spaces, booleans, digit
   tokens, path-like strings, words glued to variables, dot-separated and consecutive
   variables.
3. Templates of equal length that differ in one position are merged when that position
   takes many values (a variable), never when it takes few (two different events).
4. Template ids hash the template text, so they are stable across runs and input order.

Work is per distinct masked message, never per line.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import regex

from rca.inputs.fields import lookup
from rca.inputs.timestamps import strip_leading_time

VAR = "<*>"

# RE2 patterns for pyarrow.compute: boundary-safe without look-around.
_VECTOR_MASKS = [
    (r"0[xX][0-9a-fA-F]+", VAR),
    (r"\b(?:[0-9A-Fa-f]{2}:){3,}[0-9A-Fa-f]{2}\b", VAR),
    (r"\b(?:\d{1,3}\.){3}\d{1,3}\b", VAR),
    (r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", VAR),
    (r"\b\d+\b", VAR),
    (r"\d{3,}", VAR),
]

_PATH_SPLIT = regex.compile(r"""([\s,!;:=|"'\[\](){}]+)""")
_TOKEN_SPLIT = regex.compile(r"""([\s,!;:=|"'\[\](){}.\-+@#$%&]+)""")
_DIGITS = regex.compile(r"^\d+$")
_HEXISH = regex.compile(r"^(?=[0-9a-f]*\d)[0-9a-f]{8,}$")
_PATH = regex.compile(r"^(?:[A-Za-z]+:)?/(?:[^/\s]+/)*[^/\s]*$|^(?:\.{1,2}|~)/\S+$|^[A-Za-z]:\\\S+$")
_BOOLEAN = {"true", "false"}
_DEFAULTS = {"null", "root", "admin"}
_SPACES = regex.compile(r"  +")
_URL = regex.compile(r"\b([A-Za-z][\w.+-]*)://[^\s,;\]\)]+")
_SIGNED = regex.compile(r"(?<=[\s=(:,\[]|^)-(?=<\*>)")
_UNIT = regex.compile(r"<\*> ?(?:B|KB|MB|GB|TB|KiB|MiB|GiB)\b")
_DOT_VARS = regex.compile(r"<\*>(?:\.<\*>)+")
_CONSECUTIVE = regex.compile(r"(?:<\*>){2,}")
_VAR_LIST = regex.compile(r"<\*>(?: <\*>)+")
_WORDLIKE = regex.compile(r"^[A-Za-z._]+$")


def _split_sub(text: str, splitter: regex.Pattern[str], fn) -> str:
    parts = splitter.split(text)
    return "".join(fn(p) if i % 2 == 0 else p for i, p in enumerate(parts))


_LONG_DIGITS = regex.compile(r"\d{3,}")


def _token_rule(token: str) -> str:
    if not token:
        return token
    if _DIGITS.match(token) or token.lower() in _BOOLEAN or token in _DEFAULTS or _HEXISH.match(token):
        return VAR
    if _LONG_DIGITS.search(token):
        return VAR  # an id or a number glued to a word (blk_4292…, 10000ms, attempt_2017…)
    return token


def _path_rule(token: str) -> str:
    if not token or token == VAR:
        return token
    if "/" in token and _PATH.match(token) and len(token) > 1:
        return VAR
    if VAR in token and regex.search(r"[A-Za-z0-9_]", token.replace(VAR, "")):
        # a word glued to a variable (blk_<*>, user<*>, R<*>-M<*>): the whole token varies;
        # a dotted name ending in a variable (core.<*>) keeps its constant part
        stripped = token.replace(VAR, "")
        if regex.fullmatch(r"[\w\-]*", stripped):
            return VAR
        if token.count(VAR) >= 2 or (token.startswith(VAR + ".") and stripped.count(".") >= 2):
            return VAR  # host names and dotted values built of variables
    return token


def normalise(message: str) -> str:
    """Apply the template-correction rules to one (already masked) message."""
    text = _SPACES.sub(" ", message.strip())
    text = _URL.sub(lambda m: f"{m[1]}://{VAR}", text)
    text = _split_sub(text, _PATH_SPLIT, _path_rule)
    text = _split_sub(text, _TOKEN_SPLIT, _token_rule)
    text = _SIGNED.sub("", text)
    text = _UNIT.sub(VAR, text)
    text = _split_sub(text, _PATH_SPLIT, _path_rule)
    for _ in range(3):
        before = text
        text = _DOT_VARS.sub(VAR, text)
        text = _CONSECUTIVE.sub(VAR, text)
        if text == before:
            break
    return text


MESSAGE_KEYS = ("msg", "message", "@m", "log", "event", "textPayload")
MISSING = "(field missing)"


def message_of(line: str, field: str | None = None) -> str:
    """What to template in a line: a JSON line's message field (or `field`), else its
    key=value rendering with keys kept; logfmt and text lines as they are, less a leading
    timestamp (the record's time, not its message)."""
    s = line.strip()
    if s.startswith('"') and s.endswith('"'):
        try:
            decoded = orjson.loads(s)
        except orjson.JSONDecodeError:
            return line
        return decoded if isinstance(decoded, str) else line
    if not s.startswith("{"):
        return strip_leading_time(line)
    try:
        obj = orjson.loads(s)
    except orjson.JSONDecodeError:
        return line
    if not isinstance(obj, dict):
        return line
    if field:
        value = lookup(obj, field)
        return value if isinstance(value, str) else MISSING if value is None else orjson.dumps(value).decode()
    for key in MESSAGE_KEYS:
        if isinstance(obj.get(key), str) and obj[key].strip():
            return obj[key]
    return " ".join(f"{k}={v if isinstance(v, str) else orjson.dumps(v).decode()}" for k, v in obj.items())


def template_id(template: str) -> str:
    return "t-" + hashlib.blake2b(template.encode(), digest_size=5).hexdigest()


@dataclass
class Mined:
    templates: list[str]          # per input message
    counts: dict[str, int]        # template → messages

    @property
    def ids(self) -> list[str]:
        cache: dict[str, str] = {}
        return [cache.setdefault(t, template_id(t)) for t in self.templates]


def _tokens(template: str) -> list[str]:
    return template.split(" ")


def _generalise(values: list[str]) -> str:
    """A variable token that keeps what all values share at their edges up to a delimiter:
    user=fztu, user=root → user=<*>; chdir(/a), chdir(/b) → chdir(<*>)."""
    prefix = os.path.commonprefix(values)
    suffix = os.path.commonprefix([v[::-1] for v in values])[::-1]
    cut = max((prefix.rfind(ch) for ch in "=:(['\"/"), default=-1)
    head = prefix[: cut + 1] if cut >= 0 else ""
    cut = min((i for i, ch in enumerate(suffix) if ch in ")]'\":,;"), default=len(suffix))
    tail = suffix[cut:] if suffix else ""
    if len(head) + len(tail) >= min(len(v) for v in values):
        return VAR
    return f"{head}{VAR}{tail}"


def merge_variable_positions(counts: Counter[str], min_variants: int = 3) -> dict[str, str]:
    """Map each template to its merged form: positions where templates of the same length
    and otherwise equal tokens take `min_variants` or more values become `<*>`."""
    mapping = {t: t for t in counts}
    changed = True
    rounds = 0
    while changed and rounds < 4:
        changed = False
        rounds += 1
        current = Counter()
        for t, n in counts.items():
            current[mapping[t]] += n
        by_key: dict[tuple, set[str]] = defaultdict(set)
        for t in current:
            toks = _tokens(t)
            for p, tok in enumerate(toks):
                if tok == VAR or not regex.search(r"\w", tok):
                    continue
                key = (len(toks), p, tuple(toks[:p]), tuple(toks[p + 1:]))
                by_key[key].add(t)
        replace: dict[str, str] = {}
        for (_, p, before, after), members in by_key.items():
            values = [_tokens(m)[p] for m in members]
            if len(members) < min_variants:
                continue
            if len(members) <= min_variants + 1 and all(_WORDLIKE.match(v) for v in values):
                continue  # a few plain words (LOOKING / LEADING / FOLLOWING): different events
            constants = [t for t in (*before, *after) if t != VAR and regex.search(r"[A-Za-z]{2}", t)]
            if len(constants) < max(1, (len(before) + len(after) + 1) // 2):
                continue  # too little constant text left to call it one event
            merged = " ".join([*before, _generalise(values), *after])
            for m in members:
                if m not in replace or len(merged) < len(replace[m]):
                    replace[m] = merged
        if replace:
            for t in mapping:
                new = replace.get(mapping[t])
                if new and new != mapping[t]:
                    mapping[t] = normalise(new)
                    changed = True
    return mapping


def merge_variable_lists(mapping: dict[str, str]) -> None:
    """Templates that differ only in how many values a list holds (`delete <*> <*> <*>`)
    become one template with the list as a single variable."""
    collapsed: dict[str, set[str]] = defaultdict(set)
    for t in set(mapping.values()):
        collapsed[_VAR_LIST.sub(VAR, t)].add(t)
    for short, members in collapsed.items():
        if len(members) > 1:
            for t, m in mapping.items():
                if m in members:
                    mapping[t] = short


# One RE2 pass: alternatives are tried in order at each position (IP before digits).
_VECTOR_MASK = "|".join(f"(?:{p})" for p, _ in _VECTOR_MASKS)


def mask_array(messages: pa.Array) -> pa.Array:
    """The vectorised masks over an Arrow string array, in parallel slices."""
    n = len(messages)
    if n < 200_000:
        return pc.replace_substring_regex(messages, _VECTOR_MASK, VAR)
    from concurrent.futures import ThreadPoolExecutor

    workers = max(2, min(8, os.cpu_count() or 2))
    step = -(-n // workers)
    slices = [messages.slice(i, step) for i in range(0, n, step)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(lambda a: pc.replace_substring_regex(a, _VECTOR_MASK, VAR), slices))
    return pa.concat_arrays(parts)


def mine(messages: Sequence[str] | pa.Array | pa.ChunkedArray, min_variants: int = 3) -> Mined:
    """Templates for every message (in input order) and how many messages each covers."""
    if isinstance(messages, pa.ChunkedArray):
        messages = messages.combine_chunks()
    if not isinstance(messages, pa.Array):
        messages = pa.array(list(messages), pa.string())
    messages = messages.cast(pa.string()).fill_null("")
    # Distinct raw lines first (a hash pass), then mask only those, then distinct masked ones.
    raw = messages.dictionary_encode()
    masked_distinct = mask_array(raw.dictionary).dictionary_encode()
    encoded = pa.DictionaryArray.from_arrays(
        masked_distinct.indices.take(raw.indices), masked_distinct.dictionary)
    distinct = encoded.dictionary.to_pylist()
    normalised = [normalise(m) for m in distinct]
    sizes = Counter()
    index_counts = pc.value_counts(encoded.indices).to_pylist()
    for item in index_counts:
        sizes[normalised[item["values"]]] += item["counts"]
    mapping = merge_variable_positions(sizes, min_variants)
    merge_variable_lists(mapping)
    final = pa.array([mapping[t] for t in normalised], pa.string())
    per_message = final.take(encoded.indices)
    templates = per_message.to_pylist()
    counts = Counter()
    for t, n in sizes.items():
        counts[mapping[t]] += n
    return Mined(templates, dict(counts))


@dataclass
class Pattern:
    id: str
    template: str
    count: int
    first_ns: int | None
    last_ns: int | None
    example: str


@dataclass
class PatternReport:
    patterns: list[Pattern]       # most frequent first
    row_templates: list[str]      # per table row, in the table's order
    total: int
    missing_field: int = 0        # lines without the --field asked for


def patterns_of(table: pa.Table, field: str | None = None, min_variants: int = 3) -> PatternReport:
    """Templates of a canonical table's lines (JSON lines: their message, or `field`)."""
    lines = table.column("line").combine_chunks().cast(pa.string())
    distinct = lines.dictionary_encode()
    messages = pa.array([message_of(line, field) for line in distinct.dictionary.to_pylist()], pa.string())
    per_row = messages.take(distinct.indices)
    missing = int(pc.sum(pc.equal(per_row, MISSING)).as_py() or 0) if field else 0
    mined = mine(per_row, min_variants)
    templates = pa.array(mined.templates, pa.string())
    ts = table.column("ts_ns").combine_chunks()
    grouped = pa.table({"t": templates, "ts": ts, "row": pa.array(range(len(templates)), pa.int64())}) \
        .group_by("t").aggregate([("ts", "min"), ("ts", "max"), ("row", "min"), ("row", "count")])
    patterns = []
    for t, first, last, row, count in zip(*(grouped.column(c).to_pylist() for c in
                                            ("t", "ts_min", "ts_max", "row_min", "row_count")), strict=True):
        patterns.append(Pattern(template_id(t), t, count, first, last, lines[row].as_py()))
    patterns.sort(key=lambda p: (-p.count, p.template))
    return PatternReport(patterns, mined.templates, len(templates), missing)
