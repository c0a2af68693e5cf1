"""Memory of `rca analyze` as exports grow: peak RSS and time for 1M and 10M-line logcli JSONL.

    python bench/memory.py [--lines 1000000,10000000] [--keep DIR] [--kind KIND] [--whole]

The export is written as a stream (never held in memory): hours of simulated JWT Pizza
traffic, newest first, every request line distinct (a trace id and a fresh session token
in each), with a factory chaos window (its own fix code) in a few of the hours. Each
analysis runs in a fresh process, so its peak RSS is its own. The parse floor is Arrow's
streaming JSON reader over the same file in the same minute (bounded memory, like rca's
streamed path). "map MB" is the peak before the reduce began: the map's own; when the
whole peak is higher, it was in the reduce. Target: 10M lines (3.7 GB) in <= 2 GB peak,
time growing linearly.
`--kind` writes the same traffic gzip-compressed, or as pino-style NDJSON (the JWT Pizza
logger's objects with time, level and labels: `fixtures.generate.ndjson`'s shape), plain
or gzip-compressed; the floor then parses the same (decompressed) stream. `logcli-text`,
`grafana-txt` and `grafana-csv` write the same records as logcli's default output, Grafana's
TXT download (a header, no per-row labels) and its CSV download (label columns); their floor
is reading the file's lines (TXT, logcli text) or Arrow's streaming CSV reader (CSV).
`--whole` also analyses the export read whole, as before these inputs streamed. `--as-idle`
tells rca's runs the load is 0, so that on a shared machine they map two ranges at a time as
an idle one does (the peak then is an idle machine's; the times are still the shared one's).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import measure  # noqa: E402
from fixtures import generate  # noqa: E402

CHILD = r"""
import json, os, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
if "--as-idle" in sys.argv:
    os.getloadavg = lambda: (0.0, 0.0, 0.0)
t0 = time.perf_counter()
if kind == "baseline" and path.endswith(".csv"):
    import pyarrow.csv as pc
    rows, incidents, map_mb = 0, None, None
    for batch in pc.open_csv(path, read_options=pc.ReadOptions(block_size=1 << 24),
                             parse_options=pc.ParseOptions(newlines_in_values=True)):
        rows += batch.num_rows
elif kind == "baseline" and path.endswith(".txt"):
    rows, incidents, map_mb = 0, None, None
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            rows += block.count(b"\n")
    rows -= 5 if path.endswith(".grafana.txt") else 0  # the header and the blank lines after it
elif kind == "baseline":
    import pyarrow as pa
    import pyarrow.json as pj
    rows, incidents = 0, None
    stream = pa.input_stream(path, compression="gzip" if path.endswith(".gz") else None)
    fields = [("timestamp", pa.string())] if ".jsonl" in path else [("time", pa.int64())]
    options = pj.ParseOptions(explicit_schema=pa.schema(fields), unexpected_field_behavior="ignore")
    for batch in pj.open_json(stream, read_options=pj.ReadOptions(block_size=1 << 24), parse_options=options):
        rows += batch.num_rows
    map_mb = None
elif kind == "whole":  # the inputs read whole, as before they streamed
    from rca.findings.pipeline import analyze
    from rca.inputs.exports import ingest
    f = analyze(ingest([path]))
    rows, incidents, map_mb = f.ingested.records, len(f.incidents), None
else:
    import rca.findings.stream as stream
    from rca.findings.pipeline import analyze
    reduce, marks = stream.reduce_chunks, []
    def measured(*args, **kwargs):  # the peak so far is the map's: the reduce starts here
        marks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return reduce(*args, **kwargs)
    stream.reduce_chunks = measured
    f = analyze([path])
    rows, incidents, map_mb = f.ingested.records, len(f.incidents), (marks or [None])[0]
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"rows": rows, "incidents": incidents, "seconds": time.perf_counter() - t0,
                  "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024, "map_mb": map_mb}))
