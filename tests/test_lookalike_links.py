"""A link whose host dresses up as one the pack knows (the known name as a prefix, a
suffix-less look-alike, or the user part of the URL) is never the link to follow; a link on
the known host, on a subdomain of it, or on a host that names none of them (a factory's own
hostname in the 2025 era) still is."""

from __future__ import annotations

import pytest

from fixtures import generate
from fixtures.generate import API_KEY
from rca import analyze
from rca.knowledge.pack import default_pack, lookalike_host
from rca.table.decode import decode_line

PATH = f"/api/support/{API_KEY}/report/k3q9z7mf"
SUPPORT = "https://pizza-factory.cs329.click/api/support/"


@pytest.mark.parametrize("url", [
    f"https://pizza-factory.cs329.click.evil.example{PATH}",
    f"https://evil-pizza-factory.cs329.click{PATH}",
    f"https://pizza-factory.cs329.click@evil.example{PATH}",
    "https://cs329.cs.byu.edu.example.net/api/report?apiKey=abc&fixCode=def",
    f"https://pizza-fact\u043ery.cs329.click{PATH}",  # a Cyrillic o
    f"https://xn--pizza-factry-abc.cs329.click{PATH}",
    f"https://pizza-factory.xn--cs329-abc.click{PATH}",
])
def test_a_host_dressed_up_as_a_known_link_host_is_a_lookalike(url):
    assert lookalike_host(url, default_pack())


@pytest.mark.parametrize("url", [
    f"https://pizza-factory.cs329.click{PATH}",
    f"https://PIZZA-Factory.cs329.click{PATH}",
    f"https://eu.pizza-factory.cs329.click{PATH}",
    f"http://ip-10-0-3-17:3000{PATH}",
    "https://cs329.cs.byu.edu/api/report?apiKey=abc&fixCode=def",
])
def test_a_known_host_its_subdomains_and_unrelated_hosts_are_not_lookalikes(url):
    assert not lookalike_host(url, default_pack())


@pytest.mark.parametrize("url", [
    f"https://evil.example/redirect?to=https://pizza-factory.cs329.click{PATH}",
    f"https://evil.example/redirect?to=https%3A%2F%2Fpizza-factory.cs329.click{PATH}",
    f"https://evil.example/go#https://pizza-factory.cs329.click{PATH}",
    "https://pizza-factory.cs329.click/api/support/x/report/abc?next=https://evil.example/",
])
def test_a_link_carrying_another_url_is_never_one_to_follow(url):
    """A remediation link never carries another URL: one that does is a redirector (or sends
    the reader on), whatever host either names."""
    assert lookalike_host(url, default_pack())


@pytest.mark.parametrize("url", [
    f"https://admin:hunter2@pizza-factory.cs329.click{PATH}",
    f"https://admin@pizza-factory.cs329.click{PATH}",
    f"https://@pizza-factory.cs329.click{PATH}",
])
def test_a_link_carrying_a_user_part_is_never_one_to_follow(url):
    assert lookalike_host(url, default_pack())


@pytest.mark.parametrize("origin", [
    "https://pizza-factory.cs329.click.evil.example",
    "https://admin:hunter2@pizza-factory.cs329.click",
])
def test_chaos_links_dressed_up_are_not_offered_but_the_failures_are_still_an_incident(tmp_path, origin):
    findings = _chaos_findings_with_links_as(tmp_path, f"{origin}/api/support/")
    assert findings.incidents
    assert not [u for inc in findings.incidents for c in inc.causes for u in c.urls if origin in u]


WRAPPERS = ["javascript:alert(1)//", "javascript://", "data:text/html,", "vbscript:x//",
            "javascript:fetch('//evil.example')//", 'javascript:fetch("//evil.example")//', "javascript:'"]


@pytest.mark.parametrize("wrapper", WRAPPERS)
@pytest.mark.parametrize("line", [
    '{"status":500,"responseBody":{"message":"chaos monkey","reportUrl":"%s"}}',
    '{"status":500,"responseBody":{"message":"chaos monkey","reportUrl":"%s"}}'.replace("/", "\\/"),
    "ERROR chaos monkey: see [the report](%s)",
])
def test_a_link_wrapped_in_another_scheme_is_never_the_link_to_follow(wrapper, line):
    decoded = decode_line(line % f"{wrapper}https://pizza-factory.cs329.click{PATH}", default_pack())
    assert decoded.link is None


def test_a_link_also_said_plainly_is_still_the_link_to_follow():
    link = f"https://pizza-factory.cs329.click{PATH}"
    line = f'{{"status":500,"note":"javascript:alert(1)//{link}","responseBody":{{"reportUrl":"{link}"}}}}'
    assert decode_line(line, default_pack()).link == link


@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_chaos_links_wrapped_in_another_scheme_are_not_offered_but_the_failures_are_still_an_incident(
        tmp_path, wrapper):
    findings = _chaos_findings_with_links_as(tmp_path, f"{wrapper}{SUPPORT}")
    assert findings.incidents
    assert not [u for inc in findings.incidents for c in inc.causes for u in c.urls]


def _chaos_findings_with_links_as(tmp_path, support: str):
    """The findings of the chaos-fail traffic whose report links open with `support`
    instead of the factory's own support URL (the substitution checked to have taken)."""
    events = [generate.Event(e.ts_ns, e.labels, e.line.replace(SUPPORT, support))
              for e in generate.simulate(chaos=generate.CHAOS_FAIL)]
    assert any(support in e.line for e in events)
    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query(events))
    return analyze([str(path)])
