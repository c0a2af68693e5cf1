"""Rows grouped without Arrow's query engine give the groups Arrow's group_by gives."""

import random

import numpy as np
import pyarrow as pa

from rca.inputs.groups import group_rows


def _varied(n: int, seed: int) -> tuple[pa.Array, pa.Array, np.ndarray]:
    rng = random.Random(seed)
    keys = pa.array([rng.choice(["service", "level", "job", None, "ü"]) for _ in range(n)])
    values = pa.array([rng.choice(["a", "b", "", None, "pizza-" + str(rng.randrange(40))]) for _ in range(n)])
    times = np.array([rng.randrange(10**12) for _ in range(n)], dtype=np.int64)
    return keys, values, times


def test_groups_of_two_keys_count_as_arrow_group_by_counts():
    keys, values, _ = _varied(5000, 1)
    groups = group_rows(keys, values)
    ours = dict(zip(zip(groups.keys[0].to_pylist(), groups.keys[1].to_pylist()), groups.counts().tolist()))
    arrow = pa.table({"k": keys, "v": values}).group_by(["k", "v"]).aggregate([([], "count_all")])
    assert ours == dict(zip(zip(arrow.column("k").to_pylist(), arrow.column("v").to_pylist()),
                            arrow.column("count_all").to_pylist()))


def test_members_are_each_groups_values_in_row_order():
    keys, _, times = _varied(3000, 2)
    groups = group_rows(pa.chunked_array([keys[:1000], keys[1000:]]))
    ours = dict(zip(groups.keys[0].to_pylist(), (m.tolist() for m in groups.members(times)), strict=True))
    expected: dict = {}
    for k, t in zip(keys.to_pylist(), times.tolist()):
        expected.setdefault(k, []).append(t)
    assert ours == expected


def test_no_rows_make_no_groups():
    groups = group_rows(pa.array([], pa.string()))
    assert groups.counts().tolist() == [] and groups.members(np.array([], np.int64)) == []
