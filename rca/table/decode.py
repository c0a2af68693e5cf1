"""Decode log lines into canonical columns: what answered, for which endpoint, with which
status, message, latency and links — whatever shape the logger gave them.

Bodies arrive as objects, JSON strings, strings of JSON strings, `"[object Object]"` or `{}`:
strings are decoded until they stop being JSON. Field names come from the knowledge pack.
Each distinct line is decoded once; rows take their line's result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import regex

from rca.inputs.fields import first, lookup
from rca.knowledge.pack import Pack
from rca.table.redact import clip

_WEB = regex.compile(r"(?i)https?://[^\s/?#@]")  # only http(s) is ever a link or a dependency
_URL = regex.compile(r"""https?://[^\s"'<>\\{}\[\]|^`\x00-\x1f\x7f-\x9f]+""")
_URL_TRAIL = ".,;:)!?*'\""
_LOGFMT = regex.compile(r'(\w[\w.\-]*)=("(?:[^"\\]|\\.)*"|\S*)')
_TEXT_HTTP = regex.compile(r"\b(GET|POST|PUT|DELETE|PATCH|OPTIONS|HEAD)\s+(/\S*)\s+(\d{3})\b")
_SQL = regex.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|REPLACE)\b", regex.IGNORECASE)
_LOST = {"[object Object]", "[object object]", "{}", ""}

COLUMNS = pa.schema([
    ("category", pa.string()), ("component", pa.string()), ("method", pa.string()),
    ("endpoint", pa.string()), ("status", pa.int32()), ("message", pa.string()),
    ("latency_ms", pa.float64()), ("link", pa.string()), ("link_key", pa.string()),
    ("urls", pa.list_(pa.string())), ("dependency", pa.string()), ("body_lost", pa.bool_()),
    ("bad_jwt", pa.bool_()), ("user", pa.string()), ("resolution", pa.string()),
    ("items", pa.int32()),
])


@dataclass
class Decoded:
    category: str | None = None
    component: str | None = None
    method: str | None = None
    endpoint: str | None = None
    status: int | None = None
    message: str | None = None
    latency_ms: float | None = None
    link: str | None = None
    link_key: str | None = None
    urls: list[str] | None = None
    dependency: str | None = None
    body_lost: bool = False
    bad_jwt: bool = False
    user: str | None = None
    resolution: str | None = None
    items: int | None = None

    def row(self) -> tuple:
        return (self.category, self.component, self.method, self.endpoint, self.status, self.message,
                self.latency_ms, self.link, self.link_key, self.urls or [], self.dependency, self.body_lost,
                self.bad_jwt, self.user, self.resolution, self.items)


