"""Batch review speed: N exports of M lines through one process, the local process pool and
a two-worker Dask cluster, in the same run.

    python bench/batch.py [--exports 200] [--lines 20000]

Prints outages/s and lines/s for each engine and the pool's speed-up over one process.
Target: the local pool at 1.7x one process or better on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import make_events  # noqa: E402
from fixtures import generate  # noqa: E402
from rca.history import batch  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exports", type=int, default=200)
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    events = make_events(args.lines)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(args.exports):
            lines = [generate.Event(e.ts_ns + i * 10**12, e.labels, e.line.replace("k3q9", f"x{i:03d}"))
                     for e in events]
            (folder / f"outage-{i:04d}.jsonl").write_bytes(generate.logcli_jsonl(lines))
        units = batch.units_from_paths([str(folder)])
        engines = ["serial", "local"] + ([] if args.no_dask else ["dask"])
        timings = {}
        for engine in engines:
            started = time.perf_counter()
            if engine == "dask":
                from dask.distributed import LocalCluster

                with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
                    started = time.perf_counter()
                    results = batch.run(units, engine="dask", scheduler=c.scheduler_address)
            else:
                results = batch.run(units, engine=engine)
            timings[engine] = time.perf_counter() - started
            assert len(results) == args.exports and not any(r["error"] for r in results)
    total = args.exports * args.lines
    print(f"{args.exports} exports x {args.lines} lines")
    print(f"{'engine':<22}{'seconds':>9}{'outages/s':>11}{'lines/s':>12}{'speed-up':>10}")
    names = {"serial": "one process", "local": "local pool", "dask": "dask, 2 workers"}
    for engine, seconds in timings.items():
        print(f"{names[engine]:<22}{seconds:>9.1f}{args.exports / seconds:>11.2f}{total / seconds:>12,.0f}"
              f"{timings['serial'] / seconds:>9.2f}x")


if __name__ == "__main__":
    main()
