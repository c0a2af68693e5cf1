"""Batch review of past outages: analyse many exports, one outage each, on one machine or
on a Dask cluster, and record what was found in the history.

`analyze_outage` is a pure function of its inputs (a unit of work in, a small dict out), so
every engine — one process, a local process pool, Dask — gives the same results.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from rca.errors import RcaError, UsageError
from rca.inputs.timestamps import NO_TIME
from rca.table.redact import redact


@dataclass
class Unit:
    """One outage: files to ingest, or a slice of an already ingested table."""

    name: str
    paths: list[str] = field(default_factory=list)
    table: pa.Table | None = None
    input_format: str | None = None
    limits: Any = None   # rca.inputs.limits.Limits the caller set; a worker elsewhere applies these


def units_from_paths(paths: list[str]) -> list[Unit]:
    """Each file is an outage; the part files of a folder are one outage (whatever else is
    beside them); a folder of exports is one outage per file, and so is a zip archive."""
    units = _units(paths)
    if not units:
        raise UsageError("no exports found in " + ", ".join(paths))
    return units


def _units(paths: list[str]) -> list[Unit]:
    units: list[Unit] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            try:
                entries = list(path.iterdir())
            except PermissionError:
                raise UsageError(f"{p}: permission denied (a folder rca cannot list)") from None
            files = sorted(f for f in entries if f.is_file() and not f.name.startswith("."))
            subdirs = sorted(d for d in entries if d.is_dir() and not d.name.startswith("."))
            parts = [f for f in files if ".part" in f.name]  # logcli's --part-path-prefix pieces
            if parts:
                units.append(Unit(path.name, [str(f) for f in parts]))
            units += [Unit(f.name, [str(f)]) for f in files if ".part" not in f.name]
            units += _units([str(d) for d in subdirs])
        elif path.exists():
            members = _zip_members(path)
            units += [Unit(path.name, [str(path)])] if members is None else _member_units(path, members)
        else:
            raise UsageError(f"{p}: no such file or folder")
    return units


def _zip_members(path: Path) -> list[str] | None:
    """A zip archive's files (as inputs read them), or None for a file that is not one."""
    import zipfile

    from rca.inputs.exports import member_names
    from rca.inputs.sniff import is_zip

    if not is_zip(str(path)):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            return member_names(archive)
    except (OSError, zipfile.BadZipFile):
        return None  # left to the analysis, which says what is wrong with it


def _member_units(path: Path, members: list[str]) -> list[Unit]:
    """A zip archive's outages as its folders' would be: each file one, named by its path in
    the archive, and the part files of one folder together, named by the folder."""
    units: list[Unit] = []
    folders: dict[str, list[str]] = {}
    for member in members:
        folders.setdefault(member.rpartition("/")[0], []).append(member)
    for folder, names in folders.items():
        parts = [n for n in names if ".part" in n.rpartition("/")[2]]
        if parts:
            units.append(Unit(folder or path.name, [f"{path}:{n}" for n in parts]))
        units += [Unit(n, [f"{path}:{n}"]) for n in names if n not in parts]
    return units


def units_by_gap(paths: list[str], gap_s: float, input_format: str | None = None) -> list[Unit]:
    """Split one long export into outages separated by quiet gaps longer than `gap_s`."""
    from rca.inputs.exports import ingest

    table = ingest(paths, input_format=input_format).table
    ts = table.column("ts_ns").combine_chunks().fill_null(0).to_numpy()
    if ts.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(ts) > gap_s * 1e9) + 1
    bounds = [0, *cuts.tolist(), ts.size]
    stem = Path(paths[0]).name
    return [Unit(f"{stem}#{i + 1}", paths=list(paths), table=table.slice(a, b - a))
            for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))]


def content_identity(table: pa.Table, lines: pa.ChunkedArray | None = None) -> str:
    """Identity of an export from its records (times and lines), not its name or format;
    `lines` when the table does not hold its raw lines."""
    digest = hashlib.sha256()
    digest.update(table.column("ts_ns").combine_chunks().fill_null(0).to_numpy().tobytes())
    lines = (table.column("line") if lines is None else lines).combine_chunks()
    buffers = lines.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[lines.offset:lines.offset + len(lines) + 1] \
        if len(lines) else np.zeros(0, dtype=np.int64)
    data = buffers[2]
    if data is not None and len(offsets):
        digest.update(memoryview(data)[offsets[0]:offsets[-1]])
        digest.update((offsets - offsets[0]).tobytes())
    return digest.hexdigest()[:32]


def analyze_outage(unit: Unit) -> dict[str, Any]:
    """Analyse one outage. Never raises: an unusable export comes back with `error`."""
    from rca.findings.pipeline import analyze
    from rca.inputs import limits as input_limits
    from rca.inputs.exports import Ingested, InputSummary

    started = time.perf_counter()
    try:
        with input_limits.using(unit.limits or input_limits.current()):
            if unit.table is not None:
                summary = InputSummary(path=unit.name, format="slice", records=unit.table.num_rows)
                findings = analyze(Ingested(unit.table, [summary]))
            else:
                findings = analyze(unit.paths, input_format=unit.input_format)
    except RcaError as exc:
        _release(unit)
        # The message may quote the file's first line, tokens and all.
        return {"outage": redact(unit.name), "sources": unit.paths, "error": redact(str(exc)), "incidents": [], "lines": 0,
                "identity": None, "seconds": time.perf_counter() - started}
    try:
        identity = findings.ingested.identity or content_identity(findings.ingested.table,
                                                                  findings.ingested.all_lines())
        incidents = incident_rows(findings, identity, unit.name, unit.paths)
    finally:
        _release(unit)
    return {"outage": redact(unit.name), "sources": unit.paths, "identity": identity, "incidents": incidents,
            "lines": findings.ingested.records, "error": None, "seconds": time.perf_counter() - started}


