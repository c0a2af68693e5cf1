"""A URL inside JSON-encoded text ends where an escaped newline, tab or control character
follows it: dropping the backslash made `…/report/k3q9z7mf\\nthen` the link
`…/report/k3q9z7mfnthen`, a wrong fix code, and the link to follow. An escaped `&` or `/`
(`\\u0026`, `\\/`) is the character it stands for."""

from __future__ import annotations

import json

import pytest

from rca.knowledge.pack import default_pack
from rca.table.decode import decode_line, find_urls

LINK = "https://pizza-factory.cs329.click/api/support/0123456789abcdef0123456789abcdef/report/k3q9z7mf"


@pytest.mark.parametrize("after", ["\nthen retry", "\tnow", "\u0007x", "\r\n    at Router.handle"])
def test_a_link_followed_by_an_escaped_control_character_keeps_its_fix_code(after):
    line = json.dumps({"level": "error", "statusCode": 500, "path": "/api/order", "method": "POST",
                       "message": f"factory failed, follow {LINK}{after}"})
    assert decode_line(line, default_pack()).link == LINK


def test_a_link_in_a_twice_encoded_body_before_an_escaped_newline_keeps_its_fix_code():
    body = json.dumps(json.dumps({"message": f"factory failed {LINK}\n    at orderRouter.js:61"}))
    line = json.dumps({"statusCode": 500, "path": "/api/order", "method": "POST", "resBody": body})
    assert decode_line(line, default_pack()).link == LINK


def test_a_plain_text_link_before_a_literal_backslash_n_keeps_its_fix_code():
    assert find_urls(f"2025-12-02T17:00:00Z ERROR follow {LINK}\\nnext") == [LINK]


def test_escaped_slashes_and_ampersands_are_the_characters_they_stand_for():
    autograder = "https://cs329.cs.byu.edu/api/report?apiKey=0123456789abcdef0123456789abcdef&fixCode=9c1e4b7a"
    escaped = autograder.replace("/", "\\/").replace("&", "\\u0026")
    assert find_urls(f'"reportUrl":"{escaped}"') == [autograder]
