"""Table: per-line columns from the canonical table: decoded fields, templates and masked secrets.

Decoding, template mining and redaction run once per distinct line or shape, vectorised where lines are many.
"""

from rca.lazy import lazy_exports

_EXPORTS = {
    "decode": "rca.table.decode",
    "mine": "rca.table.patterns",
    "patterns_of": "rca.table.patterns",
    "redact": "rca.table.redact",
}
__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)
