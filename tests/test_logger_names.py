"""Which logger field names the service. pino's and bunyan's `name` is the application's
name (bunyan requires it; pino writes it beside its `pid` and `hostname`), so it names the
service whatever the export file is called. Python logging's `name` is the logger's place
in a module hierarchy (`app.db`, `uvicorn.error`, `root`), not a service: such a file's
lines stay the service the file is named for. A `name` in any other object (a pizza's, a
user's) names nothing."""

from __future__ import annotations

import json

import pytest

from rca.findings.pipeline import analyze
from rca.knowledge.pack import default_pack
from rca.table.decode import decode_line

PACK = default_pack()
T0 = 1764697200000
URL = "https://pizza-factory.cs329.click/api/support/0123456789abcdef0123456789abcdef/report/k3q9z7mf"
PINO = {"level": 50, "time": T0, "pid": 42, "hostname": "web-1", "name": "pizza-api",
        "req": {"method": "POST", "url": "/api/order"}, "res": {"statusCode": 500}, "msg": "request errored"}
BUNYAN = {"name": "pizza-api", "hostname": "web-1", "pid": 42, "level": 50, "msg": "request errored",
          "time": "2025-12-02T17:40:00.000Z", "v": 0}
PYTHON = {"asctime": "2025-12-02 17:40:00,123", "name": "app.db", "levelname": "ERROR",
          "message": "connection refused"}


@pytest.mark.parametrize("record", [PINO, BUNYAN], ids=["pino", "bunyan"])
def test_pino_and_bunyan_name_the_service(record):
    assert decode_line(json.dumps(record), PACK).component == "pizza-api"


def test_a_component_field_still_comes_before_the_loggers_name():
    assert decode_line(json.dumps({**PINO, "component": "jwt-pizza-service"}), PACK).component == "jwt-pizza-service"


@pytest.mark.parametrize("record", [
    PYTHON,
    {"statusCode": 500, "path": "/api/franchise", "name": "pizzaPocket", "message": "store exists"},
    {"level": 50, "name": "pizzaPocket", "msg": "store exists"},
], ids=["python-logging", "a-franchise-name", "no-pid-or-host"])
def test_a_name_outside_pino_and_bunyan_names_no_service(record):
    assert decode_line(json.dumps(record), PACK).component is None


def _pino_export(tmp_path, name):
    lines = []
    for i in range(40):
        failing = 10 <= i < 20
        body = {"message": "Failed to fulfill order at factory", "followLinkToEndChaos": URL} if failing else {"order": {"id": i}}
        lines.append(json.dumps({**PINO, "level": 50 if failing else 30, "time": T0 + i * 15000,
                                 "res": {"statusCode": 500 if failing else 200}, "resBody": json.dumps(body)}))
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize("file_name", ["export.jsonl", "server.log"])
def test_a_pino_exports_failures_are_the_named_apps_whatever_the_file_is_called(tmp_path, file_name):
    f = analyze([_pino_export(tmp_path, file_name)])
    (incident,) = f.incidents
    assert {f.clusters[i].component for i in incident.incident.clusters} == {"pizza-api"}


def test_python_loggings_module_name_leaves_the_service_the_files(tmp_path):
    lines = [json.dumps({**PYTHON, "asctime": f"2025-12-02 17:{40 + i // 60:02d}:{i % 60:02d},123",
                         "name": "app.db" if i % 2 else "uvicorn.error"}) for i in range(30)]
    path = tmp_path / "payments.jsonl"
    path.write_text("\n".join(lines) + "\n")
    f = analyze([str(path)])
    assert f.clusters and {c.component for c in f.clusters} == {"payments"}
