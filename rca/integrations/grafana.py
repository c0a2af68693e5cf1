"""A small Grafana client for what rca attaches: IRM incident notes and annotations.

Standard-library HTTP (a handful of JSON POSTs and GETs): retries with backoff on 429 and
5xx (honouring Retry-After), clear errors on 401/403/404, and the IRM plugin id fallback
(`grafana-irm-app`, then `grafana-incident-app`). The token is sent, never printed.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from rca.errors import RcaError
from rca.integrations.http import Unreachable, error_text, fetch, one_line

IRM_PLUGINS = ("grafana-irm-app", "grafana-incident-app")


class GrafanaError(RcaError):
    exit_code = 1

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Request:
    method: str
    url: str
    body: dict[str, Any] | None

    def describe(self) -> str:
        text = f"{self.method} {self.url}\n  Authorization: Bearer ****"
        if self.body is not None:
            text += "\n  " + json.dumps(self.body, indent=2, sort_keys=True).replace("\n", "\n  ")
        return text


@dataclass
class Grafana:
    url: str
    token: str | None
    plugin: str | None = None
    dry_run: bool = False
    retries: int = 4
    backoff_s: float = 0.5
    timeout_s: float = 30.0
    give_up_at: float | None = None   # time.monotonic() by which every request must end (--deadline)
    sent: list[Request] = field(default_factory=list)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              query: dict[str, Any] | None = None) -> Any:
        url = self.url.rstrip("/") + path
        if query:
            url += "?" + urllib.parse.urlencode(query, doseq=True)
        request = Request(method, url, body)
        # IRM's query methods are POSTs that change nothing: safe to send twice.
        idempotent = method == "GET" or path.rsplit("/", 1)[-1].split(".")[-1].startswith(("Query", "Get"))
        # A query changes nothing: a dry run given a token asks it too, so what it says would
        # be posted leaves out what is already there.
        if self.dry_run and not (idempotent and self.token):
            self.sent.append(request)
            return {}
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": "application/json", "Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            payload = fetch(url, headers=headers, timeout_s=self.timeout_s, retries=self.retries,
                            backoff_s=self.backoff_s, method=method, data=data, idempotent=idempotent,
                            give_up_at=self.give_up_at)
        except urllib.error.HTTPError as exc:
            raise GrafanaError(_explain(exc.code, method, path, _detail(exc, self.token)), exc.code) from None
        except Unreachable as exc:
            raise GrafanaError(exc.failed_to(f"Grafana at {self.url}")) from None
        self.sent.append(request)
        try:
            parsed = json.loads(payload) if payload else {}
        except ValueError:  # a proxy's or login page's HTML, or bytes that are no JSON at all
            raise GrafanaError(f"Grafana at {self.url} answered {path} with something that is not JSON "
                               "(a proxy or login page?)") from None
        if isinstance(parsed, dict) and parsed.get("error"):
            detail = one_line(str(parsed["error"]), [self.token]) or "(no readable text)"
            raise GrafanaError(f"Grafana answered an error for {path}: {detail}")
        return parsed

    # ---- IRM incident API

    def irm(self, method: str, body: dict[str, Any]) -> Any:
        plugins = (self.plugin,) if self.plugin else IRM_PLUGINS
        last: GrafanaError | None = None
        for plugin in plugins:
            try:
                result = self._call("POST", f"/api/plugins/{plugin}/resources/api/v1/{method}", body)
                self.plugin = plugin
                if not isinstance(result, dict):
                    raise GrafanaError(f"Grafana at {self.url} answered {method} with JSON that is not an object")
                return result
            except GrafanaError as exc:
                if exc.status != 404:
                    raise
                last = exc
        raise last or GrafanaError("IRM plugin not found")

    def activity_bodies(self, incident_id: str) -> list[str]:
        bodies: list[str] = []
        cursor: dict[str, Any] = {}
        for _ in range(50):
            result = self.irm("ActivityService.QueryActivity",
                              {"query": {"incidentID": incident_id, "limit": 100, "orderDirection": "ASC"},
                               "cursor": cursor})
            bodies += [str(item.get("body", "")) for item in _objects(result.get("activityItems"))]
            cursor = result.get("cursor")
            if not isinstance(cursor, dict) or not cursor.get("hasMore"):
                break
        return bodies

    def add_note(self, incident_id: str, body: str, event_time: str | None) -> None:
        """A note on the incident's timeline at `event_time` (RFC 3339); without one (an
        export without times) the field is left out, which IRM reads as now: null is no time."""
        note = {"incidentID": incident_id, "activityKind": "userNote", "body": body}
        self.irm("ActivityService.AddActivity", note if event_time is None else {**note, "eventTime": event_time})

    def find_incident(self, marker: str) -> str | None:
        result = self.irm("IncidentsService.QueryIncidents",
                          {"query": {"limit": 50, "queryString": marker, "orderDirection": "DESC"}, "cursor": {}})
        for incident in _objects(result.get("incidents")):
            title = incident.get("title")
            if isinstance(title, str) and marker in title:
                return incident.get("incidentID")
        return None

    def create_retrospective(self, title: str, start: str | None, end: str | None) -> str:
        result = self.irm("IncidentsService.CreateIncident",
                          {"title": title, "severity": "minor", "status": "resolved", "isDrill": False,
                           "labels": [{"label": "rca"}], "roomPrefix": "incident"})
        incident = result.get("incident")
        incident_id = incident.get("incidentID") if isinstance(incident, dict) else None
        if not incident_id:
            if not self.dry_run:
                raise GrafanaError("Grafana answered the new incident without its id: not confirmed as created")
            incident_id = "(dry-run)"
        for name, when in (("incidentStart", start), ("incidentEnd", end)):
            if when is None:  # an export without times: the incident keeps the times IRM gave it
                continue
            self.irm("IncidentsService.UpdateIncidentEventTime",
                     {"incidentID": incident_id, "eventTime": when, "eventName": name})
        return incident_id

    # ---- annotations

    def find_annotations(self, tag: str) -> list[dict[str, Any]]:
        result = self._call("GET", "/api/annotations", query={"tags": tag, "limit": 100})
        return _objects(result)

    def add_annotation(self, body: dict[str, Any]) -> Any:
        """The new annotation's id (None on a dry run); an answer without one is not taken as done."""
        answer = self._call("POST", "/api/annotations", body)
        if self.dry_run:
            return None
        if not (isinstance(answer, dict) and answer.get("id") is not None):
            raise GrafanaError("Grafana answered without the annotation's id: not confirmed as added")
        return answer["id"]


def _objects(value: Any) -> list[dict[str, Any]]:
    """The JSON objects of a list a server answered (anything else it put there is ignored)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _detail(exc: urllib.error.HTTPError, token: str | None) -> str:
    text = error_text(exc)
    try:
        parsed = json.loads(text)
        if isinstance(parsed, dict):
            text = str(parsed.get("error") or parsed.get("message") or text)
    except ValueError:
        pass
    return one_line(text, [token])


def _explain(status: int, method: str, path: str, detail: str) -> str:
    what = {401: "rejected the token (401): check GRAFANA_TOKEN or --token-file",
            403: "refused (403): the token's service account lacks permission (Editor is needed)",
            404: f"has no {path} (404): check --grafana-url, the incident id and the plugin id"}.get(
        status, f"answered HTTP {status}")
    return f"Grafana {what}" + (f" — {detail}" if detail and status not in (401,) else "")
