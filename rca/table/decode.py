"""Decode log lines into canonical columns: what answered, for which endpoint, with which
status, message, latency and links — whatever shape the logger gave them.

Bodies arrive as objects, JSON strings, strings of JSON strings, `"[object Object]"` or `{}`:
strings are decoded until they stop being JSON. Field names come from the knowledge pack.
Each distinct line is decoded once; rows take their line's result.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import regex

from rca.compiled import compiled
from rca.inputs.cores import on_worker_thread, spare_cores
from rca.inputs.fields import first, lookup
from rca.inputs.records import LabelSets
from rca.inputs.timestamps import split_header, year_first_date
from rca.knowledge import shipped
from rca.knowledge.pack import Pack, lookalike_host, on_link_host
from rca.inputs.numpy_arrays import arrow
from rca.table.quiet_text import opens_object, quiet_lines
from rca.table.redact import clip

_WEB = compiled(r"(?i)https?://[^\s/?#@]")  # only http(s) is ever a link or a dependency
# A URL; a placeholder such as <redacted> or [REDACTED] inside it stays part of it.
_URL = compiled(r"""https?://(?:[^\s"'<>\\{}\[\]|^`\x00-\x1f\x7f-\x9f]|<[\w -]{1,24}>|\[[\w -]{1,24}\]|\{[\w -]{1,24}\})+""")
_URL_TRAIL = ".,;:)!?*'\""
_PLACEHOLDER_END = compiled(r"[=/](?:\.{2,}|\*{2,}|…)$")  # "fixCode=..." keeps its placeholder
_LOGFMT = compiled(r'(\w[\w.\-]*)=("(?:[^"\\]|\\.)*"|\S*)')
# A request line in text: method, path, status.
REQUEST_LINE = compiled(r"\b(GET|POST|PUT|DELETE|PATCH|OPTIONS|HEAD)\s+(/\S*)\s+(\d{3})\b")
_SQL = compiled(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|REPLACE)\b", regex.IGNORECASE)
_LOST = {"[object Object]", "[object object]", "{}", ""}

COLUMNS = pa.schema([
    ("category", pa.string()), ("component", pa.string()), ("method", pa.string()),
    ("endpoint", pa.string()), ("status", pa.int32()), ("message", pa.string()),
    ("latency_ms", pa.float64()), ("link", pa.string()), ("link_key", pa.string()),
    ("urls", pa.list_(pa.string())), ("dependency", pa.string()), ("body_lost", pa.bool_()),
    ("bad_jwt", pa.bool_()), ("user", pa.string()), ("resolution", pa.string()),
    ("items", pa.int32()), ("attempt", pa.string()),
])

# What a responder's request to the remediation link achieved (the `attempt` column).
RESOLVED, IDLE, REJECTED, UNANSWERED = "resolved", "no chaos running", "rejected", "answer not logged"


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
    attempt: str | None = None

    def row(self) -> tuple:
        return (self.category, self.component, self.method, self.endpoint, self.status, self.message,
                self.latency_ms, self.link, self.link_key, self.urls or [], self.dependency, self.body_lost,
                self.bad_jwt, self.user, self.resolution, self.items, self.attempt)


def deep_decode(value: Any, depth: int = 0) -> Any:
    """Decode strings that hold JSON (objects, arrays or strings) until they stop; recurse.
    Values that cannot change (numbers, booleans, strings not opening JSON) are kept without
    a call: this runs once per key of every decoded shape."""
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
        return {k: deep_decode(v, depth + 1) if _may_decode(v) else v for k, v in value.items()}
    if isinstance(value, list) and depth < 12:
        return [deep_decode(v, depth + 1) if _may_decode(v) else v for v in value[:200]]
    return value


def _may_decode(value: Any) -> bool:
    """Whether `deep_decode` may change the value: a container, or a string opening JSON."""
    if isinstance(value, str):
        return value.lstrip()[:1] in _JSON_OPENERS
    return isinstance(value, (dict, list))


_JSON_OPENERS = frozenset('{["')


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
    while url and url[-1] in _URL_TRAIL and not _PLACEHOLDER_END.search(url):
        url = url[:-1]
    return url


# A JSON escape at any depth of encoding: `\u0026` is its character, an escaped newline, tab
# or other control letter ends a URL (a URL never holds a backslash), any other backslash
# run (`\"`, `\/`, a trailing `\`) is dropped.
_ESCAPE = compiled(r"\\+(?:u([0-9A-Fa-f]{4})|([nrtbf]))?")


def _unescape(m: regex.Match) -> str:
    if m[1]:
        return chr(int(m[1], 16))
    return " " if m[2] else ""


def find_urls(text: str) -> list[str]:
    out: list[str] = []
    for m in _URL.finditer(_ESCAPE.sub(_unescape, text) if "\\" in text else text):
        url = clean_url(m.group())
        if len(url) > 10 and url not in out:
            out.append(url)
    return out


# A link stands on its own: after white space, a quote, an opening bracket or `=`, in a token
# (cut at white space, double quotes and angle brackets) that names no other scheme before it.
# Anything else (`javascript:fetch('//x')//https://…`, `data:text/html,https://…`) makes the
# URL another URL's text, not a link of its own.
_TOKEN_END = compiled(r"""[\s"<>\x00-\x1f\x7f-\x9f]""")
_SCHEME = compiled(r"(?i)(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:")
_STANDS_AFTER = frozenset("\"'(<[={|>`")


