"""Templates mask variables; redaction masks secrets in everything rca writes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rca.table.masking import template
from rca.table.redact import redact

KEY = "5f0c2a9e7b1d4c38a6e2f91b0d7c4e55"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("connect ECONNREFUSED 10.0.3.17:3306", "connect ECONNREFUSED <*>"),
        ("order 412 took 32047.61ms", "order <*> took <*>"),
        ("user d@jwt.com not found", "user <*> not found"),
        ("id 3f2b8c1e-9a7d-4c2b-8e1f-0a9b8c7d6e5f gone", "id <*> gone"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.c2lnbmF0dXJl expired", "token <*> expired"),
        (f"see https://pizza-factory.cs329.click/api/support/{KEY}/report/k3q9z7mf",
         "see https://pizza-factory.cs329.click/api/support/<*>/report/<*>"),
        ("https://cs329.cs.byu.edu/api/report?apiKey=abc&fixCode=def", "https://cs329.cs.byu.edu/api/report?apiKey=<*>&fixCode=<*>"),
        ("at 2025-12-02T17:42:31.118Z hex deadbeef01", "at <*> hex <*>"),
        ("Failed to fulfill order at factory", "Failed to fulfill order at factory"),
    ],
    ids=["ip-port", "number-unit", "email", "uuid", "jwt", "factory-url", "autograder-url", "time-hex", "constant"],
)
def test_template_masks_variables(message, expected):
    assert template(message) == expected


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"https://pizza-factory.cs329.click/api/support/{KEY}/report/k3q9z7mf", KEY),
        (f"https://cs329.cs.byu.edu/api/report?apiKey={KEY}&fixCode=x", KEY),
        ('{"jwt":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.c2lnbmF0dXJl"}', "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9"),
        ("Authorization: Bearer sk-abcdefghijklmnop", "sk-abcdefghijklmnop"),
        ('{"email":"a@jwt.com","password":"hunter2secret"}', "hunter2secret"),
        ('"reqBody":"{\\"password\\": \\"hunter2secret\\"}"', "hunter2secret"),
        ("jwt deadxe6MTcb33f3ODgzOTgsImV4cCI6MTcx", "deadxe6MTcb33f3ODgzOTgsImV4cCI6MTcx"),
        ("https://admin:pa55word@grafana.local/api", "pa55word"),
        ("token glsa_abcdefghijklmnopqrstuvwxyz012345_0123abcd", "glsa_abcdefghijklmnopqrstuvwxyz012345_0123abcd"),
    ],
    ids=["factory-apikey", "autograder-apikey", "jwt", "bearer", "password", "escaped-password", "badjwt",
         "url-userinfo", "grafana-token"],
)
def test_secrets_are_masked(text, secret):
    assert secret not in redact(text)


def test_fix_code_survives_redaction():
    out = redact(f"https://pizza-factory.cs329.click/api/support/{KEY}/report/k3q9z7mf")
    assert out.endswith("/report/k3q9z7mf")


def test_environment_tokens_are_masked(monkeypatch):
    monkeypatch.setenv("GRAFANA_TOKEN", "supersecretvalue123")
    assert "supersecretvalue123" not in redact("calling with supersecretvalue123 now")


@given(st.text(max_size=200))
def test_redaction_is_idempotent(text):
    once = redact(text)
    assert redact(once) == once


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120))
def test_redaction_never_grows_a_planted_key_back(prefix):
    url = f"{prefix} https://pizza-factory.cs329.click/api/support/{KEY}/report/abc"
    assert KEY not in redact(url)


def test_a_systems_own_variables_come_from_its_knowledge_pack():
    line = "forged jwt deadxe6MTcb33f3ODgzOTgs at https://factory.example/api/support/k/report/k3q9z7mf"
    assert template(line) == "forged jwt <*> at https://factory.example/api/support/k/report/<*>"
    assert template(line, variables=()) == \
        "forged jwt deadxe6MTcb33f3ODgzOTgs at https://factory.example/api/support/k/report/k3q9z7mf"


def test_a_repeated_string_is_masked_everywhere_a_walk_meets_it(monkeypatch):
    from rca.table.redact import redact_tree

    monkeypatch.setenv("LOKI_TOKEN", "glc_0123456789abcdef")
    line = "auth glc_0123456789abcdef failed"
    tree = {"examples": [line, line], "counts": {line: 2}, "nested": ({"again": line},)}
    walked = redact_tree(tree)
    assert "glc_0123456789abcdef" not in repr(walked)
    assert walked["examples"][0] == walked["examples"][1] == next(iter(walked["counts"])) == walked["nested"][0]["again"]


def test_a_forged_jwt_from_the_pack_is_masked_and_is_a_template_variable_alike():
    line = "rejected token deadxe6MTcb33f3ODgzOTgs from the factory"
    assert "deadxe6MTcb33f3ODgzOTgs" not in redact(line)
    assert "[REDACTED:jwt]" in redact(line)
    assert template(line) == "rejected token <*> from the factory"


# A rule's `needs` (rca/knowledge/secrets.json) only spares work: a text without any of them
# cannot match the rule, so masking with and without them is the same.
_PIECES = ["password", "PassWord", "pwd", "secret", "api_key", "ApiKey", "token", "TOKEN", "session", "cookie",
           "Authorization", "credentials", "bearer ", "Basic ", "AccountKey=", "?", "&", "=", ":", ": ", "@", "://",
           "https://", "host", "/", " ", '"', "'", '\\"', ",", "}", "{", "ſ", "\u212a", "\u0130", "é", " …", "is ", "x", "Hunter2Planted",
           "eyJhbGciOiJIUzI1NiJ9", ".eyJzdWIiOiJ4In0", ".c2lnbmF0dXJl", "AKIAQ3EGUJX7PLANTED2", "sk_live_",
           "0123456789abcdef", "-us1", "glsa_", "ghp_", "xoxb-", "sk-", "npm_", "SG.", "-----BEGIN RSA PRIVATE KEY-----",
           "/api/support/", "/API/Support/", "apiKey=", "APIKEY=", "deadxe", "XEDEAD"]


def _every_rule(text: str) -> str:
    from rca.knowledge.pack import default_pack
    from rca.table.redact import _RULES, _pack_rules, known_secrets

    for pattern, repl, _ in [*_pack_rules(default_pack()), *_RULES]:
        text = pattern.sub(repl, text)
    for secret in known_secrets():
        text = text.replace(secret, "****")
    return text


@given(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join))
def test_a_rules_needs_change_no_masking(text):
    assert redact(text) == _every_rule(text)


def test_every_character_a_rule_reads_as_an_ascii_letter_is_folded_to_it_before_needs_are_looked_for():
    import regex

    from rca.table.redact import ASCII_FOLDS

    letter = regex.compile("(?i)[a-z]")
    read_as_ascii = {chr(c) for c in range(128, 0x110000) if not 0xD800 <= c <= 0xDFFF and letter.match(chr(c))}
    assert read_as_ascii == {chr(c) for c in ASCII_FOLDS}
    assert all(regex.match(f"(?i){to}", chr(c)) for c, to in ASCII_FOLDS.items())


def test_each_rules_needs_are_spelled_in_its_pattern():
    from rca.table.redact import CATALOGUE

    for rule in CATALOGUE["rules"]:
        for need in rule.get("needs", []):
            assert need == need.lower() and need in rule["pattern"].replace("\\", "").lower(), (rule["kind"], need)


def test_each_pack_secret_needs_are_spelled_in_its_pattern():
    import json
    from importlib.resources import files

    raw = json.loads(files("rca.knowledge").joinpath("packs/jwt-pizza.json").read_text(encoding="utf-8"))
    for rule in raw["secret_url_patterns"]:
        for need in rule["needs"]:
            assert need == need.lower() and need in rule["pattern"].replace("\\", "").lower(), need


def test_a_pack_secret_is_masked_in_any_text_that_holds_it():
    key = "0123456789abcdef0123456789abcdef"
    assert key not in redact(f"GET https://pizza-factory.cs329.click/api/support/{key}/report/x")
    assert "Hunter2Planted" not in redact("POST /order?apiKey=Hunter2Planted&x=1")


@pytest.mark.parametrize("text", ["PASSWORD=Hunter2Planted", "paſsword=Hunter2Planted", "é password=Hunter2Planted"])
def test_a_keyword_in_any_case_or_spelling_is_masked(text):
    assert "Hunter2Planted" not in redact(text)


def test_a_packs_secret_pattern_is_masked_given_alone_or_with_needs_in_any_case(tmp_path):
    from rca.knowledge.pack import load_pack

    line = "GET /x?Ticket=Hunter2Planted"
    assert "Hunter2Planted" in redact(line)  # no catalogue rule knows this parameter
    for entry in ["(?<=Ticket=)\\w+", {"pattern": "(?<=Ticket=)\\w+", "needs": ["Ticket="]}]:
        path = tmp_path / "pack.json"
        path.write_text(json.dumps({"name": "p", "secret_url_patterns": [entry]}), encoding="utf-8")
        assert "Hunter2Planted" not in redact(line, load_pack(path)), entry


def test_a_malformed_secret_pattern_entry_is_a_usage_error(tmp_path):
    from rca.errors import UsageError
    from rca.knowledge.pack import load_pack

    path = tmp_path / "pack.json"
    for entry in [5, {"needs": ["x"]}, {"pattern": "x", "needs": "x"}]:
        path.write_text(json.dumps({"name": "p", "secret_url_patterns": [entry]}), encoding="utf-8")
        with pytest.raises(UsageError, match="not a usable knowledge pack"):
            load_pack(path)


@pytest.mark.parametrize("text", ['{"newPassword":"Hunter2Planted"}', '{"authToken":"Hunter2Planted"}',
                                  '{"clientSecret":"Hunter2Planted"}', "dbPassword: Hunter2Planted",
                                  "PGPASSWORD=Hunter2Planted psql", "export GITHUBTOKEN=Hunter2Planted",
                                  "pw=Hunter2Planted"])
def test_a_camel_case_or_glued_secret_name_is_masked(text):
    # Node loggers write camelCase keys (newPassword, authToken) and shells glue env names
    # (PGPASSWORD): only names with a separator before the keyword were masked.
    assert "Hunter2Planted" not in redact(text)


@pytest.mark.parametrize("key", ["newPassword", "authToken", "clientSecret", "PGPASSWORD", "pw"])
def test_a_camel_case_or_glued_secret_key_is_sensitive(key):
    from rca.table.redact import sensitive_key

    assert sensitive_key(key)


@pytest.mark.parametrize("text", ["compass=north", "bypass=cache", "tokens=3", "keyboard=us"])
def test_a_word_that_only_holds_a_keywords_letters_is_not_masked(text):
    assert redact(text) == text


def test_a_secret_behind_a_long_dotted_name_is_masked_in_one_pass():
    # A logged path such as /a_a_a_…_token=x made the keyword rule try every segment as the
    # name's start and rescan the rest from there: 8 KB took 20 s, a 256 KiB line hours.
    text = "GET /" + "a_" * 20_000 + "token=Hunter2Planted 404"
    assert "Hunter2Planted" not in redact(text)


def test_a_secret_behind_a_long_run_of_backslashes_is_masked_in_one_pass():
    # Each backslash of a run was tried as the start of an escaped key: 8,000 took 30 s.
    text = "\\" * 20_000 + "token=Hunter2Planted"
    assert "Hunter2Planted" not in redact(text)


def test_a_walk_masks_every_string_of_every_dataclass_of_a_type_and_leaves_the_original_as_it_was(monkeypatch):
    from dataclasses import dataclass, field
    from typing import NamedTuple

    import numpy as np

    from rca.table.redact import redact_tree

    monkeypatch.setenv("LOKI_TOKEN", "glc_0123456789abcdef")
    secret = "auth glc_0123456789abcdef failed"

    class Pair(NamedTuple):
        name: str
        count: int

    @dataclass(frozen=True)
    class Note:
        text: str

    @dataclass
    class Row:
        note: str | None
        count: int
        rows: np.ndarray
        notes: list = field(default_factory=list)
        pair: Pair | None = None

    first = Row(None, 1, np.arange(3))  # the type is first met with nothing to mask
    second = Row(secret, 2, np.arange(2), [Note(secret), (secret, 3)], Pair(secret, 4))
    walked = redact_tree({"rows": [first, second], "by": {secret: second}})
    assert "glc_0123456789abcdef" not in repr(walked)
    shown = walked["rows"][1]
    assert shown.note == shown.notes[0].text == shown.notes[1][0] == shown.pair.name == next(iter(walked["by"]))
    assert isinstance(shown.pair, Pair) and shown.pair.count == 4 and shown.count == 2
    assert shown.rows is second.rows and walked["rows"][0].rows is first.rows  # arrays are shared, not copied
    assert second.note == secret and second.notes[0].text == secret and second.pair.name == secret
