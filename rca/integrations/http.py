"""HTTP that a hostile or broken server cannot turn against the user, shared by the
Grafana and Loki clients.

- Redirects are followed only for GET/HEAD and only within the same origin (scheme, host,
  port), so credentials (Authorization, X-Scope-OrgID) never reach another host, and a POST
  is never silently re-sent as a GET.
- Each request has a socket timeout and a deadline for the whole exchange: a watchdog cuts
  the connection when it passes, so a server dripping its headers or body a byte at a time
  (each byte resetting the socket timeout) cannot hang rca. The body is read in pieces up
  to a size cap, so an endless answer cannot fill memory, and a body shorter than its
  Content-Length is an unreadable answer, never a silently truncated one.
- 429 and 5xx answers, network errors and unreadable bodies are retried with jittered
  exponential backoff, honouring Retry-After up to a cap; a request that may already
  have been applied (a POST answered 5xx or cut off) is never retried, nor one that ran
  out its whole deadline (a server that drips would drip again). A server that says nothing
  for a whole socket timeout is tried once more, not `retries` times: a silent server stays
  silent, and six minutes of waiting tell the user nothing two do not.
- Any other HTTP error is raised at once as `urllib.error.HTTPError`, its body unread, for
  the caller to explain in one line (`one_line` keeps HTML and secrets out of it).
"""

from __future__ import annotations

import email.utils
import http.client
import random
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

RETRYABLE = frozenset({429, 500, 502, 503, 504})
MAX_WAIT_S = 30.0
MAX_BODY = 256 << 20
DEADLINE_S = 300.0
# Attempts that may end in a socket timeout (no byte for `timeout_s`) before giving up.
SILENT_ATTEMPTS = 2


class Unreachable(Exception):
    """The server did not answer usefully after every retry; `reason` says why."""

    def __init__(self, reason: object, answered: bool = False) -> None:
        super().__init__(str(reason))
        self.reason = reason
        self.answered = answered  # the server was reached, but what it said could not be read

    def failed_to(self, server: str) -> str:
        """'cannot reach SERVER: why', or 'SERVER answered what could not be read: why'."""
        return f"{server} answered what could not be read: {self.reason}" if self.answered else \
            f"cannot reach {server}: {self.reason}"


class _Expired(TimeoutError):
    """A request ran out its whole deadline: not retried."""


class Refused(Unreachable):
    """rca refused to do what the server asked (a redirect elsewhere, an oversized answer);
    never retried."""


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's API
        target = urllib.parse.urljoin(req.full_url, newurl)
        where = "{}://{}".format(*origin(target)[:2])
        if req.get_method() not in ("GET", "HEAD"):
            raise Refused(f"the server redirected the {req.get_method()} ({code}) to {where}; rca does not "
                          "re-send it, so it was not applied")
        if origin(target) != origin(req.full_url):
            raise Refused(f"the server redirected to another host ({where}); rca does not follow it with "
                          "your credentials (use that URL directly if you trust it)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Watchdog:
    """Cuts every connection opened for one request (redirects included) at its deadline.

    The per-read socket timeout cannot bound a request whose server sends a byte just
    before each read would time out; a timer that shuts the socket down can.
    """

    def __init__(self, deadline: float) -> None:
        self.expired = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._socks.append(sock)
            if self.expired:
                self._cut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._socks:
                self._cut(sock)

    @staticmethod
    def _cut(sock: socket.socket) -> None:
        try:  # the plain socket's shutdown: for TLS, ssl's own would tear the session down under the reader
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass

    def __enter__(self) -> _Watchdog:
        _CURRENT.watchdog = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _CURRENT.watchdog = None


_CURRENT = threading.local()


def _watched(base: type[http.client.HTTPConnection]) -> type[http.client.HTTPConnection]:
    class Watched(base):  # type: ignore[valid-type, misc]
        def connect(self) -> None:
            super().connect()
            watchdog = getattr(_CURRENT, "watchdog", None)
            if watchdog is not None:
                watchdog.watch(self.sock)

    return Watched


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):  # noqa: ANN001, ANN201 - urllib's API
        return self.do_open(_watched(http.client.HTTPConnection), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):  # noqa: ANN001, ANN201 - urllib's API
        return self.do_open(_watched(http.client.HTTPSConnection), req, context=self._context)


_OPENER = urllib.request.build_opener(_SameOriginRedirects, _HTTPHandler, _HTTPSHandler)


