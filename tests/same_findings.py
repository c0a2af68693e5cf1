"""What "the same findings" means when one export is analysed two ways (whole, streamed,
on Dask): the JSON findings but their generation time, the Markdown, the terminal summary,
and the chart's per-minute series."""

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
    mine, theirs = other.minutes, whole.minutes
    assert (mine.start_ns, mine.bins, sorted(mine.by_cluster)) == (theirs.start_ns, theirs.bins, sorted(theirs.by_cluster))
    assert np.array_equal(mine.requests, theirs.requests)
    for i, counts in theirs.by_cluster.items():
        assert np.array_equal(mine.by_cluster[i], counts), i
    assert (mine.p95_s is None) == (theirs.p95_s is None)
    if theirs.p95_s is not None:
        assert np.array_equal(mine.p95_s, theirs.p95_s, equal_nan=True)
