"""Template-mining accuracy on the Loghub-2k systems: GA, FGA, PA and FTA.

    python bench/patterns_accuracy.py [--data ../shared/data/loghub2k] [--systems Apache,HDFS]
    python bench/patterns_accuracy.py --leave-one-out

`--leave-one-out` is the figure that says how the miner does on logs it has never seen: for
each system, every rule and threshold (`rca.table.patterns.Config`, a grid of candidates)
is chosen on the other systems only (best mean of GA, FGA, PA and FTA there), then that
one configuration scores the held-out system. The in-sample row (the shipped default
configuration on all systems) is printed beside it, labelled as such.

Input is each system's `*_2k.log_structured_corrected.csv` `Content` column (the content
part of the `*_2k.log` lines, as the Loghub parsers see it); ground truth is its
`EventTemplate`. One configuration for every system. Metrics follow the Loghub-2.0
definitions (prior-art doc §2.2). rca's templates are normalised with the same template
correction rules the corrected ground truth used (Khan et al., ICSE'22): stated here as the
benchmark requires. Without a `_corrected` file, `<Sys>_2k.log_structured.csv` (Loghub's
original labels) is read instead.

Unseen systems. The seven systems above are the ones the rules were written looking at, so
even `--leave-one-out` only holds out thresholds, not rules. Loghub's other 2k systems
(Loghub-2.0's HPC, Hadoop, Linux, Mac, OpenStack, Proxifier, Thunderbird, and Android and
Windows) check the rules themselves. They are real people's logs: keep them outside the
repository, e.g.

    mkdir -p /work/unseen && cd /work/unseen
    for s in HPC Hadoop Linux Mac OpenStack Proxifier Thunderbird Android Windows; do
      mkdir -p $s
      curl -fsSL -o $s/${s}_2k.log_structured_corrected.csv \
        https://raw.githubusercontent.com/logpai/logparser/main/data/loghub_2k_corrected/$s/${s}_2k.log_structured_corrected.csv
      curl -fsSL -o $s/${s}_2k.log_structured.csv \
        https://raw.githubusercontent.com/logpai/loghub/master/$s/${s}_2k.log_structured.csv
    done
    python bench/patterns_accuracy.py --data /work/unseen --systems Proxifier,Linux,HPC

`--data` may be given several times: a system is read from the first directory holding it,
so leave-one-out can run over the shared seven and unseen systems together. The protocol
used since issue 14's third round: a development set (the shared seven and the unseen
systems whose misses have been looked at: Hadoop, HPC, Linux, OpenStack, Proxifier,
Thunderbird), scored leave-one-system-out over all thirteen

    python bench/patterns_accuracy.py --data ../shared/data/loghub2k --data /work/unseen \
        --systems Apache,BGL,HDFS,HealthApp,OpenSSH,Spark,Zookeeper,Hadoop,OpenStack,Thunderbird,Proxifier,Linux,HPC \
        --leave-one-out

and a held-out set (Mac, Windows, Android) whose misses and templates are never printed
while rules are written, scored only at the end of a round (`--data /work/unseen --systems
Mac,Windows,Android`, no `--show-misses`), before and after.

(the corrected file is Khan et al.'s relabelling, the second Loghub's original; either
works, the corrected one is preferred). Only the `Content` and `EventTemplate` columns are
read, so a sample of a file's rows (whole pages from several places) scores as it is; say
how many rows a figure is on. Drain's published GA is for the whole 2k files, and there is
none here for Android and Windows (`-`). Scores measured once the rules have been changed while looking at a system's misses
are in-sample for that system: report them as such.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rca.table.patterns import DEFAULT, Config, mine  # noqa: E402

# Tuned Drain's published GA on Loghub-2.0's 2k set (prior-art doc §2.4).
DRAIN_GA = {"Apache": 1.000, "BGL": 0.963, "HDFS": 0.998, "HealthApp": 0.780, "OpenSSH": 0.789,
            "Spark": 0.922, "Zookeeper": 0.967,
            # the seven the rules were never developed on (see "Unseen systems" above)
            "HPC": 0.887, "Hadoop": 0.948, "Linux": 0.690, "Mac": 0.786, "OpenStack": 0.733,
            "Proxifier": 0.526, "Thunderbird": 0.955}
SHARED = ("Apache", "BGL", "HDFS", "HealthApp", "OpenSSH", "Spark", "Zookeeper")
TARGETS = {"GA": 0.93, "FGA": 0.90, "PA": 0.80, "FTA": 0.78}  # on held-out systems (issue 14)
METRICS = ("GA", "FGA", "PA", "FTA")
# The candidates leave-one-out chooses from: every knob of Config, a few values each. The
# thresholds are crossed with each other, the shape rules (on/off) with each other.
THRESHOLDS = {
    "min_variants": (2, 3, 4),
    "word_guard": (True, False),
    "constant_share": (0.34, 0.5, 0.67),
    "word_spread": (0.34, 0.5, 1.01),
    "default_words": (True, False),
}
RULES = {"dates": (True, False), "hosts": (True, False), "lists": (True, False), "align": (True, False),
         "join_variable": (True, False), "numbered": (True, False), "named_values": (True, False),
         "pairs": (True, False)}
# Rules added later are each switched off alone (crossing them too would multiply the grid by
# two per rule, and the leave-one-out run with it).
SINGLE_RULES = ("digit_dates", "key_values", "glued_brackets", "flag_lists", "spaced_files")


def candidates() -> list[Config]:
    """The default first (ties go to it), then every other candidate once."""
    out = [DEFAULT]
    for grid in (THRESHOLDS, RULES):
        keys = list(grid)
        for values in itertools.product(*grid.values()):
            config = replace(DEFAULT, **dict(zip(keys, values, strict=True)))
            if config not in out:
                out.append(config)
    out += [replace(DEFAULT, **{rule: False}) for rule in SINGLE_RULES]
    return out


def load(data: Path | list[Path], system: str) -> tuple[list[str], list[str]]:
    """Messages and truth; the corrected labels when present, else Loghub's original ones.
    With several data directories, the first that holds the system."""
    dirs = data if isinstance(data, list) else [data]
    names = (f"{system}_2k.log_structured_corrected.csv", f"{system}_2k.log_structured.csv")
    found = [d / system / name for name in names for d in dirs if (d / system / name).exists()]
    if not found:
        raise SystemExit(f"no {names[0]} or {names[1]} for {system} under {', '.join(map(str, dirs))}")
    path = found[0]
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["Content"] for r in rows], [r["EventTemplate"] for r in rows]


def scores(predicted: list[str], truth: list[str]) -> dict[str, float]:
    """GA, FGA, PA, FTA for predicted templates against ground-truth templates."""
    n = len(truth)
    truth_size = Counter(truth)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(predicted):
        groups[p].append(i)
    correct_groups = correct_templates = correct_messages = 0
    for template, members in groups.items():
        labels = {truth[i] for i in members}
        if len(labels) == 1:
            label = next(iter(labels))
            if truth_size[label] == len(members):
                correct_groups += 1
                correct_messages += len(members)
                if template == label:
                    correct_templates += 1
    pga, rga = correct_groups / len(groups), correct_groups / len(truth_size)
    pta, rta = correct_templates / len(groups), correct_templates / len(truth_size)
    return {
        "GA": correct_messages / n,
        "FGA": 2 * pga * rga / (pga + rga) if pga + rga else 0.0,
        "PA": sum(p == t for p, t in zip(predicted, truth, strict=True)) / n,
        "FTA": 2 * pta * rta / (pta + rta) if pta + rta else 0.0,
    }


def _row(name: str, s: dict[str, float], extra: str = "") -> str:
    return f"{name:<11}" + "".join(f"{s[k]:>7.3f}" for k in METRICS) + extra


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: sum(r[k] for r in rows) / len(rows) for k in METRICS}


def leave_one_out(data: list[Path], systems: list[str]) -> None:
    """Choose the configuration on all systems but one, score it on that one."""
    grid = candidates()
    loaded = {s: load(data, s) for s in systems}
    table: dict[tuple[int, str], dict[str, float]] = {}
    for c, config in enumerate(grid):
        for system, (messages, truth) in loaded.items():
            table[c, system] = scores(mine(messages, config).templates, truth)

    def fitness(c: int, on: list[str]) -> float:
        return sum(sum(table[c, s].values()) for s in on) / (4 * len(on))

    print(f"{len(grid)} candidate configurations; each chosen without the held-out system\n")
    print(f"{'held out':<11}{'GA':>7}{'FGA':>7}{'PA':>7}{'FTA':>7}  chosen on the other {len(systems) - 1}")
    held = []
    for system in systems:
        train = [s for s in systems if s != system]
        best = max(range(len(grid)), key=lambda c: (fitness(c, train), -c))
        held.append(table[best, system])
        changed = {k: v for k, v in vars(grid[best]).items() if v != getattr(DEFAULT, k)}
        print(_row(system, table[best, system], f"  {changed or 'default'}"))
    print(_row("held-out", _mean(held)) + "  <- average on systems never used to choose")
    print(_row("in-sample", _mean([table[0, s] for s in systems]))
          + "  <- the shipped default on all systems (rules were written looking at them)")
    print("targets    " + "".join(f"{TARGETS[k]:>7.2f}" for k in METRICS) + "  (held-out)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, action="append",
                        help="a directory of <System>/ folders; repeat to read systems from several")
    parser.add_argument("--systems", default=",".join(SHARED))
    parser.add_argument("--show-misses", type=int, default=0, help="print this many wrong templates per system")
    parser.add_argument("--leave-one-out", action="store_true", help="choose the configuration without each system")
    args = parser.parse_args()
    args.data = args.data or [ROOT.parent / "shared" / "data" / "loghub2k"]
    if args.leave_one_out:
        leave_one_out(args.data, args.systems.split(","))
        return
    totals: dict[str, float] = defaultdict(float)
    systems = args.systems.split(",")
    print(f"{'system':<11}{'GA':>7}{'FGA':>7}{'PA':>7}{'FTA':>7}{'Drain GA':>10}{'seconds':>9}")
    for system in systems:
        messages, truth = load(args.data, system)
        started = time.perf_counter()
        predicted = mine(messages).templates
        elapsed = time.perf_counter() - started
        s = scores(predicted, truth)
        for k, v in s.items():
            totals[k] += v
        drain = DRAIN_GA.get(system)
        flag = "" if drain is None or s["GA"] >= drain - 1e-9 else "  < Drain"
        print(f"{system:<11}{s['GA']:>7.3f}{s['FGA']:>7.3f}{s['PA']:>7.3f}{s['FTA']:>7.3f}"
              + (f"{drain:>10.3f}" if drain is not None else f"{'-':>10}") + f"{elapsed:>9.2f}{flag}")
        if args.show_misses:
            misses = Counter((p, t) for p, t in zip(predicted, truth, strict=True) if p != t)
            for (p, t), count in misses.most_common(args.show_misses):
                print(f"    {count:>4}  got  {p}\n          want {t}")
    avg = {k: v / len(systems) for k, v in totals.items()}
    print(f"{'average':<11}{avg['GA']:>7.3f}{avg['FGA']:>7.3f}{avg['PA']:>7.3f}{avg['FTA']:>7.3f}"
          + (f"{sum(DRAIN_GA[s] for s in systems) / len(systems):>10.3f}" if all(s in DRAIN_GA for s in systems) else ""))
    where = ("this is in-sample" if set(systems) <= set(SHARED)
             else "systems outside the seven the rules were written on count as unseen until tuned on")
    print("targets    " + "".join(f"{TARGETS[k]:>7.2f}" for k in METRICS) + f"  (held-out targets; {where})")


if __name__ == "__main__":
    main()
