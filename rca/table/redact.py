"""Mask secrets in everything rca writes, with one catalogue (`rca/knowledge/secrets.json`):
API keys in URLs, JWTs, bearer tokens, passwords, cookies, private keys, provider tokens,
the values of token-like environment variables and the tokens rca was given to use.

The data is redacted once, before any renderer sees it (`redact_tree` over the findings),
so every output format shows the same masked text."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from functools import lru_cache
from typing import Any

import regex

from rca.compiled import compiled
from rca.knowledge import shipped
from rca.knowledge.pack import Pack, default_pack

CATALOGUE = json.loads(shipped("secrets.json").decode("utf-8"))
MASK: str = CATALOGUE["mask"]
# (pattern, replacement, needs): `needs` is text the pattern cannot match without, any one
# of it (lower case; empty: the rule runs on every text).
_RULES: list[tuple[regex.Pattern[str], str, frozenset[str]]] = [
    (compiled(r["pattern"]), r["replace"], frozenset(r.get("needs", ()))) for r in CATALOGUE["rules"]]
_SENSITIVE_KEY = compiled(CATALOGUE["sensitive_keys"])
_ENV_SECRET = compiled(CATALOGUE["env_names"])
_GIVEN: set[str] = set()


def remember_secret(value: str | None) -> None:
    """A credential rca was handed (a token file, a password): masked wherever it appears."""
    if value and len(value) >= 6:
        _GIVEN.add(value)


@lru_cache(maxsize=8)
def _known_secrets(snapshot: tuple[tuple[str, str], ...], given: frozenset[str]) -> tuple[str, ...]:
    found = {v for k, v in snapshot if _ENV_SECRET.search(k) and len(v) >= 8} | given
    return tuple(sorted(found, key=len, reverse=True))


Rule = tuple[regex.Pattern[str], str, frozenset[str]]
_PACK_RULES: dict[int, tuple[Pack, list[Rule], tuple[str, ...]]] = {}


def _pack_rules(pack: Pack) -> list[Rule]:
    """The pack's own secrets: its links' key patterns and its services' forged-token prefixes."""
    return _rules(pack)[0][:len(pack.secret_url) + (pack.forged_jwt is not None)]


def _rules(pack: Pack) -> tuple[list[Rule], tuple[str, ...]]:
    """The pack's rules then the catalogue's, in the order they are applied, and every word
    any of them needs (each text is searched for each word once, not once per rule)."""
    cached = _PACK_RULES.get(id(pack))
    if cached is not None and cached[0] is pack:
        return cached[1], cached[2]
    rules = [(pattern, MASK, frozenset(needs)) for pattern, needs in zip(pack.secret_url, pack.secret_url_needs,
                                                                           strict=True)]
    if pack.forged_jwt is not None:
        rules.append((pack.forged_jwt, "[REDACTED:jwt]", frozenset(p.lower() for p in pack.bad_jwt_prefixes)))
    rules += _RULES
    words = tuple(sorted({word for _, _, needs in rules for word in needs}))
    _PACK_RULES[id(pack)] = (pack, rules, words)
    return rules, words


def known_secrets() -> tuple[str, ...]:
    """The environment's token-like values and the credentials rca was given, longest first.
    Read the environment once per piece of work: reading it per string cost seconds."""
    return _known_secrets(tuple(sorted(os.environ.items())), frozenset(_GIVEN))


def redact(text: str, pack: Pack | None = None, secrets: tuple[str, ...] | None = None) -> str:
    """The text with every secret rca knows how to recognise masked (`secrets`: the
    `known_secrets()` of the caller's walk, read now when not given). Idempotent."""
    if not text:
        return text
    rules, words = _rules(pack or default_pack())
    present = _present(text, words)
    for pattern, repl, needs in rules:
        if needs and needs.isdisjoint(present):
            continue  # a text without what the rule needs (in any case) cannot match
        text, changed = pattern.subn(repl, text)
        if changed:
            present = _present(text, words)
    for secret in known_secrets() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


# The characters other than ASCII that a (?i) rule's ASCII letter matches (`regex`'s simple
# case folding): the long s, the Kelvin sign and the dotted capital I, as that letter.
ASCII_FOLDS = str.maketrans({"\u017f": "s", "\u212a": "k", "\u0130": "i"})


