"""A loopback server that misbehaves on purpose: redirects, drips its answer a byte at a
time (its body, or its headers before any body), never answers, sends a huge body or less than it announced, or fails with an HTML page echoing the token. It
records every request it receives (method, path, headers)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Behaviour:
    mode: str = "ok"                 # ok, redirect, drip, drip-headers, silent, huge, cut, status
    location: str = ""               # redirect target
    status: int = 200                # for mode "status"
    body: bytes = b'{"status":"success","data":{"resultType":"streams","result":[]}}'
    retry_after: str | None = None
    fail_first: int = 0              # answer `status` this many times, then ok
    huge_bytes: int = 1 << 30
    requests: list[dict[str, Any]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    behaviour: Behaviour

    def log_message(self, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        b = self.behaviour
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        b.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers)})
        mode = b.mode
        if b.fail_first:
            b.fail_first -= 1
            mode = "status"
        elif mode == "status" and b.fail_first == 0 and b.retry_after is not None:
            mode = "ok"
        if mode == "redirect" and self.path.startswith("/moved"):
            mode = "ok"
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", b.location + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif mode == "drip-headers":  # each byte resets a per-read timeout: only a deadline ends it
            try:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
                for _ in range(100000):
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                return
        elif mode == "silent":
            time.sleep(3600)
        elif mode == "drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(b.body) * 100))
            self.end_headers()
            try:
                for _ in range(100000):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                return
        elif mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(b.huge_bytes))
            self.end_headers()
            chunk = b" " * (1 << 20)
            try:
                for _ in range(b.huge_bytes >> 20):
                    self.wfile.write(chunk)
            except OSError:
                return
        elif mode == "cut":  # announces more than it sends, then hangs up
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(b.body) + 100))
            self.end_headers()
            self.wfile.write(b.body)
            self.close_connection = True
        elif mode == "status":
            self.send_response(b.status)
            if b.retry_after is not None:
                self.send_header("Retry-After", b.retry_after)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(b.body)))
            self.end_headers()
            self.wfile.write(b.body)
        else:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(b.body)))
            self.end_headers()
            self.wfile.write(b.body)

    do_GET = do_POST = _handle  # noqa: N815 - the http.server API


class HostileServer:
    def __init__(self, **behaviour: Any) -> None:
        self.behaviour = Behaviour(**behaviour)
        handler = type("Handler", (_Handler,), {"behaviour": self.behaviour})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> HostileServer:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.behaviour.requests
