"""The benchmark's varied export looks like real traffic: request lines do not repeat."""

import json

from bench.pizza_export import iter_varied


def test_every_request_line_of_the_varied_export_is_distinct():
    http = [text for _, labels, text in iter_varied(6000) if labels["type"] == "http"]
    assert len(http) > 1000
    assert len(set(http)) == len(http)


def test_the_varied_export_has_chaos_failures_with_their_fix_link_and_routine_errors():
    rows = [json.loads(text) for _, labels, text in iter_varied(20000) if labels["type"] == "http"]
    statuses = {r["statusCode"] for r in rows}
    assert {200, 401, 404, 500} <= statuses
    links = {json.loads(r["resBody"]).get("followLinkToEndChaos") for r in rows
             if r["statusCode"] == 500 and r["path"] == "/api/order"}
    assert any(link and "/report/" in link for link in links)
