"""Where a report-shaped URL may be the link to follow. Under one of the pack's link keys
(`followLinkToEndChaos`, `reportUrl`) the service or factory wrote it, so a factory on its
own host (`http://ip-10-0-3-17:3000`) is believed. Anywhere else (a message, a user's name a
response echoes, a plain-text line) the text may be anyone's, so only a host the pack knows
(or a subdomain of one) makes it a link. A host one or two letters from a known one
(`pizza-factory.cs329.c1ick`) is a look-alike wherever it stands."""

from __future__ import annotations

import json

import pytest

from rca.knowledge.pack import default_pack, lookalike_host
from rca.table.decode import decode_line

PACK = default_pack()
PATH = "/api/support/0123456789abcdef0123456789abcdef/report/k3q9z7mf"


@pytest.mark.parametrize("host", ["https://evil.example", "http://ip-10-0-3-17:3000"])
@pytest.mark.parametrize("line", [
    '{"statusCode":200,"path":"/api/user/7","method":"PUT","resBody":%s}',
    '{"statusCode":500,"path":"/api/order","method":"POST","resBody":%s}',
], ids=["echoed-name", "message"])
def test_a_report_url_on_an_unknown_host_outside_a_link_key_is_not_a_link(host, line):
    body = json.dumps(json.dumps({"user": {"name": f"see {host}{PATH}"}, "message": f"try {host}{PATH}"}))
    assert decode_line(line % body, PACK).link is None


@pytest.mark.parametrize("line", [
    "2025-12-02T17:40:00Z [ERROR]: order failed, report at %s",
    "Dec  2 17:40:00 web-1 node[42]: order failed, report at %s",
])
def test_a_report_url_on_an_unknown_host_in_a_text_line_is_not_a_link(line):
    assert decode_line(line % f"https://evil.example{PATH}", PACK).link is None


@pytest.mark.parametrize("host", ["https://pizza-factory.cs329.click", "https://eu.pizza-factory.cs329.click"])
def test_a_report_url_on_the_known_host_in_text_is_still_the_link(host):
    line = f"2025-12-02T17:40:00Z [ERROR]: order failed, report at {host}{PATH}"
    assert decode_line(line, PACK).link == f"{host}{PATH}"


def test_a_factory_on_its_own_host_under_a_link_key_is_still_the_link():
    link = f"http://ip-10-0-3-17:3000{PATH}"
    line = json.dumps({"statusCode": 500, "resBody": json.dumps({"message": "chaos monkey", "reportUrl": link})})
    assert decode_line(line, PACK).link == link


@pytest.mark.parametrize("host", ["pizza-factory.cs329.c1ick", "pizza-factory.cs329.clik", "pizza-factroy.cs329.click",
                                  "cs329.cs.byu.edu.", "cs329.cs.byu.eud"])
def test_a_host_a_letter_or_two_from_a_known_one_is_a_lookalike(host):
    assert lookalike_host(f"https://{host}{PATH}", PACK) is (host.rstrip(".") != "cs329.cs.byu.edu")


def test_a_typosquatted_link_under_a_link_key_is_not_the_link():
    link = f"https://pizza-factory.cs329.c1ick{PATH}"
    line = json.dumps({"statusCode": 500, "resBody": json.dumps({"message": "Failed to fulfill order at factory",
                                                                "followLinkToEndChaos": link})})
    assert decode_line(line, PACK).link is None