def _release(unit: Unit) -> None:
    """The copies of the unit's zip members, no longer needed once it is analysed."""
    from rca.inputs.spool import release

    for path in unit.paths:
        release(path)


def incident_rows(findings: Any, identity: str, outage: str, sources: list[str]) -> list[dict[str, Any]]:
    """History rows (rca.history.store.SCHEMA) for each incident of a findings object, redacted."""
    from rca.findings.redacted import redacted
    from rca.history.store import has_fix_code

    findings = redacted(findings)
    outage, sources = redact(outage), [redact(s) for s in sources]
    templates = {c.id: c.template for c in findings.clusters}
    rows = []
    for found in findings.incidents:
        inc, top = found.incident, (found.causes[0] if found.causes else None)
        sig_ids = sorted({cid for c in found.causes for cid in c.clusters})
        own = _sources_of(findings, inc.rows) if len(sources) > 1 else []
        rows.append({
            "identity": identity, "outage": ", ".join(Path(s).name for s in own) if own else outage,
            "source": ", ".join(own or sources),
            "incident_id": found.id, **_window(inc),
            "component": top.component if top else "unknown", "kind": top.kind if top else "unknown",
            "summary": top.summary if top else "", "confidence": top.confidence if top else 0.0,
            "affected_requests": inc.affected_requests,
            "remediation": top.urls[0] if top and top.urls else None,
            "fix_code": bool(top and top.urls and has_fix_code(top.urls[0], findings.pack)),
            "signature_ids": sig_ids, "templates": [templates[s] for s in sig_ids if s in templates],
            "recorded_at_ns": 0,
        })
    return rows


def _window(inc) -> dict[str, Any]:
    """The incident's times for the history; null when the export had none, never epoch 0."""
    if inc.start_ns == NO_TIME:
        return {"start_ns": None, "end_ns": None, "recovery_ns": None, "duration_s": None}
    return {"start_ns": inc.start_ns, "end_ns": inc.end_ns, "recovery_ns": inc.recovery_ns,
            "duration_s": round((inc.end_ns - inc.start_ns) / 1e9, 3)}


def _sources_of(findings: Any, rows: Any) -> list[str]:
    """The input files an incident's records came from (a merged analysis reads several)."""
    table = findings.ingested.table
    if rows is None or not len(rows) or "source" not in table.column_names:
        return []
    taken = table.column("source").take(pa.array(np.asarray(rows, dtype=np.int64)))
    return sorted(set(taken.to_pylist()) - {None})


def remember(findings: Any, sources: list[str], store: Path) -> None:
    """Record an analysed export in the store, and tell each incident which earlier incidents
    in the history had the same root cause (the report's Prevention section)."""
    from rca.history import store as history

    identity = findings.ingested.identity or content_identity(findings.ingested.table, findings.ingested.all_lines())
    rows = incident_rows(findings, identity, Path(sources[0]).name, sources)
    past = [h for h in history.load(store).to_pylist() if h["identity"] != identity]
    findings.history = {row["incident_id"]: history.earlier_with_same_cause(past, row) for row in rows}
    history.record(store, identity, [{**r, "recorded_at_ns": time.time_ns()} for r in rows])


def run_serial(units: list[Unit]) -> Iterator[dict[str, Any]]:
    for unit in units:
        yield analyze_outage(unit)


def run_local(units: list[Unit], workers: int | None = None) -> Iterator[dict[str, Any]]:
    """A process pool over the machine's cores; results as they complete."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    workers = workers or os.cpu_count() or 2
    if len(units) == 1 or workers == 1:
        yield from run_serial(units)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(analyze_outage, u) for u in units]
        for future in as_completed(futures):
            yield future.result()


def die_with_parent(parent: int) -> None:
    """Make a pool worker exit when the batch process dies, even by kill -9 (Linux
    PR_SET_PDEATHSIG); elsewhere a no-op."""
    import signal

    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def run_dask(units: list[Unit], scheduler: str | None = None, workers: int | None = None) -> Iterator[dict[str, Any]]:
    """Dask distributed: an existing scheduler, or a local cluster started for this run."""
    from rca.findings.stream import dask_client

    with dask_client(scheduler, workers) as client:
        from dask.distributed import as_completed

        futures = client.map(analyze_outage, units, pure=False)
        for future in as_completed(futures):
            yield future.result()


ENGINES: dict[str, Callable[..., Iterable[dict[str, Any]]]] = {
    "serial": run_serial, "local": run_local, "dask": run_dask}


def run(units: list[Unit], engine: str = "local", scheduler: str | None = None,
        store: Path | None = None, on_result: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Analyse every unit; record each finished outage in the store as it arrives."""
    from rca.history import store as history

    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}: use local, serial or dask")
    from rca.inputs.limits import current

    runner = ENGINES[engine]
    caps = current()
    units = [replace(u, limits=u.limits or caps) for u in units]
    results = []
    iterator = runner(units, scheduler) if engine == "dask" else runner(units)
    for result in iterator:
        if store is not None and result["identity"]:
            now = time.time_ns()
            history.record(store, result["identity"], [{**r, "recorded_at_ns": now} for r in result["incidents"]])
        results.append(result)
        if on_result:
            on_result(result)
    results.sort(key=lambda r: r["outage"])
    return results
