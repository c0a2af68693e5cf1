"""Plain-text service logs: level words, `Status: NNN`, exceptions, stack frames and network
errors are failures; a burst of them is an incident of the service the file is named for,
with the dominant signature as cause and no link invented. `rca patterns` templates the
message, not the line's timestamp."""

from __future__ import annotations

import json

import pytest

from fixtures.textlogs import NETWORK, REGISTER, service_log
from rca.findings.pipeline import analyze
from rca.knowledge.pack import default_pack
from rca.table.decode import decode_line

MIN = 60


def _write(tmp_path, text, name="jwt-pizza-service.log"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("line", [
    "2024-12-12T08:21:26.304Z [ERROR]: Failed to register user: u@x | Status: 500 | Message: logger.warn is not a function",
    "[ERROR]: Network error while fetching http://localhost:3001/api/auth: fetch failed",
    "2024-12-12 08:21:26,304 ERROR worker: job 7 failed",
    "ts=2024-12-12T08:21:26Z level=error msg=\"queue full\"",
    "severity=ERROR component=billing",
    "Dec 12 08:21:26 host app: TypeError: Cannot read properties of undefined (reading 'id')",
    "    at Object.register (/usr/src/app/routes/authRouter.js:88:17)",
    "connect ECONNREFUSED 10.0.3.17:5432",
    "upstream request ETIMEDOUT after 30000ms",
    "request done status=503 path=/x",
])
def test_failure_words_make_a_text_line_a_failure(line):
    d = decode_line(line, default_pack())
    assert d.category == "error" or (d.status or 0) >= 500


@pytest.mark.parametrize("line", [
    "2024-12-12T08:21:26.304Z [INFO]: Server started on port 3000",
    "[WARN]: Slow query took 512ms: SELECT * FROM menu",
    "INFO nightly check: no errors today",
    "request done status=200 path=/api/order/menu",
])
def test_ordinary_text_lines_are_not_failures(line):
    d = decode_line(line, default_pack())
    assert d.category != "error" and (d.status or 0) < 400


def test_a_burst_of_text_failures_is_an_incident_of_the_service_with_no_invented_link(tmp_path):
    text, failures = service_log(hours=3, burst=(140, 155), burst_lines=(REGISTER, REGISTER, NETWORK))
    f = analyze([_write(tmp_path, text)])
    assert len(f.incidents) == 1
    inc = f.incidents[0].incident
    assert abs(inc.start_ns / 1e9 - failures[0].timestamp()) <= 3 * MIN
    assert abs(inc.end_ns / 1e9 - failures[-1].timestamp()) <= 3 * MIN
    top = f.incidents[0].causes[0]
    assert top.component == "jwt-pizza-service"
    assert (top.kind, top.component) == ("code error", "jwt-pizza-service")
    assert "logger.warn is not a function" in top.summary
    assert all(c.urls == [] for c in f.incidents[0].causes)
    assert [u for u in f.urls if u.role == "remediation"] == []


def test_network_errors_to_another_service_are_not_blamed_on_the_factory(tmp_path):
    text, _ = service_log(hours=2, burst=(60, 70), burst_lines=(NETWORK,), seed=5)
    f = analyze([_write(tmp_path, text, "frontend.log")])
    top = f.incidents[0].causes[0]
    assert (top.component, top.kind) == ("frontend", "unreachable")


def test_steady_text_errors_alone_are_routine(tmp_path):
    text, _ = service_log(hours=4, seed=7)
    f = analyze([_write(tmp_path, text)])
    assert f.incidents == []
    assert any("metrics to Grafana" in c.template for c in f.clusters if c.routine)


def test_patterns_of_a_text_log_leave_its_timestamps_out(rca, tmp_path):
    text, _ = service_log(hours=1, burst=(20, 30), burst_lines=(REGISTER,), seed=9)
    run = rca("patterns", _write(tmp_path, text), "-f", "json")
    assert run.code == 0
    templates = [t["template"] for t in json.loads(run.stdout)["templates"]]
    assert templates and all(not t.startswith(("2024", "<*>")) for t in templates)
    assert any(t.startswith("[ERROR]: Failed to register user:") for t in templates)


@pytest.mark.parametrize("name", ["export.log", "Explore-logs-2026-11-30 10_12_01.txt", "query (1).log",
                                  "syslog", "syslog.1", "daemon.log", "access.log", "error_log"])
def test_a_file_named_by_its_export_tool_or_the_system_names_no_service(tmp_path, name):
    text, _ = service_log(hours=3, burst=(140, 155), burst_lines=(REGISTER, REGISTER, NETWORK))
    f = analyze([_write(tmp_path, text, name)])
    top = f.incidents[0].causes[0]
    assert (top.component, top.kind) == ("unnamed service", "code error")


def _nginx_outage(tmp_path) -> str:
    """Access lines of a service, then five minutes in which only nginx's error lines are
    written (every request timed out upstream, and the app logged nothing)."""
    lines = []
    for i in range(300):
        stamp = f"2025-12-02T17:{i // 10:02d}:{i % 10 * 6:02d}Z"
        if 100 <= i < 150:
            lines.append(f"{stamp} [error] upstream timed out (110: Connection timed out) while reading response "
                         f"header from upstream, client: 10.0.0.{i % 200 + 1}, request: \"POST /api/order HTTP/1.1\"")
        else:
            lines.append(f"{stamp} GET /api/order/menu 200 {i % 70 + 5}ms")
    return _write(tmp_path, "\n".join(lines) + "\n", name="pizza-proxy.log")


def test_an_incident_of_failure_lines_that_are_not_responses_counts_them_among_the_requests(tmp_path):
    (found,) = analyze([_nginx_outage(tmp_path)]).incidents
    assert found.incident.affected_requests == 50
    assert found.incident.total_requests >= found.incident.affected_requests


def test_the_failure_lines_themselves_are_traffic_not_a_gap(tmp_path):
    (found,) = analyze([_nginx_outage(tmp_path)]).incidents
    assert found.incident.gaps == []


def test_failure_lines_without_a_status_are_not_reported_as_zero_failed(tmp_path):
    """'50 affected (0 failed)' reads as 'nothing failed'; the report says the lines logged no status."""
    from rca.outputs.report import markdown

    findings = analyze([_nginx_outage(tmp_path)])
    (found,) = findings.incidents
    assert (found.incident.failed_requests, found.incident.no_status_requests) == (0, 50)
    report = markdown(findings)
    assert "(0 failed)" not in report and "(0 failed, 50 with no status logged)" in report


def test_the_findings_json_counts_the_affected_lines_with_no_status(tmp_path):
    from rca.outputs.report import findings_json

    impact = findings_json(analyze([_nginx_outage(tmp_path)]))["incidents"][0]["impact"]
    assert (impact["failed_requests"], impact["no_status_requests"]) == (0, 50)


def test_a_zipped_log_is_named_for_its_own_file_not_the_archive(tmp_path):
    """`all.zip:jwt-pizza-service.log` is the service's log, as it is unzipped."""
    import zipfile

    text, _ = service_log(hours=3, burst=(140, 155), burst_lines=(REGISTER, REGISTER, NETWORK))
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("jwt-pizza-service.log", text)
    top = analyze([str(archive)]).incidents[0].causes[0]
    assert top.component == "jwt-pizza-service"
