"""One export analysed as map → reduce, in bounded memory, on one machine or on Dask.

Map (`map_chunk`, one byte range of the file): read and decode the range, and reduce it to
what the findings need — every row's few numbers (time, request, clean success, endpoint,
latency, latency anchor) and, in full, only the rows that may be anomalous; URLs of the
other rows are counted. Reduce (`reduce_chunks`): put the rows in the order the in-memory
reader gives them, infer latencies across ranges, and run the same findings code
(`pipeline.findings_from`) on the kept rows and every row's traffic.

Which rows may be anomalous is decided without the other ranges: a row's latency inferred
from an anchor in its own range can only shrink once anchors of other ranges are known,
so rows whose own-range latency is below the slow threshold can be dropped, and the rest
are kept until the reduce knows. So the findings equal the in-memory analysis's.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa

from rca.errors import UsageError
from rca.findings.signatures import anomalous_mask, latency_anchors, latency_from_anchors
from rca.findings.traffic import RowFacts, row_facts, traffic_from
from rca.findings.urls import UrlCounts, url_counts
from rca.inputs.chunks import CHUNK_BYTES, Chunk, plan, read_chunk, streamable
from rca.inputs.cores import spare_cores
from rca.inputs.exports import Ingested, streamed_summary
from rca.inputs.limits import Limits, cap_lines, current
from rca.inputs.progress import report
from rca.knowledge.pack import Pack, default_pack
from rca.table.decode import decode

# Exports from this size on are streamed (smaller ones are read whole: it is faster).
STREAM_BYTES = 256 << 20
# Ranges mapped at once on one machine: both cores of a small one; more would hold more
# ranges in memory at a time. On a busy machine, one (`spare_cores`).
MAP_WORKERS = 2


@dataclass
class ChunkState:
    """What one byte range leaves for the reduce: small next to the range itself."""

    index: int
    readable: bool
    digest: str = ""
    facts: RowFacts | None = None
    is_anchor: np.ndarray | None = None
    want: np.ndarray | None = None
    kept_index: np.ndarray | None = None
    kept: pa.Table | None = None
    kept_decoded: pa.Table | None = None
    urls: UrlCounts = field(default_factory=UrlCounts)
    labels: dict[tuple[str, str], int] = field(default_factory=dict)
    cut_lines: int = 0   # lines cut to the line-length cap

    @property
    def rows(self) -> int:
        return 0 if self.facts is None else int(self.facts.ts.size)


def map_chunk(chunk: Chunk, pack: Pack | None = None, limits: Limits | None = None) -> ChunkState:
    """Read, decode and reduce one byte range (a pure function: any machine can run it).
    `limits` travel with the task: a remote worker does not share the caller's environment."""
    pack = pack or default_pack()
    read = read_chunk(chunk)
    if read.table is None:
        return ChunkState(chunk.index, readable=False, digest=read.digest)
    table, n_cut = cap_lines(read.table, (limits or current()).line_length)
    decoded = decode(table, pack)
    facts = row_facts(table, decoded)
    is_anchor, want = latency_anchors(decoded, pack)
    own = latency_from_anchors(facts.ts, np.sort(facts.ts[is_anchor]), want, facts.latency_ms, pack)
    may_be_slow = want & ~(own < pack.slow_latency_ms)  # NaN (no anchor here) may be slow too
    keep = anomalous_mask(decoded, pa.array(own, pa.float64(), from_pandas=True), pack).to_numpy(zero_copy_only=False)
    keep = keep | may_be_slow | decoded.column("attempt").combine_chunks().is_valid().to_numpy(zero_copy_only=False)
    kept_index = np.flatnonzero(keep)
    rest = pa.array(np.flatnonzero(~keep))
    state = ChunkState(
        chunk.index, True, read.digest, facts, is_anchor, want, kept_index,
        table.take(pa.array(kept_index)), decoded.take(pa.array(kept_index)),
        url_counts(table.select(["ts_ns"]).take(rest), decoded.select(["urls", "dependency"]).take(rest)),
        _label_counts(table), n_cut,
    )
    del table, decoded, read
    pa.default_memory_pool().release_unused()  # the range's buffers go back to the system
    return state


