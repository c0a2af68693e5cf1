"""Find incidents: windows of new or bursting signatures, one per remediation link identity.

Affected responses are the rows of non-routine signatures. Rows carrying the same link
identity (e.g. one fix code) form one incident however long it lasts; a new identity is a
new incident. Link-less anomalies split where the logs go quiet for `split_gap`, and join a
link incident they overlap. Responders' own requests to a remediation link are never
affected rows: they are attempts, attached to the incident they try to end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rca.knowledge.pack import Pack
from rca.findings.signatures import Cluster
from rca.findings.traffic import NS_MIN, Traffic
from rca.inputs.timestamps import NO_TIME
from rca.table.decode import IDLE, REJECTED, RESOLVED
from rca.inputs.numpy_arrays import arrow, distinct

_MEANING = {IDLE: " (no chaos was running by then)", REJECTED: " — rejected: this link does not end the incident"}


@dataclass
class Attempt:
    """A responder's request to a remediation link, and what the link answered."""

    ts_ns: int
    outcome: str
    link: str | None
    status: int | None
    answer: str | None
    method: str | None = None
    code: str | None = None  # the link's identity (its fix code), which tells links apart

    def describe(self) -> str:
        what = f"{self.method or 'a request'} of the report link"
        if self.code:
            what += f" with fix code {self.code}"
        elif self.link:
            what += f" {self.link}"
        if self.status is None and not self.answer:
            return f"{what}; its answer was not logged"
        status = f"{self.status} " if self.status is not None else ""
        answer = f"\"{self.answer}\"" if self.answer else "(no message)"
        return f"{what} answered {status}{answer}"

    def summary(self) -> str:
        return self.describe() + _MEANING.get(self.outcome, "")


@dataclass
class Incident:
    index: int
    rows: np.ndarray
    clusters: list[int]
    link_identity: str | None
    start_ns: int = 0
    end_ns: int = 0
    recovery_ns: int | None = None
    last_ok_before_ns: int | None = None

    @property
    def onset_unbounded(self) -> bool:
        """No clean success of its endpoints before its first affected request in the logs (they
        begin while it was failing, or hold errors only): nothing bounds its onset."""
        return self.last_ok_before_ns is None and self.start_ns != NO_TIME
    resolution: tuple[int, str] | None = None
    affected_requests: int = 0
    failed_requests: int = 0
    # Affected lines that logged no status (an error log's lines): whether they failed is
    # not in the logs, so they are not counted as failed, nor as answered.
    no_status_requests: int = 0
    total_requests: int = 0
    affected_users: int | None = None
    gaps: list[tuple[int, int]] = field(default_factory=list)
    first_link_ns: int | None = None
    endpoints: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)



def link_identity(link: str | None, pack: Pack) -> str | None:
    if not link or pack.redacted_link.search(link):
        return None  # a redacted link identifies nothing: its incident is told apart by time
    for pattern in pack.link_identity:
        m = pattern.search(link)
        if m:
            return m.group("fix")
    return link


@dataclass
class _Columns:
    """Row-aligned numpy views of the rows given, computed once, so each incident costs
    O(its rows + log n); requests and clean successes of every row come from `traffic`."""

    ts: np.ndarray
    is_http: np.ndarray
    status: np.ndarray
    has_link: np.ndarray
    endpoint_codes: np.ndarray
    endpoint_names: list[str]
    links: pa.Array
    users: pa.Array
    traffic: Traffic


def _columns(table: pa.Table, decoded: pa.Table, traffic: Traffic) -> _Columns:
    ts = table.column("ts_ns").combine_chunks().fill_null(0).to_numpy()
    is_http = pc.equal(decoded.column("category").combine_chunks(), "http").fill_null(False).to_numpy(zero_copy_only=False)
    is_http = is_http & decoded.column("attempt").combine_chunks().is_null().to_numpy(zero_copy_only=False)
    status = decoded.column("status").combine_chunks().fill_null(0).to_numpy().astype(np.int64)
    links = decoded.column("link").combine_chunks()
    has_link = links.is_valid().to_numpy(zero_copy_only=False)
    endpoint = decoded.column("endpoint").combine_chunks().dictionary_encode()
    codes = endpoint.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return _Columns(ts, is_http, status, has_link, codes, endpoint.dictionary.to_pylist(),
                    links, decoded.column("user").combine_chunks(), traffic)


