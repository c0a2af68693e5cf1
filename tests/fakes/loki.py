"""A loopback fake Loki implementing query_range semantics: direction, limit across all
streams, start inclusive / end exclusive, max_entries_limit_per_query → 400, streams in any
order, equal timestamps — plus failure injection and call counting."""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class LokiState:
    entries: list[tuple[int, dict[str, str], str]] = field(default_factory=list)
    max_entries: int = 5000
    fail: list[int] = field(default_factory=list)   # statuses for the next requests
    fail_every: int = 0                              # every Nth request fails with 500
    token: str | None = None
    basic: str | None = None
    org_id: str | None = None
    calls: int = 0
    delay_s: float = 0.0
    seed: int = 1
    outside: list[tuple[int, dict[str, str], str]] = field(default_factory=list)  # sent whatever the range asked
    answer: dict | None = None  # sent instead of a result, with 200


def _ns(value: str) -> int:
    return int(value)


class _Handler(BaseHTTPRequestHandler):
    state: LokiState

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        st = self.state
        st.calls += 1
        if st.delay_s:
            time.sleep(st.delay_s)
        url = urlsplit(self.path)
        if not url.path.endswith("/loki/api/v1/query_range"):
            self._send(404, b"404 page not found\n", "text/plain")
            return
        if st.fail:
            self._send(st.fail.pop(0), b"injected failure\n", "text/plain")
            return
        if st.fail_every and st.calls % st.fail_every == 0:
            self._send(500, b"injected failure\n", "text/plain")
            return
        auth = self.headers.get("Authorization")
        if st.token and auth != f"Bearer {st.token}":
            self._send(401, b"unauthorized\n", "text/plain")
            return
        if st.basic and auth != f"Basic {st.basic}":
            self._send(401, b"unauthorized\n", "text/plain")
            return
        if st.org_id and self.headers.get("X-Scope-OrgID") != st.org_id:
            self._send(401, b"no org id\n", "text/plain")
            return
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        limit = int(q.get("limit", 100))
        if limit > st.max_entries:
            msg = (f"max entries limit per query exceeded, limit > max_entries_limit_per_query "
                   f"({limit} > {st.max_entries})\n")
            self._send(400, msg.encode(), "text/plain")
            return
        if st.answer is not None:
            self._send(200, json.dumps(st.answer).encode())
            return
        start, end = _ns(q["start"]), _ns(q["end"])
        forward = q.get("direction", "backward") == "forward"
        window = [e for e in st.entries if start <= e[0] < end]
        window.sort(key=lambda e: e[0], reverse=not forward)
        page = window[:limit] + st.outside
        streams: dict[tuple, list] = {}
        for ts, labels, line in page:
            streams.setdefault(tuple(sorted(labels.items())), []).append([str(ts), line])
        result = [{"stream": dict(k), "values": v} for k, v in streams.items()]
        random.Random(st.seed + st.calls).shuffle(result)
        body = {"status": "success", "data": {"resultType": "streams", "result": result,
                                              "stats": {"summary": {"totalEntriesReturned": len(page)}}}}
        self._send(200, json.dumps(body).encode())


class FakeLoki:
    def __init__(self, entries: list[tuple[int, dict[str, str], str]] | None = None) -> None:
        self.state = LokiState(entries=list(entries or []))
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeLoki:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
