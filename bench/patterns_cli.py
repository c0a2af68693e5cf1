"""`rca patterns` end to end, as a user runs it, on an N-line varied logcli JSONL export.

    python bench/patterns_cli.py [--lines 1000000] [--repeat 3] [--against SRC]

The export is bench/pizza_export.py's (a fresh JWT per request, ids, prices and dates in
JSON-encoded bodies: lines as varied as real service logs). Each run is a fresh process
writing text, JSON or CSV to a file; its wall time, CPU seconds (user+sys, all threads) and
peak RSS come from the kernel (wait4). The parse floor, `pyarrow.json.read_json` on the
same file, is timed in the same run. `--against SRC` also runs another source tree (say
`git archive main | tar -x -C /tmp/main`) in turn with this one, for a before/after
measured in the same minutes. CPU seconds are the steadier figure on a shared machine.
Target: at most 8 s and 1 GB for every format.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pizza_export import write_logcli_jsonl  # noqa: E402

FLOOR = "import sys, pyarrow.json as pj; pj.read_json(sys.argv[1])"


def run(argv: list[str], src: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak MiB) of one child process, importing rca from `src`."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    started = time.perf_counter()
    # Run from the filesystem root so that the current folder does not shadow `src`.
    proc = subprocess.Popen(argv, env=env, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr.read().decode(errors='replace')[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--export", type=Path, help="Use this export instead of generating one.")
    parser.add_argument("--against", type=Path, help="Another source tree to time in turn with this one.")
    args = parser.parse_args()
    trees = {"this": ROOT, **({"against": args.against.resolve()} if args.against else {})}
    with tempfile.TemporaryDirectory() as tmp:
        path = args.export or Path(tmp) / "export.jsonl"
        if args.export is None:
            write_logcli_jsonl(path, args.lines)
        lines = sum(1 for _ in path.open("rb"))
        print(f"{lines} lines of varied logcli JSONL, {path.stat().st_size / 1e6:.0f} MB; "
              f"{args.repeat} runs each, min-max")
        results: dict[str, list[tuple[float, float, float]]] = {}
        for _ in range(args.repeat):
            results.setdefault("parse floor (pyarrow)", []).append(
                run([sys.executable, "-c", FLOOR, str(path)], ROOT))
            for fmt in ("text", "json", "csv"):
                for tree, src in trees.items():
                    out = Path(tmp) / f"out.{fmt}"
                    argv = [sys.executable, "-m", "rca", "patterns", str(path), "-f", fmt, "-o", str(out)]
                    results.setdefault(f"rca patterns -f {fmt}" + (f" ({tree})" if len(trees) > 1 else ""),
                                       []).append(run(argv, src))
    floor_cpu = min(c for _, c, _ in results["parse floor (pyarrow)"])
    print(f"{'what':<34}{'wall s':>14}{'CPU s':>14}{'peak MiB':>14}{'CPU / floor':>13}")
    for name, runs in results.items():
        walls, cpus, peaks = zip(*runs, strict=True)
        print(f"{name:<34}{min(walls):>6.1f} - {max(walls):<5.1f}{min(cpus):>6.1f} - {max(cpus):<5.1f}"
              f"{min(peaks):>6.0f} - {max(peaks):<5.0f}{min(cpus) / floor_cpu:>11.1f}x")


if __name__ == "__main__":
    main()
