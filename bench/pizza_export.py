"""Exports as varied as real JWT Pizza logs, at benchmark size.

The fixture simulator repeats a handful of line texts; real exports do not. Here each
request line carries what real loggers put in it (frozenfrank-style `ip`, `latency` and a
raw `sessionId` JWT next to the reference logger's fields): a fresh JWT per request and per
pizza, order ids, menu items and prices, the order's date, plus routine noise (ALB health
checks, scanners, CORS preflights, expired tokens) beside the traffic script's bad logins
and oversize orders. Bodies stay JSON-encoded the way Express writes them (doubly on
`res.json` routes). One hour in four has a factory `fail` window with its own fix code.

    from bench.pizza_export import varied_events, write_logcli_jsonl
    write_logcli_jsonl(path, 1_000_000)          # the export bench/analyze.py times

Lines come from a few simulated hours turned into templates once (variables replaced by
slot markers that survive any depth of JSON encoding), then filled per line, so a million
lines take seconds to write.
"""

from __future__ import annotations

import base64
import json
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii as _json_string
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fixtures import generate  # noqa: E402
from fixtures.generate import MS, S, Event  # noqa: E402

# Slot markers: plain word characters and digits, so JSON encoding never escapes them.
_JWT, _SESSION, _IP, _DESC, _FIX = "JWTSLOTX", "SESSIONSLOTX", "IPSLOTX", "DESCSLOTX", "FIXSLOTX"
_DATE, _PATH = "DATESLOTX", "PATHSLOTX"
_OID, _LAT, _PRICE, _MENU, _UID = "918273645", "81726354", "0.0918273", "71625", "61524"
_SLOTS = [_JWT, _SESSION, _IP, _DESC, _FIX, _DATE, _PATH, _OID, _LAT, _PRICE, _MENU, _UID]
MENU = [(1, "Veggie", 0.0038), (2, "Pepperoni", 0.0042), (3, "Margarita", 0.0042),
        (4, "Crusty", 0.0028), (5, "Charred Leopard", 0.0099)]
SCANNED = [".env", "prod/.env", "wp-login.php", "wp-admin/setup-config.php", ".git/config",
           "api/v1/users", "phpmyadmin/index.php", "server-status", "actuator/health", "cgi-bin/luci"]
HOUR_S = 3600


def _jwt(rng: random.Random, payload_bytes: int) -> str:
    head = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    body = base64.urlsafe_b64encode(rng.randbytes(payload_bytes)).rstrip(b"=").decode()
    sig = base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()
    return f"{head}.{body}.{sig}"


def _vary_body(value, path: tuple = ()):
    """Put slot markers where real bodies carry per-request values."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ("jwt", "token") and isinstance(v, str) and not v.startswith("dead"):
                out[k] = _JWT
            elif k == "id" and path and path[-1] == "order":
                out[k] = int(_OID)
            elif k == "items" and isinstance(v, list):
                out[k] = [{"menuId": int(_MENU), "description": _DESC, "price": float(_PRICE)} for _ in v]
            else:
                out[k] = _vary_body(v, (*path, k))
        if path and path[-1] == "order" and "items" in value:
            out["date"] = _DATE
        if path and path[-1] == "user" and "id" in value:
            out["id"] = int(_UID)
        return out
    if isinstance(value, list):
        return [_vary_body(v, path) for v in value]
    return value


def _decode_steps(text: str) -> tuple[object, int]:
    value, steps = text, 0
    while isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            break
        steps += 1
    return value, steps


def _encode_steps(value: object, steps: int) -> str:
    for _ in range(steps):
        value = json.dumps(value, separators=(",", ":"))
    return value


def _template(e: Event, code: str) -> str:
    """The event's line with slot markers for everything that changes per request."""
    line = e.line.replace(code, _FIX)
    try:
        obj = json.loads(line)
    except ValueError:
        return line
    if not isinstance(obj, dict):
        return line
    if e.labels.get("type") == "http":
        for key in ("reqBody", "resBody"):
            if isinstance(obj.get(key), str):
                value, steps = _decode_steps(obj[key])
                if steps:
                    obj[key] = _encode_steps(_vary_body(value), steps)
        obj["ip"] = _IP
        obj["latency"] = int(_LAT)
        if obj.get("authorized"):
            obj["sessionId"] = _SESSION
    elif e.labels.get("type") == "factory":
        obj = _vary_body(obj)
    return json.dumps(obj, separators=(",", ":"))