def _only_wrapped(url: str, text: str) -> bool:
    """The text mentions the URL, and only inside another scheme's URL or code
    (`javascript:alert(1)//https://…`, `data:text/html,https://…`): a reader following it
    would run or open that, so it is never a link to follow."""
    text = _ESCAPE.sub(_unescape, text) if "\\" in text else text
    wrapped = False
    for m in _URL.finditer(text):
        if clean_url(m.group()) == url:
            before = text[m.start() - 1] if m.start() else " "
            token = _TOKEN_END.split(text[max(0, m.start() - 2048):m.start()])[-1]
            if (before.isspace() or before in _STANDS_AFTER) and not _SCHEME.search(token):
                return False
            wrapped = True
    return wrapped


def _link_in(value: Any, pack: Pack, depth: int = 0) -> tuple[str, str] | None:
    """The first link under one of the pack's link keys at any depth (key by key, each key's
    value searched before the next key), and its key."""
    if depth > 12:
        return None
    if isinstance(value, dict):
        for key, v in value.items():
            if key in pack.link_keys and isinstance(v, str) and _WEB.match(v.strip()) and (found := find_urls(v)) \
                    and not lookalike_host(found[0], pack):
                return found[0], key
            if isinstance(v, (dict, list)) and (hit := _link_in(v, pack, depth + 1)):
                return hit
    elif isinstance(value, list):
        for v in value[:200]:
            if isinstance(v, (dict, list)) and (hit := _link_in(v, pack, depth + 1)):
                return hit
    return None


def _url_texts(value: Any, depth: int = 0, out: list[str] | None = None) -> list[str]:
    """The strings at any depth of a decoded structure that may hold a URL, in order."""
    out = [] if out is None else out
    if depth > 12:
        return out
    if isinstance(value, str):
        if "://" in value:
            out.append(value)
    elif isinstance(value, (dict, list)):
        for v in value.values() if isinstance(value, dict) else value[:200]:
            # A string may hold a URL when it has "://"; a number never does; anything else is walked.
            if ("://" in v) if isinstance(v, str) else not isinstance(v, (int, float)):
                _url_texts(v, depth + 1, out)
    return out


_TIME_PREFIX = compiled(rf"^{year_first_date()}\d\d:\d\d:\d\d\S*\s+(?:(?:stdout|stderr) [FP] )?(?=[{{\[\"])")


# A Go-style label block a prefix may hold (logcli's `{level="error", type="http"}`).
_LABEL_BLOCK = compiled(r'\{(?:\s*[A-Za-z_]\w*="(?:[^"\\]|\\.)*"\s*,?)*\}')
_LABEL_PAIR = compiled(r'([A-Za-z_]\w*)="((?:[^"\\]|\\.)*)"')


# Words a line's header holds besides times, hosts and program[pid]: calendar names and levels.
_HEADER_WORDS = frozenset(
    "mon tue wed thu fri sat sun jan feb mar apr may jun jul aug sep oct nov dec utc gmt z "
    "trace debug info information notice warn warning error err fatal critical crit alert emerg".split())


def _header_only(prefix: str) -> bool:
    """Whether text before a JSON object is a header (time, level, host, program, one logger
    name) rather than a message of its own ("Order failed {…}") or key=value pairs."""
    if "=" in prefix or "|" in prefix:
        return False
    words = [w for w in (t.strip(",:;[]()").lower() for t in prefix.split()) if w.isalpha()]
    return sum(w not in _HEADER_WORDS for w in words) <= 1


def _prefixed_object(s: str) -> dict | None:
    """The JSON object ending a line behind a plain prefix (a time, level, host, program, a
    label block: console loggers, syslog, logcli's other time layouts); None when the prefix
    holds key=value pairs of its own (logfmt ending in a JSON value)."""
    if not s.endswith("}"):
        return None
    start = 0
    for _ in range(4):
        i = s.find("{", start)
        if i <= 0:
            return None
        start = i + 1
        try:
            obj = orjson.loads(s[i:])
        except orjson.JSONDecodeError:
            continue
        prefix = s[:i]
        if not isinstance(obj, dict) or not _header_only(_LABEL_BLOCK.sub("", prefix)):
            return None
        labels = {k: v for block in _LABEL_BLOCK.findall(prefix) for k, v in _LABEL_PAIR.findall(block)}
        return {**labels, **obj}
    return None


def _parse_line(text: str) -> Any:
    s = _TIME_PREFIX.sub("", text.strip(), count=1)
    if s[:1] in ('{', '[', '"'):
        try:
            return deep_decode(orjson.loads(s))
        except orjson.JSONDecodeError:
            pass
    elif (obj := _prefixed_object(s)) is not None:
        return deep_decode(obj)
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
        if not _compiled(rule["path"]).search(path):
            continue
        if rule.get("method") and rule["method"] != (method or "").upper():
            continue
        if rule.get("request_contains") and rule["request_contains"] not in req_text:
            continue
        return rule["endpoint"]
    return _PATH_ID.sub("/:id", path)


_PATH_ID = compiled(r"/(?:\d+|[0-9a-f]{8,}|[0-9a-f-]{36})(?=/|$)")


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> regex.Pattern:
    return compiled(pattern)


