"""Outputs: findings → what people read: Markdown, JSON, terminal, HTML, charts, pattern listings.

Also the report file an incident's sections are attached to, and the atomic file writer.
"""

from rca.lazy import lazy_exports

_EXPORTS = {
    "markdown": "rca.outputs.report",
    "findings_json": "rca.outputs.report",
    "terminal": "rca.outputs.terminal",
    "page": "rca.outputs.html",
}
__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)