def retry_after(value: str | None, default: float) -> float:
    """Seconds the server asked to wait (delta-seconds or an HTTP date), else `default`."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


def _read(resp: Any, max_bytes: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise _Expired("the answer did not finish in time")
        piece = resp.read1(1 << 16)
        if not piece:
            if resp.length:  # bytes still owed by Content-Length: the answer was cut off
                raise http.client.IncompleteRead(b"".join(chunks), resp.length)
            return b"".join(chunks)
        size += len(piece)
        if size > max_bytes:
            raise Refused(f"the answer is larger than {max_bytes >> 20} MiB; refused")
        chunks.append(piece)


def _exchange(req: urllib.request.Request, timeout: float, max_bytes: int, deadline: float) -> bytes:
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return _read(resp, max_bytes, deadline)
    except urllib.error.HTTPError as exc:
        try:  # read while the watchdog still bounds it: an error body can drip too
            exc.rca_head = exc.read(4096)  # type: ignore[attr-defined]
        except (OSError, http.client.HTTPException):
            exc.rca_head = b""  # type: ignore[attr-defined]
        exc.close()
        raise


def error_text(exc: urllib.error.HTTPError) -> str:
    """The start (4 KiB) of an HTTP error's body, as `fetch` read it within the deadline."""
    return getattr(exc, "rca_head", b"").decode("utf-8", "replace")


def _jitter(seconds: float) -> float:
    return seconds * random.uniform(0.5, 1.0)


def fetch(url: str, *, headers: dict[str, str], timeout_s: float, retries: int, backoff_s: float,
          method: str = "GET", data: bytes | None = None, parse: Callable[[bytes], Any] = bytes,
          on_retry: Callable[[str], None] | None = None, idempotent: bool | None = None,
          max_bytes: int = MAX_BODY, deadline_s: float = DEADLINE_S, give_up_at: float | None = None) -> Any:
    """The parsed body of a successful answer.

    `idempotent` (default: GET and HEAD) says whether the request may be sent twice; a
    request that is not is retried only when the server certainly did not apply it (429,
    or the connection was refused). `give_up_at` (time.monotonic) bounds all attempts.
    """
    safe = method in ("GET", "HEAD") if idempotent is None else idempotent
    silences = 0
    answered = False  # the last attempt got an answer (an error status, or a body not understood)
    for attempt in range(retries + 1):
        if give_up_at is not None and time.monotonic() >= give_up_at:
            raise Unreachable("the deadline passed before the request was sent")  # so it was never applied
        last = attempt == retries
        delay = _jitter(backoff_s * 2 ** attempt)
        deadline = time.monotonic() + deadline_s
        if give_up_at is not None:
            deadline = min(deadline, give_up_at)
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        started = time.monotonic()
        watchdog = _Watchdog(deadline)
        try:
            with watchdog:
                body = _exchange(req, max(0.1, min(timeout_s, deadline - time.monotonic())), max_bytes, deadline)
            if watchdog.expired:
                raise _Expired("the answer did not finish in time")
        except urllib.error.HTTPError as exc:
            if exc.code not in RETRYABLE or last or (not safe and exc.code != 429):
                raise
            delay, why = retry_after(exc.headers.get("Retry-After") if exc.headers else None, delay), f"HTTP {exc.code}"
            answered = True
        except Refused:
            raise
        except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            if watchdog.expired or isinstance(exc, _Expired):
                # A server that took the whole deadline (dripping bytes) would do so again.
                raise Unreachable(f"the answer did not finish in time ({deadline - started:.1f} s)") from None
            if isinstance(exc, http.client.IncompleteRead):
                reason = "the answer was cut off"
            refused = isinstance(reason, ConnectionRefusedError)
            silences += isinstance(reason, TimeoutError)
            if silences >= SILENT_ATTEMPTS:
                raise Unreachable(f"no answer within {timeout_s:g} s, {silences} times") from None
            if last or (not safe and not refused):
                raise Unreachable(reason if str(reason) else type(reason).__name__) from None
            why, answered = str(reason), False
        else:
            try:
                return parse(body)
            except ValueError as exc:  # e.g. a body cut off in transit
                if last:
                    raise Unreachable(f"unreadable answer ({str(exc)[:120]})", answered=True) from None
                why, answered = f"unreadable answer ({str(exc)[:120]})", True
        wait = min(delay, MAX_WAIT_S)
        if give_up_at is not None and time.monotonic() + wait > give_up_at:
            raise Unreachable(f"{why}, and the deadline leaves no time to try again", answered=answered)
        if on_retry:
            on_retry(why)
        time.sleep(wait)
    raise Unreachable("no answer")


def one_line(body: str, secrets: list[str | None] = ()) -> str:  # type: ignore[assignment]
    """A server's error body as at most one short line: HTML pages are dropped, secrets the
    request carried are masked."""
    text = body.strip()
    if not text or text.startswith("<") or "<html" in text[:200].lower():
        return ""
    line = text.splitlines()[0][:200]
    for secret in secrets:
        if secret:
            line = line.replace(secret, "****")
    return line
