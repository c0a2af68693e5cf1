"""Every row's few numbers: when, whether it is a request, a clean success, its endpoint
and latency. Incidents and charts need these for all rows (requests in a window, the last
clean success, gaps in traffic), while everything else needs only the anomalous rows.

Kept apart so that a streamed analysis holds these columns for every line and the full
rows (line, labels, decoded fields) only for the few rows that matter.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rca.findings.ascending import AscendingTimes, sorted_selection
from rca.findings.gaps import median_gap
from rca.findings.rates import Exposure, exposure
from rca.findings.squeezed import Squeezed
from rca.inputs.ahead import on_a_thread
from rca.knowledge.pack import Pack

NS_MIN = 60 * 1_000_000_000


_PER_ROW = ("ts", "timed", "is_http", "ok", "endpoint_codes")  # (latencies are let go first)


@dataclass
class Traffic:
    """Row-aligned views of every row in time order (`ts` 0 where a row has no time)."""

    ts: np.ndarray
    timed: np.ndarray
    is_http: np.ndarray
    ok: np.ndarray
    latency_ms: np.ndarray
    endpoint_codes: np.ndarray
    endpoint_names: list[str]
    # Requests and p95 latency per minute (rca.findings.minutes), when computed before
    # `latency_ms` was let go (a streamed analysis drops it once the chart's series has it),
    # or a Future of them (computed on a thread meanwhile).
    minutes: Any = None
    _ok_cache: dict[tuple[str, ...], np.ndarray | AscendingTimes] = field(default_factory=dict)
    _http_ts: np.ndarray | AscendingTimes | None = None
    _quiet_ns: float | None = None
    _exposure: list[Exposure | None] | None = None  # [it], once worked out (it may be None)
    _ahead: Future | None = None  # `work_out_ahead`'s thread, until someone waits for it

    @property
    def rows(self) -> int:
        return int(self.ts.size)

    @property
    def requests(self) -> int:
        return int(self.is_http.sum())

    def span(self) -> tuple[int, int] | None:
        """First and last time of the timed rows."""
        timed = self.timed_ts()
        return (int(timed.min()), int(timed.max())) if timed.size else None

    def timed_ts(self) -> np.ndarray:
        """Times of the timed rows (no copy when every row has one)."""
        return self.ts if self.timed.all() else self.ts[self.timed]

    @property
    def http_ts(self) -> np.ndarray | AscendingTimes:
        """Sorted times of the requests (held compressed on a long export)."""
        self._caught_up()
        if self._http_ts is None:
            self._http_ts = self._requests_sorted()
        return self._http_ts

    def _requests_sorted(self) -> np.ndarray | AscendingTimes:
        return sorted_selection(self.ts, lambda lo, hi: self.is_http[lo:hi] & self.timed[lo:hi])

    def quiet_ns(self) -> float:
        """A traffic gap is a quiet stretch over a minute or ten typical request intervals."""
        self._caught_up()
        if self._quiet_ns is None:
            self._quiet_ns = _quiet(self.http_ts)
        return self._quiet_ns

    def exposure(self) -> Exposure | None:
        """Which stretches of the export's time span its lines cover (rca.findings.rates)."""
        self._caught_up()
        if self._exposure is None:
            self._exposure = [exposure(self.timed_ts())]
        return self._exposure[0]

    def work_out_ahead(self) -> None:
        """Sort the requests' times, find what a gap in them is and which stretches the lines
        cover on a thread of their own (numpy's selections and sorts release the GIL) while
        the caller finds the signatures; the first to ask for any of them waits for it.
        Every row's numbers must stay as they are meanwhile (not squeezed)."""
        def ahead() -> None:
            self._http_ts = self._requests_sorted()
            self._quiet_ns = _quiet(self._http_ts)
            self._exposure = [exposure(self.timed_ts())]

        self._ahead = on_a_thread(ahead)

    def _caught_up(self) -> None:
        if self._ahead is not None:
            self._ahead, ahead = None, self._ahead
            ahead.result()

    def squeeze(self) -> None:
        """Hold every row's numbers compressed while nothing reads them (the signatures are
        found from the kept rows alone); `unsqueeze` gives them back as they were."""
        self._caught_up()
        for name in _PER_ROW:
            setattr(self, name, Squeezed.of(getattr(self, name), delta=name == "ts"))

    def unsqueeze(self) -> None:
        for name in _PER_ROW:
            value = getattr(self, name)
            if isinstance(value, Squeezed):
                setattr(self, name, value.array())

    def let_go(self) -> None:
        """Let every row's numbers go (and what was worked out from them): nothing after
        the incidents are found reads them, and on a long export they are its largest part."""
        self._caught_up()
        self.ts = self.timed = self.is_http = self.ok = self.latency_ms = self.endpoint_codes = None
        self._ok_cache, self._http_ts = {}, None

    def ok_times(self, endpoints: list[str]) -> np.ndarray | AscendingTimes:
        """Sorted times of clean successful requests, to these endpoints when given (held
        compressed on a long export)."""
        key = tuple(endpoints)
        if key not in self._ok_cache:
            wanted = [i for i, name in enumerate(self.endpoint_names) if name in endpoints] if endpoints else None

            def keep(lo: int, hi: int) -> np.ndarray:
                mask = self.ok[lo:hi] & self.timed[lo:hi]
                if wanted is not None:
                    mask &= np.isin(self.endpoint_codes[lo:hi], wanted)
                return mask

            self._ok_cache[key] = sorted_selection(self.ts, keep)
        return self._ok_cache[key]


