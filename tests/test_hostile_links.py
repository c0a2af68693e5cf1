"""A secret inside the link to follow (a key in its path, a token in its query) is masked on
the terminal like everywhere else, and shown whole only with --reveal-secrets."""

from __future__ import annotations

import re

import pytest

from fixtures import generate
from fixtures.generate import API_KEY

BASE = f"https://pizza-factory.cs329.click/api/support/{API_KEY}/report/k3q9z7mf"
LINKS = {
    "api key in the path": (BASE, API_KEY),
    "token in the query": (BASE + "?token=QueryTok3nPlanted", "QueryTok3nPlanted"),
    "jwt in the query": (BASE + "?jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.cGxhbnRlZExpbmtTaWc", "cGxhbnRlZExpbmtTaWc"),
    "grafana token in the query": (BASE + "?api_key=glsa_PlantedLinkServiceToken0123456789_0a1b",
                                   "PlantedLinkServiceToken0123456789"),
}


def _export_linking_to(tmp_path, url: str):
    """The chaos-fail traffic whose every chaos link, the factory's and the service's, is `url`."""
    events = [generate.Event(e.ts_ns, e.labels, re.sub(r"https://pizza-factory[.]cs329[.]click/api/support/[^\"\\]+",
                                                       url, e.line))
              for e in generate.simulate(chaos=generate.CHAOS_FAIL)]
    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query(events))
    return str(path)


def _follow_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.split()[:1] == ["follow"]]


@pytest.mark.parametrize("name", list(LINKS))
def test_a_secret_in_the_link_to_follow_is_masked_on_the_terminal(rca, tmp_path, name):
    url, secret = LINKS[name]
    run = rca("analyze", _export_linking_to(tmp_path, url))
    assert run.code == 0, run.stderr
    assert _follow_lines(run.stdout) and secret not in run.stdout + run.stderr
    assert "--reveal-secrets to see the link to follow" in run.stdout


@pytest.mark.parametrize("name", list(LINKS))
def test_the_link_to_follow_is_whole_with_reveal_secrets(rca, tmp_path, name):
    url, _ = LINKS[name]
    run = rca("analyze", _export_linking_to(tmp_path, url), "--reveal-secrets")
    assert [line.split()[1] for line in _follow_lines(run.stdout)] == [url]
    assert "--reveal-secrets to see" not in run.stdout