def _noise(start_ns: int, rng: random.Random) -> list[Event]:
    """An hour of the routine noise real services see besides the traffic script."""
    out = []

    def http(t: int, method: str, path: str, status: int, res: object, authorized: bool = False,
             via_json: bool = True) -> None:
        res_text = json.dumps(res, separators=(",", ":"))
        if via_json:
            res_text = json.dumps(res_text)
        line = {"authorized": authorized, "path": path, "method": method, "statusCode": status,
                "reqBody": "{}", "resBody": res_text, "ip": _IP, "latency": int(_LAT)}
        level = "error" if status >= 500 else "warn" if status >= 400 else "info"
        out.append(Event(t - t % MS, {"component": generate.SERVICE, "level": level, "type": "http"},
                         json.dumps(line, separators=(",", ":"))))

    t = start_ns + rng.randint(0, 9000) * MS
    while t < start_ns + HOUR_S * S:  # ALB health checks
        http(t, "GET", "/", 200, {"message": "welcome to JWT Pizza", "version": "20251201.101512"})
        t += 10 * S + rng.randint(0, 200) * MS
    for _ in range(rng.randint(8, 20)):  # scanners
        path = "/" + rng.choice(SCANNED) if rng.random() < 0.7 else f"/{_PATH}"
        http(start_ns + rng.randint(0, HOUR_S * 1000) * MS, "GET", path, 404, {"message": "unknown endpoint"})
    for _ in range(rng.randint(20, 40)):  # browser preflights
        t = start_ns + rng.randint(0, HOUR_S * 1000) * MS
        line = {"authorized": False, "path": "/api/order", "method": "OPTIONS", "statusCode": 204,
                "reqBody": "{}", "resBody": '"GET,HEAD,POST"', "ip": _IP, "latency": int(_LAT)}
        out.append(Event(t - t % MS, {"component": generate.SERVICE, "level": "info", "type": "http"},
                         json.dumps(line, separators=(",", ":"))))
    for _ in range(rng.randint(10, 30)):  # expired tokens
        http(start_ns + rng.randint(0, HOUR_S * 1000) * MS, "GET", "/api/order", 401,
             {"message": "unauthorized"}, via_json=False)
    return out


def _hours(seed: int) -> list[list[tuple[int, dict, str, bool]]]:
    """Four simulated hours as (offset ns, labels, template, has slots): the first with a
    `fail` window."""
    start = datetime(2025, 12, 2, 15, 0, tzinfo=UTC)
    t0 = int(start.timestamp()) * S
    hours = []
    for h in range(4):
        rng = random.Random(seed * 31 + h)
        chaos = [generate.Chaos("fail", 1200 + rng.randint(0, 600), 1500 + rng.randint(0, 900))] if h == 0 else []
        events = generate.simulate(start=start, minutes=60, chaos=chaos, seed=seed * 31 + h)
        events += _noise(t0, rng)
        events.sort(key=lambda e: e.ts_ns)
        templates = [(e.ts_ns - t0, e.labels, _template(e, "k3q9z7mf")) for e in events]
        hours.append([(t, labels, text, any(s in text for s in _SLOTS)) for t, labels, text in templates])
    return hours


