"""Start-up: `rca --help` and `rca analyze` on a 1 MB export (its terminal summary written
to /dev/null and on a terminal, its JSON to a file), against a bare Python start.

    python bench/startup.py [--repeat 7] [--size-mb 1]

Each command runs `--repeat` times in a fresh process, the rows interleaved (one run of each
row per round) so that other load on a shared machine falls on all of them alike. Printed per
row: the median wall time, the median CPU time (user + system, less sensitive to other load),
the fastest wall time, and the median wall time less that of `python -c pass`; the load
average before and after is printed too. Bytecode is cached as an installed rca's is (pip
compiles it at install): PYTHONDONTWRITEBYTECODE is dropped for the runs, the cache goes to a
temporary PYTHONPYCACHEPREFIX, and one untimed round fills it, and rca's own cache too (the
compiled regexes and report template a first run keeps for later ones, rca.cache) in a
temporary XDG_CACHE_HOME. Targets: `rca --help` at most 0.3 s, a 1 MB export analysed in at
most 0.6 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pizza_export import write_logcli_jsonl  # noqa: E402


ON_A_TERMINAL = "on a terminal"


def timed(argv: list[str], env: dict[str, str], terminal: bool = False) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one fresh process running `argv`, its output discarded
    or, with `terminal`, its stdout and stderr on a 100x50 pseudo-terminal (as a user typing
    the command has them: colour, the terminal's width, a progress bar for long work)."""
    before = os.times()
    t0 = time.perf_counter()
    if terminal:
        _on_a_pty(argv, env)
    else:
        subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def _on_a_pty(argv: list[str], env: dict[str, str]) -> None:
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 100, 0, 0))
    terminal_env = {k: v for k, v in env.items() if k not in ("NO_COLOR", "COLUMNS")}
    run = subprocess.Popen(argv, cwd=ROOT, env=terminal_env, stdin=subprocess.DEVNULL, stdout=follower,
                           stderr=follower)
    os.close(follower)
    try:
        while os.read(leader, 65536):
            pass
    except OSError:  # the terminal is gone once the process has ended
        pass
    os.close(leader)
    if run.wait():
        raise subprocess.CalledProcessError(run.returncode, argv)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--size-mb", type=float, default=1.0)
    args = parser.parse_args()
    py = sys.executable
    rca = [py, "-m", "rca"]
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "export.jsonl"
        write_logcli_jsonl(export, int(args.size_mb * 1e6 / 340))
        size = f"{export.stat().st_size / 1e6:.1f} MB"
        rows = [
            ("python -c pass", [py, "-c", "pass"]),
            ("python -c 'import pyarrow'", [py, "-c", "import pyarrow, pyarrow.compute"]),
            ("rca --help", [*rca, "--help"]),
            ("rca version", [*rca, "version"]),
            (f"rca analyze ({size}) > /dev/null", [*rca, "analyze", str(export)]),
            (f"rca analyze ({size}) {ON_A_TERMINAL}", [*rca, "analyze", str(export)]),
            (f"rca analyze ({size}) -f json -o", [*rca, "analyze", str(export), "-f", "json", "-o",
                                                  str(Path(tmp) / "out.json")]),
        ]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        env["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
        for name, argv in rows:
            timed(argv, env, name.endswith(ON_A_TERMINAL))
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in rows}
        for _ in range(args.repeat):
            for name, argv in rows:
                runs[name].append(timed(argv, env, name.endswith(ON_A_TERMINAL)))
    floor = statistics.median(wall for wall, _ in runs[rows[0][0]])
    print(f"{args.repeat} runs each, load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"{'what':<38}{'wall s':>8}{'cpu s':>8}{'best s':>8}{'wall - python':>15}")
    for name, _ in rows:
        wall = statistics.median(w for w, _ in runs[name])
        cpu = statistics.median(c for _, c in runs[name])
        best = min(w for w, _ in runs[name])
        print(f"{name:<38}{wall:>8.2f}{cpu:>8.2f}{best:>8.2f}{wall - floor:>15.2f}")


if __name__ == "__main__":
    main()
