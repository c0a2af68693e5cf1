"""Ingest speed: rca's readers against pyarrow.json.read_json on the same file.

    python bench/ingest.py [--lines 1000000] [--formats logcli-jsonl,loki-query] [--repeat 2]

Generates N-line exports of the big formats from the fixture simulator, then times, each
in a fresh process (so peak memory is that run's own), `pyarrow.json.read_json` on the
logcli JSONL file (the baseline) and `rca.inputs.exports` on every format. Prints lines/s, peak
RSS and the ratio of rca's time to the baseline's. Target: logcli JSONL under 1.5x.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures import generate  # noqa: E402

# Modules are imported before the clock starts: a fixed start-up cost is not ingest speed.
CHILD = r"""
import json, resource, sys, time
import pyarrow.json as pj
from rca import ingest
kind, path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
if kind == "baseline":
    rows = pj.read_json(path).num_rows
else:
    rows = ingest([path]).records
elapsed = time.perf_counter() - t0
print(json.dumps({"rows": rows, "seconds": elapsed,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_events(lines: int) -> list[generate.Event]:
    """Repeat an hour of simulated traffic (one chaos window each hour, each with its own fix
    code), shifted in time, until there are `lines` events."""
    hour = generate.simulate(minutes=60, chaos=[generate.Chaos("fail", 1200, 1440)])
    span = 3600 * generate.S
    out: list[generate.Event] = []
    shift = 0
    repeat = 0
    while len(out) < lines:
        code = f"k3q9{repeat:04d}"
        out += [replace(e, ts_ns=e.ts_ns + shift, line=e.line.replace("k3q9z7mf", code))
                for e in hour[: lines - len(out)]]
        shift += span
        repeat += 1
    return out


def measure(kind: str, path: Path, repeat: int, child: str = CHILD, env: dict[str, str] | None = None,
            args: tuple[str, ...] = ()) -> dict:
    """The fastest of `repeat` runs of the `child` script, each a fresh process (so its peak
    memory is its own); the script prints its result as JSON."""
    runs = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, "-c", child, kind, str(path), *args], capture_output=True,
                              text=True, cwd=ROOT, check=True, env=env)
        runs.append(json.loads(proc.stdout))
    return min(runs, key=lambda r: r["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--formats", default="logcli-jsonl,loki-query,grafana-json,loki-push")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    events = make_events(args.lines)
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for fmt in args.formats.split(","):
            name, writer = generate.WRITERS[fmt]
            files[fmt] = Path(tmp) / name
            files[fmt].write_bytes(writer(events))
        if "logcli-jsonl" not in files:
            files["logcli-jsonl"] = Path(tmp) / "logcli.jsonl"
            files["logcli-jsonl"].write_bytes(generate.logcli_jsonl(events))
        size_mb = files["logcli-jsonl"].stat().st_size / 1e6
        base = measure("baseline", files["logcli-jsonl"], args.repeat)
        print(f"{args.lines} lines; logcli JSONL file {size_mb:.0f} MB")
        print(f"{'what':<34}{'seconds':>9}{'lines/s':>12}{'peak MB':>9}{'ratio':>8}")
        print(f"{'pyarrow.json.read_json (baseline)':<34}{base['seconds']:>9.2f}"
              f"{args.lines / base['seconds']:>12,.0f}{base['peak_mb']:>9.0f}{1.0:>8.2f}")
        for fmt, path in files.items():
            got = measure("rca", path, args.repeat)
            assert got["rows"] == args.lines, (fmt, got)
            print(f"{'rca ingest ' + fmt:<34}{got['seconds']:>9.2f}{args.lines / got['seconds']:>12,.0f}"
                  f"{got['peak_mb']:>9.0f}{got['seconds'] / base['seconds']:>8.2f}")


if __name__ == "__main__":
    main()
