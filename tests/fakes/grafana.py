"""A loopback fake Grafana: annotations and the IRM incident RPC API, with failure injection.

Only 127.0.0.1, a random port, state in memory. `fail` queues HTTP statuses to return for
the next requests to a path fragment; `irm_plugins` lists the plugin ids that exist.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "glsa_testtokentesttokentesttoken12_0123abcd"


@dataclass
class State:
    token: str = TOKEN
    irm_plugins: tuple[str, ...] = ("grafana-irm-app",)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    incidents: dict[str, dict[str, Any]] = field(default_factory=dict)
    activity: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    fail: dict[str, list[int]] = field(default_factory=dict)
    ids: Any = field(default_factory=lambda: itertools.count(1))
    answers_without_ids: bool = False  # a server (or proxy) that says 200 and names nothing it made


class _Handler(BaseHTTPRequestHandler):
    state: State

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.state.requests.append((method, self.path, dict(self.headers), body))
        for fragment, statuses in self.state.fail.items():
            if fragment in url.path and statuses:
                status = statuses.pop(0)
                self._send(status, {"message": f"injected {status}"}, {"Retry-After": "0"} if status == 429 else None)
                return
        if self.headers.get("Authorization") != f"Bearer {self.state.token}":
            self._send(401, {"message": "invalid API key"})
            return
        if url.path == "/api/annotations":
            if method == "GET":
                tags = parse_qs(url.query).get("tags", [])
                self._send(200, [a for a in self.state.annotations if all(t in a["tags"] for t in tags)])
            else:
                assert isinstance(body.get("time"), int) and isinstance(body.get("text"), str)
                body = {**body, "id": next(self.state.ids)}
                self.state.annotations.append(body)
                self._send(200, {} if self.state.answers_without_ids else {"message": "Annotation added", "id": body["id"]})
            return
        parts = url.path.split("/")
        if len(parts) >= 8 and parts[1:3] == ["api", "plugins"] and parts[4:7] == ["resources", "api", "v1"]:
            if parts[3] not in self.state.irm_plugins:
                self._send(404, {"message": "plugin not found"})
                return
            self._send(200, self._rpc(parts[7], body or {}))
            return
        self._send(404, {"message": "not found"})

    def _rpc(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        st = self.state
        if method == "IncidentsService.CreateIncident":
            incident_id = str(next(st.ids))
            st.incidents[incident_id] = {"incidentID": incident_id, "title": body["title"], "status": body["status"]}
            return {"incident": {}} if st.answers_without_ids else {"incident": st.incidents[incident_id]}
        if method == "IncidentsService.UpdateIncidentEventTime":
            st.incidents[body["incidentID"]][body["eventName"]] = body["eventTime"]
            return {}
        if method == "IncidentsService.QueryIncidents":
            q = body["query"].get("queryString", "")
            return {"incidents": [i for i in st.incidents.values() if q in i["title"]], "cursor": {"hasMore": False}}
        if method == "ActivityService.QueryActivity":
            return {"activityItems": st.activity[body["query"]["incidentID"]], "cursor": {"hasMore": False}}
        if method == "ActivityService.AddActivity":
            if body.get("activityKind") != "userNote":
                return {"error": "only userNote can be added"}
            if body["incidentID"] not in st.incidents:
                return {"error": "incident not found"}
            if not isinstance(body.get("eventTime", ""), str):
                return {"error": "eventTime must be an RFC 3339 time (left out: now)"}
            item = {"activityItemID": str(next(st.ids)), **body}
            st.activity[body["incidentID"]].append(item)
            return {"activityItem": item}
        return {"error": f"unknown method {method}"}


class FakeGrafana:
    def __init__(self) -> None:
        self.state = State()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGrafana:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

