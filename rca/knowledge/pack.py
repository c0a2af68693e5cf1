"""Knowledge packs: domain facts (field names, link keys, routine noise, cause rules) as data.

The engine is generic; a pack tells it how one system's logs speak. The JWT Pizza pack
ships with rca; `load_pack(path)` reads another one of the same shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import regex

from rca.errors import UsageError
from rca.knowledge import shipped
from rca.lazy import LazyRegex


@dataclass(frozen=True)
class CauseRule:
    name: str
    component: str
    kind: str
    confidence: float
    summary: str
    match: dict[str, Any]
    message: regex.Pattern[str] | None = None
    advice: str | None = None
    refined_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoiseRule:
    name: str
    statuses: tuple[int, ...]
    message: regex.Pattern[str] | None
    has_link: bool | None
    component: str | None = None
    # The trickle is routine but a burst of it is not: the same failure, many times its own
    # rate, is what an outage of that kind looks like (the rate scan decides).
    bursts_matter: bool = False


@dataclass(frozen=True)
class Pack:
    name: str
    fields: dict[str, list[str]]
    label_keys: dict[str, list[str]]
    category_of: dict[str, str]
    link_keys: tuple[str, ...]
    # Hosts the links to follow are known to live on: a host that dresses up as one of them
    # (`pizza-factory.cs329.click.evil.example`) is never a link to follow.
    link_hosts: tuple[str, ...]
    remediation_url: regex.Pattern[str]
    link_identity: tuple[regex.Pattern[str], ...]
    # A link whose secret parts were replaced by placeholders: evidence of chaos, not a link to follow.
    redacted_link: regex.Pattern[str]
    dependency_keys: tuple[str, ...]
    resolution: regex.Pattern[str]
    # The link's answers that end nothing: no chaos was running, or the link was refused.
    resolution_idle: regex.Pattern[str]
    resolution_rejected: regex.Pattern[str]
    secret_url: tuple[regex.Pattern[str], ...]
    # Per secret_url pattern, text it cannot match without (lower case, any one; empty: none known).
    secret_url_needs: tuple[tuple[str, ...], ...]
    bad_jwt_prefixes: tuple[str, ...]
    # A JWT that starts with one of those prefixes: a secret to mask and a template variable.
    forged_jwt: regex.Pattern[str] | None
    slow_latency_ms: float
    endpoint_rules: tuple[dict[str, Any], ...]
    noise: tuple[NoiseRule, ...]
    causes: tuple[CauseRule, ...]
    generic_cause: dict[str, Any]
    alert_tokens: tuple[str, ...] = field(default_factory=tuple)
    latency_anchor: dict[str, Any] | None = None
    outgoing_category: str = "outgoing"
    generic_slow_cause: dict[str, Any] | None = None
    generic_bodyless_cause: dict[str, Any] | None = None
    # Plain-text lines: what marks a failure (level words, exceptions, network errors) and
    # where a status code is written.
    text_failure: regex.Pattern[str] | None = None
    text_status: regex.Pattern[str] | None = None
    # Labels every record shares, or a query, that show an export was filtered to errors.
    error_filter_labels: tuple[tuple[str, regex.Pattern[str]], ...] = ()
    error_filter_query: regex.Pattern[str] | None = None
    # What signature templates mask beyond the generic rules (forged JWTs, a link's fix code).
    template_variables: tuple[regex.Pattern[str], ...] = ()


def _any_of(messages: list[str], pattern: Callable[..., Any]) -> regex.Pattern[str]:
    return pattern("|".join(regex.escape(m) for m in messages) or "(?!)")


def _compile_pack(raw: dict[str, Any], pattern: Callable[..., Any] = regex.compile) -> Pack:
    """A pack from its JSON; `pattern` compiles its regexes (LazyRegex for the shipped pack:
    a run uses a few of its ~40, and compiling all cost a small analysis ~30 ms)."""
    category_of = {v.lower(): cat for cat, values in raw.get("categories", {}).items() for v in values}
    causes = []
    for c in raw.get("causes", []):
        m = c.get("match", {})
        flags = 0 if m.get("case_sensitive") else regex.IGNORECASE
        causes.append(CauseRule(
            name=c["name"], component=c["component"], kind=c["kind"], confidence=float(c["confidence"]),
            summary=c["summary"], match=m,
            message=pattern(m["message"], flags) if m.get("message") else None,
            advice=c.get("advice"), refined_by=tuple(c.get("refined_by", ())),
        ))
    noise = tuple(
        NoiseRule(n["name"], tuple(n.get("status", ())),
                  pattern(n["message"]) if n.get("message") else None, n.get("has_link"),
                  n.get("component"), bool(n.get("bursts_matter", False)))
        for n in raw.get("noise", [])
    )
    forged_jwt = _forged_jwt(raw.get("bad_jwt_prefixes", ()), pattern)
    secret_url = [_with_needs(entry) for entry in raw.get("secret_url_patterns", ())]
    return Pack(
        name=raw["name"],
        fields=raw.get("fields", {}),
        label_keys=raw.get("label_keys", {}),
        category_of=category_of,
        link_keys=tuple(raw.get("link_keys", ())),
        link_hosts=tuple(h.lower() for h in raw.get("link_hosts", ())),
        remediation_url=pattern("|".join(raw.get("remediation_url_patterns", ["(?!)"]))),
        redacted_link=pattern("|".join(raw.get("redacted_link_patterns", ["(?!)"]))),
        link_identity=tuple(pattern(p) for p in raw.get("link_identity_patterns", ())),
        dependency_keys=tuple(raw.get("dependency_keys", ())),
        resolution=_any_of(raw.get("resolution_messages", []), pattern),
        resolution_idle=_any_of(raw.get("resolution_idle_messages", []), pattern),
        resolution_rejected=_any_of(raw.get("resolution_rejected_messages", []), pattern),
        secret_url=tuple(pattern(p) for p, _ in secret_url),
        secret_url_needs=tuple(needs for _, needs in secret_url),
        bad_jwt_prefixes=tuple(raw.get("bad_jwt_prefixes", ())),
        forged_jwt=forged_jwt,
        slow_latency_ms=float(raw.get("slow_latency_ms", 20000)),
        endpoint_rules=tuple(raw.get("endpoint_rules", ())),
        noise=noise,
        causes=tuple(causes),
        generic_cause=raw.get("generic_cause", {"kind": "failing responses", "confidence": 0.4,
                                                  "summary": "{endpoint} answered {status}"}),
        alert_tokens=tuple(raw.get("alert_tokens", ())),
        latency_anchor=raw.get("latency_anchor"),
        outgoing_category=raw.get("outgoing_category", "outgoing"),
        generic_slow_cause=raw.get("generic_slow_cause"),
        generic_bodyless_cause=raw.get("generic_bodyless_cause"),
        error_filter_labels=tuple((k, pattern(v)) for k, v in raw.get("error_filter", {}).get("labels", {}).items()),
        error_filter_query=pattern("|".join(raw["error_filter"]["query"]))
        if raw.get("error_filter", {}).get("query") else None,
        text_failure=pattern("|".join(_scoped(p) for p in raw["text_failures"]), regex.MULTILINE)
        if raw.get("text_failures") else None,
        text_status=pattern(raw["text_status"]) if raw.get("text_status") else None,
        template_variables=_template_variables(raw, pattern, forged_jwt),
    )


def _with_needs(entry: Any) -> tuple[str, tuple[str, ...]]:
    """A pattern entry, given alone or as {"pattern", "needs"}: its pattern and the text it
    cannot match without (any one of it, compared lower-cased: a rule whose needs are absent
    is skipped, so a need in another case must not hide the secret)."""
    if isinstance(entry, str):
        return entry, ()
    needs = entry.get("needs", []) if isinstance(entry, dict) else None
    if not (isinstance(entry, dict) and isinstance(entry.get("pattern"), str) and isinstance(needs, list)
            and all(isinstance(n, str) and n for n in needs)):
        raise ValueError(f"a pattern entry is a string or {{\"pattern\": ..., \"needs\": [...]}}, not {entry!r:.80}")
    return entry["pattern"], tuple(n.lower() for n in needs)


def _forged_jwt(prefixes: list[str], pattern: Callable[..., Any]) -> regex.Pattern[str] | None:
    """A token that starts with one of the services' forged-JWT prefixes."""
    if not prefixes:
        return None
    return pattern(rf"\b(?:{'|'.join(regex.escape(p) for p in prefixes)})[A-Za-z0-9_.-]{{8,}}")


