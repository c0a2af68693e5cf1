"""One export analysed as map → reduce, in bounded memory, on one machine or on Dask.

Map (`map_part`, one byte range of a file or one compressed file, a piece at a time): read
and decode each piece (`rca.inputs.parts`), and reduce it to
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

import copy
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
import pyarrow.compute as pc

from rca.errors import UsageError
from rca.findings.minutes import request_minutes
from rca.findings.merge import FileRows, analysis_order, line_digests, repeats, turns
from rca.findings.signatures import anomalous_mask, latency_anchors, latency_from_anchors
from rca.findings.spill import Spilled, Spool
from rca.findings.squeezed import Squeezed
from rca.findings.traffic import RowFacts, row_facts, traffic_from
from rca.findings.urls import UrlCounts, url_counts
from rca.inputs.ahead import on_a_thread as _on_a_thread
from rca.inputs.chunks import CHUNK_BYTES
from rca.inputs.cores import spare_cores
from rca.inputs.exports import Ingested, streamed_summary
from rca.inputs.freeing import give_back, lean_allocators
from rca.inputs.groups import group_rows
from rca.inputs.limits import Limits, cap_lines, current, is_stream, using
from rca.inputs.parts import Header, Part, Piece, plan_parts, read_pieces, reader_warnings, streamed_files
from rca.inputs.progress import report
from rca.inputs.records import LabelSets
from rca.inputs.sniff import STREAM_BYTES
from rca.inputs.spool import at, spooled
from rca.knowledge.pack import Pack, default_pack
from rca.inputs.meanwhile import while_waiting
from rca.inputs.numpy_arrays import arrow
from rca.table.decode import decode
from rca.table.packed import PackedLines, pack_column, unpack_column

# From how many ranges the allocators are kept lean (`lean_allocators`): what glibc's malloc
# holds creeps up with every range mapped (~100 MB over a 10M-line export's 53), and the
# map's peak, two ranges' working sets and the pages Arrow's pool keeps coinciding, climbs
# with the number of ranges (593-675 MB at 10M lines against 570-608 at 1M); on a few
# ranges the lean settings' page faults cost more than they save (~10-25% of the CPU).
LEAN_AFTER_RANGES = 16

# How much of the kept rows' raw lines the findings hold once unpacked (below SQUEEZE_ROWS
# rows): a 1M-line varied export's (~22 MB in 10 pieces) are then each unpacked once, on the
# second core, instead of 28 times on this one (every piece is searched for each alert
# token; each incident's readers unpack the few they need). A longer export's reduce keeps
# two pieces, as its peak needs.
KEEP_LINES_BYTES = 32 << 20

# Ranges mapped at once on one machine: both cores of a small one; more would hold more
# ranges in memory at a time. On a busy machine, one (`spare_cores`).
MAP_WORKERS = 2


@dataclass
class ChunkState:
    """What one piece of a file leaves for the reduce: small next to the piece itself."""

    index: int
    readable: bool
    digest: str = ""
    facts: RowFacts | None = None
    is_anchor: np.ndarray | None = None
    want: np.ndarray | None = None
    kept_index: np.ndarray | None = None
    kept: pa.Table | None = None
    kept_decoded: pa.Table | None = None
    # Until the reduce needs them, `kept` and `kept_decoded` wait packed (`_pack`), and on
    # disk from when the state reaches the reduce's side (`_spill`); the kept rows' raw
    # lines stay packed through the findings (`rca.table.packed`).
    packed: tuple[pa.Buffer | Spilled, pa.Buffer | Spilled] | None = None
    packed_lines: pa.Buffer | Spilled | None = None
    urls: UrlCounts = field(default_factory=UrlCounts)
    labels: dict[tuple[str, str], int] = field(default_factory=dict)
    cut_lines: int = 0   # lines cut to the line-length cap
    sub: int = 0         # the piece's place within its part (a compressed file has many)
    file: int = 0
    span: int = 0        # record numbers the piece spans within its file
    rejected: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    precisions: set[str] = field(default_factory=set)
    digests: np.ndarray | None = None   # per row, when several files are merged
    url_rows: pa.Table | None = None     # then also the ordinary rows that name a URL or dependency
    ts_base: int | None = None  # set: times are int32 milliseconds after it (`_compact`)
    latency_known: np.ndarray | None = None  # set: which rows logged a latency (bits); only theirs are held
    header: Header | None = None  # what the file's header says (a Grafana TXT download's)
    why: str = ""  # unreadable: why the file must be read whole, when the user should hear it

    @property
    def rows(self) -> int:
        return 0 if self.facts is None else int(self.facts.ts.size)


def map_part(part: Part, pack: Pack | None = None, limits: Limits | None = None,
             digests: bool = False) -> list[ChunkState]:
    """Read, decode and reduce one part, a piece at a time (a pure function: any machine can
    run it). `limits` travel with the task: a remote worker does not share the caller's
    environment. With `digests`, every line's digest is kept to find repeats across files."""
    pack = pack or default_pack()
    limits = limits or current()
    states: list[ChunkState] = []
    with using(limits):
        for sub, piece in enumerate(read_pieces(part, limits)):
            if piece.table is None:
                return [ChunkState(part.index, readable=False, digest=piece.digest, why=piece.why)]
            states.append(map_table(piece, part, sub, pack, limits, digests))
    return states


