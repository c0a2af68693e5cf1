"""HTTP with retries, shared by the Grafana and Loki clients.

429 and 5xx answers (honouring Retry-After), network errors, and bodies `parse` refuses
are tried again with exponential backoff; any other HTTP error is raised at once as
`urllib.error.HTTPError`, its body unread, for the caller to explain.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

RETRYABLE = frozenset({429, 500, 502, 503, 504})
MAX_WAIT_S = 30.0


class Unreachable(Exception):
    """The server did not answer usefully after every retry; `reason` says why."""

    def __init__(self, reason: object) -> None:
        super().__init__(str(reason))
        self.reason = reason


def _retry_after(exc: urllib.error.HTTPError, default: float) -> float:
    value = exc.headers.get("Retry-After") if exc.headers else None
    try:
        return float(value) if value is not None else default
    except ValueError:
        return default


def fetch(url: str, *, headers: dict[str, str], timeout_s: float, retries: int, backoff_s: float,
          method: str = "GET", data: bytes | None = None, parse: Callable[[bytes], Any] = bytes,
          on_retry: Callable[[str], None] | None = None) -> Any:
    """The parsed body of a successful answer."""
    for attempt in range(retries + 1):
        last = attempt == retries
        delay = backoff_s * 2 ** attempt
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout_s) as resp:
                body = resp.read()
        except urllib.error.HTTPError as exc:
            if exc.code not in RETRYABLE or last:
                raise
            delay, why = _retry_after(exc, delay), f"HTTP {exc.code}"
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            if last:
                raise Unreachable(getattr(exc, "reason", exc)) from None
            why = str(getattr(exc, "reason", exc))
        else:
            try:
                return parse(body)
            except ValueError as exc:  # e.g. a body cut off in transit
                if last:
                    raise Unreachable(f"unreadable answer ({exc})") from None
                why = f"unreadable answer ({exc})"
        if on_retry:
            on_retry(why)
        time.sleep(min(max(delay, 0.0), MAX_WAIT_S))
    raise Unreachable("no answer")