def _quiet(http_ts: np.ndarray | AscendingTimes) -> float:
    return max(NS_MIN, 10 * median_gap(http_ts)) if http_ts.size > 1 else NS_MIN


@dataclass
class RowFacts:
    """What each row says before latencies are inferred across rows (one chunk or a table)."""

    ts: np.ndarray
    timed: np.ndarray
    is_http: np.ndarray
    ok_but_latency: np.ndarray
    latency_ms: np.ndarray
    endpoint_codes: np.ndarray
    endpoint_names: list[str]


def row_facts(table: pa.Table, decoded: pa.Table) -> RowFacts:
    ts_col = table.column("ts_ns").combine_chunks()
    ts = ts_col.fill_null(0).to_numpy()
    timed = ts_col.is_valid().to_numpy(zero_copy_only=False)
    is_http = pc.equal(decoded.column("category").combine_chunks(), "http").fill_null(False).to_numpy(zero_copy_only=False)
    is_http &= decoded.column("attempt").combine_chunks().is_null().to_numpy(zero_copy_only=False)  # a responder's own
    status = decoded.column("status").combine_chunks().fill_null(0).to_numpy().astype(np.int64)
    has_link = decoded.column("link").combine_chunks().is_valid().to_numpy(zero_copy_only=False)
    bad_jwt = decoded.column("bad_jwt").combine_chunks().fill_null(False).to_numpy(zero_copy_only=False)
    ok = is_http & (status > 0) & (status < 400) & ~has_link & ~bad_jwt
    endpoint = decoded.column("endpoint").combine_chunks().dictionary_encode()
    codes = endpoint.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    latency = decoded.column("latency_ms").combine_chunks().to_numpy(zero_copy_only=False).astype(float)
    return RowFacts(ts, timed, is_http, ok, latency, codes, endpoint.dictionary.to_pylist())


def traffic_from(facts: RowFacts, latency_ms: np.ndarray, pack: Pack) -> Traffic:
    """The traffic of rows whose latencies are final (a slow answer is not a clean success)."""
    slow = pack.slow_latency_ms
    # A row without a latency counts as 0 ms; compared without a copy of every latency.
    ok = facts.ok_but_latency & np.where(np.isnan(latency_ms), 0.0 < slow, latency_ms < slow)
    return Traffic(facts.ts, facts.timed, facts.is_http, ok, latency_ms, facts.endpoint_codes,
                   facts.endpoint_names)


def traffic_of(table: pa.Table, decoded: pa.Table, latency: pa.Array, pack: Pack) -> Traffic:
    """The traffic of a whole table held in memory."""
    return traffic_from(row_facts(table, decoded), latency.to_numpy(zero_copy_only=False).astype(float), pack)
