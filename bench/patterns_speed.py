"""Template-mining speed: rca's engine against Drain3 (with its example masking) on the
same lines, in the same process and minute.

    python bench/patterns_speed.py [--lines 1000000]

Inputs: the seven Loghub-2k systems' messages repeated to N lines and the same with every
number and hex run redrawn (no two lines alike, as in real logs); N JWT Pizza lines from the
simulator as they repeat, and varied the way real services log (bench/varied.py). Repetition
flatters rca, which works per distinct message, and not Drain3, which works per line: the
varied rows are the honest ones. Prints lines/s for both and the ratio. Target: rca at
least 10x Drain3. Needs `pip install drain3` (the `bench` extra).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import make_events  # noqa: E402
from bench.varied import redrawn_loghub, varied_events  # noqa: E402
from rca.table.patterns import mine  # noqa: E402

SYSTEMS = ["Apache", "BGL", "HDFS", "HealthApp", "OpenSSH", "Spark", "Zookeeper"]
# Drain3's examples/drain3.ini masking and settings.
DRAIN3_MASKS = [
    (r"((?<=[^A-Za-z0-9])|^)(([0-9a-f]{2,}:){3,}([0-9a-f]{2,}))((?=[^A-Za-z0-9])|$)", "ID"),
    (r"((?<=[^A-Za-z0-9])|^)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})((?=[^A-Za-z0-9])|$)", "IP"),
    (r"((?<=[^A-Za-z0-9])|^)([0-9a-f]{6,} ?){3,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    (r"((?<=[^A-Za-z0-9])|^)([0-9A-F]{4} ?){4,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    (r"((?<=[^A-Za-z0-9])|^)(0x[a-f0-9A-F]+)((?=[^A-Za-z0-9])|$)", "HEX"),
    (r"((?<=[^A-Za-z0-9])|^)([\-\+]?\d+)((?=[^A-Za-z0-9])|$)", "NUM"),
    (r"(?<=executed cmd )(\".+?\")", "CMD"),
]


def loghub_lines(data: Path, n: int) -> list[str]:
    base: list[str] = []
    for system in SYSTEMS:
        with (data / system / f"{system}_2k.log_structured_corrected.csv").open(newline="", encoding="utf-8") as fh:
            base += [row["Content"] for row in csv.DictReader(fh)]
    return [base[i % len(base)] for i in range(n)]


def drain3_miner():
    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    config = TemplateMinerConfig()
    config.masking_instructions = [MaskingInstruction(p, m) for p, m in DRAIN3_MASKS]
    config.mask_prefix, config.mask_suffix = "<:", ":>"
    config.drain_sim_th, config.drain_depth, config.drain_max_children = 0.4, 4, 100
    config.drain_max_clusters = 1024
    config.drain_extra_delimiters = ["_"]
    config.profiling_enabled = False
    return TemplateMiner(config=config)


def time_drain3(lines: list[str]) -> float:
    """CPU seconds of this process (the machine may be shared; wall time would count others)."""
    miner = drain3_miner()
    started = time.process_time()
    for line in lines:
        miner.add_log_message(line)
    return time.process_time() - started


def time_rca(lines: list[str]) -> float:
    """From a cold per-token memo: Drain3 starts each input with a fresh miner, and the memo
    the previous input filled (the same tokens) would flatter rca."""
    from rca.table.patterns import _token_rules

    _token_rules.cache_clear()
    started = time.process_time()
    mine(lines)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "loghub2k")
    args = parser.parse_args()
    inputs = {
        "Loghub repeated": lambda: loghub_lines(args.data, args.lines),
        "Loghub redrawn": lambda: redrawn_loghub(args.data, args.lines),
        "JWT Pizza repeated": lambda: [e.line for e in make_events(args.lines)],
        "JWT Pizza varied": lambda: [e.line for e in varied_events(args.lines)],
    }
    print(f"{'input':<20}{'lines':>10}{'distinct':>10}{'Drain3 lines/s':>16}{'rca lines/s':>14}{'ratio':>8}")
    for name, make in inputs.items():
        lines = make()
        drain = time_drain3(lines)
        ours = time_rca(lines)
        print(f"{name:<20}{len(lines):>10}{len(set(lines)):>10}{len(lines) / drain:>16,.0f}"
              f"{len(lines) / ours:>14,.0f}{drain / ours:>8.1f}x", flush=True)


if __name__ == "__main__":
    main()