def find_incidents(table: pa.Table, decoded: pa.Table, clusters: list[Cluster], row_cluster: np.ndarray,
                   traffic: Traffic, pack: Pack, split_gap_ns: int = 10 * NS_MIN) -> list[Incident]:
    active = np.array([not c.routine for c in clusters], dtype=bool)
    if not active.any():
        return []
    cols = _columns(table, decoded, traffic)
    ts = cols.ts
    affected = np.flatnonzero((row_cluster >= 0) & active[np.maximum(row_cluster, 0)])
    affected = affected[_in_bursts(affected, row_cluster, clusters, ts)]
    if affected.size == 0:
        return []
    links = decoded.column("link").combine_chunks().take(arrow(affected)).to_pylist()
    identities = [link_identity(link, pack) for link in links]
    groups: dict[str | None, list[int]] = {}
    for row, ident in zip(affected.tolist(), identities, strict=True):
        groups.setdefault(ident, []).append(row)
    windows: list[tuple[str | None, np.ndarray]] = []
    for ident, members in groups.items():
        if ident is not None:
            windows.append((ident, np.array(members)))
    spans = [(ts[m].min() - 2 * NS_MIN, ts[m].max() + 2 * NS_MIN, i) for i, (_, m) in enumerate(windows)]
    spans.sort()
    linkless = np.array(sorted(groups.get(None, []), key=lambda r: ts[r]), dtype=np.int64)
    # A signature failing once without a link is an isolated failure wherever it falls: inside
    # a linked incident's window it is neither one of its affected requests nor a cause.
    lone = np.bincount(row_cluster[affected], minlength=len(clusters)) < MIN_LINKLESS_REQUESTS
    extra: list[tuple[str | None, np.ndarray]] = []
    if linkless.size:
        cuts = np.flatnonzero(np.diff(ts[linkless]) > split_gap_ns) + 1
        starts = np.array([s[0] for s in spans], dtype=np.int64)
        timed_export = bool((ts != NO_TIME).any())
        for part in np.split(linkless, cuts):
            start, end = ts[part].min(), ts[part].max()
            if end == NO_TIME and timed_export:
                continue  # failures whose time was lost cannot be shown to burst: isolated ones
            host = None
            k = int(np.searchsorted(starts, end, side="right")) - 1
            while k >= 0 and host is None:
                lo, hi, i = spans[k]
                if start <= hi and end >= lo:
                    host = i
                k -= 1
                if k >= 0 and spans[k][1] < start - 24 * 60 * NS_MIN:
                    break
            if host is not None:
                ident, members = windows[host]
                windows[host] = (ident, np.concatenate([members, part[~lone[row_cluster[part]]]]))
            else:
                extra.append((None, part))
    windows += extra
    windows.sort(key=lambda w: ts[w[1]].min())
    incidents = []
    for ident, members in windows:
        members = np.sort(members)
        if ident is None:
            members = _trim_recovered(members, cols)
        incident = Incident(index=len(incidents), rows=members, link_identity=ident,
                            clusters=sorted({int(row_cluster[r]) for r in members}))
        _measure(incident, pack, cols)
        if _has_evidence(incident, cols, row_cluster):
            incidents.append(incident)
    _mark_isolated(clusters, row_cluster, incidents, affected)
    _attach_attempts(incidents, decoded, ts, pack)
    return incidents


# A link-less incident needs this many affected requests: one failed request with no
# remediation link could be any user's bad luck, and calling it an incident sends the
# on-call after nothing. Two are thin evidence, and their cause's confidence says so
# (rca.findings.causes); a bursting signature has more by construction (rca.findings.rates).
MIN_LINKLESS_REQUESTS = 2


