"""rca pull against a loopback fake Loki: completeness past the line limit, boundaries that
share a nanosecond, limits, failures, interruption and resume, access."""

from __future__ import annotations

import base64
import gzip
import json
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from rca import ingest
from rca.integrations.pull import Access, pull
from tests.conftest import ROOT
from tests.fakes.loki import FakeLoki

T0 = 1_764_696_600_000_000_000  # 2025-12-02T17:30:00Z
FROM, TO = "2025-12-02T17:00:00Z", "2025-12-02T20:00:00Z"
QUERY = '{app="pizza"}'


def make_entries(n: int, tie_every: int = 0) -> list[tuple[int, dict[str, str], str]]:
    """n lines over 3 streams; with tie_every, groups of lines share one nanosecond."""
    entries = []
    for i in range(n):
        ts = T0 + (i // tie_every if tie_every else i) * 137_000_000 + 5
        labels = {"app": "pizza", "pod": f"p{i % 3}"}
        entries.append((ts, labels, f"line {i} status={200 + i % 5}"))
    return entries


def _read(path) -> Counter:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return Counter((r["timestamp"], tuple(sorted(r["labels"].items())), r["line"]) for r in rows)


def _expected(entries) -> Counter:
    from rca.inputs.timestamps import format_rfc3339_nano

    return Counter((format_rfc3339_nano(ts), tuple(sorted(labels.items())), line) for ts, labels, line in entries)


def _pull_cli(rca, fake, out, *extra, env=None):
    return rca("pull", "--loki", fake.url, "--query", QUERY, "--from", FROM, "--to", TO, "-o", str(out), *extra,
               env=env)


def test_fifty_thousand_lines_past_a_five_thousand_limit_arrive_exactly_once(rca, tmp_path):
    entries = make_entries(50_000, tie_every=4)
    with FakeLoki(entries) as fake:
        out = tmp_path / "all.jsonl"
        run = _pull_cli(rca, fake, out)
        assert run.code == 0, run.stderr
        assert "50000 lines" in run.stderr
    assert _read(out) == _expected(entries)


def test_pulled_file_matches_the_same_data_exported_in_one_piece(tmp_path):
    entries = make_entries(12_000, tie_every=3)
    one_piece = tmp_path / "one-piece.json"
    streams: dict[tuple, list] = {}
    for ts, labels, line in entries:
        streams.setdefault(tuple(sorted(labels.items())), []).append([str(ts), line])
    one_piece.write_text(json.dumps({"status": "success", "data": {"resultType": "streams", "result": [
        {"stream": dict(k), "values": v} for k, v in streams.items()]}}))
    with FakeLoki(entries) as fake:
        out = tmp_path / "pulled.jsonl"
        pull(Access(fake.url), QUERY, T0 - 10**12, T0 + 10**15, out, limit=1000)
    a, b = ingest([str(out)]).table, ingest([str(one_piece)]).table
    key = lambda t: sorted(zip(t.column("ts_ns").to_pylist(), t.column("line").to_pylist(),  # noqa: E731
                               map(tuple, t.column("labels").to_pylist()), strict=True))
    assert key(a) == key(b)


def test_lines_sharing_a_nanosecond_at_a_page_boundary_are_all_fetched(tmp_path):
    entries = make_entries(300, tie_every=7)  # groups of 7 never align with pages of 10
    with FakeLoki(entries) as fake:
        out = tmp_path / "ties.jsonl"
        stats = pull(Access(fake.url), QUERY, T0 - 10**9, T0 + 10**13, out, limit=10)
    assert _read(out) == _expected(entries)
    assert stats.incomplete == []


def test_more_lines_in_one_nanosecond_than_a_page_is_reported(tmp_path):
    entries = make_entries(40, tie_every=40)
    with FakeLoki(entries) as fake:
        out = tmp_path / "crowded.jsonl"
        stats = pull(Access(fake.url), QUERY, T0 - 10**9, T0 + 10**13, out, limit=10)
    assert stats.incomplete and "share this nanosecond" in stats.incomplete[0][2]


def test_limit_too_high_is_lowered_and_the_pull_goes_on(rca, tmp_path):
    entries = make_entries(2_500)
    with FakeLoki(entries) as fake:
        fake.state.max_entries = 1000
        out = tmp_path / "lowered.jsonl"
        run = _pull_cli(rca, fake, out, "--batch", "8000")
        assert run.code == 0, run.stderr
        assert "limit 1000" in run.stderr
    assert _read(out) == _expected(entries)


def test_injected_failures_are_retried(rca, tmp_path):
    entries = make_entries(5_000)
    with FakeLoki(entries) as fake:
        fake.state.fail = [429, 500, 503]
        fake.state.fail_every = 4
        out = tmp_path / "flaky.jsonl"
        run = _pull_cli(rca, fake, out, "--batch", "500")
        assert run.code == 0, run.stderr
        assert "retries" in run.stderr
    assert _read(out) == _expected(entries)


def test_resume_continues_a_partial_file_without_repeating(tmp_path):
    entries = make_entries(3_000, tie_every=5)
    with FakeLoki(entries) as fake:
        out = tmp_path / "part.jsonl"
        pull(Access(fake.url), QUERY, T0 - 10**9, T0 + 10**13, out, limit=400)
        full = out.read_bytes()
        out.write_bytes(full[: len(full) // 2 - 17])  # cut mid-line, mid-tie-group
        stats = pull(Access(fake.url), QUERY, T0 - 10**9, T0 + 10**13, out, limit=400, resume=True)
    assert stats.resumed_from_ns is not None
    assert _read(out) == _expected(entries)


def test_gzip_output_and_resume(tmp_path):
    entries = make_entries(2_000, tie_every=2)
    with FakeLoki(entries) as fake:
        out = tmp_path / "pull.jsonl.gz"
        pull(Access(fake.url), QUERY, T0 - 10**9, T0 + 10**13, out, limit=300)
        assert _read(out) == _expected(entries)
        data = out.read_bytes()
        out.write_bytes(data[: len(data) * 2 // 3])  # a half-written gzip member
        pull(Access(fake.url), QUERY, T0 - 10**9, T0 + 10**13, out, limit=300, resume=True)
    assert _read(out) == _expected(entries)


def test_ctrl_c_leaves_a_valid_file_that_resume_completes(tmp_path):
    entries = make_entries(6_000)
    with FakeLoki(entries) as fake:
        fake.state.delay_s = 0.15
        out = tmp_path / "interrupted.jsonl"
        cmd = [sys.executable, "-m", "rca", "pull", "--loki", fake.url, "--query", QUERY, "--from", FROM,
               "--to", TO, "-o", str(out), "--batch", "200"]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30

        def written() -> int:  # pages go to a temporary file beside out until the pull ends
            return sum(p.stat().st_size for p in tmp_path.glob(".interrupted.jsonl.*.rca-tmp"))

        while written() < 20_000 and time.time() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "--resume" in err
        partial = _read(out)  # every line parses: the file is valid
        assert 0 < sum(partial.values()) < len(entries)
        fake.state.delay_s = 0
        done = subprocess.run([*cmd, "--resume"], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert _read(out) == _expected(entries)


def test_bearer_token_org_id_and_no_secret_printed(rca, tmp_path):
    entries = make_entries(50)
    with FakeLoki(entries) as fake:
        fake.state.token, fake.state.org_id = "loki-secret-token-123", "tenant-a"
        out = tmp_path / "auth.jsonl"
        run = _pull_cli(rca, fake, out, "--org-id", "tenant-a", env={"LOKI_TOKEN": "loki-secret-token-123"})
        assert run.code == 0, run.stderr
        bad = _pull_cli(rca, fake, out, "--org-id", "tenant-a", env={"LOKI_TOKEN": "wrong-token-456"})
        assert bad.code == 1 and "rejected the credentials" in bad.stderr
        assert "wrong-token-456" not in bad.stderr + bad.stdout
        assert "loki-secret-token-123" not in run.stderr + run.stdout


def test_basic_auth_from_the_environment(rca, tmp_path):
    with FakeLoki(make_entries(20)) as fake:
        fake.state.basic = base64.b64encode(b"12345:glc_secret").decode()
        run = _pull_cli(rca, fake, tmp_path / "b.jsonl", env={"LOKI_USER": "12345", "LOKI_PASSWORD": "glc_secret"})
        assert run.code == 0, run.stderr


def test_grafana_datasource_proxy_url(tmp_path):
    entries = make_entries(30)
    with FakeLoki(entries) as fake:
        out = tmp_path / "proxy.jsonl"
        pull(Access(fake.url + "/api/datasources/proxy/uid/P8E80F9AEF21F6940/"), QUERY, T0 - 10**9, T0 + 10**13,
             out, limit=7)
    assert _read(out) == _expected(entries)


def test_analyze_straight_from_loki(rca, tmp_path):
    from fixtures import generate
    from fixtures.generate import Chaos

    events = generate.simulate(chaos=[Chaos("fail", 300, 540)])
    with FakeLoki([(e.ts_ns, e.labels, e.line) for e in events]) as fake:
        run = rca("analyze", "--loki", fake.url, "--query", '{component="jwt-pizza-service"}', "--from", FROM,
                  "--to", TO, "-f", "json")
        assert run.code == 0, run.stderr
    doc = json.loads(run.stdout)
    assert len(doc["incidents"]) == 1
    assert doc["inputs"][0]["records"] == len(events)


def test_analyze_from_loki_removes_its_temporary_pull(rca, tmp_path):
    from fixtures import generate
    from fixtures.generate import Chaos

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    events = generate.simulate(chaos=[Chaos("fail", 300, 540)])
    with FakeLoki([(e.ts_ns, e.labels, e.line) for e in events]) as fake:
        run = rca("analyze", "--loki", fake.url, "--query", '{component="jwt-pizza-service"}', "--from", FROM,
                  "--to", TO, "-f", "md", "-o", str(tmp_path / "report.md"), env={"TMPDIR": str(scratch)})
    assert run.code == 0, run.stderr
    assert "## Root cause" in (tmp_path / "report.md").read_text()
    assert list(scratch.iterdir()) == []


def test_analyze_from_loki_removes_its_temporary_pull_when_the_analysis_fails(rca, tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    with FakeLoki([(T0 + i * 1_000_000_000, {"app": "x"}, "not a log line at all") for i in range(3)]) as fake:
        run = rca("analyze", "--loki", fake.url, "--query", QUERY, "--from", FROM, "--to", TO,
                  "--chart", str(tmp_path / "chart.gif"), env={"TMPDIR": str(scratch)})
    assert run.code == 2
    assert list(scratch.iterdir()) == []


def test_analyze_from_loki_keeps_the_pull_where_asked(rca, tmp_path):
    from fixtures import generate

    events = generate.simulate(minutes=3)
    kept = tmp_path / "pulled.jsonl"
    with FakeLoki([(e.ts_ns, e.labels, e.line) for e in events]) as fake:
        run = rca("analyze", "--loki", fake.url, "--query", '{component="jwt-pizza-service"}', "--from", FROM,
                  "--to", TO, "--keep-pull", str(kept))
    assert run.code == 0, run.stderr
    assert len(kept.read_text().splitlines()) == len(events)


def test_analyze_from_loki_with_nothing_in_the_range_says_so_in_one_line(rca, tmp_path):
    with FakeLoki([]) as fake:
        run = rca("analyze", "--loki", fake.url, "--query", QUERY, "--from", FROM, "--to", TO, "-q")
    assert run.code == 2
    assert run.stderr.strip().splitlines() == [
        "rca: error: Loki returned no lines for this query from 2025-12-02T17:00:00.000Z to 2025-12-02T20:00:00.000Z: "
        "nothing to analyse (check the query and the time range)"]


def test_time_range_flags_are_validated(rca, tmp_path):
    run = rca("pull", "--loki", "http://127.0.0.1:9", "--query", QUERY, "-o", str(tmp_path / "x.jsonl"))
    assert run.code == 2 and "time range" in run.stderr
    run = rca("pull", "--loki", "http://127.0.0.1:9", "--query", QUERY, "--since", "soon", "-o", str(tmp_path / "x"))
    assert run.code == 2 and "not a duration" in run.stderr


@pytest.mark.parametrize("target", ["a-folder", "missing/pulled.jsonl", "/dev/full"],
                         ids=["a folder", "in a missing folder", "a full device"])
def test_an_output_pull_cannot_write_is_one_line_naming_it(rca, tmp_path, target):
    (tmp_path / "a-folder").mkdir()
    out = target if target.startswith("/") else str(tmp_path / target)
    with FakeLoki(make_entries(20)) as fake:
        run = _pull_cli(rca, fake, out)
    assert run.code == 2, run.stderr
    assert run.stderr.count("\n") == 1 and f"{out}: cannot write" in run.stderr