def _label_counts(table: pa.Table) -> dict[tuple[str, str], int]:
    maps = table.column("labels").combine_chunks()
    if len(maps.keys) == 0:
        return {}
    pairs = pa.table({"k": maps.keys, "v": maps.items}).group_by(["k", "v"]).aggregate([([], "count_all")])
    return {(k, v): int(n) for k, v, n in zip(pairs.column("k").to_pylist(), pairs.column("v").to_pylist(),
                                               pairs.column("count_all").to_pylist(), strict=True)}


def read_order(ts: np.ndarray, timed: np.ndarray) -> tuple[np.ndarray | None, bool]:
    """The in-memory reader's row order for rows in file order: newest-first files turned
    around, then a stable sort by time (untimed rows last). Also whether it turned around."""
    n = ts.size
    if timed.all():
        steps = np.diff(ts)
        if n > 1 and (steps <= 0).all():
            return np.arange(n - 1, -1, -1), True
        if (steps >= 0).all():
            return None, False
        return np.argsort(ts, kind="stable"), False
    return np.argsort(np.where(timed, ts, np.iinfo(np.int64).max), kind="stable"), False


def reduce_chunks(states: list[ChunkState], path: str, pack: Pack, seconds: float = 0.0):
    """Merge the ranges' states into findings; None when a range could not be read in columns."""
    from rca.findings.pipeline import findings_from

    states = sorted(states, key=lambda s: s.index)
    if not all(s.readable for s in states) or sum(s.rows for s in states) == 0:
        return None
    code_of: dict[str, int] = {}
    codes = []
    for s in states:
        remap = np.array([code_of.setdefault(name, len(code_of)) for name in s.facts.endpoint_names] or [0],
                         dtype=np.int32)
        local = s.facts.endpoint_codes
        codes.append(np.where(local >= 0, remap[np.maximum(local, 0)], -1).astype(np.int32))
        s.facts.endpoint_codes = None
    names = list(code_of)

    n = sum(s.rows for s in states)
    offsets = np.cumsum([0] + [s.rows for s in states])
    kept_file = np.concatenate([s.kept_index + offsets[i] for i, s in enumerate(states)])

    def column(name: str) -> np.ndarray:
        """One per-row column of every range in file order; the ranges' copies are let go."""
        parts = []
        for s in states:
            holder = s if name in ("is_anchor", "want") else s.facts
            parts.append(getattr(holder, name))
            setattr(holder, name, None)
        return np.concatenate(parts)

    ts, timed = column("ts"), column("timed")
    order, turned = read_order(ts, timed)

    def ordered(values: np.ndarray) -> np.ndarray:
        return values if order is None else values[order]

    if order is None:
        positions = kept_file
    else:
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        positions = rank[kept_file]
        del rank
    summary = streamed_summary(path, n, ts[::-1] if turned else ts, _merged_labels(states),
                               sum(s.cut_lines for s in states), seconds)
    ts, timed = ordered(ts), ordered(timed)
    endpoint_codes = ordered(np.concatenate(codes))
    del codes
    facts = RowFacts(ts, timed, ordered(column("is_http")), ordered(column("ok_but_latency")),
                     ordered(column("latency_ms")), endpoint_codes, names)
    is_anchor, want = ordered(column("is_anchor")), ordered(column("want"))
    latency = facts.latency_ms
    if pack.latency_anchor:
        latency = latency_from_anchors(ts, ts[is_anchor], want, latency, pack)
    del is_anchor, want
    traffic = traffic_from(facts, latency, pack)
    by_position = np.argsort(positions, kind="stable")
    positions = positions[by_position]
    kept, kept_decoded = _kept_in_order(states, by_position, turned and order is not None)
    record = (n - 1 - kept_file[by_position]) if turned else kept_file[by_position]
    kept = kept.set_column(kept.schema.get_field_index("record"), "record", pa.array(record, pa.int64()))
    urls = UrlCounts()
    for s in states:
        urls.add(s.urls)
    identity = hashlib.sha256("".join(s.digest for s in states).encode()).hexdigest()[:32]
    ingested = Ingested(kept, [summary], total=n, identity=identity)
    kept_latency = pa.array(latency[positions], pa.float64(), from_pandas=True)
    return findings_from(ingested, kept_decoded, kept_latency, pack, traffic, positions, urls)


