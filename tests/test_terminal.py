"""The terminal answer: what to do first (cause, link, window), then what was read; wrapped
to the terminal; labels summarised rather than dumped."""

from __future__ import annotations

from fixtures import generate
from fixtures.generate import API_KEY, Chaos, Event
from rca.outputs.terminal import SET_ASIDE_ROWS
from tests.scanners import scanner_export

FIXTURE = "fixtures/chaos-fail/loki-query.json"
LINK = f"https://pizza-factory.cs329.click/api/support/{API_KEY}/report/k3q9z7mf"


def test_cause_link_and_window_come_before_the_inputs_read(rca):
    out = rca("analyze", FIXTURE).stdout
    order = [out.index(s) for s in ("INCIDENT", "cause", "follow", "window", "impact", "Read 835 records", "input ")]
    assert order == sorted(order)
    assert out.startswith("INCIDENT")


def test_the_window_is_in_prose_with_local_time_first(rca):
    first = rca("analyze", FIXTURE, "--tz", "America/Denver").stdout.splitlines()[0]
    assert first.endswith("2025-12-02 10:35–10:38 MST (17:35–17:38 UTC), 3 min 33 s")


def test_long_lines_wrap_to_the_terminal_width_but_the_link_stays_whole(rca):
    out = rca("analyze", FIXTURE, "--reveal-secrets", env={"COLUMNS": "60"}).stdout
    assert f"follow    {LINK}\n" in out
    too_wide = [line for line in out.splitlines() if len(line) > 60 and LINK not in line]
    assert too_wide == []
    assert "the factory answered 500" in out.replace("\n            ", " ")


def test_labels_holding_whole_request_bodies_are_summarised(rca, tmp_path):
    events = generate.simulate(chaos=[Chaos("fail", 120, 300)], minutes=8)
    copied = [Event(e.ts_ns, {**e.labels, "resBody": e.line}, e.line) for e in events]
    export = tmp_path / "labels.json"
    export.write_bytes(generate.loki_query(copied))
    run = rca("analyze", str(export))
    assert run.code == 0, run.stderr
    labels = [line for line in run.stdout.splitlines() if line.lstrip().startswith("labels")]
    assert labels and "resBody=<5+ long values, e.g. " in labels[0]
    assert all(len(line) <= 120 for line in run.stdout.splitlines() if LINK not in line)
    assert '"resBody"' not in run.stdout.split("Read ")[1]


def test_a_text_report_written_to_a_file_is_redacted(rca, tmp_path):
    out = tmp_path / "summary.txt"
    assert rca("analyze", FIXTURE, "-o", str(out)).code == 0
    assert API_KEY not in out.read_text() and "follow" in out.read_text()


def test_log_text_cannot_send_escape_sequences_to_the_terminal(rca, tmp_path):
    events = generate.simulate(chaos=[Chaos("fail", 120, 300)], minutes=8)
    hostile = [Event(e.ts_ns, {**e.labels, "type": e.labels["type"] + "\x1b[2J"}, e.line) for e in events]
    export = tmp_path / "hostile.json"
    export.write_bytes(generate.loki_query(hostile))
    run = rca("analyze", str(export))
    assert run.code == 0 and "\x1b" not in run.stdout


def test_many_routine_signatures_are_listed_up_to_a_screen_and_the_rest_summed_by_reason(rca, tmp_path):
    out = rca("analyze", str(scanner_export(tmp_path, paths=40, days=1))).stdout
    listed = [line for line in out.splitlines() if "/probe-" in line]
    assert len(listed) == SET_ASIDE_ROWS
    more = 40 - SET_ASIDE_ROWS
    assert f"{24 * more:>8}  {more} more routine signatures  (unknown endpoint" in out
    assert "every signature: rca analyze … -f md or -f json" in out
