"""Integrations: the world outside: pulling from Loki, attaching findings to Grafana and report files.

One retrying HTTP fetch serves both clients; servers are never trusted further than their answers.
"""

from rca.lazy import lazy_exports

_EXPORTS = {
    "pull": "rca.integrations.pull",
    "Grafana": "rca.integrations.grafana",
    "attach_report": "rca.integrations.attach",
}
__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)
