"""The incident history: a Parquet dataset any rca run can append to and query, no server.

One file per analysed export, named by the export's content identity: appends are a
temporary file renamed into place (atomic, safe with several writers), a crash loses only
the outage being written, and re-analysing the same export rewrites the same file instead
of adding a duplicate. An incident is stored once whatever grouping of files found it (a
file, then the folder holding it): writing it drops its older row from the other files,
under a lock so that concurrent writers take turns. Recurrence joins incidents by stable signature ids and by template
similarity (scikit-learn's TF-IDF cosine, with word weights learnt from the whole history, so
words every incident shares count little), so small wording changes still match.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from rca.errors import RcaError, UsageError
from rca.lazy import logger

if TYPE_CHECKING:
    from rca.knowledge.pack import Pack

SCHEMA = pa.schema([
    ("identity", pa.string()), ("outage", pa.string()), ("source", pa.string()),
    ("incident_id", pa.string()), ("start_ns", pa.int64()), ("end_ns", pa.int64()),
    ("recovery_ns", pa.int64()), ("duration_s", pa.float64()), ("component", pa.string()),
    ("kind", pa.string()), ("summary", pa.string()), ("confidence", pa.float64()),
    ("affected_requests", pa.int64()), ("remediation", pa.string()),
    ("signature_ids", pa.list_(pa.string())), ("templates", pa.list_(pa.string())),
    ("recorded_at_ns", pa.int64()),
    # Whether `remediation` carries a fix code, as the pack the export was analysed with finds
    # them (null in a file an older rca wrote: the built-in pack's answer then).
    ("fix_code", pa.bool_()),
])


# Columns every history file rca wrote has; a Parquet file without them is someone else's.
_CORE = {"identity", "incident_id", "start_ns", "end_ns", "component", "kind"}
_KEY = ("start_ns", "end_ns", "incident_id", "signature_ids", "component", "kind", "remediation", "fix_code")
_MS = 1_000_000


def default_store() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "rca" / "history"


def _check_folder(store: Path) -> None:
    if store.exists() and not store.is_dir():
        raise RcaError(f"{store}: the history store must be a folder, and this is a file (choose another --store)")


def record(store: Path, identity: str, rows: list[dict[str, Any]]) -> Path:
    """Write one export's incidents as `<identity>.parquet`, atomically, and drop the same
    incidents from every other file (written first, dropped after: a crash between the two
    leaves a duplicate, which `load` merges, never a loss)."""
    _check_folder(store)
    table = pa.Table.from_pylist(rows, schema=SCHEMA) if rows else SCHEMA.empty_table()
    target = store / f"{identity}.parquet"
    try:
        store.mkdir(parents=True, exist_ok=True)
        with _writers_take_turns(store):
            held = _held_elsewhere(store, target) if table.num_rows else []  # nothing to compare or drop
            table = _less_what_others_saw_more_of(table, held)
            _write(table, target)
            _drop_elsewhere(held, set(_keys(table)))
    except OSError as exc:  # a folder inside a file, a read-only disk, no room
        raise UsageError(f"{store}: cannot write the history store ({exc.strerror or exc}); "
                         "choose another --store") from None
    return target


def _write(table: pa.Table, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".parquet.tmp", dir=str(target.parent))
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextmanager
def _writers_take_turns(store: Path) -> Iterator[None]:
    """An exclusive lock on the store folder itself (where flock exists; no lock file left
    behind): two runs recording the same incident cannot both miss the other's row."""
    try:
        import fcntl
    except ImportError:  # no flock here: duplicates a race leaves are still merged on read
        yield
        return
    fd = os.open(store, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def incident_key(row: dict[str, Any]) -> tuple:
    """An incident's identity, not the export file's: one whose remediation link carries a
    fix code is that link (the factory gives each chaos its own fix code, and masking keeps
    it: an export taken mid-outage and the full one after it are one outage, their windows
    differing); otherwise a timed incident is its window (to the millisecond every export
    keeps) and cause, whatever signature ids the export's shape gave it; an untimed one its
    id and signatures. A link without a fix code (a constant support page) names no outage."""
    link, fix_code = row.get("remediation"), row.get("fix_code")
    if link and (fix_code if fix_code is not None else has_fix_code(link)):
        return "link", link
    if row["start_ns"] is not None and row["end_ns"] is not None:
        return row["start_ns"] // _MS, row["end_ns"] // _MS, row["component"], row["kind"]
    return None, None, row["incident_id"], tuple(row["signature_ids"] or [])


def has_fix_code(link: str, pack: Pack | None = None) -> bool:
    """Whether the link is a remediation link with a fix code, as the knowledge pack (the
    built-in one unless given) finds them (a masked fix code is none; so is `/report/weekly`
    on a status page)."""
    from rca.knowledge.pack import default_pack

    pack = pack or default_pack()
    return bool(pack.remediation_url.search(link)) and any(p.search(link) for p in pack.link_identity)


def _keys(table: pa.Table) -> list[tuple]:
    return [incident_key(r) for r in table.select(list(_KEY)).to_pylist()]


def _fullness(row: dict[str, Any]) -> tuple:
    """How much of an incident a row saw: its affected requests, then its window's length
    (an export taken mid-outage saw less of it than the full one)."""
    start, end = row["start_ns"], row["end_ns"]
    return row["affected_requests"] or 0, (end - start) if start is not None and end is not None else 0


def _others(store: Path, own: Path) -> list[Path]:
    return [p for p in sorted(store.glob("*.parquet")) if p != own and not p.name.startswith(".")]


@dataclass
class _Held:
    """Another history file of the store: its rows' incident keys, and how much of each
    incident they saw."""

    path: Path
    keys: list[tuple]
    fullness: list[tuple]


def _held_elsewhere(store: Path, own: Path) -> list[_Held]:
    """The store's other history files, each read once for what recording compares and
    drops (a foreign file is neither: `load` never shows it)."""
    held = []
    for p in _others(store, own):
        try:
            if _CORE - set(pq.read_schema(p).names):
                continue  # someone else's file: never compared, never rewritten
            rows = pq.read_table(p, schema=SCHEMA, columns=[*_KEY, "affected_requests"]).to_pylist()
        except (OSError, ValueError, pa.ArrowException):
            continue  # load() names a broken file; recording must not fail on it
        held.append(_Held(p, [incident_key(r) for r in rows], [_fullness(r) for r in rows]))
    return held


def _less_what_others_saw_more_of(table: pa.Table, held: list[_Held]) -> pa.Table:
    """The rows to record, less the incidents another file saw more of: the full export of
    an outage stays the record of it when an export taken mid-way is analysed after it."""
    if not table.num_rows:
        return table
    keys = _keys(table)
    mine = {key: _fullness(row) for key, row in
            zip(keys, table.select([*_KEY, "affected_requests"]).to_pylist(), strict=True)}
    fuller = {key for h in held for key, seen in zip(h.keys, h.fullness, strict=True)
              if key in mine and seen > mine[key]}
    if not fuller:
        return table
    return table.take(pa.array([i for i, key in enumerate(keys) if key not in fuller], pa.int64()))


def _drop_elsewhere(held: list[_Held], keys: set[tuple]) -> None:
    for h in held:
        keep = [i for i, key in enumerate(h.keys) if key not in keys]
        if len(keep) < len(h.keys):
            try:
                _write(pq.read_table(h.path).take(pa.array(keep, pa.int64())), h.path)  # every column it holds
            except (OSError, ValueError, pa.ArrowException):
                continue  # load() names a broken file; recording must not fail on it


def load(store: Path) -> pa.Table:
    """Every recorded incident, oldest first (unfinished temporary files are ignored; a
    corrupt or foreign Parquet file is skipped with a warning naming it)."""
    _check_folder(store)
    if not store.exists():
        return SCHEMA.empty_table()
    files = sorted(p for p in store.glob("*.parquet") if not p.name.startswith("."))
    tables = []
    for p in files:
        try:
            missing = _CORE - set(pq.read_schema(p).names)
            if missing:
                raise ValueError(f"no {', '.join(sorted(missing))} column")
            tables.append(pq.read_table(p, schema=SCHEMA))
        except (OSError, ValueError, pa.ArrowException) as exc:
            logger.warning("{}: skipped, not an rca history file ({})", p, str(exc).splitlines()[0][:160])
    if not tables:
        return SCHEMA.empty_table()
    table = _one_per_incident(pa.concat_tables(tables))
    return table.sort_by([("start_ns", "ascending"), ("incident_id", "ascending")]) if table.num_rows else table


def _one_per_incident(table: pa.Table) -> pa.Table:
    """One row per incident identity, the one that saw most of it, then the latest: `record`
    stores each incident once, but a store written by an older rca, or a writer killed
    between its two steps, may hold two."""
    if table.num_rows < 2:
        return table
    keys = _keys(table)
    rows = table.select([*_KEY, "affected_requests", "recorded_at_ns"]).to_pylist()
    rank = [(_fullness(r), r["recorded_at_ns"] or 0) for r in rows]
    latest: dict[tuple, int] = {}
    for i, key in enumerate(keys):
        if key not in latest or rank[i] >= rank[latest[key]]:
            latest[key] = i
    if len(latest) == table.num_rows:
        return table
    return table.take(pa.array(sorted(latest.values()), pa.int64()))


@dataclass
class Recurrence:
    component: str
    kind: str
    summary: str
    incidents: list[dict[str, Any]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.incidents)

    @property
    def first_ns(self) -> int | None:
        return min(_starts(self.incidents), default=None)

    @property
    def last_ns(self) -> int | None:
        return max(_starts(self.incidents), default=None)

    @property
    def mttr_s(self) -> float:
        """Mean time to recovery: start to first clean success (or to the last failure), over
        the incidents whose times the export held."""
        spans = [((i["recovery_ns"] or i["end_ns"]) - i["start_ns"]) / 1e9 for i in self.incidents
                 if i["start_ns"] is not None]
        return float(np.mean(spans)) if spans else 0.0


def _starts(incidents: list[dict[str, Any]]) -> list[int]:
    """Known start times: an incident from an export without times has none (null)."""
    return [i["start_ns"] for i in incidents if i["start_ns"] is not None]


def _in_time(incident: dict[str, Any]) -> tuple:
    """Sort key: by start, untimed incidents last."""
    return (incident["start_ns"] is None, incident["start_ns"] or 0, incident["incident_id"])


def _template_similarity(incidents: list[dict[str, Any]]) -> np.ndarray:
    """Cosine similarity of every pair of incidents' templates, TF-IDF weighted over all of
    them. scikit-learn is loaded here only: history work compares many incidents at once."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    docs = [" ".join(i["templates"] or []) for i in incidents]
    try:
        vectors = TfidfVectorizer(token_pattern=r"[A-Za-z][A-Za-z0-9_]+").fit_transform(docs)
    except ValueError:  # no incident has a word to compare
        return np.zeros((len(docs), len(docs)))
    return cosine_similarity(vectors)


def recurrences(incidents: list[dict[str, Any]], threshold: float = 0.5) -> list[Recurrence]:
    """Group incidents that share a root cause: same component and kind, and either a
    shared signature id or similar templates."""
    ordered = sorted(incidents, key=_in_time)
    similarity = _template_similarity(ordered) if len(ordered) > 1 else np.ones((1, 1))
    groups: list[Recurrence] = []
    members: list[list[int]] = []
    for n, inc in enumerate(ordered):
        home = next((g for g, group in enumerate(groups)
                     if (group.component, group.kind) == (inc["component"], inc["kind"])
                     and any(set(ordered[m]["signature_ids"] or []) & set(inc["signature_ids"] or [])
                             or similarity[m, n] >= threshold for m in members[g])), None)
        if home is None:
            groups.append(Recurrence(inc["component"], inc["kind"], inc["summary"]))
            members.append([])
            home = len(groups) - 1
        groups[home].incidents.append(inc)
        members[home].append(n)
    groups.sort(key=lambda g: (-g.count, g.first_ns is None, g.first_ns or 0))
    return groups


def earlier_with_same_cause(history: list[dict[str, Any]], incident: dict[str, Any]) -> list[dict[str, Any]]:
    """Incidents in the history, before this one, that share its root cause (not this very
    outage seen in another export: one cut short at its start begins later than the full one)."""
    if incident["start_ns"] is None:  # no time: "before" cannot be told
        return []
    own = incident_key(incident)
    others = [h for h in history if h["incident_id"] != incident["incident_id"] and h["start_ns"] is not None
              and h["start_ns"] < incident["start_ns"] and incident_key(h) != own]
    for group in recurrences([*others, incident]):
        if any(i is incident for i in group.incidents):
            return [i for i in group.incidents if i is not incident]
    return []
