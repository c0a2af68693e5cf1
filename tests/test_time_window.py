"""Options that are accepted work: --from/--to/--since on files clip the analysis to that
window and say so; --tz puts local time beside every UTC time a person reads."""

from __future__ import annotations

import re

from fixtures import generate
from fixtures.generate import Chaos

FIRST = Chaos("fail", 120, 300, fix_code="aaaa1111")
SECOND = Chaos("fail", 600, 780, fix_code="bbbb2222")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def _two_windows(tmp_path):
    events = generate.simulate(chaos=[FIRST, SECOND], minutes=16)
    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query(events))
    return str(path)


def test_from_and_to_on_a_file_keep_only_that_window(rca, tmp_path):
    run = rca("analyze", _two_windows(tmp_path), "--from", "2025-12-02T17:38:00Z", "--to", "2025-12-02T17:45:00Z")
    assert run.code == 0, run.stderr
    assert "1 incident(s)" in run.stdout
    assert "bbbb2222" in run.stdout and "aaaa1111" not in run.stdout


def test_a_clipped_analysis_says_what_it_left_out(rca, tmp_path):
    run = rca("analyze", _two_windows(tmp_path), "--from", "2025-12-02T17:38:00Z", "-f", "md")
    assert run.code == 0, run.stderr
    assert re.search(r"analysis clipped to 2025-12-02T17:38:00\.000Z \.\. the end: \d+ of \d+ records outside it left out",
                     run.stdout)


def test_since_on_a_file_counts_back_from_its_newest_record(rca, tmp_path):
    run = rca("analyze", _two_windows(tmp_path), "--since", "8m")
    assert run.code == 0, run.stderr
    assert "bbbb2222" in run.stdout and "aaaa1111" not in run.stdout


def test_a_window_outside_the_export_is_a_usage_error(rca, tmp_path):
    run = rca("analyze", _two_windows(tmp_path), "--from", "2024-01-01T00:00:00Z", "--to", "2024-01-02T00:00:00Z")
    assert run.code == 2
    assert "no records between" in run.stderr and "Traceback" not in run.stderr


def test_tz_puts_local_time_beside_every_time_in_the_report(rca, tmp_path):
    run = rca("analyze", _two_windows(tmp_path), "-f", "md", "--tz", "America/Denver")
    assert run.code == 0, run.stderr
    for stamp in STAMP.finditer(run.stdout):
        assert run.stdout[stamp.end():stamp.end() + 2] == " (", stamp.group()


def test_tz_puts_local_time_beside_every_time_in_the_terminal(rca, tmp_path):
    run = rca("analyze", _two_windows(tmp_path), "--tz", "America/Denver")
    assert run.code == 0, run.stderr
    stamps = list(STAMP.finditer(run.stdout))
    assert stamps and all(run.stdout[s.end():s.end() + 2] == " (" for s in stamps)


def test_a_reversed_range_is_named_as_reversed(rca, tmp_path):
    run = rca("analyze", _two_windows(tmp_path), "--from", "2025-12-02T17:45:00Z", "--to", "2025-12-02T17:38:00Z")
    assert run.code == 2 and "Traceback" not in run.stderr
    assert "--from 2025-12-02T17:45:00.000Z is not before --to 2025-12-02T17:38:00.000Z" in run.stderr


def test_a_reversed_range_for_loki_is_refused_before_any_request(rca, tmp_path):
    run = rca("pull", "--loki", "http://127.0.0.1:9", "--query", '{app="x"}', "--from", "2025-12-02T17:45:00Z",
              "--to", "2025-12-02T17:38:00Z", "-o", str(tmp_path / "out.jsonl"))
    assert run.code == 2 and "is not before --to" in run.stderr and "reach" not in run.stderr
