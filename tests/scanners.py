"""An export probed by internet scanners: one routine 404 signature per path, as varied
traffic makes (the 1M-line bench export holds 1,233 of them)."""

from __future__ import annotations

import json
from pathlib import Path

START = 1_764_680_400  # 2025-12-02T13:00:00Z


def scanner_export(directory: Path, paths: int = 40, days: int = 3) -> Path:
    """A logcli JSONL export: each of `paths` distinct paths probed once an hour for `days`."""
    lines = []
    for hour in range(days * 24):
        for p in range(paths):
            ts = START + hour * 3600 + p * 60
            body = {"authorized": False, "path": f"/probe-{p}/.env", "method": "GET", "statusCode": 404,
                    "reqBody": "{}", "resBody": '{"message":"unknown endpoint"}', "ip": f"10.0.{p}.{hour % 250}",
                    "latency": 3 + p % 7}
            lines.append(json.dumps({"labels": {"component": "jwt-pizza-service", "level": "warn", "type": "http"},
                                     "line": json.dumps(body), "timestamp": f"{ts}000000000"}))
    path = directory / "scanners.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path
