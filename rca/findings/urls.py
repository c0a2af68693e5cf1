"""Every URL the logs mention, with its role: remediation (a link the logs tell you to
follow), dependency (an endpoint the service calls) or other."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rca.findings.incidents import link_identity
from rca.inputs.groups import group_rows
from rca.knowledge.pack import Pack


@dataclass
class UrlInfo:
    url: str
    role: str
    count: int
    first_ns: int
    last_ns: int
    clusters: list[str] = field(default_factory=list)
    refused: bool = False  # a remediation link the factory answered with a refusal
    redacted: bool = False  # its secret parts were replaced by placeholders in the export


@dataclass
class UrlCounts:
    """URLs of rows analysed elsewhere (a streamed export's ordinary rows): per URL its count
    and first and last time, and the dependencies those rows called. Merged by `add`."""

    seen: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    dependencies: set[str] = field(default_factory=set)
    links: set[str] = field(default_factory=set)  # the links those rows carried (see decode)

    def add(self, other: UrlCounts) -> None:
        for url, (n, first, last) in other.seen.items():
            mine = self.seen.get(url)
            self.seen[url] = (n, first, last) if mine is None else \
                (mine[0] + n, min(mine[1], first), max(mine[2], last))
        self.dependencies |= other.dependencies
        self.links |= other.links


def url_counts(table: pa.Table, decoded: pa.Table) -> UrlCounts:
    """The URLs and dependencies of these rows, counted."""
    urls = decoded.column("urls").combine_chunks()
    deps = set(decoded.column("dependency").combine_chunks().drop_null().unique().to_pylist())
    links = set(decoded.column("link").combine_chunks().drop_null().unique().to_pylist())
    flat = urls.flatten()
    if len(flat) == 0:
        return UrlCounts({}, deps, links)
    parents = pc.list_parent_indices(urls)
    ts = table.column("ts_ns").combine_chunks().fill_null(0).take(parents).to_numpy()
    groups = group_rows(flat)
    times = groups.members(ts)
    seen = {url: (int(t.size), int(t.min()), int(t.max())) for url, t in zip(
        groups.keys[0].to_pylist(), times, strict=True)}
    return UrlCounts(seen, deps, links)


def collect_urls(table: pa.Table, decoded: pa.Table, row_cluster: np.ndarray, cluster_ids: list[str],
                 pack: Pack, elsewhere: UrlCounts | None = None, refused: set[str] = frozenset()) -> list[UrlInfo]:
    urls = decoded.column("urls").combine_chunks()
    elsewhere = elsewhere or UrlCounts()
    flat = urls.flatten()
    if len(flat) == 0 and not elsewhere.seen:
        return []
    parents = pc.list_parent_indices(urls).to_numpy()
    ts = table.column("ts_ns").combine_chunks().fill_null(0).to_numpy()
    # Only a URL some row carried as its link is one: a report-shaped URL a client sent (in a
    # request body or query string) is mentioned, not remediation.
    links = set(decoded.column("link").combine_chunks().drop_null().unique().to_pylist()) | elsewhere.links
    deps = set(decoded.column("dependency").combine_chunks().drop_null().unique().to_pylist()) | elsewhere.dependencies
    groups = group_rows(flat)
    here = dict(zip(groups.keys[0].to_pylist(), groups.members(parents.astype(np.int64)), strict=True))
    out = []
    for url in sorted(set(here) | set(elsewhere.seen)):
        rows_np = np.array(here.get(url, []), dtype=np.int64)
        if url in links:
            role = "remediation"
        elif url in deps:
            role = "dependency"
        else:
            role = "other"
        cl = sorted({cluster_ids[int(c)] for c in row_cluster[rows_np] if c >= 0})
        count, first, last = int(rows_np.size), None, None
        if rows_np.size:
            first, last = int(ts[rows_np].min()), int(ts[rows_np].max())
        if url in elsewhere.seen:
            n, lo, hi = elsewhere.seen[url]
            count += n
            first = lo if first is None else min(first, lo)
            last = hi if last is None else max(last, hi)
        out.append(UrlInfo(url, role, count, first, last, cl,
                           refused=role == "remediation" and link_identity(url, pack) in refused,
                           redacted=role == "remediation" and bool(pack.redacted_link.search(url))))
    order = {"remediation": 0, "dependency": 1, "other": 2}
    out.sort(key=lambda u: (order[u.role], u.first_ns, u.url))
    return out
