"""Every URL the logs mention, with its role: remediation (a link the logs tell you to
follow), dependency (an endpoint the service calls) or other."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rca.knowledge.pack import Pack


@dataclass
class UrlInfo:
    url: str
    role: str
    count: int
    first_ns: int
    last_ns: int
    clusters: list[str] = field(default_factory=list)


def collect_urls(table: pa.Table, decoded: pa.Table, row_cluster: np.ndarray, cluster_ids: list[str],
                 pack: Pack) -> list[UrlInfo]:
    urls = decoded.column("urls").combine_chunks()
    if len(urls.flatten()) == 0:
        return []
    flat = urls.flatten()
    parents = pc.list_parent_indices(urls).to_numpy()
    ts = table.column("ts_ns").combine_chunks().fill_null(0).to_numpy()
    links = set(decoded.column("link").combine_chunks().drop_null().unique().to_pylist())
    deps = set(decoded.column("dependency").combine_chunks().drop_null().unique().to_pylist())
    grouped = pa.table({"url": flat, "row": pa.array(parents)}).group_by("url").aggregate(
        [("row", "list")])
    out = []
    for url, rows in zip(grouped.column("url").to_pylist(), grouped.column("row_list").to_pylist(), strict=True):
        rows_np = np.array(rows, dtype=np.int64)
        if url in links or pack.remediation_url.search(url):
            role = "remediation"
        elif url in deps:
            role = "dependency"
        else:
            role = "other"
        cl = sorted({cluster_ids[int(c)] for c in row_cluster[rows_np] if c >= 0})
        out.append(UrlInfo(url, role, int(rows_np.size), int(ts[rows_np].min()), int(ts[rows_np].max()), cl))
    order = {"remediation": 0, "dependency": 1, "other": 2}
    out.sort(key=lambda u: (order[u.role], u.first_ns, u.url))
    return out
