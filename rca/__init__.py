"""rca: turn Loki / Grafana / JSON log exports into incident findings.

Library API:
    from rca import ingest, analyze, markdown, findings_json
    result = ingest(["logs.json"])      # -> Ingested(table: pyarrow.Table, inputs: [...])
    findings = analyze(["logs.json"])   # -> Findings(incidents=[...], ...)
"""

from rca.lazy import lazy_exports

# A library stays quiet; the CLI enables rca's diagnostics and chooses where they go. loguru
# is imported by the module that logs (rca.inputs.exports), not here, so `rca --help` does
# not pay for it; that module reads this flag when it loads.
diagnostics_enabled = False

__version__ = "0.1.0"

_EXPORTS = {
    "ingest": "rca.inputs.exports",
    "Ingested": "rca.inputs.exports",
    "InputSummary": "rca.inputs.exports",
    "analyze": "rca.findings.pipeline",
    "Findings": "rca.findings.pipeline",
    "markdown": "rca.outputs.report",
    "findings_json": "rca.outputs.report",
}
__getattr__, _names = lazy_exports(__name__, _EXPORTS)
__all__ = ["__version__", *_names]