def deep_decode(value: Any, depth: int = 0) -> Any:
    """Decode strings that hold JSON (objects, arrays or strings) until they stop; recurse."""
    while isinstance(value, str) and depth < 6:
        s = value.strip()
        if not s or s[0] not in '{["' or s in _LOST:
            break
        try:
            value = orjson.loads(s)
        except orjson.JSONDecodeError:
            break
        depth += 1
    if isinstance(value, dict) and depth < 12:
        return {k: deep_decode(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list) and depth < 12:
        return [deep_decode(v, depth + 1) for v in value[:200]]
    return value


def _as_status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and 100 <= int(value) <= 599:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit() and 100 <= int(value) <= 599:
        return int(value)
    return None


def _as_ms(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        m = regex.match(r"^\s*([\d.]+)\s*(ms|s)?\s*$", value)
        if m:
            try:
                number = float(m[1])
            except ValueError:
                return None
            return number * 1000 if m[2] == "s" else number
    return None


def clean_url(url: str) -> str:
    url = url.replace("\\", "").strip("\"'{}")
    while url and url[-1] in _URL_TRAIL:
        url = url[:-1]
    return url


def find_urls(text: str) -> list[str]:
    out: list[str] = []
    for m in _URL.finditer(text.replace("\\", "")):
        url = clean_url(m.group())
        if len(url) > 10 and url not in out:
            out.append(url)
    return out


def _walk(value: Any, depth: int = 0):
    """Every (key, value) pair at any depth of a decoded structure."""
    if depth > 12:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from _walk(v, depth + 1)
    elif isinstance(value, list):
        for v in value[:200]:
            yield from _walk(v, depth + 1)


def _strings(value: Any, depth: int = 0):
    if depth > 12:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v, depth + 1)
    elif isinstance(value, list):
        for v in value[:200]:
            yield from _strings(v, depth + 1)


_TIME_PREFIX = regex.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\S*\s+(?:(?:stdout|stderr) [FP] )?(?=[{\[\"])")


def _parse_line(text: str) -> Any:
    s = _TIME_PREFIX.sub("", text.strip(), count=1)
    if s[:1] in ('{', '[', '"'):
        try:
            return deep_decode(orjson.loads(s))
        except orjson.JSONDecodeError:
            pass
    if "=" in s and not s.startswith("<"):
        pairs = _LOGFMT.findall(s)
        if len(pairs) >= 2:
            out: dict[str, Any] = {}
            for k, v in pairs:
                if v.startswith('"'):
                    try:
                        v = orjson.loads(v)
                    except orjson.JSONDecodeError:
                        v = v.strip('"')
                out[k] = deep_decode(v)
            return out
    return s


def _endpoint(path: str | None, method: str | None, request: Any, pack: Pack) -> str | None:
    if not isinstance(path, str) or not path:
        return None
    if "://" in path:
        path = urlsplit(path).path or "/"
    path = path.split("?", 1)[0]
    req_text = orjson.dumps(request).decode() if isinstance(request, (dict, list)) else str(request or "")
    for rule in pack.endpoint_rules:
        if not regex.search(rule["path"], path):
            continue
        if rule.get("method") and rule["method"] != (method or "").upper():
            continue
        if rule.get("request_contains") and rule["request_contains"] not in req_text:
            continue
        return rule["endpoint"]
    return regex.sub(r"/(?:\d+|[0-9a-f]{8,}|[0-9a-f-]{36})(?=/|$)", "/:id", path)


def decode_line(text: str, pack: Pack) -> Decoded:
    d = Decoded()
    obj = _parse_line(text)
    d.urls = find_urls(text)
    if isinstance(obj, str):
        d.message = clip(obj, 500)
        if _SQL.match(obj):
            d.category = "db"
        m = _TEXT_HTTP.search(obj)
        if m:
            d.method, d.status, d.category = m[1], int(m[3]), "http"
            d.endpoint = _endpoint(m[2], m[1], None, pack)
        _links_from_urls(d, pack)
        return d
    if not isinstance(obj, dict):
        d.message = clip(text, 500)
        return d
    fields = pack.fields
    for key in fields.get("nested", []):
        inner = obj.get(key)
        if isinstance(inner, dict):
            obj = {**inner, **{k: v for k, v in obj.items() if k != key}}
    category = first(obj, fields.get("category", []))
    if isinstance(category, str):
        d.category = pack.category_of.get(category.lower())
    level_field = obj.get("level")
    if d.category is None and isinstance(level_field, str):
        d.category = pack.category_of.get(level_field.lower())
    component = first(obj, fields.get("component", []))
    if isinstance(component, str):
        d.component = component
    d.status = _as_status(first(obj, fields.get("status", [])))
    method = first(obj, fields.get("method", []))
    d.method = method.upper() if isinstance(method, str) else None
    request = first(obj, fields.get("request", []))
    response_present = False
    response = None
    for key in fields.get("response", []):
        if lookup(obj, key) is not None:
            response = lookup(obj, key)
            response_present = True
            break
    path = first(obj, fields.get("path", []))
    d.endpoint = _endpoint(path, d.method, request, pack)
    for key in pack.dependency_keys:
        value = obj.get(key)
        if isinstance(value, str) and _WEB.match(value) and not pack.remediation_url.search(value):
            d.dependency = clean_url(value)
            break
    if response_present and (response in ({}, []) or (isinstance(response, str) and response.strip() in _LOST)):
        d.body_lost = True
    if isinstance(response, dict):
        msg = first(response, ["message", "msg", "error"])
        if isinstance(msg, str):
            d.message = msg
        jwt = response.get("jwt")
        if isinstance(jwt, str) and jwt.startswith(pack.bad_jwt_prefixes):
            d.bad_jwt = True
        inner_status = _as_status(response.get("status") or response.get("statusCode"))
        if d.status is None and inner_status:
            d.status = inner_status
    elif isinstance(response, str) and response.strip() not in _LOST:
        d.message = clip(response, 500)
    if d.message is None:
        msg = first(obj, fields.get("message", []))
        if isinstance(msg, str):
            d.message = clip(msg, 500)
    if d.category == "db":  # a DB line's message is its statement, whatever else it says
        sql = first(obj, fields.get("sql", []))
        if isinstance(sql, str) and sql.strip():
            d.message = clip(sql, 500)
    d.latency_ms = _as_ms(first(obj, fields.get("latency_ms", [])))
    user = first(obj, fields.get("user", [])) or first(request if isinstance(request, dict) else {}, fields.get("user", []))
    if isinstance(user, (str, int)) and not isinstance(user, bool):
        d.user = str(user)
    items = lookup(request, "items") if isinstance(request, dict) else None
    if items is None and isinstance(request, dict):
        items = lookup(request, "order.items")
    if isinstance(items, list):
        d.items = len(items)
    for key, value in _walk(obj):
        if key in pack.link_keys and isinstance(value, str) and _WEB.match(value.strip()) and (found := find_urls(value)):
            d.link, d.link_key = found[0], key
            break
    for s in _strings(obj):
        if "://" in s:
            for url in find_urls(s):
                if url not in d.urls:
                    d.urls.append(url)
    _links_from_urls(d, pack)
    if d.category is None:
        # No label or field says what this line is: tell by its shape. A call to a full URL
        # on another host is an outgoing call; method + relative path + status is a request.
        if d.dependency and ((isinstance(path, str) and "://" in path) or d.method is None):
            d.category = pack.outgoing_category
        elif d.method and d.status and isinstance(path, str) and path.startswith("/"):
            d.category = "http"
    if d.status is None and d.message and d.category == "http":
        m = _TEXT_HTTP.search(d.message)
        if m:
            d.status = int(m[3])
    return d


def _links_from_urls(d: Decoded, pack: Pack) -> None:
    if d.link is None:
        for url in d.urls or []:
            if pack.remediation_url.search(url):
                d.link = url
                break
    if d.link and d.message and pack.resolution.search(d.message) and (d.status is None or d.status < 400):
        d.resolution = d.message


def _label_column(labels: pa.Array, present: set[str], keys: list[str]) -> pa.Array:
    """The first of `keys` each row's labels have (keys no row has are not looked up).

    Works on the flattened map entries, not row by row: select the entries with a wanted
    key, then scatter their values back to the rows they came from.
    """
    n = len(labels)
    wanted = [k for k in keys if k in present]
    if not wanted or n == 0:
        return pa.nulls(n, pa.string())
    offsets = labels.offsets.to_numpy()
    lo, hi = int(offsets[0]), int(offsets[-1])
    flat_keys, values = labels.keys.slice(lo, hi - lo), labels.items.slice(lo, hi - lo)
    parents = np.repeat(np.arange(n), np.diff(offsets))
    slot = np.full(n, -1, dtype=np.int64)
    for key in reversed(wanted):  # the first key wins: written last
        hit = pc.equal(flat_keys, key).fill_null(False).to_numpy(zero_copy_only=False)
        slot[parents[hit]] = np.flatnonzero(hit)
    return values.take(pa.array(slot, mask=slot < 0)).cast(pa.string())


def decode(table: pa.Table, pack: Pack) -> pa.Table:
    """Decoded columns for every row of a canonical table (same length, same order)."""
    n = table.num_rows
    if n == 0:
        return COLUMNS.empty_table()
    encoded = table.column("line").combine_chunks().dictionary_encode()
    uniques = encoded.dictionary.to_pylist()
    decoded = [decode_line(text, pack).row() for text in uniques]
    columns = list(zip(*decoded, strict=True)) if decoded else [[] for _ in COLUMNS]
    unique_table = pa.table([pa.array(col, f.type) for col, f in zip(columns, COLUMNS, strict=True)],
                            schema=COLUMNS)
    out = unique_table.take(encoded.indices)
    # Labels fill what the line did not say: component, category, status.
    labels = table.column("labels").combine_chunks()
    present = set(pc.unique(labels.keys).to_pylist()) if len(labels.keys) else set()
    label_component = _label_column(labels, present, pack.label_keys.get("component", []))
    label_category = _label_column(labels, present, pack.label_keys.get("category", []))
    cat_map = pa.array(list(pack.category_of.keys()))
    cat_vals = pa.array(list(pack.category_of.values()))
    idx = pc.index_in(pc.utf8_lower(label_category), value_set=cat_map)
    label_cat = pc.take(cat_vals, idx)
    category = pc.coalesce(out.column("category"), label_cat)
    label_status = _label_column(labels, present, pack.label_keys.get("status", []))
    status_from_label = pc.cast(
        pc.if_else(pc.match_substring_regex(label_status.fill_null(""), r"^[1-5]\d\d$"), label_status,
                   pa.scalar(None, pa.string())), pa.int32())
    status = pc.coalesce(out.column("status"), status_from_label)
    component = pc.coalesce(out.column("component"), label_component)
    # What answered: the factory for factory-call lines, the database for SQL, else the service.
    category_np = category.to_numpy(zero_copy_only=False)
    answered = np.where(category_np == "factory", "pizza-factory",
                        np.where(category_np == "db", "database", None))
    component = pc.coalesce(pa.array(answered, pa.string()), component)
    out = out.set_column(out.schema.get_field_index("category"), "category", category.fill_null("other"))
    out = out.set_column(out.schema.get_field_index("status"), "status", status)
    out = out.set_column(out.schema.get_field_index("component"), "component", component)
    return out