def _template_variables(raw: dict[str, Any], pattern: Callable[..., Any],
                        forged_jwt: regex.Pattern[str] | None) -> tuple[regex.Pattern[str], ...]:
    """The pack's own template variables: any JWT with a forged prefix, and its patterns."""
    patterns = [pattern(p) for p in raw.get("template_variable_patterns", ())]
    return tuple(([forged_jwt] if forged_jwt is not None else []) + patterns)


def _scoped(pattern: str) -> str:
    """One alternative of a combined pattern, its leading (?i) kept to itself."""
    return f"(?i:{pattern[4:]})" if pattern.startswith("(?i)") else f"(?:{pattern})"


@cache
def default_pack() -> Pack:
    text = shipped("packs/jwt-pizza.json").decode("utf-8")
    return _compile_pack(json.loads(text), LazyRegex)


def load_pack(path: str | Path) -> Pack:
    try:
        return _compile_pack(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, regex.error) as exc:
        raise UsageError(f"{path}: not a usable knowledge pack ({exc})") from None


def lookalike_host(url: str, pack: Pack) -> bool:
    """The URL's host names one of the pack's link hosts without being it or a subdomain of
    it: `pizza-factory.cs329.click.evil.example`, `evil-pizza-factory.cs329.click`, or the
    known name as the user part (`https://pizza-factory.cs329.click@evil.example/`). A URL
    with any user part (`https://admin:pw@pizza-factory.cs329.click/…`) is never one to follow
    either: a service's remediation link carries no credentials, and a reader who follows one
    hands them over; nor is one carrying another URL (a redirector), nor, where the pack
    knows its link hosts, one on a host written in other letters than ASCII's (or punycode)."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return bool(pack.link_hosts)
    if "@" in parts.netloc or _ANOTHER_URL.search(url.strip(), len(parts.scheme) + 3):
        return True
    if not pack.link_hosts:
        return False
    if any(host == known or host.endswith("." + known) for known in pack.link_hosts):
        return False
    if not host.isascii() or any(label.startswith("xn--") for label in host.split(".")):
        return True  # look-alike letters (`pizza-factоry` with a Cyrillic о), or their punycode
    return any(known in parts.netloc.lower() for known in pack.link_hosts) or _misspells(host, pack.link_hosts)


def _misspells(host: str, known_hosts: tuple[str, ...]) -> bool:
    """The host is one or two letters away from a known one (`pizza-factory.cs329.c1ick`,
    `pizza-factroy…`): a typosquat, never the factory (rapidfuzz is loaded only for a
    report-shaped URL on an unknown host)."""
    from rapidfuzz.distance import Levenshtein

    return any(Levenshtein.distance(host.lower(), known, score_cutoff=2) <= 2 for known in known_hosts)


def on_link_host(url: str, pack: Pack) -> bool:
    """The URL is on one of the pack's link hosts or a subdomain of one (any host, where the
    pack names none): a link found in free text must be, since anyone may have written it."""
    if not pack.link_hosts:
        return True
    try:
        host = (urlsplit(url.strip()).hostname or "").rstrip(".")
    except ValueError:
        return False
    return any(host == known or host.endswith("." + known) for known in pack.link_hosts)


# Another URL inside a URL's path, query or fragment, written out or percent-encoded: a
# redirector (`https://evil.example/redirect?to=https://…`) or a link that sends the reader on.
_ANOTHER_URL = LazyRegex(r"(?i)[a-z][a-z0-9+.-]*(?::|%3a)(?://|%2f%2f)")
