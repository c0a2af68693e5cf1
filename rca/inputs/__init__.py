"""Inputs: export files (Loki, logcli, Grafana, logger NDJSON, cloud) → one canonical Arrow table.

Detects compression and format, reads records exactly, merges inputs by time and drops duplicates.
"""

from rca.lazy import lazy_exports

_EXPORTS = {
    "ingest": "rca.inputs.exports",
    "Ingested": "rca.inputs.exports",
    "InputSummary": "rca.inputs.exports",
    "FORMATS": "rca.inputs.formats",
}
__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)
