"""End-to-end analysis speed: `rca.findings.pipeline.analyze` on an N-line logcli JSONL export.

    python bench/analyze.py [--lines 1000000] [--repeat 2]

Each run is a fresh process, so peak memory is its own. Prints seconds, lines/s, peak RSS,
and the ratio to the ingest baseline (`pyarrow.json.read_json` on the same file) timed in
the same minute. Target: under 5 s and 1.5 GB for 1,000,000 lines on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import make_events, measure  # noqa: E402
from fixtures import generate  # noqa: E402

CHILD = r"""
import json, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
if kind == "baseline":
    import pyarrow.json as pj
    rows, incidents = pj.read_json(path).num_rows, None
else:
    from rca.findings.pipeline import analyze
    f = analyze([path])
    rows, incidents = f.ingested.records, len(f.incidents)
print(json.dumps({"rows": rows, "incidents": incidents, "seconds": time.perf_counter() - t0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.jsonl"
        path.write_bytes(generate.logcli_jsonl(make_events(args.lines)))
        base = measure("baseline", path, args.repeat, CHILD)
        got = measure("rca", path, args.repeat, CHILD)
    print(f"{args.lines} lines of logcli JSONL")
    print(f"{'what':<28}{'seconds':>9}{'lines/s':>12}{'peak MB':>9}{'ratio':>8}")
    print(f"{'ingest baseline (pyarrow)':<28}{base['seconds']:>9.2f}{args.lines / base['seconds']:>12,.0f}"
          f"{base['peak_mb']:>9.0f}{1.0:>8.2f}")
    print(f"{'rca analyze':<28}{got['seconds']:>9.2f}{args.lines / got['seconds']:>12,.0f}"
          f"{got['peak_mb']:>9.0f}{got['seconds'] / base['seconds']:>8.2f}")
    print(f"incidents found: {got['incidents']}")


if __name__ == "__main__":
    main()
