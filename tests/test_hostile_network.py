"""Servers that misbehave cannot steal credentials, fake a success, hang rca, fill its
memory, clobber a file or put a page of HTML (or the token) into an error message."""

from __future__ import annotations

import json
import time
import urllib.error

import pytest

from rca.integrations import http
from tests.fakes.hostile import HostileServer

TOKEN = "glsa_secretTOKENvalue_0123456789"
PULL = ["pull", "--query", '{app="x"}', "--from", "2025-01-01T00:00:00Z", "--to", "2025-01-01T01:00:00Z"]


def _one_error(run) -> str:
    lines = [line for line in run.stderr.strip().splitlines() if line]
    assert len(lines) == 1, run.stderr
    return lines[0]


def test_pull_refuses_a_redirect_to_another_host_and_sends_it_no_credentials(rca, tmp_path):
    with HostileServer() as elsewhere, HostileServer() as loki:
        loki.behaviour.mode, loki.behaviour.location = "redirect", elsewhere.url
        run = rca(*PULL, "--loki", loki.url, "--org-id", "tenant-a", "-o", str(tmp_path / "out.jsonl"),
                  env={"LOKI_TOKEN": TOKEN})
    assert run.code != 0
    assert "redirected to another host" in _one_error(run)
    assert elsewhere.requests == []


def test_a_redirect_within_the_same_server_is_followed(rca, tmp_path):
    with HostileServer() as loki:
        loki.behaviour.mode, loki.behaviour.location = "redirect", loki.url + "/moved"
        run = rca(*PULL, "--loki", loki.url, "-o", str(tmp_path / "out.jsonl"), env={"LOKI_TOKEN": TOKEN})
    assert run.code == 0, run.stderr
    assert [r["path"][:6] for r in loki.requests] == ["/loki/", "/moved"]
    assert loki.requests[1]["headers"]["Authorization"] == f"Bearer {TOKEN}"


def test_a_post_answered_with_a_redirect_is_not_counted_as_posted(rca, tmp_path):
    findings = tmp_path / "findings.json"
    from rca.findings.pipeline import analyze
    from rca.outputs.report import findings_json

    findings.write_text(json.dumps(findings_json(analyze(["fixtures/chaos-fail/loki-query.json"]))))
    with HostileServer() as grafana:
        grafana.behaviour.mode, grafana.behaviour.location = "redirect", grafana.url + "/moved"
        run = rca("attach", str(findings), "--grafana-url", grafana.url, "--annotate", env={"GRAFANA_TOKEN": TOKEN})
    assert run.code != 0
    assert "FAILED" in run.stdout and "not applied" in run.stdout
    assert [r["method"] for r in grafana.requests if r["path"].startswith("/moved")] == ["GET"]


def test_a_slow_drip_answer_is_cut_off_by_the_deadline(rca, tmp_path):
    with HostileServer(mode="drip") as loki:
        started = time.monotonic()
        run = rca(*PULL, "--loki", loki.url, "--deadline", "3s", "-o", str(tmp_path / "out.jsonl"))
        took = time.monotonic() - started
    assert run.code != 0 and took < 60
    assert "Loki" in _one_error(run)


def test_a_silent_server_is_given_up_on_at_the_deadline(rca, tmp_path):
    with HostileServer(mode="silent") as loki:
        started = time.monotonic()
        run = rca(*PULL, "--loki", loki.url, "--deadline", "2s", "-o", str(tmp_path / "out.jsonl"))
        took = time.monotonic() - started
    assert run.code != 0 and took < 60
    assert "Loki" in _one_error(run)


def test_a_server_silent_for_a_whole_timeout_is_tried_twice_not_every_retry():
    with HostileServer(mode="silent") as server:
        with pytest.raises(http.Unreachable, match="no answer within 0.5 s, 2 times"):
            http.fetch(server.url, headers={}, timeout_s=0.5, retries=5, backoff_s=0)
        assert len(server.requests) == 2


def test_a_huge_answer_is_refused_at_the_size_cap_without_reading_it_all():
    with HostileServer(mode="huge", huge_bytes=256 << 20) as server:
        with pytest.raises(http.Refused, match="larger than 1 MiB"):
            http.fetch(server.url, headers={}, timeout_s=10, retries=3, backoff_s=0, max_bytes=1 << 20)
        assert len(server.requests) == 1


