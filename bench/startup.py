"""Start-up: `rca --help` and `rca analyze` on a 1 MB export, against a bare Python start.

    python bench/startup.py [--repeat 7] [--size-mb 1]

Each command runs `--repeat` times in a fresh process; the fastest wall time and its CPU time
(user + system, less sensitive to other load on a shared machine) are printed beside
`python -c pass` and `python -c "import pyarrow"` measured in the same run. Targets:
`rca --help` at most 0.3 s, a 1 MB export analysed in at most 0.6 s.
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


def timed(argv: list[str], repeat: int) -> tuple[float, float]:
    """(fastest wall seconds, CPU seconds of that run) over `repeat` fresh processes."""
    best = (float("inf"), 0.0)
    for _ in range(repeat):
        before = os.times()
        t0 = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        after = os.times()
        cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
        best = min(best, (wall, cpu))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--size-mb", type=float, default=1.0)
    args = parser.parse_args()
    py = sys.executable
    rca = [py, "-m", "rca"]
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "export.jsonl"
        write_logcli_jsonl(export, int(args.size_mb * 1e6 / 340))
        rows = [
            ("python -c pass", [py, "-c", "pass"]),
            ("python -c 'import pyarrow'", [py, "-c", "import pyarrow, pyarrow.compute"]),
            ("rca --help", [*rca, "--help"]),
            ("rca version", [*rca, "version"]),
            (f"rca analyze ({export.stat().st_size / 1e6:.1f} MB)", [*rca, "analyze", str(export)]),
        ]
        results = [(name, *timed(argv, args.repeat)) for name, argv in rows]
    floor = results[0][1]
    print(f"{'what':<34}{'wall s':>8}{'cpu s':>8}{'wall - python':>15}")
    for name, wall, cpu in results:
        print(f"{name:<34}{wall:>8.2f}{cpu:>8.2f}{wall - floor:>15.2f}")


if __name__ == "__main__":
    main()