"""

HOUR_NS = 3600 * generate.S
CHAOS_EVERY = 400  # hours between chaos windows: a handful of incidents in a long export


def _hours() -> tuple[list[generate.Event], list[generate.Event]]:
    calm = generate.simulate(minutes=60, seed=3)
    chaotic = generate.simulate(minutes=60, seed=5, chaos=[generate.Chaos("fail", 1200, 1440)])
    return calm, chaotic


REPEATED = ('\\"traceId\\":\\"0000000000000000\\",\\"session\\":\\"eyJhbGciOiJIUzI1NiJ9.' + "0" * 40 + "." + "0" * 32
            + '\\",')


def _rendered(events: list[generate.Event]) -> list[tuple[int, str, str]]:
    """Each event newest first as (time, JSON before the line's body, the body's rest):
    JSON escaping done once, so only the variable parts are written per record."""
    out = []
    for e in sorted(events, key=lambda e: e.ts_ns, reverse=True):
        labels = json.dumps(e.labels, separators=(",", ":"), sort_keys=True)
        body = json.dumps(e.line)[1:-1]
        if e.line.startswith("{"):
            out.append((e.ts_ns, f'{{"labels":{labels},"line":"{{', body[1:]))
        else:
            out.append((e.ts_ns, f'{{"labels":{labels},"line":"', body))
    return out


def write_export(path: Path, lines: int, seed: int = 1, distinct: float = 1.0) -> int:
    """Write `lines` records newest first (the last hour cut short); returns the bytes.
    Request lines get a trace id and a session token: a fresh one for a `distinct` share
    of them (1.0: no two alike), a repeated one of the same length for the rest."""
    import numpy as np

    calm, chaotic = (_rendered(events) for events in _hours())
    rng = random.Random(seed)
    blocks: list[list[tuple[int, str, str]]] = []
    total = 0
    while total < lines:
        hour = len(blocks)
        events = chaotic if hour % CHAOS_EVERY == CHAOS_EVERY // 2 else calm
        blocks.append(events[len(events) - min(len(events), lines - total):])  # the hour's oldest part
        total += len(blocks[-1])
    with open(path, "w", encoding="utf-8") as out:
        for hour in range(len(blocks) - 1, -1, -1):
            code = f"k3q9{hour:04d}"
            stamps = np.array([t + hour * HOUR_NS for t, _, _ in blocks[hour]], dtype="datetime64[ns]")
            texts = np.datetime_as_string(stamps, unit="ms")
            for (_, head, body), stamp in zip(blocks[hour], texts, strict=True):
                if head.endswith("{") and (distinct >= 1 or rng.random() < distinct):
                    variable = (f'\\"traceId\\":\\"{rng.getrandbits(64):016x}\\",\\"session\\":\\"eyJhbGciOiJIUzI1NiJ9.'
                                f'{rng.getrandbits(160):040x}.{rng.getrandbits(128):032x}\\",')
                    head = head + variable
                elif head.endswith("{"):
                    head = head + REPEATED
                out.write(f'{head}{body.replace("k3q9z7mf", code)}","timestamp":"{stamp}Z"}}\n')
    return path.stat().st_size


def as_kind(path: Path, kind: str) -> Path:
    """The logcli export at `path` rewritten as `kind` (the original removed)."""
    import gzip
    import shutil

    if kind == "logcli":
        return path
    if kind in TEXT_KINDS:
        return _as_text(path, kind)
    target = path
    if kind.startswith("ndjson"):
        target = path.with_suffix(".ndjson")
        levels = {"info": 30, "warn": 40, "error": 50}
        with open(path, encoding="utf-8") as src, open(target, "w", encoding="utf-8") as out:
            for raw in src:
                record = json.loads(raw)
                labels, line = record["labels"], record["line"]
                body = json.loads(line)
                obj = {"level": levels[labels["level"]], "time": _ms(record["timestamp"]), "name": generate.SERVICE,
                       "type": labels["type"], "msg": body if isinstance(body, str) else labels["type"]}
                if isinstance(body, dict):
                    obj.update(body)
                out.write(json.dumps(obj, separators=(",", ":")) + "\n")
        path.unlink()
    if kind.endswith("-gz"):
        packed = target.with_name(target.name + ".gz")
        with open(target, "rb") as src, gzip.open(packed, "wb", compresslevel=6) as out:
            shutil.copyfileobj(src, out, 1 << 22)
        target.unlink()
        target = packed
    return target


TEXT_KINDS = ("logcli-text", "grafana-txt", "grafana-csv")


def _as_text(path: Path, kind: str) -> Path:
    """The logcli export rewritten as logcli's default text output, or Grafana's TXT or CSV
    download (newest first, as they are written), a record at a time."""
    import csv

    target = path.with_suffix({"logcli-text": ".logcli.txt", "grafana-txt": ".grafana.txt",
                               "grafana-csv": ".grafana.csv"}[kind])
    with open(path, encoding="utf-8") as src:  # the CSV's label columns: every key of any record
        keys = sorted({k for raw in src for k in json.loads(raw)["labels"]})
    with open(path, encoding="utf-8") as src, open(target, "w", encoding="utf-8", newline="") as out:
        if kind == "grafana-txt":
            out.write('Common labels: {"service_name":"jwt-pizza-service"}\nLine limit: "5000000 (all returned)"\n'
                      'Total bytes processed: "1.2 GB"\n\n\n')
        writer = csv.writer(out, lineterminator="\r\n")
        if kind == "grafana-csv":
            out.write(",".join(f'"{h}"' for h in ("Date", "Time", "Line", "tsNs", "id", *keys)) + "\r\n")
        for number, raw in enumerate(src):
            record = json.loads(raw)
            stamp, line, labels = record["timestamp"], record["line"], record["labels"]
            if kind == "logcli-text":
                pairs = ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(labels.items()))
                out.write(f"{stamp} {{{pairs}}} {line.strip()}\n")
                continue
            ms = _ms(stamp)
            if kind == "grafana-txt":
                out.write(f"{ms}\t{stamp}\t{line}\n")
            else:
                writer.writerow([stamp, ms, line, ms * 1_000_000, f"{ms * 1_000_000}_{number:08x}",
                                 *(labels.get(k, "") for k in keys)])
    path.unlink()
    return target


def _ms(stamp: str) -> int:
    import numpy as np

    return int(np.datetime64(stamp.rstrip("Z"), "ms").astype(np.int64))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", default="1000000,10000000")
    parser.add_argument("--keep", help="write the exports into this folder and keep them")
    parser.add_argument("--kind", default="logcli", choices=["logcli", "logcli-gz", "ndjson", "ndjson-gz", *TEXT_KINDS],
                        help="the export's format and compression")
    parser.add_argument("--whole", action="store_true", help="also analyse the export read whole (not streamed)")
    parser.add_argument("--distinct", type=float, default=1.0,
                        help="share of request lines made unique (1.0: all; lower runs faster)")
    parser.add_argument("--as-idle", action="store_true", help="rca maps two ranges at a time whatever the load")
    args = parser.parse_args()
    extra = ("--as-idle",) if args.as_idle else ()
    sizes = [int(n) for n in args.lines.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"distinct request lines: {args.distinct:.0%}; export: {args.kind}")
        print(f"{'lines':>11}{'file MB':>9}{'floor s':>9}{'floor MB':>9}{'rca s':>8}{'rca MB':>8}"
              f"{'map MB':>8}{'lines/s':>10}{'ratio':>7}{'incidents':>10}{'floor cpu':>10}{'rca cpu':>9}")
        for n in sizes:
            path = folder / f"export-{n}-{args.distinct:g}.jsonl"
            if not (args.keep and path.exists()) or args.kind != "logcli":
                write_export(path, n, distinct=args.distinct)
            path = as_kind(path, args.kind)
            size = path.stat().st_size
            base = measure("baseline", path, 1, CHILD)
            got = measure("rca", path, 1, CHILD, args=extra)
            assert got["rows"] == n == base["rows"], (got, base)
            print(f"{n:>11,}{size / 1e6:>9.0f}{base['seconds']:>9.1f}{base['peak_mb']:>9.0f}"
                  f"{got['seconds']:>8.1f}{got['peak_mb']:>8.0f}{got['map_mb'] or 0:>8.0f}{n / got['seconds']:>10,.0f}"
                  f"{got['seconds'] / base['seconds']:>7.1f}{got['incidents']:>10}{base['cpu']:>10.1f}"
                  f"{got['cpu']:>9.1f}", flush=True)
            if args.whole:
                whole = measure("whole", path, 1, CHILD, args=extra)
                assert (whole["rows"], whole["incidents"]) == (n, got["incidents"]), (whole, got)
                print(f"{'read whole:':>38}{whole['seconds']:>8.1f}{whole['peak_mb']:>8.0f}{'':>8}"
                      f"{n / whole['seconds']:>10,.0f}{whole['seconds'] / base['seconds']:>7.1f}"
                      f"{'':>20}{whole['cpu']:>9.1f}", flush=True)
            if not args.keep:
                path.unlink()


if __name__ == "__main__":
    main()