def map_table(piece: Piece, part: Part, sub: int, pack: Pack, limits: Limits, digests: bool) -> ChunkState:
    """Decode one piece's table and keep what the reduce needs."""
    table, n_cut = cap_lines(piece.table, limits.line_length)
    piece.table = None
    decoded = decode(table, pack, piece.label_sets)
    facts = row_facts(table, decoded)
    is_anchor, want = latency_anchors(decoded, pack)
    own = latency_from_anchors(facts.ts, np.sort(facts.ts[is_anchor]), want, facts.latency_ms, pack)
    may_be_slow = want & ~(own < pack.slow_latency_ms)  # NaN (no anchor here) may be slow too
    keep = anomalous_mask(decoded, pa.array(own, pa.float64(), from_pandas=True), pack).to_numpy(zero_copy_only=False)
    keep = keep | may_be_slow | decoded.column("attempt").combine_chunks().is_valid().to_numpy(zero_copy_only=False)
    kept_index = np.flatnonzero(keep)
    state = ChunkState(
        part.index, True, piece.digest, facts, is_anchor, want, kept_index,
        _kept_rows(table, kept_index, piece.label_sets), decoded.take(pa.array(kept_index)),
        labels=_label_counts(table, piece.label_sets), cut_lines=n_cut, sub=sub, file=part.file, span=piece.span,
        rejected=piece.rejected, counts=piece.counts, notes=piece.notes, header=piece.header,
        precisions=set(table.column("precision").combine_chunks().drop_null().unique().to_pylist()),
    )
    _compact(state)
    _pack(state)
    counted = _naming(decoded, np.flatnonzero(~keep))
    if digests:  # which rows repeat another file's is known only in the reduce: keep the URL rows
        state.digests = line_digests(table.column("line"))
        state.url_rows = _url_rows(counted, table, decoded)
    else:
        state.urls = url_counts(table.select(["ts_ns"]).take(counted), decoded.select(["urls", "dependency", "link"]).take(counted))
    del table, decoded
    give_back()  # the piece's buffers go back to the system
    return state


def _kept_rows(table: pa.Table, kept_index: np.ndarray, label_sets: LabelSets | None) -> pa.Table:
    """The kept rows, with their labels from the piece's label sets when it was read so (its
    table's labels column is then empty: only these rows need their maps)."""
    kept = table.take(pa.array(kept_index))
    if label_sets is None:
        return kept
    return kept.set_column(kept.schema.get_field_index("labels"), "labels", label_sets.maps(kept_index))


# Per-row flags a state holds as bits until the reduce; times and latencies are narrowed
# too when that loses nothing (millisecond times, latencies a float32 holds exactly).
_PACKED = ("timed", "is_http", "ok_but_latency", "is_anchor", "want")
_MS = 1_000_000