def decode_line(text: str, pack: Pack) -> Decoded:
    d = Decoded()
    obj = _parse_line(text)
    d.urls = find_urls(text)
    if isinstance(obj, str):
        d.component, obj = split_header(obj)
        d.message = clip(obj, 500)
        if _SQL.match(obj):
            d.category = "db"
        m = REQUEST_LINE.search(obj)
        if m:
            d.method, d.status, d.category = m[1], int(m[3]), "http"
            d.endpoint = _endpoint(m[2], m[1], None, pack)
        else:
            _text_failure(d, obj, pack)
        if m:  # the request line's target is what the client asked for, not a link to follow
            said = set(find_urls(obj[:m.start(2)] + " " + obj[m.end(2):]))
            asked = set(find_urls(m[2])) - said
            _links_from_urls(d, pack, text, [url for url in d.urls if url not in asked])
        else:
            _links_from_urls(d, pack, text)
        _responder_request(d, m[2] if m and _calls_link(m[2], pack) else None, pack)
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
    level_field = first(obj, fields.get("level", ["level"]))
    from_level = d.category is None and isinstance(level_field, str)
    if from_level:
        d.category = pack.category_of.get(level_field.lower())
    component = first(obj, fields.get("component", []))
    if component is None and all(key in obj for key in fields.get("app_name_beside", ["?"])):
        # pino and bunyan write the application's `name` beside `pid` and `hostname`; a
        # `name` elsewhere (Python logging's `app.db`, a franchise's) names no service.
        component = first(obj, fields.get("app_name", []))
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
    # What the client sent is not what the service answered: a link inside the request body,
    # the requested path, its headers or a statement's parameters is anyone's text (a peer's
    # probe, a pasted URL), never a link the logs tell you to follow.
    answer = _without(obj, [*fields.get("request", []), *fields.get("path", []), *fields.get("client_sent", [])])
    if (hit := _link_in(answer, pack)) is not None:
        d.link, d.link_key = hit
    mentioned: set[str] = set()  # every URL the decoded strings hold
    urls_in: dict[str, list[str]] = {}
    for s in _url_texts(obj):
        urls_in[s] = found = find_urls(s)
        for url in found:
            mentioned.add(url)
            if url not in d.urls:
                d.urls.append(url)
    if answer is not obj:
        said = {url for s in _url_texts(answer) for url in (urls_in[s] if s in urls_in else find_urls(s))}
        asked = mentioned - said
        _links_from_urls(d, pack, text, [url for url in d.urls if url not in asked])
    else:
        _links_from_urls(d, pack, text)
    targets = [path, *(obj.get(k) for k in pack.dependency_keys)]
    _responder_request(d, next((t for t in targets if isinstance(t, str) and _calls_link(t, pack)), None),
                       pack)
    if d.category is None or (from_level and d.category == "error"):  # level=error is a severity here
        # No label or field says what this line is: tell by its shape. A call to a full URL
        # on another host is an outgoing call; method + relative path + status is a request.
        if d.dependency and ((isinstance(path, str) and "://" in path) or d.method is None):
            d.category = pack.outgoing_category
        elif d.method and d.status and isinstance(path, str) and path.startswith("/"):
            d.category = "http"
    if d.status is None and d.message and d.category == "http":
        m = REQUEST_LINE.search(d.message)
        if m:
            d.status = int(m[3])
    return d


def _text_failure(d: Decoded, text: str, pack: Pack) -> None:
    """A plain-text line is a failure when the pack's words say so (a level word, an
    exception, a network error) or it writes an error status (`Status: 500`)."""
    if pack.text_status is not None:
        m = pack.text_status.search(text)
        if m:
            d.status = int(m[1])
    if d.category is None and ((d.status or 0) >= 500 or (pack.text_failure is not None and pack.text_failure.search(text))):
        d.category = "error"


def _without(obj: dict, keys: list[str]) -> dict:
    """The object without these (dotted) keys; the object itself when it holds none of them."""
    out = obj
    for key in keys:
        head, _, rest = key.partition(".")
        if key in out:
            out = {k: v for k, v in out.items() if k != key}
        elif rest and isinstance(out.get(head), dict) and (inner := _without(out[head], [rest])) is not out[head]:
            out = {**out, head: inner}
    return out