def _has_evidence(inc: Incident, cols: _Columns, row_cluster: np.ndarray) -> bool:
    """An incident needs evidence: a remediation link (even one redacted in the export; a
    single linked failure is kept, its cause's confidence lowered in rca.findings.causes),
    or enough affected requests of one signature. Unrelated one-off failures minutes apart
    are each a user's bad luck, not together an outage: they stay isolated failures."""
    if cols.has_link[inc.rows].any():
        return True
    if inc.affected_requests < MIN_LINKLESS_REQUESTS:
        return False
    return int(np.bincount(row_cluster[inc.rows]).max()) >= MIN_LINKLESS_REQUESTS


def _mark_isolated(clusters: list[Cluster], row_cluster: np.ndarray, incidents: list[Incident],
                   affected: np.ndarray) -> None:
    """Signatures whose affected rows formed no incident: too few to call one; reported as
    isolated failures, never dropped silently."""
    in_incident = {ci for inc in incidents for ci in inc.clusters}
    for ci in distinct(row_cluster[affected]).tolist():
        if ci not in in_incident:
            clusters[ci].isolated = True


def _in_bursts(rows: np.ndarray, row_cluster: np.ndarray, clusters: list[Cluster], ts: np.ndarray) -> np.ndarray:
    """Which rows count: all rows of a signature, or only those inside its bursts when its
    rate rose above a baseline (the rest are its routine trickle)."""
    keep = np.ones(rows.size, dtype=bool)
    for ci, c in enumerate(clusters):
        if not c.bursts:
            continue
        mine = row_cluster[rows] == ci
        t = ts[rows[mine]]
        inside = np.zeros(t.size, dtype=bool)
        for b in c.bursts:
            inside |= (t >= b.start_ns) & (t <= b.end_ns)
        keep[np.flatnonzero(mine)[~inside]] = False
    return keep


def refused_identities(incidents: list[Incident], pack: Pack) -> set[str]:
    """Link identities the factory refused and never accepted: never the link to follow."""
    attempts = [a for inc in incidents for a in inc.attempts if a.link]
    rejected = {link_identity(a.link, pack) for a in attempts if a.outcome == REJECTED}
    return rejected - {link_identity(a.link, pack) for a in attempts if a.outcome == RESOLVED}


def _attach_attempts(incidents: list[Incident], decoded: pa.Table, ts: np.ndarray, pack: Pack) -> None:
    """Each responder request goes to the incident whose link it names, else to the latest
    incident that had begun by then (a mistyped fix code tries to end that one)."""
    outcome = decoded.column("attempt").combine_chunks()
    rows = np.flatnonzero(outcome.is_valid().to_numpy(zero_copy_only=False))
    if not incidents or rows.size == 0:
        return
    rows = rows[np.argsort(ts[rows], kind="stable")]
    take = arrow(rows)
    columns = {k: decoded.column(k).combine_chunks().take(take).to_pylist()
               for k in ("attempt", "link", "status", "resolution", "method")}
    starts = np.array([inc.start_ns for inc in incidents], dtype=np.int64)
    by_identity = {inc.link_identity: inc for inc in incidents if inc.link_identity is not None}
    for k, row in enumerate(rows.tolist()):
        link = columns["link"][k]
        code = link_identity(link, pack)
        attempt = Attempt(int(ts[row]), columns["attempt"][k], link, columns["status"][k],
                          columns["resolution"][k], columns["method"][k], code if code != link else None)
        inc = by_identity.get(code)
        if inc is None:
            begun = int(np.searchsorted(starts, attempt.ts_ns + NS_MIN, side="right")) - 1
            inc = incidents[max(begun, 0)]
        inc.attempts.append(attempt)
        if inc.resolution is None and attempt.outcome == RESOLVED:
            inc.resolution = (attempt.ts_ns, attempt.describe())