def _compact(state: ChunkState) -> None:
    """Shrink what every line leaves until the reduce, losslessly: flags to bits, endpoint
    codes to 8 or 16 bits, times to 32-bit milliseconds, latencies to float32 when they fit
    and only for the lines that logged one; then each of them squeezed (`Squeezed`)."""
    facts = state.facts
    ts = facts.ts
    if ts.size and facts.timed.all() and not (ts % _MS).any() and (int(ts.max()) - int(ts.min())) // _MS < 1 << 31:
        state.ts_base = int(ts.min())
        facts.ts = ((ts - state.ts_base) // _MS).astype(np.int32)
    narrow = facts.latency_ms.astype(np.float32)
    if np.array_equal(narrow.astype(np.float64), facts.latency_ms, equal_nan=True):  # exact only
        facts.latency_ms = narrow
    known = ~np.isnan(facts.latency_ms)
    if not known.all():  # most lines log no latency (only responses do): theirs take no room
        state.latency_known = np.packbits(known)
        facts.latency_ms = facts.latency_ms[known]
    if len(facts.endpoint_names) < 1 << 15:
        facts.endpoint_codes = facts.endpoint_codes.astype(np.int8 if len(facts.endpoint_names) < 1 << 7 else np.int16)
    for name in _PACKED:
        holder = state if name in ("is_anchor", "want") else facts
        setattr(holder, name, np.packbits(getattr(holder, name)))
    for holder, names in ((facts, ("ts", "timed", "is_http", "ok_but_latency", "latency_ms", "endpoint_codes")),
                          (state, ("is_anchor", "want", "latency_known", "kept_index"))):
        for name in names:
            if getattr(holder, name) is not None:  # (kept rows' indices ascend: steps too)
                delta = name == "kept_index" or (name == "ts" and state.ts_base is not None)
                setattr(holder, name, Squeezed.of(getattr(holder, name), delta=delta))


def _plain(value: np.ndarray | Squeezed | None) -> np.ndarray | None:
    return value.array() if isinstance(value, Squeezed) else value


def _pack(state: ChunkState) -> None:
    """Hold the kept rows as Arrow IPC with zstd-compressed buffers until the reduce: they
    are the part of a state that grows with the export (a few per cent of its lines, whole),
    and their lines repeat a few shapes, so they pack to about a tenth. The raw lines, most
    of their size, are packed on their own: they stay packed through the findings."""
    state.packed_lines = _off_pool(pack_column(state.kept.column("line")))
    state.packed = (_off_pool(_ipc(state.kept.drop_columns(["line"]))), _off_pool(_ipc(state.kept_decoded)))
    state.kept = state.kept_decoded = None


def _off_pool(buffer: pa.Buffer) -> pa.Buffer:
    """A copy of `buffer` outside Arrow's pool: a state outlives its piece, and a few live
    blocks scattered among the piece's freed ones keep the pool from giving pages back."""
    return pa.py_buffer(buffer.to_pybytes())


def _spill(state: ChunkState, spool: Spool) -> None:
    """Write the state's packed kept rows to `spool`: they wait there for the reduce."""
    if state.packed is not None:
        state.packed = tuple(spool.put(buffer) for buffer in state.packed)
    if state.packed_lines is not None:
        state.packed_lines = spool.put(state.packed_lines)


def _restore(state: ChunkState) -> None:
    """Read back what `_spill` wrote (a state never spilled is left as it is)."""
    if state.packed is not None:
        state.packed = tuple(_read_back(value) for value in state.packed)
    state.packed_lines = _read_back(state.packed_lines)


def _read_back(value: pa.Buffer | Spilled | None) -> pa.Buffer | None:
    return value.buffer() if isinstance(value, Spilled) else value


def _unpack(state: ChunkState) -> None:
    """The kept rows but their raw lines, which stay in `packed_lines`."""
    if state.packed is not None:
        state.kept, state.kept_decoded = (pa.ipc.open_stream(buffer).read_all() for buffer in state.packed)
        state.packed = None


def _ipc(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _widened(state: ChunkState, name: str, value: np.ndarray, size: int) -> np.ndarray:
    """A per-row column of a state as the map computed it, before `_compact`."""
    value = _plain(value)
    if name in _PACKED:
        return np.unpackbits(value, count=size).view(bool)
    if name == "ts" and state.ts_base is not None:
        return value.astype(np.int64) * _MS + state.ts_base
    if name == "latency_ms" and state.latency_known is not None:
        full = np.full(size, np.nan)
        full[np.unpackbits(_plain(state.latency_known), count=size).view(bool)] = value
        return full
    if name == "latency_ms":
        return value.astype(np.float64, copy=False)
    return value


def _naming(decoded: pa.Table, rows: np.ndarray) -> pa.Array:
    """Those of `rows` that name a URL, a dependency or a link: the only rows `url_counts`
    counts anything of (most rows name none, and taking every one's lists cost more than
    counting them). One test for one file and for several (`_url_rows`); a row with a link
    is anomalous and kept whole, so among the ordinary rows the link adds none."""
    names = pc.or_(pc.greater(pc.list_value_length(decoded.column("urls")).fill_null(0), 0),
                   pc.or_(decoded.column("dependency").is_valid(), decoded.column("link").is_valid()))
    return arrow(rows[names.to_numpy()[rows]])


def _url_rows(naming: pa.Array, table: pa.Table, decoded: pa.Table) -> pa.Table:
    """The ordinary rows that name a URL (`_naming`'s): their place, time, URLs, dependency, link."""
    return pa.table({"row": naming, "ts_ns": table.column("ts_ns").take(naming),
                     "urls": decoded.column("urls").take(naming), "dependency": decoded.column("dependency").take(naming),
                     "link": decoded.column("link").take(naming)})


def _label_counts(table: pa.Table, sets: LabelSets | None = None) -> dict[tuple[str, str], int]:
    """How many rows carry each label pair: counted per label set when the reader gave them."""
    if sets is not None:
        out: dict[tuple[str, str], int] = {}
        for pairs, rows in zip(sets.sets.to_pylist(), np.bincount(sets.of_row, minlength=len(sets.sets)).tolist(),
                               strict=True):
            for pair in pairs:
                out[pair] = out.get(pair, 0) + rows
        return out
    maps = table.column("labels").combine_chunks()
    if len(maps.keys) == 0:
        return {}
    groups = group_rows(maps.keys, maps.items)
    return {(k, v): int(n) for k, v, n in zip(groups.keys[0].to_pylist(), groups.keys[1].to_pylist(),
                                               groups.counts().tolist(), strict=True)}


def reduce_chunks(states: list[ChunkState], files: list[tuple[str, str]], pack: Pack, seconds: float = 0.0):
    """Merge the pieces' states into findings; None when a piece could not be read as the
    whole read would, or a file holds no records (the whole read then reports it)."""
    from rca.findings.pipeline import SQUEEZE_ROWS, findings_from

    states = sorted(states, key=lambda s: (s.index, s.sub))
    if not all(s.readable for s in states):
        return None
    for s in states:
        _restore(s)
    file_rows = [sum(s.rows for s in states if s.file == f) for f in range(len(files))]
    if 0 in file_rows:
        return None
    code_of: dict[str, int] = {}
    codes = []
    for s in states:
        remap = np.array([code_of.setdefault(name, len(code_of)) for name in s.facts.endpoint_names] or [0],
                         dtype=np.int32)
        local = _plain(s.facts.endpoint_codes)
        codes.append(np.where(local >= 0, remap[np.maximum(local, 0)], -1).astype(np.int32))
        s.facts.endpoint_codes = None
    names = list(code_of)
    if len(names) < 1 << 15:  # 8 or 16-bit codes: few endpoints, as in any real export
        codes = [c.astype(np.int8 if len(names) < 1 << 7 else np.int16) for c in codes]

    n = sum(s.rows for s in states)
    offsets = np.cumsum([0] + [s.rows for s in states])
    for s in states:
        s.kept_index = _plain(s.kept_index)
    kept_file = np.concatenate([s.kept_index + offsets[i] for i, s in enumerate(states)])

    sizes = [s.rows for s in states]

    def column(name: str) -> np.ndarray:
        """One per-row column of every piece in file order; the pieces' copies are let go."""
        parts = []
        for s, size in zip(states, sizes, strict=True):
            holder = s if name in ("is_anchor", "want", "digests") else s.facts
            value = getattr(holder, name)
            parts.append(_widened(s, name, value, size))
            setattr(holder, name, None)
        return np.concatenate(parts)

    ts, timed = column("ts"), column("timed")
    starts = np.cumsum([0] + file_rows)
    rows_of = [FileRows(int(starts[f]), int(starts[f + 1]), turns(fmt, ts[starts[f]:starts[f + 1]]))
               for f, (_, fmt) in enumerate(files)]
    keep, lost = None, [0] * len(files)
    if len(files) > 1:
        keep, lost = repeats(ts, timed, column("digests"), rows_of, set().union(*(s.precisions for s in states)))
    summaries = [_file_summary(path, fmt, [s for s in states if s.file == f], ts, timed, rows_of[f], lost[f])
                 for f, (path, fmt) in enumerate(files)]
    order, turned = analysis_order(ts, timed, rows_of, keep)
    # Work whose kernels release the GIL goes to threads of its own while this one goes on,
    # when a core is spare: not for a long export, whose every row's numbers are squeezed or
    # let go meanwhile. The kept rows are unpacked (and a newest-first file's ranges turned
    # around) while this thread orders every row's numbers, unless several files' repeats are
    # dropped first.
    spare = n < SQUEEZE_ROWS and spare_cores() > 1
    early = spare and keep is None
    unpacking = _on_a_thread(_unpacked, states, turned) if early else None

    def ordered(values: np.ndarray) -> np.ndarray:
        """`values` in analysis order; a newest-first file's rows turned around as a view."""
        if turned:
            return values[::-1]
        return values if order is None else values[order]

    if keep is not None:  # kept rows that repeat another file's are gone from the analysis
        survives = keep[kept_file]
        at = 0
        for s in states:
            mine = survives[at:at + s.kept_index.size]
            at += s.kept_index.size
            if not mine.all():
                mask = pa.array(mine)
                _unpack(s)
                s.kept, s.kept_decoded = s.kept.filter(mask), s.kept_decoded.filter(mask)
                s.packed_lines = pack_column(unpack_column(s.packed_lines).filter(mask))
        kept_file = kept_file[survives]
    total = n if order is None else order.size
    if turned:  # every row from the last to the first: no index arrays needed
        positions = (n - 1) - kept_file
    elif order is None:
        positions = kept_file
    else:
        rank = np.full(n, -1, dtype=np.int64)
        rank[order] = np.arange(order.size)
        positions = rank[kept_file]
        del rank
    ts, timed = ordered(ts), ordered(timed)
    endpoint_codes = ordered(np.concatenate(codes))
    del codes
    facts = RowFacts(ts, timed, ordered(column("is_http")), ordered(column("ok_but_latency")),
                     ordered(column("latency_ms")), endpoint_codes, names)
    is_anchor, want = ordered(column("is_anchor")), ordered(column("want"))
    latency = facts.latency_ms
    if pack.latency_anchor:
        latency = latency_from_anchors(ts, ts[is_anchor], want, latency, pack, in_place=True)  # a fresh array
    del is_anchor, want
    traffic = traffic_from(facts, latency, pack)
    del facts, ts, timed, endpoint_codes  # the traffic holds them (its latencies are the final ones)
    # The chart's per-minute series, the only use of every row's latency, and the requests'
    # sorted times and coverage: on threads of their own (numpy's sorts release the GIL)
    # while this one unpacks the kept rows and finds the signatures.
    traffic.minutes = _on_a_thread(request_minutes, copy.copy(traffic)) if spare else request_minutes(traffic)
    if spare:
        traffic.work_out_ahead()
    by_position = np.argsort(positions, kind="stable")
    positions = positions[by_position]
    kept_latency = pa.array(latency[positions], pa.float64(), from_pandas=True)
    traffic.latency_ms = latency = None  # let go before the kept rows are unpacked
    if unpacking is not None:
        unpacking.result()
    _number_records(states)
    kept, kept_decoded, kept_lines = _kept_in_order(states, by_position, turned,
                                                    KEEP_LINES_BYTES if n < SQUEEZE_ROWS else 0, early)
    if spare:
        kept_lines.unpack_ahead()  # on the second core while this one finds the signatures
    urls = UrlCounts()
    for i, s in enumerate(states):
        if s.url_rows is not None:
            rows = s.url_rows
            if keep is not None:
                rows = rows.filter(pa.array(keep[rows.column("row").to_numpy() + offsets[i]]))
            s.urls, s.url_rows = url_counts(rows, rows), None
        urls.add(s.urls)
    identity = hashlib.sha256("".join(s.digest for s in states).encode()).hexdigest()[:32] \
        if all(s.digest for s in states) else None
    for summary in summaries:
        summary.seconds = seconds
    ingested = Ingested(kept, summaries, total=total, identity=identity, packed_lines=kept_lines)
    return findings_from(ingested, kept_decoded, kept_latency, pack, traffic, positions, urls)


def _unpacked(states: list[ChunkState], turned: bool) -> None:
    """Each state's kept rows unpacked (`_unpack`), each range's turned around when its file
    is newest first (what `_kept_in_order` does otherwise)."""
    for s in states:
        _unpack(s)
        if turned:
            s.kept, s.kept_decoded = _turned(s.kept), _turned(s.kept_decoded)


def _turned(table: pa.Table) -> pa.Table:
    """The table's rows from the last to the first."""
    return table.take(pa.array(np.arange(table.num_rows - 1, -1, -1)))


def _number_records(states: list[ChunkState]) -> None:
    """Each kept row's record number within its file, as the whole read numbers it."""
    base: dict[int, int] = {}
    for s in states:
        _unpack(s)
        first = base.get(s.file, 0)
        base[s.file] = first + s.span
        if first and s.kept.num_rows:
            at = s.kept.schema.get_field_index("record")
            s.kept = s.kept.set_column(at, "record", pc.add(s.kept.column("record"), first))


def _file_summary(path: str, fmt: str, states: list[ChunkState], ts: np.ndarray, timed: np.ndarray, rows: FileRows,
                  duplicates: int):
    """One file's summary, as the whole read makes it from every record of the file."""
    counts: dict[str, int] = {}
    for s in states:
        for name, value in s.counts.items():
            counts[name] = counts.get(name, 0) + value
    own, has_time = ts[rows.start:rows.end], timed[rows.start:rows.end]
    own = own if has_time.all() else own[has_time]  # a view when every row has a time
    header = states[0].header or Header()
    return streamed_summary(path, rows.end - rows.start, own[::-1] if rows.turned else own,
                            _merged_labels(states), sum(s.cut_lines for s in states), 0.0, fmt=fmt,
                            rejected=sum(s.rejected for s in states),
                            warnings=[*header.warnings, *reader_warnings(fmt, counts)],
                            notes=[n for s in states for n in s.notes], duplicates=duplicates,
                            truncation=(header.truncated_end, header.truncation_reason, header.declared_limit))


def _kept_in_order(states: list[ChunkState], by_position: np.ndarray, turned: bool,
                   keep_bytes: int = 0, turned_already: bool = False) -> tuple[pa.Table, pa.Table, PackedLines]:
    """The ranges' kept rows in analysis order, each range's copy let go once taken, and
    their raw lines still packed (up to `keep_bytes` of them held once unpacked). A file in
    time order, or newest first, needs no global reordering: ranges are turned around
    (here, unless `turned_already` by `_unpacked`). The ranges stay chunks of one table."""
    rows: list[pa.Table] = []
    decoded: list[pa.Table] = []
    in_range_order = turned or np.array_equal(by_position, np.arange(by_position.size))
    sizes = [s.kept.num_rows for s in states]
    lines = PackedLines([s.packed_lines for s in states], sizes,
                        np.arange(sum(sizes) - 1, -1, -1) if turned else None if in_range_order else by_position,
                        keep_bytes)
    for s in states:
        s.packed_lines = None
    for s in (reversed(states) if turned else states):
        if turned and not turned_already:
            rows.append(_turned(s.kept))
            decoded.append(_turned(s.kept_decoded))
        else:
            rows.append(s.kept)
            decoded.append(s.kept_decoded)
        s.kept = s.kept_decoded = None
    kept, kept_decoded = pa.concat_tables(rows), pa.concat_tables(decoded)
    rows.clear()
    decoded.clear()
    if not in_range_order:
        take = pa.array(by_position)
        kept, kept_decoded = kept.take(take), kept_decoded.take(take)
    return kept, kept_decoded, lines


def _merged_labels(states: list[ChunkState]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for s in states:
        for pair, count in s.labels.items():
            out[pair] = out.get(pair, 0) + count
    return out


Mapper = Callable[[Callable[..., list[ChunkState]], list[Part], Pack], Iterable[list[ChunkState]]]


def map_local(fn: Callable[..., list[ChunkState]], chunks: list[Part], pack: Pack,
              workers: int | None = None) -> Iterable[list[ChunkState]]:
    """Map ranges on threads of this process, in order, at most `workers` at a time (each
    holds its range whole while it works; by default as many as there are spare cores).
    Reading and decoding run in Arrow's kernels, which release the GIL, so two ranges use
    two cores. One more range waits in the queue than there are threads, so a thread that
    finishes before the range ahead of it starts the next one at once instead of idling.
    Once they are started, this thread does the work handed to it for then (`rca.inputs.meanwhile`)."""
    workers = spare_cores(MAP_WORKERS) if workers is None else workers
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield fn(chunk, pack)
        return
    with ThreadPoolExecutor(workers) as pool:
        pending: deque[Future] = deque()
        for chunk in chunks:
            pending.append(pool.submit(fn, chunk, pack))
            if len(pending) > workers:
                while_waiting()
                yield pending.popleft().result()
        while_waiting()
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
        except ValueError as exc:  # an address Dask cannot read: http://, a bad port, unclosed brackets
            raise UsageError(f"--scheduler {scheduler}: not a Dask scheduler address ({exc})") from None
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

    def run(fn: Callable[..., list[ChunkState]], chunks: list[Part], pack: Pack) -> Iterable[list[ChunkState]]:
        from dask.distributed import as_completed

        futures = client.map(fn, chunks, pack=pack, pure=False)
        while_waiting()
        for future in as_completed(futures):
            yield future.result()
            future.release()

    return run


def analyze_streamed(inputs: list[str], input_format: str | None, pack: Pack, chunk_bytes: int | None = None,
                     mapper: Mapper | None = None, identity: bool = True,
                     read_whole: list[tuple[str, str]] | None = None) -> Any:
    """Findings of line-oriented exports (logcli JSONL, NDJSON, text lines; plain, gzip or
    zstd; one or several), map → reduce; None when an input is of another kind, the inputs
    are small and streaming is not forced, or a piece needs the whole read. Without
    `identity` the export's content is not hashed (its findings name no identity)."""
    if mapper is not None and any(path == "-" or is_stream(path) for path in inputs):
        return None  # a worker elsewhere cannot read this process's standard input
    files = streamed_files(inputs, input_format)
    if files is None or (mapper is not None and any(spooled(path) for path, _ in files)):
        return None  # (zip members are copied to this machine's temporary files)
    if mapper is None and chunk_bytes is None and sum(kind.expected for _, kind in files) < STREAM_BYTES:
        return None
    started = time.perf_counter()
    parts = plan_parts(files, chunk_bytes or CHUNK_BYTES, 1 if chunk_bytes else MAP_WORKERS, hashed=identity)
    # (Counted in the plan's equal ranges: the pieces its last round is cut into count as one.)
    if sum(not p.extra for p in parts) > LEAN_AFTER_RANGES:  # before the map's threads start: they would each make arenas
        lean_allocators()
    states: list[ChunkState] = []
    sizes = {p.index: (p.end - p.start) if p.compression is None else os.path.getsize(at(p.path)) for p in parts}
    total, done = sum(sizes.values()), 0
    report("reading and decoding", 0, total)
    # The caller's caps, bound to every task (a Dask worker's environment is not the CLI's).
    task = partial(map_part, limits=current(), digests=len(files) > 1)
    with Spool() as spool:
        for result in (mapper or map_local)(task, parts, pack):
            if not all(state.readable for state in result):
                if read_whole is not None:  # (file, why) for the caller to warn of
                    read_whole += [(parts[s.index].path, s.why) for s in result if s.why]
                return None
            for state in result:
                _spill(state, spool)
            states += result
            done += sizes[result[0].index] if result else 0
            report("reading and decoding", min(total, done), total)
        report("finding incidents")
        give_back()  # what the map threads' allocators kept: the reduce would start above it
        return reduce_chunks(states, [(path, kind.format) for path, kind in files], pack,
                             time.perf_counter() - started)
