"""Score the template miner on a folder of held-out systems, without printing a template.

    python bench/patterns_heldout.py /work/unseen2 [--systems Mac,Windows]

Every `<System>/` folder under the directory with a `*_2k.log_structured_corrected.csv` (or
Loghub's original `*_structured.csv`) is scored with the shipped default configuration: GA,
FGA, PA and FTA as `bench/patterns_accuracy.py` computes them, the row and event counts, and
the average. Nothing else is printed, on purpose: a held-out sample stays unseen only while
its misses are never looked at, so rules are developed on other systems and this is run
before and after.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from patterns_accuracy import METRICS, TARGETS, _mean, load, scores  # noqa: E402

from rca.table.patterns import mine  # noqa: E402


def systems_in(data: Path) -> list[str]:
    """The folders holding a structured file, in name order."""
    return sorted(d.name for d in data.iterdir()
                  if d.is_dir() and any(d.glob(f"{d.name}_2k.log_structured*.csv")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path)
    parser.add_argument("--systems", help="comma-separated; default every system in the folder")
    args = parser.parse_args()
    systems = args.systems.split(",") if args.systems else systems_in(args.data)
    print(f"{'system':<12}{'rows':>6}{'events':>7}" + "".join(f"{k:>7}" for k in METRICS))
    rows = []
    for system in systems:
        messages, truth = load(args.data, system)
        s = scores(mine(messages).templates, truth)
        rows.append(s)
        print(f"{system:<12}{len(truth):>6}{len(set(truth)):>7}" + "".join(f"{s[k]:>7.3f}" for k in METRICS))
    print(f"{'average':<25}" + "".join(f"{v:>7.3f}" for v in _mean(rows).values()))
    print(f"{'targets':<25}" + "".join(f"{TARGETS[k]:>7.2f}" for k in METRICS))


if __name__ == "__main__":
    main()