def _kept_in_order(states: list[ChunkState], by_position: np.ndarray, turned: bool) -> tuple[pa.Table, pa.Table]:
    """The ranges' kept rows in analysis order, each range's copy let go once taken. A file
    in time order, or newest first, needs no global reordering: ranges are turned around."""
    rows: list[pa.Table] = []
    decoded: list[pa.Table] = []
    in_range_order = turned or np.array_equal(by_position, np.arange(by_position.size))
    for s in (reversed(states) if turned else states):
        if turned:
            flip = pa.array(np.arange(s.kept.num_rows - 1, -1, -1))
            rows.append(s.kept.take(flip))
            decoded.append(s.kept_decoded.take(flip))
        else:
            rows.append(s.kept)
            decoded.append(s.kept_decoded)
        s.kept = s.kept_decoded = None
    kept, kept_decoded = _combined(rows), _combined(decoded)
    if not in_range_order:
        take = pa.array(by_position)
        kept, kept_decoded = kept.take(take), kept_decoded.take(take)
    return kept, kept_decoded


def _combined(tables: list[pa.Table]) -> pa.Table:
    """One table of contiguous columns, built a column at a time while the pieces go."""
    schema = tables[0].schema
    parts = {name: [c for t in tables for c in t.column(name).chunks] for name in schema.names}
    tables.clear()
    columns = []
    for f in schema:
        chunks = parts.pop(f.name)
        columns.append(pa.concat_arrays(chunks) if chunks else pa.array([], f.type))
        del chunks
    return pa.Table.from_arrays(columns, schema=schema)


def _merged_labels(states: list[ChunkState]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for s in states:
        for pair, count in s.labels.items():
            out[pair] = out.get(pair, 0) + count
    return out


Mapper = Callable[[Callable[..., ChunkState], list[Chunk], Pack], Iterable[ChunkState]]


def map_local(fn: Callable[..., ChunkState], chunks: list[Chunk], pack: Pack,
              workers: int | None = None) -> Iterable[ChunkState]:
    """Map ranges on threads of this process, in order, at most `workers` at a time (each
    holds its range whole while it works; by default as many as there are spare cores).
    Reading and decoding run in Arrow's kernels, which release the GIL, so two ranges use
    two cores."""
    workers = spare_cores(MAP_WORKERS) if workers is None else workers
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield fn(chunk, pack)
        return
    with ThreadPoolExecutor(workers) as pool:
        pending: deque[Future] = deque()
        for chunk in chunks:
            pending.append(pool.submit(fn, chunk, pack))
            if len(pending) >= workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A client of the scheduler at `scheduler`, or of a local cluster started for the run."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("the dask engine needs the dask extra: pip install 'rca[dask]'") from None
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc})") from None
    else:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 2, threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def dask_mapper(client: Any) -> Mapper:
    """Map byte ranges on a Dask cluster: each worker reads its ranges from the file (the
    path must be readable there, e.g. a shared volume); states come back as they finish."""

    def run(fn: Callable[..., ChunkState], chunks: list[Chunk], pack: Pack) -> Iterable[ChunkState]:
        from dask.distributed import as_completed

        futures = client.map(fn, chunks, pack=pack, pure=False)
        for future in as_completed(futures):
            yield future.result()
            future.release()

    return run


def analyze_streamed(inputs: list[str], input_format: str | None, pack: Pack, chunk_bytes: int | None = None,
                     mapper: Mapper | None = None) -> Any:
    """Findings of one large logcli JSONL export, map → reduce; None when the input is not
    one (or is small and not forced), or a range needs the per-line reader."""
    if len(inputs) != 1 or not streamable(str(inputs[0]), input_format):
        return None
    path = str(inputs[0])
    if mapper is None and chunk_bytes is None and os.path.getsize(path) < STREAM_BYTES:
        return None
    started = time.perf_counter()
    chunks = plan(path, chunk_bytes) if chunk_bytes else plan(path, CHUNK_BYTES, MAP_WORKERS)
    states = []
    total = os.path.getsize(path)
    report("reading and decoding", 0, total)
    # The caller's caps, bound to every task (a Dask worker's environment is not the CLI's).
    for state in (mapper or map_local)(partial(map_chunk, limits=current()), chunks, pack):
        if not state.readable:
            return None
        states.append(state)
        report("reading and decoding", min(total, sum(c.end - c.start for c in chunks[:len(states)])), total)
    report("finding incidents")
    return reduce_chunks(states, path, pack, time.perf_counter() - started)
