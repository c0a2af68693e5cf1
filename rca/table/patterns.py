"""Log template mining: messages → templates with `<*>` for variables.

1. Masking, vectorised over Arrow strings (RE2): numbers, hex, IPs — the variables that
   no template ever keeps.
2. Each distinct masked message is normalised once with the template-correction rules of
   the corrected Loghub ground truth (Khan et al., ICSE'22): double spaces, booleans, digit
   tokens, path-like strings, words glued to variables, dot-separated and consecutive
   variables.
3. Templates of equal length that differ in one position are merged when that position
   takes many values (a variable), never when it takes few (two different events).
4. Template ids hash the template text, so they are stable across runs and input order.

Work is per distinct masked message, never per line.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import lru_cache

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import regex

from rca.inputs.fields import lookup
from rca.table import structured
from rca.inputs.timestamps import split_header
from rca.compiled import compiled

VAR = "<*>"

# RE2 patterns for pyarrow.compute: boundary-safe without look-around.
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
_ZONE = r"(?: +(?:UTC|GMT|[A-Z]{1,3}[SD]?T|[+-]\d{4}))?"
# Dates and clock times are one variable, whatever their shape: a weekday or month name next
# to a clock time is part of the date, not an event word.
_DATE_MASKS = [
    rf"\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? +)?{_MONTH} +\d{{1,2}},?(?: +\d{{4}})? +{_CLOCK}{_ZONE}(?: +\d{{4}})?\b",
    rf"\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? +)?\d{{1,2}} +{_MONTH} +\d{{4}}(?: +{_CLOCK}{_ZONE})?\b",
    rf"\b\d{{1,2}}/{_MONTH}/\d{{4}}(?::\d{{2}}){{3}}(?: [+-]\d{{4}})?",
    r"\b\d{4}[-/]\d{2}[-/]\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b",
    r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b",
]
# The same without the numeric shapes a date or clock time takes when written in digits
# alone (2017-07-06 09:24:14.417, 11:07:29.673): those are left to the digit masks, so the
# correction rules write them as the labels do (<*>-<*>-<*> <*>:<*>:<*>, <*>:<*>:<*>); a
# date with a month or weekday name, or an ISO time with its T, stays one variable.
_NAMED_DATE_MASKS = [
    *_DATE_MASKS[:3],
    r"\b\d{4}-\d{2}-\d{2}T\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\b",
]
# RE2 patterns for pyarrow.compute: boundary-safe without look-around.
_VECTOR_MASKS = [
    r"\beyJ[\w-]+\.[\w-]+\.[\w-]*",                      # JWT
    r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b",      # e-mail: its domain ends in letters
    r"\b[0-9a-f]{8,}\b|\b[0-9A-F]{8,}\b",                # hex ids, before digit runs eat them
    r"0[xX][0-9a-fA-F]+",
    r"\b(?:\d{1,3}\.){3}\d{1,3}\b",
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
    r"\b\d+\b",
    r"\d{3,}",
]

_PATH_SPLIT = compiled(r"""([\s,!;:=|"'\[\](){}]+)""")
_TOKEN_SPLIT = compiled(r"""([\s,!;:=|"'\[\](){}.\-+@#$%&]+)""")
_DIGITS = compiled(r"^\d+$")
# Hex digits with at least one number and one letter a-f, six or more: an id or a hash
# (a1b2c3, 8a2a1f), as eight or more of any hex digits are.
_HEXISH = compiled(r"^(?=[0-9a-f]*\d)(?:[0-9a-f]{8,}|(?=[0-9a-f]*[a-f])[0-9a-f]{6,7})$")
_PATH = compiled(r"^(?:[A-Za-z]+:)?/(?:[^/\s]+/)*[^/\s]*$|^(?:\.{1,2}|~)/\S+$|^[A-Za-z]:\\\S+$")
# A Windows path (C:\Program Files\Acme\a.dll, \\server\share\x) is one value: a space
# inside a folder name does not end it, the token split on `:` would have cut it.
_WINDOWS_PATH = compiled(
    r"(?<![\w\\])(?:[A-Za-z]:|\\\\[\w.$-]+)\\(?:[^\\\s,;\"'|<>*?]+(?: [^\\\s,;\"'|<>*?:]+)*\\)*[^\\\s,;\"'|<>*?]*")
# An IPv6 address (its numbers already masked): hex groups and masked numbers joined by
# colons, `::` or five colons at least, an optional zone (%en0).
# (A group may be hex letters glued to a masked number either side: f<*>, <*>f.)
_IPV6_GROUP = r"(?:[0-9a-fA-F]{1,4}(?:<\*>[0-9a-fA-F]{0,3})?|<\*>[0-9a-fA-F]{0,3})"
_IPV6 = compiled(r"(?<![\w:.<>*])(?=[\w<>*:]*(?:::|(?::[\w<>*]+){5}))(?=[^\s]*<\*>)"
                      rf"{_IPV6_GROUP}?(?:::?{_IPV6_GROUP}?){{2,}}"
                      r"(?:%\w+)?(?![\w:<])")
# A path with its query string (/api/items?id=<*>&x=<*>) is one value.
_PATH_QUERY = compiled(r"(?<![\w/.<>*])/[^\s?\"']*\?[^\s\"']*")
# A path whose folder names hold capitalised words after a space (/Applications/Acme
# Mail.app/Contents, /Library/Application Support/x) is one value: the space does not end it.
_SPACED_PATH = compiled(r"(?<![\w/.<>*])/(?:[^/\s\"'(),;]+/)*[^/\s\"'(),;]+(?: [A-Z][a-z][^/\s\"'(),;]*)+/(?:[^/\s\"'(),;]+(?: [A-Z][a-z][^/\s\"'(),;]*)*/)*[^/\s\"'(),;]*")
# A key's value that is data by its shape: quoted (tag="View Lock"), or a dotted name of three
# labels or more, maybe with a component after a slash (name=com.acme.app, cmp=a.b.c/.Main).
# Keys whose quoted value is the text of the event itself (logfmt's msg="...", err="..."):
# those stay text.
_TEXT_KEYS = {"msg", "message", "log", "event", "error", "err", "reason", "description"}
_KEY_VALUE = compiled(r'(?<=(?:^|[\s,;(\[{]))([A-Za-z_][\w.-]*)( ?= ?)(?:("[^"\s][^"]*")(?=[\s,;)\]}]|$)'
                          r'|([a-z][\w-]*(?:\.[\w$-]+){2,}(?:/[\w.$-]*)?(?:@[\w<>*]+)?)(?=[\s,;)\]}]|$))')


def _key_value(m: regex.Match[str]) -> str:
    if m[1].lower() in _TEXT_KEYS:
        return m[0]
    return f'{m[1]}{m[2]}"{VAR}"' if m[3] else f"{m[1]}{m[2]}{VAR}"
# Two or more short upper-case flags side by side after a key (`Flags: SYN ACK`, `wanted: B C
# X+ Y-`), up to the next key or the end: one list of values.
_FLAG_LIST = compiled(r"(?<=\w: )[A-Z][A-Z0-9+-]{0,2}(?: [A-Z][A-Z0-9+-]{0,2})+(?= [\w.-]+: |$)")
# A variable's closing angle bracket is part of it (<memory:<*>>, 0x1->0x2), as the labels
# write it: the corrected labels' variables end there.
_VAR_CLOSE = compiled(r"<\*>>")
# A path that ends the message with a file name holding spaces (`/logs/[x] - AuthFail.xml`,
# `/srv/My Report 2.pdf`): one value up to the file's extension. What follows each space
# starts with a capital, a digit or a symbol; prose after a path (`/a/b done then x.txt`) does not.
_SPACED_FILE = compiled(r"(?<![\w/.<>*])/(?:[^/\s\"'(),;]+/){2,}[^/\s\"'()]+(?: [^a-z/\s\"'()][^/\s\"'()]*)+\.[A-Za-z]\w{1,3}$")
_BOOLEAN = {"true", "false"}
# Words that name the value after them (`for user alice`): there a few plain words that
# repeat are still values, not different events.
_NAMING = {"user", "username", "account", "login", "host", "hostname"}
_DEFAULTS = {"null", "root", "admin", "n/a"}


@dataclass(frozen=True)
class Config:
    """Every rule and threshold of the miner, so a benchmark can choose them on some systems
    and score them on others (bench/patterns_accuracy.py --leave-one-out)."""

    min_variants: int = 3          # values a position needs before it can be a variable
    word_guard: bool = True        # a few plain words at a position are different events
    constant_share: float = 0.5    # share of the other tokens that must stay constant text
    default_words: bool = True     # null/root/admin are values, not event words
    word_spread: float = 0.5       # plain words are values when distinct/messages reaches this
    dates: bool = True             # dates and clock times are one variable by shape
    hosts: bool = True             # host and domain names are variables by shape
    lists: bool = True             # [a, b, c] and a,b,c are one variable by shape
    align: bool = True             # a variable span may cover zero or more tokens
    join_variable: bool = True     # a rare word joins a variable another template holds there
    numbered: bool = True          # tokens that differ only in their digits are one variable
    named_values: bool = True      # two words after a naming word (user, host) are values
    pairs: bool = True             # two value-like tokens that vary together are two variables
    digit_dates: bool = True       # dates and times written in digits alone keep their separators
    key_values: bool = True        # a key's quoted value, or dotted name, is a value
    glued_brackets: bool = True    # a name glued to <*> by an angle bracket is one value
    flag_lists: bool = True        # short upper-case flags side by side after a key are one list
    spaced_files: bool = True      # a path ending the message in a file name with spaces is one value


DEFAULT = Config()
_SPACES = compiled(r"  +")
_URL = compiled(r"\b([A-Za-z][\w.+-]*)://[^\s,;\]\)]+")
_SIGNED = compiled(r"(?<=[\s=(:,\[]|^)-(?=<\*>)")
_UNITS = r"(?:B|KB|MB|GB|TB|KiB|MiB|GiB|bytes)"
_UNIT = compiled(rf"<\*> ?{_UNITS}\b")
_UNIT_TOKEN = compiled(rf"{_UNITS}[)\],;.]*")
# A bound instead of a measure (`<1 sec`, `>=5 ms`) stands where the duration stands.
_BOUND = compiled(r"(?<![\w>])[<>]=?<\*> ?(?:ms|msecs?|s|secs?|seconds?|mins?|minutes?)\b")
_DOT_VARS = compiled(r"<\*>(?:\.<\*>)+")
_CONSECUTIVE = compiled(r"(?:<\*>){2,}")
_VAR_LIST = compiled(r"<\*>(?: <\*>)+")


def _quoted_values(text: str) -> str:
    """Inside a quoted span (a request line, a command) variables side by side are one value:
    `"GET <*> <*>"` is the request's target and protocol. Only balanced quotes count."""
    parts = text.split('"')
    if len(parts) % 2 == 0:
        return text
    parts[1::2] = [_VAR_LIST.sub(VAR, p) for p in parts[1::2]]
    return '"'.join(parts)
_WORDLIKE = compiled(r"^[A-Za-z._]+$")
_CATEGORY = compiled(r"^[A-Za-z][A-Za-z._]*\d?$")
# Compiled once: `regex.search(pattern_string, …)` looks the pattern up in a cache on every
# call, which cost more than the matching itself in the per-template loops.
_WORD_CHAR = compiled(r"\w")
_TWO_LETTERS = compiled(r"[A-Za-z]{2}")
_ALNUM = compiled(r"[A-Za-z0-9_]")
_WORD_DASH = compiled(r"[\w\-]*")
_DIGIT_OR_VAR = compiled(r"\d|<\*>")


def _split_sub(text: str, splitter: regex.Pattern[str], fn) -> str:
    parts = splitter.split(text)
    parts[::2] = map(fn, parts[::2])
    return "".join(parts)


_LONG_DIGITS = compiled(r"\d{3,}")
_MEASURE = compiled(r"^\d+[A-Za-z]{1,3}$")


def _token_rule(token: str, config: Config = DEFAULT) -> str:
    if not token:
        return token
    if _DIGITS.match(token) or token.lower() in _BOOLEAN or _HEXISH.match(token):
        return VAR
    if config.default_words and token.lower() in _DEFAULTS:  # ROOT, Null: any case, as the labels
        return VAR
    if VAR in token and _HEXISH.match(token.replace(VAR, "000")):
        return VAR  # a hash whose digit run was masked first (8a2a<*> of 8a2a1234): still the hash
    if _LONG_DIGITS.search(token) or _MEASURE.match(token):
        return VAR  # an id or a number glued to a word (blk_4292…, 10000ms, 15GB, 41C, attempt_2017…)
    return token


_TLDS = {"com", "net", "org", "io", "edu", "gov", "mil", "int", "info", "biz", "co", "us", "uk", "de",
         "fr", "jp", "cn", "ru", "nl", "eu", "local", "internal", "lan", "localdomain", "cloud", "dev", "app"}
_CC_DOMAIN = compiled(r"\.(?:com|net|org|edu|gov|mil|ac|co|or|ne|go)\.[a-z]{2}$")
# A host name with its port (bx.example.asia:<*>, GW<*>.relay.example.com:<*>, node-<*>:<*>,
# name/<*>:<*>) is one endpoint, one variable: a name of three or more dotted labels, the last
# a lower-case word, whatever its TLD, or dash-separated labels ending in a number. An IP
# address and its port stay two variables (<*>:<*>): they were masked apart.
_HOST_NAME = r"(?:(?:[\w-]|<\*>)+(?:\.(?:[\w-]|<\*>)+){1,}\.[a-z]{2,}|[A-Za-z]\w*(?:-\w+)*-(?:\d+|<\*>))"
_ENDPOINT = compiled(rf"(?<![\w.<>*/-]){_HOST_NAME}(?:/<\*>)?:(?:<\*>|{_HOST_NAME})(?![\w:-]|\.[\w<])")
_NAMED_NUMBER = compiled(r"[A-Za-z]+-<\*>")
_DOTTED = compiled(r"^(?:[A-Za-z0-9_<>*-]+\.)+([A-Za-z0-9_<>*-]+)\.?$")


def _is_host(token: str) -> bool:
    """A domain name by shape: dot-separated labels ending in a top-level domain, or three or
    more lower-case labels of which one carries a number (node-4.rack2.dc) or the last is a
    two-letter country code under a generic second level (mail.example.ac.nz)."""
    m = _DOTTED.match(token)
    if not m or token.startswith(VAR + "."):
        return False
    if m[1].lower() in _TLDS and (not token[:1].isupper() or (token.count(".") >= 2 and m[1].islower())):
        return True  # a capitalised first label is a host when two more lower-case ones follow
    if token.count(".") < 2 or token != token.lower():
        return False
    # a country-code domain under a generic second level (www.example.com.xy, dept.uni.ac.xy,
    # not a dotted setting name such as task.attempt.id)
    # (a varying last label is a dotted name's leaf, org.acme.jobs.<*>, not a host)
    return bool((_DIGIT_OR_VAR.search(token) and not _DIGIT_OR_VAR.search(m[1])) or _CC_DOMAIN.search(token))


_NUMBERED_ID = compiled(r"^(?=.*[A-Za-z])[\w-]*\d[A-Za-z_-]+\d[\w-]*$")
_TRAILING = compiled(r"[.,;!?]+$")


def _path_rule(token: str, config: Config = DEFAULT) -> str:
    if not token or token == VAR:
        return token
    if "/" in token and _PATH.match(token) and len(token) > 1:
        return VAR
    if config.hosts and "." in token and _is_host(token):
        return VAR
    if config.numbered and VAR not in token and _NUMBERED_ID.search(token):
        return VAR  # R25-M1-N2, J03-U11: a name numbered in several places is an id
    stem = _TRAILING.sub("", token)
    if stem != token and VAR in stem:
        return _path_rule(stem, config) + token[len(stem):]  # `job_<*>.`: the full stop ends the sentence
    if VAR in token and _ALNUM.search(token.replace(VAR, "")):
        # a word glued to a variable (blk_<*>, user<*>, R<*>-M<*>): the whole token varies;
        # a dotted name ending in a variable (core.<*>) keeps its constant part
        stripped = token.replace(VAR, "")
        if _NAMED_NUMBER.fullmatch(token):
            return token  # node-<*>, jetty-<*>: the name stays, as the corrected labels keep it
        if _WORD_DASH.fullmatch(stripped):
            return VAR
        if config.glued_brackets and "<" + VAR in token and _WORD_DASH.fullmatch(stripped.replace("<", "")):
            return VAR  # Switch<<*>: a name glued to its number by an angle bracket
        if token.count(VAR) >= 2 or (token.startswith(VAR + ".") and stripped.count(".") >= 2):
            return VAR  # host names and dotted values built of variables
    return token


# A list of values (not of key=value pairs, not of already-masked numbers).
_BRACKET_LIST = compiled(r"([\[{])[^\[\]{}\s,=<]+(?:, ?[^\[\]{}\s,=<]+)+([\]}])")
# Names that count up (an14 an15 … an<*>, dadmin2 dadmin3 dadmin4), three or more side by
# side with one prefix: one list of values, however long.
_NAME_LIST = compiled(r"(?<![^\s=:(\[])[A-Za-z]++(?:\d++|<\*>)(?: [A-Za-z]++(?:\d++|<\*>)){2,}(?![^\s,.;)\]])")
_NAME_PAIR = compiled(r"(?:\d|\*>) [A-Za-z]+(?:\d|<\*>)")
_LETTERS = compiled(r"[A-Za-z]+")
# A version (v2.<*>, v1.<*>.<*>) is a value.
_VERSION = compiled(r"(?<![\w.<>*-])[vV]\d+(?:\.(?:\d+|<\*>))+(?![\w.])")
# A value wrapped in a pair of symbols (#7#, *x*) is the value: an anonymiser's marks.
_WRAPPED = compiled(r"(?<![\w>#*~])([#*~])<\*>\1(?![\w<#*~])")


def _one_prefix(run: str) -> bool:
    return len({_LETTERS.match(tok)[0] for tok in run.split(" ")}) == 1


# (not at the start of a message: names joined by commas there, `Service,method,key = 7`, say
# what the event is)
_BARE_LIST = compiled(r"(?<=[\s=:])[^\s,=:<\[\](){}]+(?:,[^\s,=:<\[\](){}]+){2,}(?=[\s.;]|$)"
                      # two values after a key (`acls to: alice,bob`), not two words of prose
                      r"|(?<=[=:] ?)[^\s,=:<\[\](){}]+,[^\s,=:<\[\](){}]+(?=[.;]?(?:\s(?!\s*=)|$))")


@lru_cache(maxsize=16)
def _token_rules(config: Config):
    """The path rule, and the path rule then the token rules, of one configuration, memoised
    per token: the same tokens recur across thousands of distinct messages. The token split's
    delimiters include the path split's, so splitting each path token on its own cuts a
    message into the same pieces as splitting it whole."""
    path_rule = lru_cache(maxsize=1 << 16)(lambda t: _path_rule(t, config))
    token_rule = lru_cache(maxsize=1 << 16)(lambda t: _token_rule(t, config))
    return path_rule, lru_cache(maxsize=1 << 16)(lambda t: _split_sub(path_rule(t), _TOKEN_SPLIT, token_rule))


# Cheap tests a message must pass for a rule's pattern to match it at all (each names text
# every match holds): most distinct messages pass none, and the patterns cost tens of
# microseconds a message to find nothing.
_LIST_COMMA = compiled(r",(?<=[^\s,=:<\[\](){}],)[^\s,=:<\[\](){}]")  # a,b in _BARE_LIST's sense
_WRAPS = ("#<*>#", "*<*>*", "~<*>~")
_BOUNDS = ("<<*>", "><*>", "=<*>")


def _may_end_in_file(text: str) -> bool:
    """_SPACED_FILE ends the message in an extension: a full stop among the last five characters."""
    return text.rfind(".") >= len(text) - 6


def normalise(message: str, config: Config = DEFAULT) -> str:
    """Apply the template-correction rules to one (already masked) message."""
    text = message.strip()
    if "  " in text:
        text = _SPACES.sub(" ", text)
    if "://" in text:
        text = _URL.sub(lambda m: f"{m[1]}://{VAR}", text)
    if config.key_values and "=" in text:
        text = _KEY_VALUE.sub(_key_value, text)
    if config.glued_brackets and "<*>>" in text:
        text = _VAR_CLOSE.sub(VAR, text)
    if "::" in text or text.count(":") >= 5:
        text = _IPV6.sub(VAR, text)
    if "?" in text:
        text = _PATH_QUERY.sub(VAR, text)
    if "/" in text and " " in text:
        text = _SPACED_PATH.sub(VAR, text)
        if config.spaced_files and _may_end_in_file(text):
            text = _SPACED_FILE.sub(VAR, text)
    if "\\" in text:
        text = _WINDOWS_PATH.sub(VAR, text)
    if config.hosts and ":" in text:
        text = _ENDPOINT.sub(VAR, text)
    if config.lists:
        if "," in text:
            if "[" in text or "{" in text:
                text = _BRACKET_LIST.sub(lambda m: f"{m[1]}{VAR}{m[2]}", text)
            if _LIST_COMMA.search(text):
                text = _BARE_LIST.sub(VAR, text)
        if config.flag_lists and ": " in text:
            text = _FLAG_LIST.sub(VAR, text)
        if _NAME_PAIR.search(text):  # cheap test first: most messages have no such run
            text = _NAME_LIST.sub(lambda m: VAR if _one_prefix(m[0]) else m[0], text)
    if any(w in text for w in _WRAPS):
        text = _WRAPPED.sub(VAR, text)
    text = _VERSION.sub(VAR, text)
    path_rule, path_then_tokens = _token_rules(config)
    parts = _PATH_SPLIT.split(text)
    parts[::2] = map(path_then_tokens, parts[::2])
    text = "".join(parts)
    signed = _SIGNED.sub("", text) if "-<*>" in text else text
    bounded = _BOUND.sub(VAR, signed) if any(b in signed for b in _BOUNDS) else signed
    if bounded == text:
        # nothing moved, so the path split cuts the text where it did: reuse its pieces
        parts[::2] = map(path_rule, parts[::2])
        text = "".join(parts)
    else:
        text = _split_sub(bounded, _PATH_SPLIT, path_rule)
    if '"' in text:
        text = _quoted_values(text)
    for _ in range(3):
        if "<*>.<*>" not in text and "<*><*>" not in text:
            break
        before = text
        text = _DOT_VARS.sub(VAR, text)
        text = _CONSECUTIVE.sub(VAR, text)
        if text == before:
            break
    return text


MESSAGE_KEYS = ("msg", "message", "@m", "log", "event", "textPayload")
MISSING = "(field missing)"


def message_of(line: str, field: str | None = None, skip: Collection[str] = ()) -> str:
    """What to template in a line: a JSON line's message field (or `field`), else its
    key=value rendering with keys kept (but those in `skip`); logfmt and text lines as they are,
    less a leading timestamp (the record's time, not its message)."""
    s = line.strip()
    if s.startswith('"') and s.endswith('"'):
        try:
            decoded = orjson.loads(s)
        except orjson.JSONDecodeError:
            return line
        return decoded if isinstance(decoded, str) else line
    if not s.startswith("{"):
        return split_header(line)[1]
    try:
        obj = orjson.loads(s)
    except orjson.JSONDecodeError:
        return line
    if not isinstance(obj, dict):
        return line
    if field:
        value = lookup(obj, field)
        return value if isinstance(value, str) else MISSING if value is None else orjson.dumps(value).decode()
    for key in MESSAGE_KEYS:
        if isinstance(obj.get(key), str) and obj[key].strip():
            return obj[key]
    return " ".join(f"{k}={v if isinstance(v, str) else orjson.dumps(v).decode()}"
                    for k, v in obj.items() if k not in skip)


def template_id(template: str) -> str:
    return "t-" + hashlib.blake2b(template.encode(), digest_size=5).hexdigest()


@dataclass
class Mined:
    per_message: pa.DictionaryArray  # each input message's template (indices into the distinct ones)
    counts: dict[str, int]           # template → messages

    @property
    def templates(self) -> list[str]:
        """Per input message, as Python strings (small inputs and tests; big ones use per_message)."""
        return self.per_message.to_pylist()

    @property
    def ids(self) -> list[str]:
        cache: dict[str, str] = {}
        return [cache.setdefault(t, template_id(t)) for t in self.templates]


def _tokens(template: str) -> list[str]:
    return template.split(" ")


def _generalise(values: list[str]) -> str:
    """A variable token that keeps what all values share at their edges up to a delimiter:
    user=fztu, user=root → user=<*>; chdir(/a), chdir(/b) → chdir(<*>)."""
    prefix = os.path.commonprefix(values)
    suffix = os.path.commonprefix([v[::-1] for v in values])[::-1]
    cut = max((prefix.rfind(ch) for ch in "=:([{'\"/."), default=-1)
    head = prefix[: cut + 1] if cut >= 0 else ""
    cut = min((i for i, ch in enumerate(suffix) if ch in ")]}'\":,;"), default=len(suffix))
    tail = suffix[cut:] if suffix else ""
    if len(head) + len(tail) >= min(len(v) for v in values):
        return VAR
    return f"{head}{VAR}{tail}"


def _fits(shape: str, token: str) -> bool:
    """The token is a value of the variable shape: the same punctuation around word text."""
    parts = shape.split(VAR)
    pattern = r"[\w.-]+".join(regex.escape(p) for p in parts)
    return bool(regex.fullmatch(pattern, token.replace(VAR, "0")))


_DIGIT_RUN = compiled(r"\d+")


def _numbered_alike(values: list[str]) -> bool:
    """Values that are one name with different numbers in it (U01, U11)."""
    shapes = {_DIGIT_RUN.sub("0", v) for v in values}
    return len(shapes) == 1 and _DIGIT_RUN.search(values[0]) is not None


# Templates longer than this many tokens keep their own variables: no logged event is that
# long, and comparing every position of a hostile line of 100k tokens costs tokens x length.
MERGE_MAX_TOKENS = 512


def _named_words(templates: Collection[str]) -> set[str]:
    """Words the messages themselves show as values of a naming word (`for user alice`,
    `user=bob`) in a slot that varies (two words or more there, or a variable): where such a
    word leads a message or stands elsewhere, it is that value again, not an event word."""
    slots: dict[tuple, set[str]] = defaultdict(set)
    for t in templates:
        toks = _tokens(t)
        if len(toks) > MERGE_MAX_TOKENS:
            continue
        for i, tok in enumerate(toks):
            key, eq, value = tok.partition("=")
            if eq and key.lower() in _NAMING:
                slots[(*toks[:i], key, *toks[i + 1:])].add(value)
            elif i and toks[i - 1].lower() in _NAMING:
                slots[(*toks[:i], "", *toks[i + 1:])].add(tok)
    return {v for values in slots.values() if len(values) >= 2 or any(VAR in v for v in values)
            for v in values if v and VAR not in v and _CATEGORY.match(v)}


def merge_variable_positions(counts: Counter[str], config: Config = DEFAULT) -> dict[str, str]:
    """Map each template to its merged form: positions where templates of the same length
    and otherwise equal tokens take `min_variants` or more values become `<*>`."""
    mapping = {t: t for t in counts}
    named = _named_words(counts) if config.named_values else set()
    changed = True
    rounds = 0
    while changed and rounds < 4:
        changed = False
        rounds += 1
        current = Counter()
        for t, n in counts.items():
            current[mapping[t]] += n
        # Keyed by the text either side of the position, hashed: a key per token holding
        # its slices would grow with tokens x length (a hostile line of 100k short tokens).
        by_key: dict[tuple, set[str]] = defaultdict(set)
        variable: set[tuple] = set()  # positions some template already holds as <*>
        shaped: dict[tuple, str] = {}  # ... or as a variable with punctuation (<*>:<*>)
        for t in current:
            toks = _tokens(t)
            if len(toks) > MERGE_MAX_TOKENS:
                continue
            start = 0
            for p, tok in enumerate(toks):
                end = start + len(tok)
                if tok != VAR and _WORD_CHAR.search(tok):
                    by_key[(len(toks), p, hash(t[:start]), hash(t[end:]))].add(t)
                elif tok == VAR:
                    variable.add((len(toks), p, hash(t[:start]), hash(t[end:])))
                elif VAR in tok:
                    shaped[(len(toks), p, hash(t[:start]), hash(t[end:]))] = tok
                start = end + 1
        replace: dict[str, str] = {}
        for key, members in by_key.items():
            p = key[1]
            if len(members) < config.min_variants and key in variable and p and config.join_variable:
                pass  # a rare word where another template of the event holds a variable: its value
            elif len(members) >= 2 and config.numbered and _numbered_alike([_tokens(m)[p] for m in members]):
                pass  # U01 / U11, R2-M1 / R5-M0: one name numbered differently, the number varies
            elif len(members) >= 2 and config.named_values and (
                    (p and _tokens(next(iter(members)))[p - 1].lower() in _NAMING)
                    or all(_tokens(m)[p] in named for m in members)):
                pass  # `user alice` / `user bob`: a naming word (here or elsewhere) says these are values
            elif len(members) < config.min_variants:
                shape = shaped.get(key)
                if not shape and p and config.join_variable and len(members) > 1:
                    # chdir(pwd) beside chdir(<*>): the word is that variable's value
                    words = {_tokens(m)[p] for m in members}
                    shape = next((tok for tok in words if VAR in tok), None)
                if shape and all(_fits(shape, _tokens(m)[p]) for m in members):
                    # a rare value (wpad:<*>) where another template has the slot's variable
                    # shape (<*>:<*>): that variable's value, not an event of its own
                    merged = " ".join([*_tokens(next(iter(members)))[:p], shape, *_tokens(next(iter(members)))[p + 1:]])
                    for m in members:
                        replace.setdefault(m, merged)
                continue
            toks = _tokens(next(iter(members)))
            before, after = toks[:p], toks[p + 1:]
            values = [_tokens(m)[p] for m in members]
            known = len(members) >= 2 and all(v in named for v in values)  # values named elsewhere
            if p == 0 and not known and all(_CATEGORY.match(v) for v in values):
                continue  # the word a message starts with names what happened (syslogd started)
            if config.word_guard and len(members) <= 2 * config.min_variants + 2 \
                    and not (before and before[-1].lower() in _NAMING) and key not in variable and not known \
                    and all(_CATEGORY.match(v) for v in values) \
                    and len(members) < config.word_spread * sum(current[m] for m in members):
                continue  # a few plain words that repeat (LOOKING / LEADING / FOLLOWING): events
            constants = [t for t in (*before, *after) if t != VAR and _TWO_LETTERS.search(t)]
            if len(constants) < max(1, math.ceil((len(before) + len(after)) * config.constant_share - 1e-9)):
                continue  # too little constant text left to call it one event
            merged = " ".join([*before, _generalise(values), *after])
            for m in members:
                if m not in replace or len(merged) < len(replace[m]):
                    replace[m] = merged
        if replace:
            normalised: dict[str, str] = {}
            for t in mapping:
                new = replace.get(mapping[t])
                if new and new != mapping[t]:
                    if new not in normalised:
                        normalised[new] = normalise(new, config)
                    mapping[t] = normalised[new]
                    changed = True
    return mapping


_IDENTIFIER = compiled(r"^[\w$]+(?:[.$][\w$]+){2,}$")
# A token that looks like a value even unmasked: a letter glued to a number (t12, u0a7), a
# dotted or slashed name (com.acme.mail/.Inbox), the value of a key (name=com.acme.x).
_VALUE_LIKE = compiled(r"[A-Za-z]\d|\w[./]\w|^[\w.-]+=.")


def merge_identifier_pairs(mapping: dict[str, str], config: Config = DEFAULT) -> None:
    """Two dotted identifiers that vary together (`Registering class a.b.C for class a.d.E`)
    are two variables: templates equal but for two such positions, each taking
    `min_variants` or more values, are one event. Not the first word: that names the event."""
    by_key: dict[tuple, list[tuple[str, str, str]]] = defaultdict(list)
    for t in set(mapping.values()):
        toks = _tokens(t)
        spots = [i for i, tok in enumerate(toks) if i and VAR not in tok
                 and (_IDENTIFIER.match(tok) or (config.pairs and _VALUE_LIKE.search(tok)))]
        if len(spots) < 2 or len(spots) > 4:
            continue
        for a in range(len(spots)):
            for b in range(a + 1, len(spots)):
                i, j = spots[a], spots[b]
                key = (len(toks), i, j, *toks[:i], *toks[i + 1:j], *toks[j + 1:])
                by_key[key].append((t, toks[i], toks[j]))
    target: dict[str, str] = {}
    for key, members in by_key.items():
        firsts, seconds = {m[1] for m in members}, {m[2] for m in members}
        if len(members) < config.min_variants or len(firsts) < config.min_variants or len(seconds) < config.min_variants:
            continue
        i, j = key[1], key[2]
        toks = _tokens(members[0][0])
        toks[i], toks[j] = _generalise(sorted(firsts)), _generalise(sorted(seconds))
        merged = normalise(" ".join(toks), config)
        for t, _, _ in members:
            target.setdefault(t, merged)
    for t, m in mapping.items():
        mapping[t] = target.get(m, m)


def merge_variable_lists(mapping: dict[str, str]) -> None:
    """Templates that differ only in how many values a list holds (`delete <*> <*> <*>`)
    become one template with the list as a single variable."""
    collapsed: dict[str, set[str]] = defaultdict(set)
    for t in set(mapping.values()):
        collapsed[_VAR_LIST.sub(VAR, t)].add(t)
    for short, members in collapsed.items():
        if len(members) > 1:
            for t, m in mapping.items():
                if m in members:
                    mapping[t] = short


def _word_flags(toks: list[str]) -> list[bool]:
    """Which tokens are constant words: they carry word characters once their variables are
    taken out, and are not a unit right after a variable (`<*> KB)` is one measure)."""
    flags = []
    for i, tok in enumerate(toks):
        word = bool(_WORD_CHAR.search(tok.replace(VAR, "")))
        if word and i and VAR in toks[i - 1] and _UNIT_TOKEN.fullmatch(tok):
            word = False
        flags.append(word)
    return flags


def _skeleton(template: str) -> tuple[str, ...]:
    """The constant words of a template in order."""
    toks = _tokens(template)
    return tuple(tok.replace(VAR, "") for tok, word in zip(toks, _word_flags(toks), strict=True) if word)


def _gaps(template: str) -> tuple[list[str], list[list[str]]]:
    """A template's word tokens and the runs of variable/punctuation tokens around them."""
    words: list[str] = []
    gaps: list[list[str]] = [[]]
    toks = _tokens(template)
    for tok, word in zip(toks, _word_flags(toks), strict=True):
        if word:
            words.append(tok)
            gaps.append([])
        else:
            gaps[-1].append(tok)
    return words, gaps


def merge_varying_units(mapping: dict[str, str], config: Config = DEFAULT) -> None:
    """A unit after a variable is part of the value where it varies (`size <*> B` and
    `size <*> KB` are one event) and constant text where it does not (`memory <*> MB`)."""
    folded: dict[str, set[str]] = defaultdict(set)
    for t in set(mapping.values()):
        if _UNIT.search(t):
            folded[_UNIT.sub(VAR, t)].add(t)
    target = {t: normalise(short, config) for short, members in folded.items() if len(members) > 1 for t in members}
    for t, m in mapping.items():
        mapping[t] = target.get(m, m)


_MARKER = compiled(r"([^\w\s<>])\1{2,}")


def _marker_for_value(options: set[tuple[str, ...]]) -> bool:
    """Spans of one length that differ where one holds a marker (****, ???) and another a
    variable: the marker says something a value does not (a reading that failed). A single
    `-` or an empty `()` is still just a missing value."""
    for a in options:
        for b in options:
            if len(a) == len(b) and any(VAR in y and _MARKER.fullmatch(x) for x, y in zip(a, b, strict=True)):
                return True
    return False


def merge_optional_spans(mapping: dict[str, str], config: Config = DEFAULT) -> None:
    """Templates with the same constant words that differ only in variable spans are one
    event: a variable may cover zero or more tokens (`<*> bytes sent` and
    `<*> bytes (<*>) sent`; `"GET <*> <*>"` and `"GET <*>"`)."""
    by_skeleton: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for t in sorted(set(mapping.values())):
        by_skeleton[_skeleton(t)].append(t)
    merged: dict[str, str] = {}
    for members in by_skeleton.values():
        if len(members) < 2:
            continue
        split = [_gaps(m) for m in members]
        out: list[str] = []
        ok = True
        for i in range(len(split[0][1])):
            options = {tuple(g[i]) for _, g in split}
            if len(options) > 1:
                with_var = sorted((o for o in options if any(VAR in t for t in o)), key=lambda o: (len(o), o))
                if not with_var or _marker_for_value(options):
                    ok = False  # differing punctuation (a marker where others have a value): not one span
                    break
                out += [VAR] if len({len(o) for o in options}) > 1 else list(with_var[0])
            else:
                out += list(next(iter(options)))
            if i < len(split[0][0]):
                words = sorted({w[i] for w, _ in split}, key=lambda w: (VAR not in w, w))
                out.append(words[0])
        if ok:
            target = normalise(" ".join(out), config)
            for m in members:
                merged[m] = target
    for t, m in mapping.items():
        mapping[t] = merged.get(m, m)


_QUOTED_ANY = compiled(r'"[^"]*"')
_QUOTED_WORDS = compiled(r'(?<=(?:^|[\s=:(\[])")[^"]* [^"]*(?="(?:$|[\s,.;:)\]]))')


def merge_quoted_spans(mapping: dict[str, str]) -> None:
    """A quoted value may hold several words (`printer "Lab Printer 2"` beside `printer
    "<*>"`): templates equal but for what their quotes hold are one event when one of them
    already has a variable there and words stay outside the quotes. Quoted statements that
    are the whole message (`"SELECT * FROM menu"`) are different events."""
    by_form: dict[str, set[str]] = defaultdict(set)
    for t in set(mapping.values()):
        if '"' in t:
            by_form[_QUOTED_WORDS.sub(VAR, t)].add(t)
    merged: dict[str, str] = {}
    for form, members in by_form.items():
        spaced = [m for m in members if m != form]
        if spaced and form in members and _WORD_CHAR.search(_QUOTED_ANY.sub("", form)):
            for m in members:
                merged[m] = form
    for t, m in mapping.items():
        mapping[t] = merged.get(m, m)


# A MAC address before clock times: its first three groups would read as one (00:11:43).
_MAC = r"\b(?:[0-9A-Fa-f]{2}:){3,}[0-9A-Fa-f]{2}\b"


def _vector_mask(config: Config) -> str:
    """One RE2 pass: alternatives are tried in order at each position (dates, IPs before digits)."""
    dates = (_NAMED_DATE_MASKS if config.digit_dates else _DATE_MASKS) if config.dates else []
    return "|".join(f"(?:{p})" for p in [_MAC, *dates, *_VECTOR_MASKS])


def mask_array(messages: pa.Array, config: Config = DEFAULT) -> pa.Array:
    """The vectorised masks over an Arrow string array."""
    return pc.replace_substring_regex(messages, _vector_mask(config), VAR)


def mask_encoded(messages: pa.Array, config: Config = DEFAULT) -> pa.DictionaryArray:
    """Each message's masked form as an index into the distinct masked forms. Slices are
    masked in parallel and each encoded at once, so the masked texts of every message are
    never held together."""
    n = len(messages)
    if n < 200_000:
        return structured.encode(mask_array(messages, config))
    from concurrent.futures import ThreadPoolExecutor

    workers = max(2, min(8, os.cpu_count() or 2))
    step = -(-n // workers)
    arrays = messages.chunks if isinstance(messages, pa.ChunkedArray) else [messages]
    slices = [a.slice(i, step) for a in arrays for i in range(0, len(a), step)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(lambda a: mask_array(a, config).dictionary_encode(), slices))
    together = pa.concat_arrays([p.dictionary for p in parts]).dictionary_encode()
    indices, offset = [], 0
    for p in parts:
        indices.append(together.indices.slice(offset, len(p.dictionary)).take(p.indices))
        offset += len(p.dictionary)
    return pa.DictionaryArray.from_arrays(pa.concat_arrays(indices), together.dictionary)


def mine(messages: Sequence[str] | pa.Array | pa.ChunkedArray, config: Config = DEFAULT) -> Mined:
    """Templates for every message (in input order) and how many messages each covers."""
    if isinstance(messages, pa.ChunkedArray):
        messages = messages.combine_chunks()
    if not isinstance(messages, pa.Array):
        messages = pa.array(list(messages), pa.string())
    # Distinct raw lines first (a hash pass), then mask only those, then distinct masked ones.
    if isinstance(messages, pa.DictionaryArray):
        raw = pa.DictionaryArray.from_arrays(messages.indices, messages.dictionary.cast(pa.string()).fill_null(""))
    else:
        raw = messages.cast(pa.string()).fill_null("").dictionary_encode()
    masked_distinct = mask_encoded(raw.dictionary, config)
    encoded = pa.DictionaryArray.from_arrays(
        masked_distinct.indices.take(raw.indices), masked_distinct.dictionary)
    distinct = encoded.dictionary.to_pylist()
    normalised = [normalise(m, config) for m in distinct]
    sizes = Counter()
    index_counts = pc.value_counts(encoded.indices).to_pylist()
    for item in index_counts:
        sizes[normalised[item["values"]]] += item["counts"]
    mapping = merge_variable_positions(sizes, config)
    merge_identifier_pairs(mapping, config)
    merge_variable_lists(mapping)
    merge_varying_units(mapping, config)
    if config.align:
        merge_optional_spans(mapping, config)
        merge_quoted_spans(mapping)
    final = sorted(set(mapping.values()))
    position = {t: i for i, t in enumerate(final)}
    of_masked = pa.array([position.get(mapping.get(t), 0) for t in normalised], pa.int32())
    per_message = pa.DictionaryArray.from_arrays(of_masked.take(encoded.indices), pa.array(final, pa.string()))
    counts = Counter()
    for t, n in sizes.items():
        counts[mapping[t]] += n
    return Mined(per_message, dict(counts))


MINUTE_NS = 60_000_000_000


@dataclass
class Pattern:
    id: str
    template: str
    count: int
    first_ns: int | None
    last_ns: int | None
    example: str
    per_minute: list[tuple[int, int]] = dc_field(default_factory=list)  # (minute start ns, lines), sparse


@dataclass
class PatternReport:
    patterns: list[Pattern]       # most frequent first
    row_templates: pa.Array       # per table row, in the table's order
    total: int
    missing_field: int = 0        # lines without the --field asked for


def _per_minute(codes: pa.Array, ts: pa.Array) -> dict[int, list[tuple[int, int]]]:
    """Lines per template (by index) per minute (minutes with none left out), one Arrow group-by."""
    known = pc.is_valid(ts)
    if not pc.any(known).as_py():
        return {}
    minute = pc.multiply(pc.divide(pc.filter(ts, known), MINUTE_NS), MINUTE_NS)
    grouped = pa.table({"t": pc.filter(codes, known), "m": minute}).group_by(["t", "m"]).aggregate([([], "count_all")])
    series: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for t, m, n in zip(*(grouped.column(c).to_pylist() for c in ("t", "m", "count_all")), strict=True):
        series[t].append((m, n))
    for points in series.values():
        points.sort()
    return series


def _per_row(indices: pa.Array, values: pa.Array) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(indices, values)


def _with_identity(templates: pa.DictionaryArray, identities: pa.DictionaryArray) -> pa.DictionaryArray:
    """`identity template` per row (the template alone where a row has no identity), each
    distinct text once in the dictionary."""

    width = len(templates.dictionary)
    code = (identities.indices.to_numpy(zero_copy_only=False).astype(np.int64) * width
            + templates.indices.to_numpy(zero_copy_only=False))
    unique, inverse = np.unique(code, return_inverse=True)
    names = identities.dictionary.to_pylist()
    texts = templates.dictionary.to_pylist()
    joined = [f"{names[c // width]} {texts[c % width]}" if names[c // width] else texts[c % width] for c in unique]
    encoded = pa.array(joined, pa.string()).dictionary_encode()
    return _per_row(encoded.indices.take(pa.array(inverse.astype(np.int32))), encoded.dictionary)


def patterns_of(table: pa.Table, field: str | None = None, config: Config = DEFAULT) -> PatternReport:
    """Templates of a canonical table's lines (JSON lines: their message, or `field`; the
    categorical keys of JSON and logfmt lines stay as the event's identity). Work is per
    distinct line and per masked shape; per row only Arrow indices are moved. A caller that
    hands the table over (keeps no reference) lets its lines go once deduplicated."""
    lines = table.column("line")
    ts = table.column("ts_ns").combine_chunks()
    total = len(lines)
    del table
    distinct_lines, line_index = structured.distinct_by_batch(lines)
    del lines  # examples are read from the distinct lines
    identities = None
    if field:
        found = structured.field_messages(distinct_lines, field, lambda a: mask_encoded(a, config), message_of, MISSING)
        messages = _per_row(found.indices.take(line_index), found.dictionary)
    else:
        split = structured.split(distinct_lines, total, lambda a: mask_array(a, config),
                                 lambda a: mask_encoded(a, config), MESSAGE_KEYS, message_of)
        messages = _per_row(split.messages.indices.take(line_index), split.messages.dictionary)
        identities = _per_row(split.identities.indices.take(line_index), split.identities.dictionary)
    missing = 0
    if field:
        is_missing = pc.equal(messages.dictionary, MISSING).take(messages.indices)
        missing = int(pc.sum(is_missing).as_py() or 0)
    templates = mine(messages, config).per_message
    if identities is not None and len(identities.dictionary) > 1:
        templates = _with_identity(templates, identities)
    codes = templates.indices
    del messages, identities
    grouped = pa.table({"t": codes, "ts": ts, "row": pa.array(np.arange(len(codes), dtype=np.int64))}) \
        .group_by("t").aggregate([("ts", "min"), ("ts", "max"), ("row", "min"), ("row", "count")])
    series = _per_minute(codes, ts)
    texts = templates.dictionary.to_pylist()
    patterns = []
    for t, first, last, row, count in zip(*(grouped.column(c).to_pylist() for c in
                                            ("t", "ts_min", "ts_max", "row_min", "row_count")), strict=True):
        example = distinct_lines[line_index[row].as_py()].as_py()
        patterns.append(Pattern(template_id(texts[t]), texts[t], count, first, last, example, series.get(t, [])))
    patterns.sort(key=lambda p: (-p.count, p.template))
    return PatternReport(patterns, templates, len(codes), missing)
