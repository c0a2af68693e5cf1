"""Drill-down: the raw lines behind a signature or an incident window (redacted, newest or
oldest first), and Grafana Explore links built only from rca's own values."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from fixtures import generate
from fixtures.generate import API_KEY, Chaos, Event

FIXTURE = "fixtures/chaos-fail/loki-query.json"
GRAFANA = ("--grafana-url", "https://grafana.example.net", "--datasource", "loki-uid_1")


def _findings(rca, *args):
    return json.loads(rca("analyze", *args, "-f", "json").stdout)


def _stamps(stdout: str) -> list[str]:
    return [line.split()[0] for line in stdout.splitlines()]


def test_show_signature_prints_every_line_of_it_newest_first_and_redacted(rca):
    doc = _findings(rca, FIXTURE)
    link = next(c for c in doc["clusters"] if c["urls"] and not c["routine"])
    run = rca("show", FIXTURE, "--signature", link["id"], "--limit", "0")
    assert run.code == 0, run.stderr
    assert len(run.stdout.splitlines()) == link["count"]
    stamps = _stamps(run.stdout)
    assert stamps == sorted(stamps, reverse=True) and stamps[0] == link["last"] and stamps[-1] == link["first"]
    assert API_KEY not in run.stdout and "/report/k3q9z7mf" in run.stdout
    assert f"{link['count']} lines, showing {link['count']}, newest first" in run.stderr


def test_show_oldest_first_and_limit(rca):
    doc = _findings(rca, FIXTURE)
    sig = doc["clusters"][0]
    run = rca("show", FIXTURE, "--signature", sig["id"], "--limit", "3", "--oldest-first")
    stamps = _stamps(run.stdout)
    assert len(stamps) == 3 and stamps == sorted(stamps) and stamps[0] == sig["first"]


def test_show_incident_prints_the_lines_inside_its_window(rca):
    inc = _findings(rca, FIXTURE)["incidents"][0]
    run = rca("show", FIXTURE, "--incident", inc["id"], "--limit", "0", "-q")
    stamps = _stamps(run.stdout)
    assert run.code == 0 and run.stderr == ""
    assert len(stamps) > inc["impact"]["affected_requests"]
    assert all(inc["start"] <= s <= inc["end"] for s in stamps)
    assert stamps[0] == inc["end"] and stamps[-1] == inc["start"]


def test_show_reveals_secrets_only_when_asked(rca):
    sig = next(c for c in _findings(rca, FIXTURE)["clusters"] if c["urls"])
    assert API_KEY in rca("show", FIXTURE, "--signature", sig["id"], "--reveal-secrets").stdout


def test_show_an_unknown_id_or_no_id_is_a_one_line_usage_error(rca):
    run = rca("show", FIXTURE, "--signature", "sig-nope")
    assert run.code == 2 and "no signature 'sig-nope'" in run.stderr and "sig-" in run.stderr.split("signatures:")[1]
    assert len(run.stderr.splitlines()) == 1
    assert rca("show", FIXTURE).code == 2
    assert rca("show", FIXTURE, "--signature", "a", "--incident", "b").code == 2


def _show_incident_with(rca, tmp_path, chaos_text: str):
    """`rca show` of the chaos incident, its factory answer's "chaos monkey" written as `chaos_text`."""
    events = [Event(e.ts_ns, e.labels, e.line.replace("chaos monkey", chaos_text))
              for e in generate.simulate(chaos=[Chaos("fail", 120, 300)], minutes=8)]
    export = tmp_path / "x.json"
    export.write_bytes(generate.loki_query(events))
    inc = _findings(rca, str(export))["incidents"][0]
    return rca("show", str(export), "--incident", inc["id"], "--limit", "0")


def test_show_does_not_pass_escape_sequences_to_the_terminal(rca, tmp_path):
    run = _show_incident_with(rca, tmp_path, "chaos monkey\\u001b]8;;http://evil\\u0007")
    assert run.code == 0 and "\x1b" not in run.stdout and "\x07" not in run.stdout


def _pane(url: str) -> dict:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "grafana.example.net", "/explore")
    return json.loads(parse_qs(parts.query)["panes"][0])["rca"]


def test_json_carries_explore_links_for_the_incident_window_and_each_signature(rca):
    doc = _findings(rca, FIXTURE, *GRAFANA)
    inc = doc["incidents"][0]
    pane = _pane(inc["explore_url"])
    assert pane["datasource"] == "loki-uid_1" and pane["queries"][0]["datasource"]["uid"] == "loki-uid_1"
    assert pane["queries"][0]["expr"] == '{component="jwt-pizza-service"}'
    start_ms = 1764696910126  # 2025-12-02T17:35:10.126Z
    assert int(pane["range"]["from"]) < start_ms < int(pane["range"]["to"])
    for c in doc["clusters"]:
        expr = _pane(c["explore_url"])["queries"][0]["expr"]
        assert expr.startswith('{component="jwt-pizza-service"}') and str(json.loads(json.dumps(c["statuses"])))
        assert f"{next(iter(c['statuses']))}" in expr


def test_markdown_and_html_carry_the_same_links(rca):
    inc = _findings(rca, FIXTURE, *GRAFANA)["incidents"][0]
    md = rca("analyze", FIXTURE, "-f", "md", *GRAFANA).stdout
    assert f"[the incident window]({inc['explore_url']})" in md
    html = rca("analyze", FIXTURE, "-f", "html", *GRAFANA).stdout
    assert inc["explore_url"].replace("&", "&amp;") in html


def test_explore_links_never_carry_log_text(rca, tmp_path):
    hostile = 'pizza"} |= "x` or 1=1'
    events = [Event(e.ts_ns, {**e.labels, "component": hostile}, e.line)
              for e in generate.simulate(chaos=[Chaos("fail", 120, 300)], minutes=8)]
    export = tmp_path / "x.json"
    export.write_bytes(generate.loki_query(events))
    doc = _findings(rca, str(export), *GRAFANA)
    urls = [doc["incidents"][0]["explore_url"]] + [c["explore_url"] for c in doc["clusters"]]
    for url in urls:
        expr = _pane(url)["queries"][0]["expr"]
        assert "pizza" not in expr and expr.startswith('{job=~".+"}')


def test_explore_needs_both_options_and_an_http_url(rca):
    assert rca("analyze", FIXTURE, "--grafana-url", "https://g.example").code == 2
    run = rca("analyze", FIXTURE, "--grafana-url", "javascript:alert(1)", "--datasource", "x")
    assert run.code == 2 and "--grafana-url" in run.stderr


def test_show_writes_a_bidi_override_as_its_python_escape(rca, tmp_path):
    run = _show_incident_with(rca, tmp_path, "chaos \\u202emonkey")
    assert run.code == 0 and "\u202e" not in run.stdout
    assert "chaos \\u202emonkey" in run.stdout and "\\x202e" not in run.stdout
