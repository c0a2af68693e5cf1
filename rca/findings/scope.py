"""What an export can tell about all traffic: one filtered to errors (by its Common labels or
its query, as the pack defines them) holds only failures, so it cannot say how many
requests there were."""

from __future__ import annotations

from rca.inputs.exports import InputSummary
from rca.knowledge.pack import Pack


def filtered_to_errors(inputs: list[InputSummary], pack: Pack) -> str | None:
    """Why the export holds only errors (e.g. "Common labels statusCode=500"), or None."""
    for s in inputs:
        for key, pattern in pack.error_filter_labels:
            value = s.common_labels.get(key)
            if value is not None and pattern.search(value):
                return f"{s.path}: every record has {key}={value}"
        if s.query and pack.error_filter_query is not None and pack.error_filter_query.search(s.query):
            return f"{s.path}: its query {s.query!r} selects errors"
    return None
