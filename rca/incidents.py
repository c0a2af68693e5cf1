"""Find incidents: windows of new or bursting signatures, one per remediation link identity.

Affected responses are the rows of non-routine signatures. Rows carrying the same link
identity (e.g. one fix code) form one incident however long it lasts; a new identity is a
new incident. Link-less anomalies split where the logs go quiet for `split_gap`, and join a
link incident they overlap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rca.knowledge import Pack
from rca.signatures import Cluster

NS_MIN = 60 * 1_000_000_000


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
    resolution: tuple[int, str] | None = None
    affected_requests: int = 0
    failed_requests: int = 0
    total_requests: int = 0
    affected_users: int | None = None
    gaps: list[tuple[int, int]] = field(default_factory=list)
    first_link_ns: int | None = None
    endpoints: list[str] = field(default_factory=list)


def link_identity(link: str | None, pack: Pack) -> str | None:
    if not link:
        return None
    for pattern in pack.link_identity:
        m = pattern.search(link)
        if m:
            return m.group("fix")
    return link


def find_incidents(table: pa.Table, decoded: pa.Table, clusters: list[Cluster], row_cluster: np.ndarray,
                   latency: pa.Array, pack: Pack, split_gap_ns: int = 10 * NS_MIN) -> list[Incident]:
    ts = table.column("ts_ns").combine_chunks().fill_null(0).to_numpy()
    active = np.array([not c.routine for c in clusters], dtype=bool)
    if not active.any():
        return []
    affected = np.flatnonzero((row_cluster >= 0) & active[np.maximum(row_cluster, 0)])
    if affected.size == 0:
        return []
    links = decoded.column("link").combine_chunks().take(pa.array(affected)).to_pylist()
    identities = [link_identity(link, pack) for link in links]
    groups: dict[str | None, list[int]] = {}
    for row, ident in zip(affected.tolist(), identities, strict=True):
        groups.setdefault(ident, []).append(row)
    windows: list[tuple[str | None, np.ndarray]] = []
    for ident, members in groups.items():
        if ident is not None:
            windows.append((ident, np.array(members)))
    linkless = np.array(sorted(groups.get(None, []), key=lambda r: ts[r]), dtype=np.int64)
    if linkless.size:
        cuts = np.flatnonzero(np.diff(ts[linkless]) > split_gap_ns) + 1
        for part in np.split(linkless, cuts):
            start, end = ts[part].min(), ts[part].max()
            host = None
            for i, (ident, members) in enumerate(windows):
                if ident is None:
                    continue
                lo, hi = ts[members].min() - 2 * NS_MIN, ts[members].max() + 2 * NS_MIN
                if start <= hi and end >= lo:
                    host = i
                    break
            if host is not None:
                ident, members = windows[host]
                windows[host] = (ident, np.concatenate([members, part]))
            else:
                windows.append((None, part))
    windows.sort(key=lambda w: ts[w[1]].min())
    incidents = []
    for i, (ident, members) in enumerate(windows):
        members = np.sort(members)
        incident = Incident(index=i, rows=members, link_identity=ident,
                            clusters=sorted({int(row_cluster[r]) for r in members}))
        _measure(incident, table, decoded, latency, pack, ts)
        incidents.append(incident)
    return incidents


def _measure(inc: Incident, table: pa.Table, decoded: pa.Table, latency: pa.Array, pack: Pack, ts: np.ndarray) -> None:
    category = decoded.column("category").combine_chunks()
    is_http = pc.equal(category, "http").to_numpy(zero_copy_only=False)
    members = inc.rows
    responses = members[is_http[members]]
    counted = responses if responses.size else members  # count requests, not lines
    inc.start_ns, inc.end_ns = int(ts[counted].min()), int(ts[counted].max())
    status = decoded.column("status").combine_chunks().to_numpy(zero_copy_only=False)
    status = np.array([s if s is not None else 0 for s in status], dtype=float) if status.dtype == object else status.astype(float)
    status = np.nan_to_num(status)
    inc.affected_requests = int(counted.size)
    inc.failed_requests = int(np.count_nonzero(status[counted] >= 500))
    endpoint = decoded.column("endpoint").combine_chunks()
    inc.endpoints = sorted(set(endpoint.take(pa.array(counted)).drop_null().to_pylist()))
    in_window = (ts >= inc.start_ns) & (ts <= inc.end_ns)
    inc.total_requests = int(np.count_nonzero(in_window & is_http)) if is_http.any() else int(counted.size)
    users = decoded.column("user").combine_chunks().take(pa.array(members)).drop_null().to_pylist()
    inc.affected_users = len(set(users)) if users else None
    links = decoded.column("link").combine_chunks()
    link_rows = members[links.take(pa.array(members)).is_valid().to_numpy(zero_copy_only=False)]
    inc.first_link_ns = int(ts[link_rows].min()) if link_rows.size else None
    # Clean successes of the affected endpoints: recovery after, last good one before.
    ok = (is_http & (status > 0) & (status < 400)
          & ~links.is_valid().to_numpy(zero_copy_only=False)
          & ~decoded.column("bad_jwt").combine_chunks().to_numpy(zero_copy_only=False))
    lat = latency.to_numpy(zero_copy_only=False).astype(float)
    ok &= ~(np.nan_to_num(lat, nan=0.0) >= pack.slow_latency_ms)
    if inc.endpoints:
        ok &= pc.is_in(endpoint, pa.array(inc.endpoints)).fill_null(False).to_numpy(zero_copy_only=False)
    after = np.flatnonzero(ok & (ts > inc.end_ns))
    inc.recovery_ns = int(ts[after].min()) if after.size else None
    before = np.flatnonzero(ok & (ts < inc.start_ns))
    inc.last_ok_before_ns = int(ts[before].max()) if before.size else None
    resolution = decoded.column("resolution").combine_chunks()
    res_rows = np.flatnonzero(resolution.is_valid().to_numpy(zero_copy_only=False))
    horizon = inc.recovery_ns if inc.recovery_ns is not None else inc.end_ns + 30 * NS_MIN
    for r in res_rows:
        if inc.start_ns - NS_MIN <= ts[r] <= horizon:
            link = links[int(r)].as_py()
            if inc.link_identity is None or link_identity(link, pack) == inc.link_identity:
                inc.resolution = (int(ts[r]), f"GET of the report link answered \"{resolution[int(r)].as_py()}\"")
                break
    traffic = np.sort(ts[is_http & in_window]) if is_http.any() else np.sort(ts[in_window])
    if traffic.size > 1:
        steps = np.diff(traffic)
        for k in np.flatnonzero(steps > 2 * NS_MIN):
            inc.gaps.append((int(traffic[k]), int(traffic[k + 1])))
