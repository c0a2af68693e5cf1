"""Pull logs straight from Loki, completely: past the line limit, across page boundaries,
through failures and interruptions.

Pages go forward in time with the largest limit the server allows. A page that comes back
full is trusted only below its last timestamp; the next page starts at that timestamp, so
lines sharing a nanosecond at a boundary are fetched whole, never cut or repeated. The
output is logcli-compatible JSONL (gzip when the file name ends in .gz), written page by
page so an interrupted pull leaves a valid file that `--resume` continues.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import signal
import time
import urllib.error
import urllib.parse
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from rca.errors import RcaError, UsageError
from rca.integrations.http import Unreachable, error_text, fetch, one_line
from rca.inputs.timestamps import TimestampError, format_rfc3339_nano, parse_any
from rca.compiled import compiled

QUERY_PATH = "/loki/api/v1/query_range"
_MAX_ENTRIES = compiled(r"max entries limit.*?\((\d+)\s*>\s*(\d+)\)", regex.IGNORECASE)


class PullError(RcaError):
    exit_code = 1


@dataclass
class Access:
    url: str
    token: str | None = None
    user: str | None = None
    password: str | None = None
    org_id: str | None = None

    def endpoint(self) -> str:
        base = self.url.rstrip("/")
        if base.endswith(QUERY_PATH):
            return base
        if base.endswith("/loki/api/v1"):
            return base + "/query_range"
        return base + QUERY_PATH

    def headers(self) -> dict[str, str]:
        h = {"Accept": "application/json"}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        elif self.user is not None:
            h["Authorization"] = "Basic " + base64.b64encode(f"{self.user}:{self.password or ''}".encode()).decode()
        if self.org_id:
            h["X-Scope-OrgID"] = self.org_id
        return h


def access_from_env(url: str, token_file: Path | None = None, org_id: str | None = None) -> Access:
    token = None
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"{token_file}: cannot read the token file ({exc.strerror})") from None
    token = token or os.environ.get("LOKI_TOKEN") or None
    user = os.environ.get("LOKI_USER")
    return Access(url, token=token, user=user, password=os.environ.get("LOKI_PASSWORD"),
                  org_id=org_id or os.environ.get("LOKI_ORG_ID"))


def parse_time(text: str, now_ns: int) -> int:
    text = text.strip()
    if text == "now":
        return now_ns
    try:
        return parse_any(text)[0]
    except TimestampError:
        raise UsageError(f"not a time: {text!r} (use RFC 3339, e.g. 2025-12-02T17:30:00Z, or epoch)") from None


def parse_duration_ns(text: str) -> int:
    m = regex.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ns|us|ms|s|m|h|d|w)\s*", text)
    if not m:
        raise UsageError(f"not a duration: {text!r} (use e.g. 15m, 2h, 1d)")
    unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9, "d": 86400e9, "w": 604800e9}[m[2]]
    return int(float(m[1]) * unit)


@dataclass
class PullStats:
    lines: int = 0
    pages: int = 0
    retries: int = 0
    limit: int = 0
    incomplete: list[tuple[int, int, str]] = field(default_factory=list)
    interrupted: bool = False
    resumed_from_ns: int | None = None


@dataclass
class Client:
    access: Access
    timeout_s: float = 60.0
    retries: int = 5
    backoff_s: float = 0.5
    on_retry: Callable[[str], None] | None = None
    give_up_at: float | None = None   # time.monotonic() by which the whole pull must end

    def query(self, query: str, start_ns: int, end_ns: int, limit: int) -> dict[str, Any]:
        params = urllib.parse.urlencode({"query": query, "start": str(start_ns), "end": str(end_ns),
                                         "limit": str(limit), "direction": "forward"})
        url = f"{self.access.endpoint()}?{params}"
        secrets = [self.access.token, self.access.password, self.access.org_id]
        try:
            doc = fetch(url, headers=self.access.headers(), timeout_s=self.timeout_s, retries=self.retries,
                        backoff_s=self.backoff_s, parse=json.loads, on_retry=self.on_retry,
                        give_up_at=self.give_up_at)
        except urllib.error.HTTPError as exc:
            body = error_text(exc)
            limit = _MAX_ENTRIES.search(body) if exc.code == 400 else None
            if limit:
                raise LimitTooHigh(int(limit[2])) from None
            raise PullError(_explain(exc.code, one_line(body, secrets))) from None
        except Unreachable as exc:
            raise PullError(exc.failed_to(f"Loki at {self.access.url}")) from None
        # A proxy or an API may answer an error with 200: it is an error, not an empty page.
        if isinstance(doc, dict) and doc.get("status") not in (None, "success"):
            said = doc.get("error") or doc.get("message") or f"status {doc.get('status')!r}"
            raise PullError(f"Loki answered an error: {one_line(str(said), secrets)}")
        return doc


class LimitTooHigh(Exception):
    def __init__(self, allowed: int) -> None:
        super().__init__(allowed)
        self.allowed = allowed


def _explain(status: int, body: str) -> str:
    what = {401: "rejected the credentials (401): check LOKI_TOKEN, --token-file or LOKI_USER/LOKI_PASSWORD",
            403: "refused the query (403): check the tenant (--org-id) and permissions",
            404: "has no query_range endpoint there (404): check --loki"}.get(status, f"answered HTTP {status}")
    detail = body if status != 401 else ""
    return f"Loki {what}" + (f": {detail}" if detail else "")


def _entries(doc: dict[str, Any], start_ns: int, end_ns: int) -> list[tuple[int, dict[str, str], str]]:
    """The page's lines inside the range asked for, oldest first: a line a server sends from
    outside it would move the next page past lines not yet fetched."""
    data = doc.get("data") if isinstance(doc, dict) else None
    data = data if isinstance(data, dict) else _unreadable("no data object")
    if data.get("resultType") not in (None, "streams"):
        raise PullError(f"the query returned {data.get('resultType')} data: pull needs a log query, not a metric query")
    out = []
    streams = data.get("result") or []
    for stream in streams if isinstance(streams, list) else _unreadable("its result is not a list of streams"):
        labels = (stream.get("stream") or {}) if isinstance(stream, dict) else _unreadable("a stream is not an object")
        values = stream.get("values") or []
        if not _labels(labels) or not isinstance(values, list):
            _unreadable("a stream's labels or values are not Loki's")
        for value in values:
            if not (isinstance(value, list) and len(value) >= 2 and isinstance(value[0], str) and _NANOSECONDS.match(value[0])
                    and isinstance(value[1], str)):
                _unreadable(f"an entry is not [nanoseconds, line]: {one_line(str(value)[:80], [])}")
            ts = int(value[0])
            if start_ns <= ts < end_ns:
                out.append((ts, labels, value[1]))
    out.sort(key=lambda e: e[0])
    return out


# Loki's nanoseconds: ASCII digits that int64 can hold (str.isdigit also takes '²' and other
# scripts' digits, and int() refuses more than 4300 digits).
_NANOSECONDS = compiled(r"[0-9]{1,19}\Z")


def _labels(value: Any) -> bool:
    """Loki's stream labels: names and values that are strings (a line's key is built of them)."""
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def _unreadable(why: str):
    """A page whose shape is not a Loki streams answer: nothing of it is written."""
    raise PullError(f"Loki answered what could not be read: {why}")


def _jsonl(entries: list[tuple[int, dict[str, str], str]]) -> bytes:
    return b"".join(json.dumps({"labels": labels, "line": line, "timestamp": format_rfc3339_nano(ts)},
                               sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
                    for ts, labels, line in entries)


def _key(ts: int, labels: dict[str, str], line: str) -> tuple:
    return ts, tuple(sorted(labels.items())), line


def _gzip_members(raw: bytes) -> tuple[bytes, int]:
    """Text of the complete gzip members, and the byte length they occupy."""
    text, offset = b"", 0
    while offset < len(raw):
        d = zlib.decompressobj(wbits=31)
        try:
            chunk = d.decompress(raw[offset:])
        except zlib.error:
            break
        if not d.eof:
            break
        text += chunk
        offset = len(raw) - len(d.unused_data)
    return text, offset


def _resume_point(path: Path) -> tuple[int | None, list[tuple], int]:
    """(last timestamp in the file, keys of the records at it, bytes of complete content)."""
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        text, keep = _gzip_members(raw)
    else:
        text = raw[: raw.rfind(b"\n") + 1]
        keep = len(text)
    last_ts, at_last = None, []
    for line in text.splitlines()[::-1]:
        try:
            obj = json.loads(line)
            ts = parse_any(obj["timestamp"])[0]
            if not (_labels(obj.get("labels") or {}) and isinstance(obj["line"], str)):
                raise ValueError("labels or line of another shape")
        except (ValueError, KeyError, TypeError, AttributeError, TimestampError):
            raise PullError(f"{path}: cannot resume: it is not a logcli JSONL file rca wrote") from None
        if last_ts is None:
            last_ts = ts
        if ts != last_ts:
            break
        at_last.append(_key(ts, obj.get("labels") or {}, obj["line"]))
    return last_ts, at_last, keep


def pull(access: Access, query: str, start_ns: int, end_ns: int, out: Path, limit: int = 5000,
         resume: bool = False, progress: Callable[[PullStats, int], None] | None = None,
         client: Client | None = None, deadline_s: float | None = None) -> PullStats:
    """Fetch every line of `query` in [start, end) into `out`. Returns what happened.

    Pages go to a temporary file beside `out`, renamed over it when the pull ends or is
    interrupted (its content is then valid and `--resume` continues it); a failed pull
    leaves an existing `out` as it was. A resumed pull starts from a copy of `out`'s
    complete records, so the rename only ever adds to it.
    """
    if end_ns <= start_ns:
        raise UsageError("the time range is empty: --from must be before --to")
    client = client or Client(access)
    if deadline_s:
        client.give_up_at = time.monotonic() + deadline_s
    stats = PullStats(limit=limit)
    skip: set[tuple] = set()
    kept = b""
    if resume and out.exists() and out.stat().st_size:
        last, at_last, complete_bytes = _resume_point(out)
        if last is not None:
            start_ns = max(start_ns, last)
            skip = set(at_last)
            stats.resumed_from_ns = last
        with open(out, "rb") as fh:
            kept = fh.read(complete_bytes)
    gz = out.name.endswith(".gz")
    try:
        with _Staged(out, kept, keep_on_failure=bool(kept) or not out.exists()) as fh:
            _pages(client, query, start_ns, end_ns, fh, gz, stats, skip, progress)
    except OSError as exc:  # the server's failures come as PullError: this is the output's
        raise UsageError(f"{out}: cannot write ({exc.strerror or exc})") from None
    return stats


class _Staged:
    """A temporary file beside `target`, renamed over it on success or interruption; on
    failure renamed only when `keep_on_failure` (nothing of the user's is lost by it),
    otherwise removed. Pipes and devices are written in place."""

    def __init__(self, target: Path, initial: bytes, keep_on_failure: bool) -> None:
        self.target, self.initial, self.keep = target, initial, keep_on_failure
        self.tmp: str | None = None

    def __enter__(self):
        import stat
        import tempfile

        try:
            regular = stat.S_ISREG(os.stat(self.target).st_mode)
        except FileNotFoundError:
            regular = True
        if not regular:
            self.fh = open(self.target, "wb")
            return self.fh
        fd, self.tmp = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".rca-tmp",
                                        dir=str(self.target.parent or "."))
        mask = os.umask(0o022)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)
        self.fh = os.fdopen(fd, "wb")
        self.fh.write(self.initial)
        return self.fh

    def __exit__(self, kind, exc, tb) -> None:
        self.fh.close()
        if self.tmp is None:
            return
        if kind is None or self.keep or kind is KeyboardInterrupt:
            os.replace(self.tmp, self.target)
        else:
            os.unlink(self.tmp)


def _pages(client: Client, query: str, start_ns: int, end_ns: int, fh, gz: bool, stats: PullStats,
           skip: set[tuple], progress: Callable[[PullStats, int], None] | None) -> None:
    stop = {"now": False}

    def on_sigint(signum: int, frame: object) -> None:
        stop["now"] = True

    previous = signal.signal(signal.SIGINT, on_sigint) if _main_thread() else None
    client.on_retry = lambda why: setattr(stats, "retries", stats.retries + 1)
    try:
        cursor = start_ns
        while cursor < end_ns and not stop["now"]:
            if client.give_up_at is not None and time.monotonic() > client.give_up_at:
                raise PullError(f"the pull reached its --deadline after {stats.lines} lines")
            try:
                doc = client.query(query, cursor, end_ns, stats.limit)
            except LimitTooHigh as exc:
                stats.limit = max(1, min(exc.allowed, stats.limit - 1))
                continue
            stats.pages += 1
            entries = _entries(doc, cursor, end_ns)
            if len(entries) < stats.limit:
                accepted, cursor = entries, end_ns
            else:
                last = entries[-1][0]
                if last == cursor:
                    accepted, cursor = _one_nanosecond(client, query, cursor, stats)
                else:
                    accepted = [e for e in entries if e[0] < last]
                    cursor = last
            if skip:
                accepted = [e for e in accepted if _key(*e) not in skip]
                skip = {k for k in skip if k[0] >= cursor}
            data = _jsonl(accepted)
            fh.write(gzip.compress(data, mtime=0) if gz and data else data)
            fh.flush()
            stats.lines += len(accepted)
            if progress:
                progress(stats, cursor)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    stats.interrupted = stop["now"]


def _one_nanosecond(client: Client, query: str, ts: int, stats: PullStats) -> tuple[list, int]:
    """More lines share one nanosecond than a page holds: fetch that nanosecond alone."""
    doc = client.query(query, ts, ts + 1, stats.limit)
    entries = _entries(doc, ts, ts + 1)
    if len(entries) >= stats.limit:
        stats.incomplete.append((ts, ts + 1, f"more than {stats.limit} lines share this nanosecond"))
    return entries, ts + 1


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
