"""Mask secrets in everything rca writes: API keys in URLs, JWTs, bearer tokens, passwords,
and the values of token-like environment variables."""

from __future__ import annotations

import os
from functools import lru_cache

import regex

from rca.knowledge.pack import Pack, default_pack

MASK = "****"

_RULES: list[tuple[regex.Pattern[str], str]] = [
    (regex.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), "[REDACTED:jwt]"),
    (regex.compile(r"\b(?:deadxe|xedead)[A-Za-z0-9_.-]{8,}"), "[REDACTED:jwt]"),
    (regex.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + MASK),
    (regex.compile(r"(?i)(\\*[\"']?(?:password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?token|token|authorization)\\*[\"']?\s*[:=]\s*\\*[\"']?)(?!\*{3})([^\"'\\\s,}&]{3,})"), r"\1" + MASK),
    (regex.compile(r"(?i)(?<=[?&](?:api[_-]?key|apikey|token|access_token|key|secret|password|sig|signature|X-Amz-Signature|X-Amz-Credential|session)=)[^&#\s\"'\\]+"), MASK),
    (regex.compile(r"(?<=://)[^/\s:@\"']+:[^/\s@\"']+(?=@)"), MASK),
    (regex.compile(r"\b(?:glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/=_-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}|(?:AKIA|ASIA)[A-Z0-9]{16}|sk_(?:live|test)_[A-Za-z0-9]{16,})\b"), "[REDACTED:token]"),
]
_ENV_SECRET = regex.compile(r"(?i)(token|secret|password|passwd|api_?key|credential)")


@lru_cache(maxsize=8)
def _env_secrets(snapshot: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    return tuple(sorted({v for k, v in snapshot if _ENV_SECRET.search(k) and len(v) >= 8}, key=len, reverse=True))


def redact(text: str, pack: Pack | None = None) -> str:
    """The text with every secret rca knows how to recognise masked. Idempotent."""
    if not text:
        return text
    pack = pack or default_pack()
    for pattern in pack.secret_url:
        text = pattern.sub(MASK, text)
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    for secret in _env_secrets(tuple(sorted(os.environ.items()))):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def clip(text: str, limit: int) -> str:
    """Shorten text without cutting through a token (a cut key could not be recognised)."""
    if len(text) <= limit:
        return text
    cut = max(text.rfind(sep, 0, limit) for sep in (" ", ",", '"', "'", "{", "}"))
    return text[: cut if cut > limit // 2 else limit] + " …"


def redact_obj(value: object, pack: Pack | None = None) -> object:
    """Redact every string inside a JSON-like structure."""
    if isinstance(value, str):
        return redact(value, pack)
    if isinstance(value, list):
        return [redact_obj(v, pack) for v in value]
    if isinstance(value, dict):
        return {k: redact_obj(v, pack) for k, v in value.items()}
    return value
