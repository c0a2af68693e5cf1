"""Findings: decoded table → signatures, incidents, ranked causes, links and alerts.

`analyze(paths)` runs the whole pipeline and returns a `Findings` object.
"""

from rca.lazy import lazy_exports

_EXPORTS = {
    "analyze": "rca.findings.pipeline",
    "Findings": "rca.findings.pipeline",
    "IncidentFindings": "rca.findings.pipeline",
    "Cause": "rca.findings.causes",
}
__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)