def test_a_post_answered_500_is_not_sent_again():
    with HostileServer(mode="status", status=500, body=b"oops") as server:
        with pytest.raises(urllib.error.HTTPError):
            http.fetch(server.url, headers={}, timeout_s=5, retries=3, backoff_s=0, method="POST", data=b"{}")
        assert [r["method"] for r in server.requests] == ["POST"]


def test_a_post_answered_429_is_sent_again():
    with HostileServer(mode="ok", status=429, fail_first=1, retry_after="0") as server:
        http.fetch(server.url, headers={}, timeout_s=5, retries=3, backoff_s=0, method="POST", data=b"{}")
        assert [r["method"] for r in server.requests] == ["POST", "POST"]


def test_retry_after_is_honoured_only_up_to_the_cap(monkeypatch):
    monkeypatch.setattr(http, "MAX_WAIT_S", 0.2)
    with HostileServer(mode="ok", status=503, fail_first=1, retry_after="3600") as server:
        started = time.monotonic()
        http.fetch(server.url, headers={}, timeout_s=5, retries=2, backoff_s=0)
        assert time.monotonic() - started < 60
        assert len(server.requests) == 2


def test_retry_after_as_an_http_date_is_read():
    assert 50 < http.retry_after(time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60)), 1) <= 60


def test_a_failed_pull_leaves_an_existing_output_untouched(rca, tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text('{"labels":{},"line":"earlier pull","timestamp":"2025-01-01T00:00:00Z"}\n')
    before = out.read_bytes()
    with HostileServer(mode="status", status=403, body=b"forbidden") as loki:
        run = rca(*PULL, "--loki", loki.url, "-o", str(out))
    assert run.code != 0
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_an_html_error_page_echoing_the_token_gives_one_clean_line(rca, tmp_path):
    page = f"<!DOCTYPE html>\n<html><body><h1>Forbidden</h1><p>token {TOKEN}</p></body></html>".encode()
    with HostileServer(mode="status", status=403, body=page) as loki:
        run = rca(*PULL, "--loki", loki.url, "-o", str(tmp_path / "out.jsonl"), env={"LOKI_TOKEN": TOKEN})
    line = _one_error(run)
    assert run.code != 0 and "403" in line
    assert "<" not in line and TOKEN not in run.stderr + run.stdout


def test_a_loki_that_answers_garbage_is_said_to_have_answered_not_to_be_unreachable(rca, tmp_path):
    with HostileServer(mode="status", status=200, body=b"this is not json") as loki:
        run = rca(*PULL, "--loki", loki.url, "-o", str(tmp_path / "out.jsonl"), "--deadline", "20s")
    line = _one_error(run)
    assert run.code != 0
    assert "answered what could not be read" in line and "cannot reach" not in line


def test_a_text_error_echoing_the_token_is_masked(rca, tmp_path):
    with HostileServer(mode="status", status=400, body=f"bad request from Bearer {TOKEN}\nsecond".encode()) as loki:
        run = rca(*PULL, "--loki", loki.url, "-o", str(tmp_path / "out.jsonl"), env={"LOKI_TOKEN": TOKEN})
    line = _one_error(run)
    assert "bad request" in line and TOKEN not in run.stderr and "second" not in run.stderr


def _findings(tmp_path):
    from rca.findings.pipeline import analyze
    from rca.outputs.report import findings_json

    findings = tmp_path / "findings.json"
    findings.write_text(json.dumps(findings_json(analyze(["fixtures/chaos-fail/loki-query.json"]))))
    return findings


def test_a_server_dripping_its_headers_cannot_outlast_one_request_deadline():
    with HostileServer(mode="drip-headers") as server:
        started = time.monotonic()
        with pytest.raises(http.Unreachable, match="did not finish in time"):
            http.fetch(server.url, headers={}, timeout_s=5, retries=0, backoff_s=0, deadline_s=1)
        assert time.monotonic() - started < 30


def test_a_request_that_ran_out_its_deadline_is_not_sent_again():
    with HostileServer(mode="drip") as server:
        with pytest.raises(http.Unreachable, match="did not finish in time"):
            http.fetch(server.url, headers={}, timeout_s=5, retries=3, backoff_s=0, deadline_s=1)
        assert len(server.requests) == 1


def test_pull_ends_at_its_deadline_when_the_server_drips_its_headers(rca, tmp_path):
    with HostileServer(mode="drip-headers") as loki:
        started = time.monotonic()
        run = rca(*PULL, "--loki", loki.url, "--deadline", "3s", "-o", str(tmp_path / "out.jsonl"))
        took = time.monotonic() - started
    assert run.code != 0 and took < 60
    assert "did not finish in time" in _one_error(run)


def test_analyze_from_loki_ends_at_its_deadline_when_the_server_drips_its_headers(rca):
    with HostileServer(mode="drip-headers") as loki:
        started = time.monotonic()
        run = rca("analyze", "--loki", loki.url, "--query", '{app="x"}', "--since", "1h", "--deadline", "3s")
        took = time.monotonic() - started
    assert run.code != 0 and took < 60
    assert "did not finish in time" in _one_error(run)


def test_attach_ends_at_its_deadline_when_grafana_drips_its_headers(rca, tmp_path):
    findings = _findings(tmp_path)
    with HostileServer(mode="drip-headers") as grafana:
        started = time.monotonic()
        run = rca("attach", str(findings), "--grafana-url", grafana.url, "--annotate", "--deadline", "3s",
                  env={"GRAFANA_TOKEN": TOKEN})
        took = time.monotonic() - started
    assert run.code != 0 and took < 60
    failed = [line for line in run.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and "did not finish in time" in failed[0]


def test_deadline_without_loki_is_a_usage_error(rca):
    run = rca("analyze", "fixtures/chaos-fail/loki-query.json", "--deadline", "3s")
    assert run.code == 2 and "--loki" in _one_error(run)


def test_an_answer_shorter_than_announced_is_not_taken_as_complete():
    with HostileServer(mode="cut", body=b"[]") as server:
        with pytest.raises(http.Unreachable, match="cut off"):
            http.fetch(server.url, headers={}, timeout_s=5, retries=1, backoff_s=0)
        assert len(server.requests) == 2


@pytest.mark.parametrize("body", [b"<html><body>Sign in to Grafana</body></html>", b'["not", "an object"]'],
                         ids=["html page", "json list"])
def test_a_grafana_answer_that_is_not_a_json_object_fails_its_target_not_rca(rca, tmp_path, body):
    findings = _findings(tmp_path)
    with HostileServer(mode="ok", body=body) as grafana:
        run = rca("attach", str(findings), "--grafana-url", grafana.url, "--incident-id", "42",
                  env={"GRAFANA_TOKEN": TOKEN})
    assert run.code != 0 and "internal error" not in run.stderr and "Traceback" not in run.stderr
    failed = [line for line in run.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and ("not JSON" in failed[0] or "not an object" in failed[0])


def test_an_error_field_grafana_answers_is_one_short_line(rca, tmp_path):
    findings = _findings(tmp_path)
    body = json.dumps({"error": "bad request\nsecond line \x1b[31mred\x1b[0m " + "x" * 3000}).encode()
    with HostileServer(mode="ok", body=body) as grafana:
        run = rca("attach", str(findings), "--grafana-url", grafana.url, "--annotate", env={"GRAFANA_TOKEN": TOKEN})
    assert run.code != 0
    (failed,) = [line for line in run.stdout.splitlines() if line.strip()]
    assert failed.startswith("FAILED") and "bad request" in failed and "second line" not in failed
    assert len(failed) < 400


@pytest.mark.parametrize("body", [
    {"incidents": [{"title": 5, "incidentID": "1"}]},
    {"incidents": [{"title": ["rca"], "incidentID": "1"}]},
    {"activityItems": [], "cursor": "next-page"},
    {"activityItems": [], "cursor": {"hasMore": True, "nextValue": {"odd": 1}}, "incidents": "none"},
], ids=["title a number", "title a list", "cursor a string", "incidents a string"])
def test_an_irm_answer_of_odd_shape_fails_or_passes_its_target_never_rca(rca, tmp_path, body):
    findings = _findings(tmp_path)
    for target in (["--incident-id", "42"], ["--create-incident"]):
        with HostileServer(mode="ok", body=json.dumps(body).encode()) as grafana:
            run = rca("attach", str(findings), "--grafana-url", grafana.url, *target, env={"GRAFANA_TOKEN": TOKEN})
        assert "internal error" not in run.stderr and "Traceback" not in run.stderr, (target, run.stderr)
        assert run.stdout.startswith(("ok", "FAILED")), (target, run.stdout)