def _filler(template: str, rng: random.Random, ts_ns: int, order: list[int],
            session: dict[str, str]) -> str:
    """Fill one template's slots with fresh values."""
    text = template
    if _IP in text:
        text = text.replace(_IP, f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
    if _LAT in text:
        text = text.replace(_LAT, str(rng.randint(2, 300)))
    if _SESSION in text:
        text = text.replace(_SESSION, session["token"])
    if _JWT in text:
        fresh = _jwt(rng, 300 if "items" in text else 90)
        if "token" in text:
            session["token"] = fresh
        text = text.replace(_JWT, fresh)
    if _OID in text:
        order[0] += 1
        menu_id, desc, price = rng.choice(MENU)
        text = (text.replace(_OID, str(order[0])).replace(_MENU, str(menu_id)).replace(_DESC, desc)
                .replace(_PRICE, repr(price)))
    if _UID in text:
        text = text.replace(_UID, str(rng.randint(3, 40_000)))
    if _DATE in text:
        text = text.replace(_DATE, datetime.fromtimestamp(ts_ns // MS / 1000, tz=UTC)
                            .strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")
    if _PATH in text:
        text = text.replace(_PATH, "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=10)))
    return text


def iter_varied(lines: int, seed: int = 7) -> Iterator[tuple[int, dict, str]]:
    """(ts_ns, labels, line) for `lines` varied events, oldest first, hour after hour."""
    hours = _hours(seed)
    rng = random.Random(seed)
    start = int(datetime(2025, 12, 2, 15, 0, tzinfo=UTC).timestamp()) * S
    order, session = [1000], {"token": _jwt(rng, 90)}
    n, hour = 0, 0
    while n < lines:
        base = start + hour * HOUR_S * S
        code = f"{hour:04d}" + "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=4))
        for offset, labels, template, slotted in hours[hour % len(hours)]:
            if n >= lines:
                return
            ts = base + offset
            text = _filler(template, rng, ts, order, session) if slotted else template
            if _FIX in text:
                text = text.replace(_FIX, code)
            yield ts, labels, text
            n += 1
        hour += 1


def varied_events(lines: int, seed: int = 7) -> list[Event]:
    """`lines` varied events as fixture Events (for the fixture writers of other formats)."""
    return [Event(ts, labels, text) for ts, labels, text in iter_varied(lines, seed)]


def write_logcli_jsonl(path: Path, lines: int, seed: int = 7, newest_first: bool = True) -> Path:
    """A logcli `--output=jsonl` export of `lines` varied events (newest first, as logcli writes)."""
    label_json: dict[int, str] = {}
    rows = []
    for ts, labels, text in iter_varied(lines, seed):
        key = id(labels)
        if key not in label_json:
            label_json[key] = json.dumps(labels, separators=(",", ":"), sort_keys=True)
        rows.append(f'{{"labels":{label_json[key]},"line":{_json_string(text)},"timestamp":"{_rfc3339(ts)}"}}\n')
    if newest_first:
        rows.reverse()
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(rows)
    return path


_SECOND_CACHE: dict[int, str] = {}


def _rfc3339(ns: int) -> str:
    secs, frac = divmod(ns, S)
    base = _SECOND_CACHE.get(secs)
    if base is None:
        if len(_SECOND_CACHE) > 100_000:
            _SECOND_CACHE.clear()
        base = _SECOND_CACHE[secs] = datetime.fromtimestamp(secs, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{frac:09d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def distinct_share(path: Path) -> float:
    """The share of lines whose text is distinct (a check that the export is varied)."""
    import pyarrow.compute as pc

    if path.suffix == ".log":
        import pyarrow.csv as pcsv

        lines = pcsv.read_csv(path, read_options=pcsv.ReadOptions(column_names=["line"]),
                              parse_options=pcsv.ParseOptions(delimiter="\x01", quote_char=False)).column("line")
    else:
        import pyarrow.json as pj

        lines = pj.read_json(path).column("line")
    return len(pc.unique(lines)) / max(len(lines), 1)

