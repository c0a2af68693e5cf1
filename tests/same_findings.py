"""What "the same findings" means when one export is analysed two ways (whole, streamed,
on Dask): the JSON findings but their generation time, the Markdown, the terminal summary,
and every per-row array."""

from __future__ import annotations

import numpy as np

from rca.outputs.report import findings_json, markdown
from rca.outputs.terminal import terminal


def comparable(findings):
    out = findings_json(findings)
    out.pop("generated_at", None)
    return out


def assert_same_findings(whole, other):
    assert comparable(other) == comparable(whole)
    assert markdown(other, None) == markdown(whole, None)
    assert terminal(other, None) == terminal(whole, None)
    for name in ("row_ts", "row_cluster", "row_is_request", "row_latency_ms"):
        assert np.array_equal(getattr(other, name), getattr(whole, name), equal_nan=True), name