def _present(text: str, words: tuple[str, ...]) -> set[str]:
    """The needed words a text holds in any case, as (?i) reads them. Other characters
    outside ASCII (a clipped example's "…", accents) spare no rule their text lacks."""
    lowered = (text if text.isascii() else text.translate(ASCII_FOLDS)).lower()
    return {word for word in words if word in lowered}


def sensitive_key(key: object) -> bool:
    """A field name whose value is a secret whatever it looks like (password, token, cookie…)."""
    return isinstance(key, str) and bool(_SENSITIVE_KEY.match(key.strip("\"' ")))


def clip(text: str, limit: int) -> str:
    """Shorten text without cutting through a token (a cut key could not be recognised)."""
    if len(text) <= limit:
        return text
    cut = max(text.rfind(sep, 0, limit) for sep in (" ", ",", '"', "'", "{", "}"))
    return text[: cut if cut > limit // 2 else limit] + " …"


def redact_obj(value: object, pack: Pack | None = None, secrets: tuple[str, ...] | None = None) -> object:
    """Redact every string inside a JSON-like structure; a secret-named field's value is
    masked whatever it holds."""
    secrets = known_secrets() if secrets is None else secrets
    if isinstance(value, str):
        return redact(value, pack, secrets)
    if isinstance(value, list):
        return [redact_obj(v, pack, secrets) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v) if sensitive_key(k) else redact_obj(v, pack, secrets) for k, v in value.items()}
    return value


def _masked(value: object) -> object:
    if isinstance(value, str):
        return MASK if value else value
    if isinstance(value, (list, tuple)):
        return type(value)(_masked(v) for v in value)
    return value


# Values a walk returns as they are: nothing in them can hold text.
_PLAIN = frozenset({int, float, bool, type(None), bytes})


def redact_tree(value: Any, pack: Pack | None = None) -> Any:
    """A copy of `value` with every string inside it redacted: dataclasses, lists, tuples and
    dicts are walked; arrays, tables and the knowledge pack are shared, not copied. The
    findings of a large export hold tens of thousands of strings but a few thousand distinct
    ones (component, endpoint, signature ids): each distinct one is redacted once, and each
    distinct dict key is looked at once. How a type is walked is worked out once per type,
    and a dataclass's copy keeps the fields nothing in them could change (numbers, flags,
    arrays) without walking them."""
    pack = pack or default_pack()
    secrets = known_secrets()
    memo: dict[str, str] = {}
    keys: dict[str, tuple[str, bool]] = {}
    # Per type: None (returned as it is), a dataclass's field names, or its walker.
    how: dict[type, Any] = {}

    def text(value: str) -> str:
        done = memo.get(value)
        if done is None:
            done = memo[value] = redact(value, pack, secrets)
        return done

    def key(k: str) -> tuple[str, bool]:
        done = keys.get(k)
        if done is None:
            done = keys[k] = (text(k), sensitive_key(k))
        return done

    def entry(k: Any, v: Any) -> tuple[Any, Any]:
        if not isinstance(k, str):
            return k, walk(v)
        shown, secret = key(k)
        return shown, _masked(v) if secret else walk(v)

    def sequence(value: list | tuple) -> Any:
        items = [walk(v) for v in value]
        return items if isinstance(value, list) else type(value)(items) if not hasattr(value, "_fields") \
            else type(value)(*items)

    def mapping(value: dict) -> dict:
        return dict(entry(k, v) for k, v in value.items())

    def way(kind: type, value: Any) -> Any:
        """How values of `kind` are walked, as the walk first met them."""
        if issubclass(kind, str):
            return text
        if issubclass(kind, (list, tuple)):
            return sequence
        if issubclass(kind, dict):
            return mapping
        if dataclasses.is_dataclass(value) and not isinstance(value, (type, Pack)):
            return tuple(f.name for f in dataclasses.fields(value))
        return None

    def walk(value: Any) -> Any:
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind is str:
            done = memo.get(value)
            return text(value) if done is None else done
        if kind in how:
            walker = how[kind]
        else:
            walker = how[kind] = way(kind, value)
        if walker is None:
            return value
        if type(walker) is not tuple:
            return walker(value)
        out = copy.copy(value)
        for name in walker:
            field_value = getattr(value, name)
            if type(field_value) in _PLAIN or how.get(type(field_value), ...) is None:
                continue  # the copy holds it already, and nothing in it can change
            walked = walk(field_value)
            if walked is not field_value:
                object.__setattr__(out, name, walked)
        return out

    return walk(value)
