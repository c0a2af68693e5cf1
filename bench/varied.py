"""Inputs as varied as real logs, for the benchmarks: no two lines alike.

`make_events` repeats an hour of simulated traffic, so a 1M-line export holds a few hundred
distinct lines; an engine that works per distinct line looks faster on it than it is. Here
every line's variables are drawn afresh, the way real services log them:

- `varied_events(n)`: the JWT Pizza export's events with each JSON line carrying its own
  request id and duration, ids, emails and prices redrawn, SQL logged with its parameters;
- `redrawn_loghub(data, n)`: the Loghub-2k messages cycled to n lines with every number
  and hex run redrawn (same length; a `0x` prefix kept), so a repeated message is a new line.
"""

from __future__ import annotations

import csv
import json
import random
import re
from dataclasses import replace
from pathlib import Path

from bench.ingest import make_events
from fixtures import generate

SYSTEMS = ["Apache", "BGL", "HDFS", "HealthApp", "OpenSSH", "Spark", "Zookeeper"]
_DIGITS = re.compile(r"(?<![A-Za-z])\d+")
_HEX = re.compile(r"\b[0-9a-f]{8,}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.com")
_ASSIGNED = re.compile(r"(\w+)=\?")
NAMES = ["ann", "bo", "cy", "dee", "eli", "fay", "gus", "hal", "ivy", "jo", "kai", "lu", "max", "ned"]


def _redraw_digits(text: str, rng: random.Random) -> str:
    return _DIGITS.sub(lambda m: str(rng.randrange(10 ** (len(m[0]) - 1) if len(m[0]) > 1 else 0, 10 ** len(m[0]))), text)


# A 0x literal's prefix is constant text (a digit redraw would turn `0x1f` into `7x1f`);
# the hex digits after it are the variable.
_NUMBER_OR_HEX = re.compile(r"\b0[xX][0-9a-fA-F]+|(?<![A-Za-z])\d+")


def _redraw_number(token: str, rng: random.Random) -> str:
    if token[1:2] in ("x", "X"):
        return token[:2] + "".join(rng.choice("0123456789abcdef") for _ in token[2:])
    return _redraw_digits(token, rng)


def _sql_value(column: str | None, rng: random.Random) -> str:
    if column and "email" in column.lower():
        return f"'{rng.choice(NAMES)}{rng.randrange(9999)}@jwt.com'"
    if column and "token" in column.lower():
        return f"'{rng.getrandbits(128):032x}'"
    return str(rng.randrange(1, 99999))


def _vary_value(value: object, rng: random.Random) -> object:
    if isinstance(value, str):
        return _redraw_digits(_EMAIL.sub(lambda _: f"{rng.choice(NAMES)}{rng.randrange(9999)}@jwt.com", value), rng)
    if isinstance(value, dict):
        return {k: v if k in ("status", "statusCode") else _vary_value(v, rng) for k, v in value.items()}
    if isinstance(value, list):
        return [_vary_value(v, rng) for v in value]
    return value


def _vary_line(line: str, rng: random.Random) -> str:
    """SQL logged with its parameters; JSON lines with their ids, emails and prices redrawn
    (status codes kept) and a duration and request id of their own."""
    if line.startswith('"') and "{" not in line:
        line = _ASSIGNED.sub(lambda m: f"{m[1]}={_sql_value(m[1], rng)}", line)
        return line.replace("?", "{}").format(*(_sql_value(None, rng) for _ in range(line.count("?"))))
    try:
        obj = json.loads(line)
    except ValueError:
        return _redraw_digits(line, rng)
    if not isinstance(obj, dict):
        return line
    obj = _vary_value(obj, rng)
    obj["durationMs"] = rng.randrange(1, 2500)
    obj["reqId"] = f"{rng.getrandbits(64):016x}"
    return json.dumps(obj, separators=(",", ":"))


def varied_events(n: int, seed: int = 15) -> list[generate.Event]:
    """n JWT Pizza events in the simulator's shapes and timing, every line distinct in its values."""
    rng = random.Random(seed)
    return [replace(e, line=_vary_line(e.line, rng)) for e in make_events(n)]


def redrawn_loghub(data: Path, n: int, seed: int = 15) -> list[str]:
    """The seven Loghub-2k systems' messages cycled to n lines, numbers and hex redrawn."""
    base: list[str] = []
    for system in SYSTEMS:
        with (data / system / f"{system}_2k.log_structured_corrected.csv").open(newline="", encoding="utf-8") as fh:
            base += [row["Content"] for row in csv.DictReader(fh)]
    rng = random.Random(seed)
    hexdigits = "0123456789abcdef"
    out = []
    for i in range(n):
        text = _HEX.sub(lambda m: "".join(rng.choice(hexdigits) for _ in m[0]), base[i % len(base)])
        out.append(_NUMBER_OR_HEX.sub(lambda m: _redraw_number(m[0], rng), text))
    return out