_ORIGIN = compiled(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")


def _calls_link(target: str, pack: Pack) -> bool:
    """Whether a requested URL or path is itself the remediation link: a link written into
    its query string (`/api/order?x=https://…/report/…`) or nested in its path is only text
    the client sent."""
    rest = _ORIGIN.sub("", target.strip(), count=1)
    m = pack.remediation_url.search(rest)
    return m is not None and "?" not in rest[:m.start()] and "://" not in rest[:m.start()]


def _links_from_urls(d: Decoded, pack: Pack, text: str, candidates: list[str] | None = None) -> None:
    """The first report-shaped URL of the line's text as its link, when no link key held one:
    only on a host the pack knows, as free text may be anyone's (a name a response echoes)."""
    if d.link is None:
        for url in d.urls if candidates is None else candidates:
            if (pack.remediation_url.search(url) or pack.redacted_link.search(url)) and on_link_host(url, pack) \
                    and not lookalike_host(url, pack) and not _only_wrapped(url, text):
                d.link = url
                break


def _responder_request(d: Decoded, target: str | None, pack: Pack) -> None:
    """A request *to* the remediation link (its URL is what was called, not a link in an
    answer), or the link's answer itself, is a responder acting on the incident: record the
    outcome, never a symptom."""
    message = d.message or ""
    answer = next((outcome for outcome, pattern in ((REJECTED, pack.resolution_rejected), (IDLE, pack.resolution_idle),
                                                     (RESOLVED, pack.resolution)) if pattern.search(message)), None)
    if target is None and (answer is None or (d.link is None and d.status is None)):
        return
    if target is not None:
        d.link = clean_url(target) if "://" in target else d.link or target
    if (d.status or 0) >= 400:
        answer = REJECTED
    d.attempt = answer or UNANSWERED
    d.resolution = message or None


class _LabelEntries:
    """A map column's entries flattened once for every lookup: each entry's key as a code,
    its value, and the row it belongs to."""

    def __init__(self, labels: pa.Array) -> None:
        self.n = n = len(labels)
        offsets = labels.offsets.to_numpy()
        lo, hi = (int(offsets[0]), int(offsets[-1])) if n else (0, 0)
        keys = labels.keys.slice(lo, hi - lo).dictionary_encode()
        self.codes = keys.indices.to_numpy(zero_copy_only=False)
        self.code_of = {k: i for i, k in enumerate(keys.dictionary.to_pylist())}
        self.values = labels.items.slice(lo, hi - lo)
        self.parents = np.repeat(np.arange(n), np.diff(offsets)) if self.code_of else None

    def column(self, keys: list[str]) -> pa.Array:
        """The first of `keys` each row's labels have (keys no row has are not looked up).

        Works on the flattened entries, not row by row: select the entries with a wanted
        key, then scatter their values back to the rows they came from.
        """
        wanted = [k for k in keys if k in self.code_of]
        if not wanted:
            return pa.nulls(self.n, pa.string())
        slot = np.full(self.n, -1, dtype=np.int64)
        for key in reversed(wanted):  # the first key wins: written last
            hit = self.codes == self.code_of[key]
            slot[self.parents[hit]] = np.flatnonzero(hit)
        return self.values.take(arrow(slot, mask=slot < 0)).cast(pa.string())


_MASK = "RCAVAR"
# Values that vary per request and that decoding reads only to copy into text: JWTs, IPv4
# addresses, ISO timestamps, long hex ids. If one is copied, the shape is decoded per line.
_VARIABLE = (r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"
             r"|\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b"
             rf"|{year_first_date()}\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"
             r"|\b[0-9a-fA-F]{16,}\b")
# The same values but a hex id right after a "/": a path's or URL's, which decoding copies into
# the link, the URLs or the endpoint (a remediation link's fixed support key on every failed
# order). RE2 has no look-behind: the character before the id is matched and written back,
# which makes this mask about three times the cost of the first, so it runs only on the lines
# whose first shape showed the mask.
# Nor is a run of digits where a JSON number may stand (after ":", "[", ",", a sign, a
# point or a space): masked there it would no longer be a number (a nanosecond time written
# as one), so it is left to the number mask, which keeps the JSON valid.
_VARIABLE_BUT_PATHS = _VARIABLE.replace(r"|\b[0-9a-fA-F]{16,}\b", r"|(^|[^\w/:\[,+.\s-])[0-9a-fA-F]{16,}\b")
# The masks tried in turn: a line whose shape's decoded row shows the mask is shaped again by
# the next, and decoded by itself after the last.
_MASKS = ((_VARIABLE, _MASK), (_VARIABLE_BUT_PATHS, rf"\1{_MASK}"))
_NUMBER_VALUE = r'(\\*":\s*)-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?'
# What a masked number becomes: still a number (zero) where JSON holds it, and a word no
# logger writes where it was only text that looked like JSON (a message quoting `"count": 7`),
# so a decoded row that shows it came from the mask.
_MASKED_NUMBER = "-0E-0"
_KEEP = "\x01"
_FEW = 500  # below this many distinct lines, masking costs more than it saves
# What is made once per pack (its mask patterns, its shapes' decoded rows), by the pack's
# identity: packs hold dicts, so they cannot be hashed.
_PER_PACK: dict[tuple[int, str], tuple[Pack, Any]] = {}
# Decoded shapes kept per pack (a range's shapes recur in the next ones), of texts at most
# _SHAPE_CHARS long: at most ~8 MB held, however long a hostile export's lines are.
_SHAPE_ROWS, _SHAPE_CHARS = 2048, 4096


def _per_pack(pack: Pack, name: str, make) -> Any:
    """`make(pack)`, made once per pack."""
    key = (id(pack), name)
    hit = _PER_PACK.get(key)
    if hit is None or hit[0] is not pack:
        if len(_PER_PACK) > 64:
            _PER_PACK.clear()
        hit = _PER_PACK[key] = (pack, make(pack))
    return hit[1]


def _last(names: list[str]) -> set[str]:
    """The keys decoding reads as they are (a dotted path is also read as one flat key)."""
    return {str(name) for name in names}


def _dotted(pack: Pack) -> list[tuple[str, str]]:
    """(parent, key) of the dotted paths decoding reads (e.g. diner.id): numbers under that
    key are kept inside that parent only."""
    pairs = set()
    for names in pack.fields.values():
        for name in map(str, names):
            parts = name.split(".")
            if len(parts) >= 2 and all(compiled(r"[\w-]+").fullmatch(p) for p in parts[-2:]):
                pairs.add((parts[-2], parts[-1]))
    return sorted(pairs)


def _latency_keys(pack: Pack) -> list[str]:
    return sorted(k for k in _last(pack.fields.get("latency_ms", [])) if compiled(r"[\w.-]+").fullmatch(k))


def _consulted_keys(pack: Pack) -> list[str]:
    """Every key whose value decoding reads: numbers under these keys are never masked.
    Latency keys are the exception: their numbers are masked and read back line by line."""
    keys = {"status", "statusCode", "level", "jwt", "items"}
    for kind, names in pack.fields.items():
        if kind != "latency_ms":
            keys.update(_last(names))
    for names in pack.label_keys.values():
        keys.update(names)
    keys.update(pack.link_keys)
    keys.update(pack.dependency_keys)
    return sorted(k for k in keys if compiled(r"[\w.-]+").fullmatch(k))


def _maskable(pack: Pack) -> bool:
    """Masking cannot change what this pack's rules see (their texts hold no maskable value)."""
    probes = [str(r.get("request_contains", "")) for r in pack.endpoint_rules] + list(pack.bad_jwt_prefixes)
    masker = compiled(_VARIABLE)
    return not any(masker.search(p) or p.startswith("eyJ") or compiled(r"\d").search(p) for p in probes)


@dataclass
class Shapes:
    """Distinct lines grouped by shape. `first[i]` is line i's text after the JWT/time/id
    mask (`masked`: numbers still there, so a line's latency can be read from it);
    `index[i]` is its shape in `texts`, its numbers masked too."""

    index: np.ndarray
    texts: pa.Array
    first: np.ndarray
    masked: pa.Array


def shapes(lines: pa.Array, pack: Pack) -> pa.Array:
    """Each JSON object line with its per-request values masked (other lines, and lines
    holding the marker, are kept whole: their text is what decoding returns)."""
    found = shape_index(lines, pack)
    return found.texts.take(arrow(found.index))


def shape_index(lines: pa.Array, pack: Pack, mask: tuple[str, str] = _MASKS[0],
                opens: np.ndarray | None = None) -> Shapes:
    """The lines' shapes, each computed once per distinct text.

    Masking JWTs, addresses, times and ids first (`mask`: pattern and replacement) leaves a
    few distinct texts per hundred lines; the number masks run on those only (each mask is a
    function of the text alone). `opens`: which lines open with "{", when the caller has looked.
    """
    pattern, replacement = mask
    first = _halves(lambda part: pc.replace_substring_regex(part, pattern, replacement), lines).dictionary_encode()
    first_index = first.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    shape = _mask_numbers(first.dictionary, pack).dictionary_encode()
    index = shape.indices.to_numpy(zero_copy_only=False).astype(np.int64)[first_index]
    texts = shape.dictionary
    whole = np.flatnonzero(_untouchable(lines, opens))
    if whole.size:  # such a line is its own shape
        index[whole] = len(texts) + np.arange(whole.size)
        texts = pa.concat_arrays([texts, lines.take(arrow(whole)).cast(texts.type)])
    return Shapes(index, texts, first_index, first.dictionary)


_MARKER = compiled(_MASK.encode())


def _untouchable(lines: pa.Array, opens: np.ndarray | None = None) -> np.ndarray:
    """Lines masking must leave whole: not a JSON object, or holding the marker. The marker
    is first looked for in the lines' bytes at once, where they lie (it is almost never
    there): no copy of them, and faster than Arrow's substring kernels, which go line by line."""
    whole = ~(opens_object(lines) if opens is None else opens)
    data = lines.buffers()[2]
    if data is None or not _holds_marker(data):
        return whole
    return pc.match_substring_regex(lines, f"{_KEEP}|{_MASK}").fill_null(False).to_numpy(zero_copy_only=False) | whole


def _holds_marker(data: pa.Buffer) -> bool:
    """Whether bytes hold the keep byte or the mask word, read in place. The byte is looked
    for a block at a time: compared at once, a range's bytes made a flag array as large as
    them, in fresh pages every range. The word is looked for with the GIL released
    (`concurrent`: Arrow's buffer cannot change meanwhile), so the other range's thread runs
    its Python meanwhile."""
    values, keep = np.frombuffer(data, dtype=np.uint8), ord(_KEEP)
    return any((values[i:i + _MARKER_BLOCK] == keep).any() for i in range(0, values.size, _MARKER_BLOCK)) or \
        _MARKER.search(memoryview(data), concurrent=True) is not None


_MARKER_BLOCK = 1 << 18


def _halves(fn, lines: pa.Array) -> pa.Array:
    """`fn` of each half of many lines on two threads (Arrow's kernels release the GIL), when
    there is a spare core: not on a busy machine, nor inside a range mapped on a thread."""
    if len(lines) < 2 * _FEW or on_worker_thread() or spare_cores() < 2:
        return fn(lines)
    half = len(lines) // 2
    with ThreadPoolExecutor(2) as pool:
        return pa.concat_arrays(list(pool.map(fn, [lines.slice(0, half), lines.slice(half)])))


def _number_patterns(pack: Pack) -> tuple[str, str]:
    """The patterns of the numbers decoding reads: under a consulted key, and under a dotted
    path's key inside its parent ("" when the pack has no dotted path)."""
    latency_only = _latency_only(pack)
    keys = "|".join(regex.escape(k) for k in _consulted_keys(pack) if k not in latency_only)
    nested = "|".join(rf'\\*"{regex.escape(a)}\\*":\s*\{{[^{{}}]*?\\*"{regex.escape(b)}\\*":\s*'
                      for a, b in _dotted(pack))
    return rf'(\\*"(?:{keys})\\*":\s*)(-?\d)', rf"((?:{nested}))(-?\d)" if nested else ""


def _mask_numbers(texts: pa.Array, pack: Pack) -> pa.Array:
    """Numbers masked to 0, except where decoding reads them (the pack's consulted keys)."""
    consulted, nested = _per_pack(pack, "numbers", _number_patterns)
    masked = pc.replace_substring_regex(texts, consulted, rf"\1{_KEEP}\2")
    if nested:
        masked = pc.replace_substring_regex(masked, nested, rf"\1{_KEEP}\2")
    masked = pc.replace_substring_regex(masked, _NUMBER_VALUE, rf"\1{_MASKED_NUMBER}")
    return pc.replace_substring(masked, _KEEP, "")


def _latency_only(pack: Pack) -> set[str]:
    others = set().union(*(_last(v) for k, v in pack.fields.items() if k != "latency_ms"))
    return set(_latency_keys(pack)) - others - {"status", "statusCode", "level", "jwt", "items"}


def _shows_mask(row: tuple) -> bool:
    return any(isinstance(v, str) and (_MASK in v or _MASKED_NUMBER in v) for v in row) or \
        any(_MASK in u or _MASKED_NUMBER in u for u in row[9] or [])


# The mask word where it does not open a string or follow a "/": it may stand where a JSON
# number stood (a nanosecond time), which leaves the text no longer JSON.
_BARE_MASK = compiled(rf'(?<!["/]){_MASK}')


def _mask_matters(text: str, row: tuple, pack: Pack) -> bool:
    """Whether the shape's decoded row depends on what its mask hides, though the row does
    not show it: the word in a number's place breaks the JSON around it (the line, or a body
    inside it, then decodes as text, its message clipped before the word). Decoding the
    shape with a number there instead must give the same row."""
    return _BARE_MASK.search(text) is not None and decode_line(text.replace(_MASK, "0"), pack).row() != row


def _latencies(lines: pa.Array, pack: Pack) -> pa.Array:
    """Each line's latency number (null when there is none to read): what decoding reads from
    a line whose shape masked it and holds one latency key. Two halves on two threads."""
    pattern = _per_pack(pack, "latency", _latency_pattern)

    def read(part: pa.Array) -> pa.Array:
        return pc.cast(pc.struct_field(pc.extract_regex(part, pattern), [0]), pa.float64())

    return _halves(read, lines)


def _latency_pattern(pack: Pack) -> str:
    keys = "|".join(regex.escape(k) for k in _latency_keys(pack))
    return rf'\\*"(?:{keys})\\*":\s*(?P<v>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)[,}}\\\s]'


def _latency_key_counter(pack: Pack):
    """How many latency keys a line (or its shape: keys are never masked) holds."""
    keys = "|".join(regex.escape(k) for k in _latency_keys(pack))
    pattern = compiled(rf'\\*"(?:{keys})\\*":')
    return lambda text: len(pattern.findall(text))


@dataclass
class _Distinct:
    """Decoded columns of distinct lines: line i's are row `index[i]` of `table` (row i when
    there is no index), its latency `latency[i]` where the line's own was read (NaN: the
    row's). Taken to the rows that need them in one take, not first to every distinct line."""

    table: pa.Table
    index: np.ndarray | None = None
    latency: np.ndarray | None = None

    def rows(self, lines: np.ndarray | None = None) -> pa.Table:
        """The columns of `lines` (indices of distinct lines; every line when None)."""
        index = self.index if lines is None else lines if self.index is None else self.index[lines]
        out = self.table if index is None else self.table.take(arrow(index))
        if self.latency is None:
            return out
        latency = self.latency if lines is None else self.latency[lines]
        own = arrow(latency, pa.float64(), mask=np.isnan(latency))
        merged = pc.if_else(own.is_valid(), own, out.column("latency_ms").combine_chunks())
        return out.set_column(out.schema.get_field_index("latency_ms"), "latency_ms", merged)


def _decode_distinct(uniques: pa.Array, pack: Pack) -> _Distinct:
    """Decoded columns for the distinct lines (one row each): plain-text lines that say
    nothing but their message found over the column (rca.table.quiet_text), the others
    decoded by shape or one by one."""
    opens = opens_object(uniques)  # looked at once: masking and the quiet-line test both ask
    found = quiet_lines(uniques, pack, _LOGFMT, REQUEST_LINE, _SQL, _FEW, opens) if len(uniques) >= _FEW else None
    if found is None:
        return _decode_loud(uniques, pack, opens)
    quiet, messages, programs = found
    # The other lines that open with no "{" have no shape but themselves: decoded one by one.
    json, text = np.flatnonzero(opens & ~quiet), np.flatnonzero(~opens & ~quiet)
    order = np.empty(len(uniques), np.int64)
    order[json] = np.arange(json.size)
    order[text] = json.size + np.arange(text.size)
    order[quiet] = json.size + text.size + np.arange(len(messages))
    tables = [_decode_loud(uniques.take(arrow(json)), pack, opens[json]).rows(),
              _per_line(uniques.take(arrow(text)), pack), _messages_only(messages, programs)]
    return _Distinct(pa.concat_tables(tables), order)


def _messages_only(messages: pa.Array, programs: pa.Array) -> pa.Table:
    """The columns of lines that decode to their message alone, with the program a syslog
    header names (`Decoded(message=..., component=...)`)."""
    n = len(messages)
    columns = {f.name: pa.nulls(n, f.type) for f in COLUMNS}
    columns["message"] = messages.cast(pa.string())
    columns["component"] = programs.cast(pa.string())
    columns["urls"] = pa.ListArray.from_arrays(arrow(np.zeros(n + 1, np.int32)), pa.array([], pa.string()))
    columns["body_lost"] = columns["bad_jwt"] = arrow(np.zeros(n, dtype=bool))
    return pa.table(columns, schema=COLUMNS)


def _decode_loud(uniques: pa.Array, pack: Pack, opens: np.ndarray | None = None) -> _Distinct:
    if len(uniques) < _FEW or not _maskable(pack):
        return _Distinct(_per_line(uniques, pack))
    return _decode_by_shape(uniques, pack, _MASKS, opens)


def _per_line(lines: pa.Array, pack: Pack) -> pa.Table:
    return _rows_table([decode_line(text, pack).row() for text in lines.to_pylist()])


def _decode_by_shape(uniques: pa.Array, pack: Pack, masks: tuple[tuple[str, str], ...],
                     opens: np.ndarray | None = None) -> _Distinct:
    """Decoded columns for distinct lines, by their shapes under the first of `masks`; the
    lines those shapes cannot stand for, by the other masks, and each by itself after the last.
    `opens`: which lines open with "{", when the caller has looked."""
    shape = shape_index(uniques, pack, masks[0], opens)
    # Only the shapes some line has: a line kept whole leaves its masked text unused.
    used, shape_index_of = np.unique(shape.index, return_inverse=True)
    decoded = _decoded_shapes(shape.texts.take(arrow(used)).to_pylist(), pack)
    rows = [row for row, _, _ in decoded]
    unsafe = np.array([shows for _, shows, _ in decoded], dtype=bool)
    # A latency of 0 may be the masked number: read each line's own where the shape holds one
    # latency key, else decode the line. The number is still there after the first mask, so
    # it is read once per text left distinct by that mask.
    zero = np.array([r[6] == 0.0 for r in rows], dtype=bool)
    unsafe |= zero & np.array([keys != 1 for _, _, keys in decoded], dtype=bool)
    masked_latency = zero & ~unsafe
    index = shape_index_of.copy()
    latency = np.full(len(uniques), np.nan)
    redo = unsafe[shape_index_of]
    lines_with_latency = np.flatnonzero(masked_latency[shape_index_of])
    if lines_with_latency.size:
        firsts, back = np.unique(shape.first[lines_with_latency], return_inverse=True)
        own = _latencies(shape.masked.take(arrow(firsts)), pack)
        known = own.is_valid().to_numpy(zero_copy_only=False)[back]
        values = own.to_numpy(zero_copy_only=False)[back]
        latency[lines_with_latency[known]] = values[known]
        redo[lines_with_latency[~known]] = True
    lines_to_redo = np.flatnonzero(redo)
    latency[lines_to_redo] = np.nan
    table = _rows_table(rows)
    if lines_to_redo.size:
        again = uniques.take(arrow(lines_to_redo))
        index[lines_to_redo] = len(rows) + np.arange(len(again))
        redone = _decode_by_shape(again, pack, masks[1:], None if opens is None else opens[lines_to_redo]).rows() \
            if len(masks) > 1 else _per_line(again, pack)
        table = pa.concat_tables([table, redone])
    return _Distinct(table, index, latency)


def _decoded_shapes(texts: list[str], pack: Pack) -> list[tuple[tuple, bool, int]]:
    """Each shape's decoded row, whether the row shows the mask, and how many latency keys the
    shape holds; remembered across calls, since each range of an export has the same shapes."""
    known = _per_pack(pack, "shapes", lambda _: {})
    count = _per_pack(pack, "latency keys", _latency_key_counter)
    out = []
    for text in texts:
        found = known.get(text)
        if found is None:
            row = decode_line(text, pack).row()
            found = (row, _shows_mask(row) or _mask_matters(text, row, pack), count(text))
            if len(text) <= _SHAPE_CHARS:
                if len(known) >= _SHAPE_ROWS:
                    known.clear()
                known[text] = found
        out.append(found)
    return out


def _rows_table(rows: list[tuple]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in COLUMNS]
    return pa.table([pa.array(col, f.type) for col, f in zip(columns, COLUMNS, strict=True)], schema=COLUMNS)


def _service_of(source: str) -> str | None:
    """The service a plain log file is named for: `logs/jwt-pizza-service.log.gz` →
    `jwt-pizza-service`, a zip archive's `all.zip:jwt-pizza-service.log` alike (nothing for
    standard input)."""
    name = _IN_ARCHIVE.sub("", source.replace("\\", "/").rsplit("/", 1)[-1])
    while "." in name and name.rsplit(".", 1)[1].lower() in _LOG_SUFFIXES:
        name = name.rsplit(".", 1)[0]
    if _GENERIC_NAME.match(name):  # "export.jsonl", "Explore-logs-….json": names no service
        return None
    return name or None if source != "-" else None


# What a file's name says about its logs (tool knowledge, as data): the suffixes a log file
# carries, and the names export tools give files that name no service.
_FILE_NAMES = orjson.loads(shipped("file_names.json"))
_GENERIC_NAME = compiled(_FILE_NAMES["generic_name"], regex.IGNORECASE)
_LOG_SUFFIXES = frozenset(_FILE_NAMES["log_suffixes"])
# The archive before a member's name in an input's name (`all.zip:…`, rca.inputs.exports).
_IN_ARCHIVE = compiled(r"^.*\.zip:", regex.IGNORECASE)


def _file_component(table: pa.Table) -> pa.Array:
    """Each row's component by its file's name: the last resort when neither line nor labels name one."""
    if "source" not in table.column_names or table.num_rows == 0:
        return pa.nulls(table.num_rows, pa.string())
    encoded = table.column("source").combine_chunks().dictionary_encode()
    names = pa.array([_service_of(s) if s else None for s in encoded.dictionary.to_pylist()], pa.string())
    return names.take(encoded.indices)


def _distinct(column: pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """The distinct values and each row's index into them, without joining the chunks first
    (Arrow encodes every chunk against one shared dictionary)."""
    chunks = pc.dictionary_encode(column).chunks
    first = chunks[0].dictionary if chunks else None
    if first is None or any(len(c.dictionary) != len(first) or c.dictionary.buffers() != first.buffers()
                            for c in chunks[1:]):
        encoded = column.combine_chunks().dictionary_encode()
        return encoded.dictionary, encoded.indices
    return first, pa.concat_arrays([c.indices for c in chunks])


def _label_category(labels: _LabelEntries, pack: Pack) -> pa.Array:
    """Each row's category by its labels (`type=http`), looked up once per distinct label value."""
    named = labels.column(pack.label_keys.get("category", [])).dictionary_encode()
    cat_map = pa.array(list(pack.category_of.keys()))
    cat_vals = pa.array(list(pack.category_of.values()))
    by_value = pc.take(cat_vals, pc.index_in(_lower(named.dictionary), value_set=cat_map))
    return by_value.take(named.indices)


def _lower(values: pa.Array) -> pa.Array:
    """Lower case; ASCII values by the ASCII kernel, which gives the same for them and spares
    Arrow filling its Unicode case tables on first use (~5 ms, once per process)."""
    ascii_only = all(v is None or v.isascii() for v in values.to_pylist())
    return (pc.ascii_lower if ascii_only else pc.utf8_lower)(values)


def _label_status(labels: _LabelEntries, pack: Pack) -> pa.Array:
    """Each row's status by its labels, when a label holds one."""
    label_status = labels.column(pack.label_keys.get("status", []))
    if label_status.null_count == len(label_status):
        return pa.nulls(len(label_status), pa.int32())
    return pc.cast(pc.if_else(pc.match_substring_regex(label_status.fill_null(""), r"^[1-5]\d\d$"), label_status,
                              pa.scalar(None, pa.string())), pa.int32())


def _first_valid(*columns: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Each row's first non-null value of `columns`, as `pc.coalesce` gives it, by `if_else`:
    Arrow's coalesce of strings costs about twice as much (every row of a range goes through
    three of them), and a column without nulls is the answer as it is."""
    out = columns[-1]
    for column in reversed(columns[:-1]):
        if column.null_count == len(column):
            continue
        out = column if column.null_count == 0 else pc.if_else(column.is_valid(), column, out)
    return out


def _or_else(column: pa.Array | pa.ChunkedArray,
             fallback: Callable[[], pa.Array | pa.ChunkedArray]) -> pa.Array | pa.ChunkedArray:
    """`column`, its nulls filled from `fallback()`, which is made only when there are any."""
    return _first_valid(column, fallback()) if column.null_count else column


def _is_true(mask: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """`pc.fill_null(mask, False)` by bitmaps: a null is not true (Arrow fills booleans bit by bit)."""
    return pc.and_kleene(mask, mask.is_valid())


def decode(table: pa.Table, pack: Pack, label_sets: LabelSets | None = None) -> pa.Table:
    """Decoded columns for every row of a canonical table (same length, same order).
    `label_sets`: the table's labels as their distinct sets, each looked up once."""
    n = table.num_rows
    if n == 0:
        return COLUMNS.empty_table()
    uniques, indices = _distinct(table.column("line"))
    distinct = _decode_distinct(uniques, pack)
    out = distinct.rows().take(indices) if indices.null_count else distinct.rows(indices.to_numpy())
    # Labels fill what the line did not say: component, category, status.
    if label_sets is not None and len(label_sets.of_row) == n:
        labels, of_row = _LabelEntries(label_sets.sets), arrow(label_sets.of_row)
    else:
        labels, of_row = _LabelEntries(table.column("labels").combine_chunks()), None

    def each_row(values: pa.Array) -> pa.Array:
        return values if of_row is None else values.take(of_row)

    # Each fallback is worked out only for a column the lines left gaps in.
    category = _or_else(out.column("category"), lambda: each_row(_label_category(labels, pack)))
    status = _or_else(out.column("status"), lambda: each_row(_label_status(labels, pack)))
    component = _or_else(out.column("component"),
                         lambda: each_row(labels.column(pack.label_keys.get("component", []))))
    component = _or_else(component, lambda: _file_component(table))
    # What answered: the factory for factory-call lines, the database for SQL, else the service.
    for said, answered in (("db", "database"), ("factory", "pizza-factory")):  # the factory's first
        said_so = _is_true(pc.equal(category, said))
        if pc.any(said_so).as_py():
            component = pc.if_else(said_so, answered, component)
    out = out.set_column(out.schema.get_field_index("category"), "category", category.fill_null("other"))
    out = out.set_column(out.schema.get_field_index("status"), "status", status)
    out = out.set_column(out.schema.get_field_index("component"), "component", component)
    return out