def _trim_recovered(rows: np.ndarray, cols: _Columns, alpha: float = 0.05) -> np.ndarray:
    """A link-less burst's own rows: drop a row at either end that the endpoint's recovery
    sets apart. Inside the burst a share f of the endpoint's requests fail; k clean
    successes before the next failure happen with probability (1 - f)^k under the burst, so
    when that is below `alpha` the endpoint had recovered (or not yet failed) and the row
    beside the burst is its routine trickle (an oversize order, a bad request), not the
    incident. f is smoothed (add a half) so one row cannot decide it alone."""
    rows = rows[np.argsort(cols.ts[rows], kind="stable")]
    codes = distinct(cols.endpoint_codes[rows])
    if codes.size == 0 or (codes < 0).any() or (cols.ts[rows] == NO_TIME).any():
        return rows
    ok = cols.traffic.ok_times([cols.endpoint_names[c] for c in codes])
    while rows.size >= 3:
        t = cols.ts[rows]
        between = np.searchsorted(ok, t[1:], side="left") - np.searchsorted(ok, t[:-1], side="right")
        inner_fail, inner_ok = rows.size - 2, int(between[1:-1].sum())
        share = (inner_fail + 0.5) / (inner_fail + inner_ok + 1.0)
        if (1.0 - share) ** int(between[-1]) < alpha:
            rows = rows[:-1]
        elif (1.0 - share) ** int(between[0]) < alpha:
            rows = rows[1:]
        else:
            break
    return rows


def _measure(inc: Incident, pack: Pack, cols: _Columns) -> None:
    ts = cols.ts
    members = inc.rows
    responses = members[cols.is_http[members]]
    counted = responses if responses.size else members  # count requests, not lines
    timed = ts[counted][ts[counted] != NO_TIME]  # rows without a time bound nothing
    inc.start_ns, inc.end_ns = (int(timed.min()), int(timed.max())) if timed.size else (NO_TIME, NO_TIME)
    inc.affected_requests = int(counted.size)
    inc.failed_requests = int(np.count_nonzero(cols.status[counted] >= 500))
    inc.no_status_requests = int(np.count_nonzero(cols.status[counted] <= 0))
    codes = distinct(cols.endpoint_codes[counted])
    inc.endpoints = sorted(cols.endpoint_names[c] for c in codes if c >= 0)
    users = cols.users.take(arrow(members)).drop_null().to_pylist()
    inc.affected_users = len(set(users)) if users else None
    link_rows = members[cols.has_link[members]]
    inc.links = sorted(set(cols.links.take(arrow(link_rows)).to_pylist()))
    link_ts = ts[link_rows][ts[link_rows] != NO_TIME]
    inc.first_link_ns = int(link_ts.min()) if link_ts.size else None
    if inc.start_ns == NO_TIME:  # times not in the export: no window, recovery or gaps to tell
        inc.total_requests = int(counted.size)
        return
    http_ts = cols.traffic.http_ts
    # Failure lines that are not responses (an error log's lines) are the incident's requests:
    # they count among the window's requests, and the time they fill is not a traffic gap.
    own = np.empty(0, np.int64) if responses.size else np.sort(timed)
    if http_ts.size:
        lo = np.searchsorted(http_ts, inc.start_ns, side="left")
        hi = np.searchsorted(http_ts, inc.end_ns, side="right")
        window_http = np.sort(np.concatenate((http_ts[lo:hi], own))) if own.size else http_ts[lo:hi]
        inc.total_requests = int(window_http.size)
    else:
        window_http = np.sort(ts[members][ts[members] != NO_TIME])
        inc.total_requests = int(counted.size)
    ok_ts = cols.traffic.ok_times(inc.endpoints)
    after = np.searchsorted(ok_ts, inc.end_ns, side="right")
    inc.recovery_ns = int(ok_ts[after]) if after < ok_ts.size else None
    before = np.searchsorted(ok_ts, inc.start_ns, side="left")
    inc.last_ok_before_ns = int(ok_ts[before - 1]) if before > 0 else None
    # Silence between the last success before and the first success after counts too: a
    # traffic script that stopped before the first failure hides the onset as well.
    if http_ts.size:
        lo = np.searchsorted(http_ts, min(inc.start_ns, inc.last_ok_before_ns or inc.start_ns), side="left")
        hi = np.searchsorted(http_ts, max(inc.end_ns, inc.recovery_ns or inc.end_ns), side="right")
        window_http = np.sort(np.concatenate((http_ts[lo:hi], own))) if own.size else http_ts[lo:hi]
    if window_http.size > 1:
        steps = np.diff(window_http)
        for k in np.flatnonzero(steps > cols.traffic.quiet_ns()):
            inc.gaps.append((int(window_http[k]), int(window_http[k + 1])))
