"""What changed in the window: the field values over-represented in an incident's window
against the rest of the export, with counts in and out and a score, shown as evidence in
every output and as `contributors[]` in the JSON."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema

from fixtures import generate
from fixtures.generate import Chaos
from fixtures.rates import RateBurst, simulate_rates
from rca.findings.pipeline import analyze
from rca.outputs.html import page
from rca.outputs.report import findings_json, markdown
from rca.outputs.terminal import terminal


def _analyze(tmp_path, events):
    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query(events))
    return analyze([str(path)])


def test_chaos_window_is_explained_by_its_status_and_signature(tmp_path):
    f = _analyze(tmp_path, generate.simulate(chaos=[Chaos("fail", 300, 540)], minutes=16))
    top = f.incidents[0].contributors
    assert top and top[0].score >= 3
    found = {(c.field, c.value) for c in top}
    assert ("status", "500") in found
    assert all(c.in_window >= 2 and c.score >= 3 for c in top)
    assert [c.score for c in top] == sorted((c.score for c in top), reverse=True)


def test_routine_failures_are_not_contributors(tmp_path):
    f = _analyze(tmp_path, generate.simulate(chaos=[Chaos("fail", 300, 540)], minutes=16))
    values = " ".join(c.value for c in f.incidents[0].contributors)
    assert "unknown user" not in values and "404" not in values


def test_held_out_rate_burst_names_its_signature_and_user_free_fields(tmp_path):
    export = simulate_rates(hours=6, per_min=10, trickle_per_hour=4, bursts=[RateBurst(200, 15, 2)],
                            noise_per_hour=3, seed=61)
    f = _analyze(tmp_path, export.events)
    top = f.incidents[0].contributors
    sig = next(c for c in top if c.field == "signature")
    assert "/api/order 500" in sig.value and "franchise" not in sig.value
    assert sig.in_window >= len(export.burst_times[0]) - 2


def test_contributors_are_in_the_json_schema_and_every_output(tmp_path):
    f = _analyze(tmp_path, generate.simulate(chaos=[Chaos("fail", 300, 540)], minutes=16))
    doc = findings_json(f)
    schema = json.loads(resources.files("rca.outputs.schemas").joinpath("findings-1.schema.json").read_text())
    jsonschema.validate(doc, schema)
    first = doc["incidents"][0]["contributors"][0]
    assert set(first) == {"field", "value", "in_window", "baseline", "score"}
    del doc["incidents"][0]["contributors"]
    jsonschema.validate(doc, schema)  # optional: documents without it stay rca.findings/1
    assert "What changed in the window" in markdown(f)
    assert "What changed in the window" in page(f)
    assert "changed" in terminal(f) and "in the window" in terminal(f)


def test_no_incident_no_contributors(tmp_path):
    f = _analyze(tmp_path, generate.simulate(minutes=15))
    assert f.incidents == [] and findings_json(f)["incidents"] == []


def test_the_factorys_answer_just_before_the_first_affected_response_is_counted_in_the_window(tmp_path):
    f = _analyze(tmp_path, generate.simulate(chaos=[Chaos("fail", 300, 540)], minutes=16))
    factory = [c for c in f.incidents[0].contributors if c.field == "signature" and "chaos monkey" in c.value]
    assert factory and factory[0].baseline == 0


def test_counts_say_they_are_among_unusual_lines_not_all_traffic(tmp_path):
    f = _analyze(tmp_path, generate.simulate(chaos=[Chaos("badjwt", 300, 540)], minutes=16))
    ok = next(c for c in f.incidents[0].contributors if (c.field, c.value) == ("status", "200"))
    assert ok.baseline == 0  # the export's many clean 200s outside the window are not among the lines compared
    assert "unusual lines in the window" in ok.describe()
    assert "unusual lines in the window" in terminal(f)
    assert "not all traffic" in markdown(f)
    assert "not all traffic" in page(f)


def _counted_by_masks(table, decoded, signatures, ts, windows, top=5, min_score=3.0):
    """The contributors as first written: each window's rows (and those outside it) counted
    by masks over every row; the values are scored as `contributors` scores them."""
    import numpy as np

    from rca.findings.contributors import _field_columns, top_values

    cols = {name: col.dictionary_encode() for name, col in _field_columns(decoded, table, signatures).items()}
    codes = {name: col.indices.fill_null(-1).to_numpy(zero_copy_only=False) for name, col in cols.items()}
    out = []
    for start, end in windows:
        inside = (ts >= start) & (ts <= end)
        n_in, n_out = int(inside.sum()), int((~inside).sum())
        found = []
        for name, col in cols.items():
            size = len(col.dictionary)
            if n_in == 0 or n_out == 0 or size == 0 or (name != "signature" and size == 1):
                continue
            c = codes[name]
            k_in = np.bincount(c[inside & (c >= 0)], minlength=size)
            k_out = np.bincount(c[~inside & (c >= 0)], minlength=size)
            found += top_values(name, col.dictionary, k_in, k_out, n_in, n_out, top, min_score)
        found.sort(key=lambda x: (-x.score, x.field, x.value))
        out.append(found[:top])
    return out


def test_each_window_counts_exactly_the_rows_whose_time_falls_in_it_whatever_their_order():
    import numpy as np
    import pyarrow as pa

    from rca.findings.contributors import contributors

    rng = np.random.default_rng(5)
    for n in (0, 1, 40, 3000):
        ts = rng.integers(0, 500, n) * 1_000  # unsorted, many rows sharing a time
        pick = lambda values: pa.array([values[k] if k < len(values) else None for k in rng.integers(0, len(values) + 1, n)])  # noqa: E731
        decoded = pa.table({"endpoint": pick(["/a", "/b", "/c"]), "status": pa.array(rng.choice([500, 404, 200], n), pa.int32()),
                            "method": pick(["GET", "POST"]), "user": pick(["u1", "u2", "u3", "u4"])})
        labels = pa.array([[("job", "web" if k % 3 else "db")] for k in range(n)], pa.map_(pa.string(), pa.string()))
        table = pa.table({"labels": labels})
        signatures = pick(["sig-1", "sig-2", "sig-3"])
        windows = [(100_000, 140_000), (0, 0), (499_000, 600_000), (-5, -1), (200_000, 200_000), (0, 499_000)]
        if n:
            hot = (ts >= 100_000) & (ts <= 140_000)  # a burst of one signature and status in the first window
            signatures = pa.array(np.where(hot, "sig-1", signatures.to_numpy(zero_copy_only=False)).tolist())
        assert contributors(table, decoded, signatures, ts, windows) == \
            _counted_by_masks(table, decoded, signatures, ts, windows)
    assert any(contributors(table, decoded, signatures, ts, windows))
