"""A signature's statuses, links, link keys, categories, users, lost bodies and time span are
those of its own rows, counted for every signature at once."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from rca.findings.pipeline import analyze
from rca.findings.signatures import _distinct_per_cluster


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.one_of(st.none(), st.sampled_from(["b", "a", "é", "", "a b"]))),
                max_size=60))
def test_each_cluster_counts_its_own_rows_distinct_values_and_no_missing_one(pairs):
    owner = np.array([o for o, _ in pairs], dtype=np.int64)
    values = pa.chunked_array([pa.array([v for _, v in pairs[:7]], pa.string()), pa.array([v for _, v in pairs[7:]], pa.string())])
    expected = [dict(Counter(v for o, v in pairs if o == k and v is not None)) for k in range(5)]
    assert _distinct_per_cluster(values, owner, 5) == expected


def test_integer_values_are_counted_as_the_integers_they_are():
    values = pa.chunked_array([pa.array([500, None, 404, 500, 503], pa.int32())])
    assert _distinct_per_cluster(values, np.array([0, 0, 1, 0, 1]), 2) == [{500: 2}, {404: 1, 503: 1}]


def test_a_signature_holds_what_its_rows_hold():
    f = analyze(["fixtures/chaos-fail/logcli.jsonl"])
    decoded_table = f.ingested.table
    from rca.knowledge.pack import default_pack
    from rca.table.decode import decode

    decoded = decode(decoded_table, default_pack())
    ts = decoded_table.column("ts_ns").to_numpy()
    column = {name: decoded.column(name).to_pylist() for name in ("status", "link", "link_key", "category", "user", "body_lost")}
    assert len(f.clusters) > 2
    for c in f.clusters:
        rows = c.rows.tolist()
        assert c.count == len(rows) and rows == sorted(rows)
        assert (c.first_ns, c.last_ns) == (int(ts[rows].min()), int(ts[rows].max()))
        statuses = Counter(column["status"][r] for r in rows if column["status"][r] is not None)
        assert c.statuses == {str(v): n for v, n in sorted(statuses.items())}
        for name, held in (("link", c.links), ("link_key", c.link_keys), ("category", c.categories), ("user", c.users)):
            assert held == sorted({column[name][r] for r in rows if column[name][r] is not None})
        assert c.body_lost == any(column["body_lost"][r] for r in rows)
