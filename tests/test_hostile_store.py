"""The history store survives bad neighbours: foreign or corrupt files in it, the same
records analysed in two groupings, merged inputs, and a batch killed with kill -9."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

EXPORT = "fixtures/chaos-fail/logcli.jsonl"
SPLIT = "2025-12-02T17:40:00"


@pytest.fixture
def halves(tmp_path) -> list[Path]:
    """The fixture export cut in two part files; the incident lies in the first."""
    lines = Path(EXPORT).read_text().splitlines()
    first = [ln for ln in lines if json.loads(ln)["timestamp"] < SPLIT]
    second = [ln for ln in lines if json.loads(ln)["timestamp"] >= SPLIT]
    folder = tmp_path / "parts"
    folder.mkdir()
    paths = [folder / "export.part1.jsonl", folder / "export.part2.jsonl"]
    for path, part in zip(paths, (first, second), strict=True):
        path.write_text("\n".join(part) + "\n")
    return paths


def _history(rca, store) -> dict:
    run = rca("history", "--store", str(store), "-f", "json")
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)


def test_a_corrupt_parquet_file_is_skipped_with_a_warning_naming_it(rca, tmp_path):
    store = tmp_path / "history"
    assert rca("batch", EXPORT, "--store", str(store)).code == 0
    (store / "broken.parquet").write_bytes(b"PAR1 not really parquet")
    doc = _history(rca, store)
    assert len(doc["incidents"]) == 1
    run = rca("history", "--store", str(store))
    assert "broken.parquet: skipped" in run.stderr
    run = rca("analyze", EXPORT, "--store", str(store))
    assert run.code == 0 and "broken.parquet: skipped" in run.stderr


def test_a_foreign_parquet_file_is_skipped(rca, tmp_path):
    store = tmp_path / "history"
    assert rca("batch", EXPORT, "--store", str(store)).code == 0
    pq.write_table(pa.table({"x": [1, 2, 3]}), store / "someone-elses.parquet")
    run = rca("history", "--store", str(store), "-f", "json")
    assert run.code == 0 and "someone-elses.parquet: skipped" in run.stderr
    assert len(json.loads(run.stdout)["incidents"]) == 1


def test_the_same_records_in_two_groupings_are_stored_once(rca, tmp_path, halves):
    store = tmp_path / "history"
    assert rca("batch", *map(str, halves), "--store", str(store)).code == 0
    assert rca("batch", str(halves[0].parent), "--store", str(store)).code == 0
    doc = _history(rca, store)
    assert len(doc["incidents"]) == 1
    assert doc["recurring_causes"] == []


@pytest.fixture
def two_shapes(tmp_path) -> list[Path]:
    """One outage as a logcli pull and as a Docker json-file log: the Docker lines carry no
    component label, so their signature ids differ, but the incident is the same one."""
    folder = tmp_path / "outages"
    folder.mkdir()
    rows = [json.loads(line) for line in Path(EXPORT).read_text().splitlines()]
    (folder / "logcli.jsonl").write_text(Path(EXPORT).read_text())
    docker = [json.dumps({"log": r["line"] + "\n", "stream": "stdout", "time": r["timestamp"]}) for r in rows]
    (folder / "service-json.log").write_text("\n".join(docker) + "\n")
    return [folder / "logcli.jsonl", folder / "service-json.log"]


def test_the_same_outage_exported_in_two_shapes_is_stored_once(rca, tmp_path, two_shapes):
    store = tmp_path / "history"
    assert rca("batch", *map(str, two_shapes), "--store", str(store)).code == 0
    doc = _history(rca, store)
    assert len(doc["incidents"]) == 1
    assert doc["recurring_causes"] == []


def test_a_merged_analysis_labels_each_incident_with_its_own_file(rca, tmp_path, halves):
    store = tmp_path / "history"
    run = rca("analyze", str(halves[1]), str(halves[0]), "--store", str(store))
    assert run.code == 0, run.stderr
    (incident,) = _history(rca, store)["incidents"]
    assert incident["outage"] == "export.part1.jsonl"


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def test_pool_workers_die_with_a_batch_killed_by_kill_9(tmp_path):
    folder = tmp_path / "outages"
    folder.mkdir()
    for i in range(6):
        (folder / f"outage-{i}.jsonl").write_bytes(Path(EXPORT).read_bytes())
    proc = subprocess.Popen([sys.executable, "-m", "rca", "batch", str(folder), "--no-store"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    workers: list[int] = []
    while time.time() < deadline and len(workers) < 2:
        workers = _children(proc.pid)
        time.sleep(0.1)
    assert workers, "the batch started no pool workers"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    deadline = time.time() + 20
    while time.time() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)


def _stored_rows(store: Path) -> int:
    return sum(pq.read_table(p).num_rows for p in store.glob("*.parquet"))


def test_an_incident_found_by_two_groupings_is_written_once(rca, tmp_path, halves):
    store = tmp_path / "history"
    assert rca("batch", *map(str, halves), "--store", str(store)).code == 0
    assert rca("batch", str(halves[0].parent), "--store", str(store)).code == 0
    assert _stored_rows(store) == 1


def test_an_incident_recorded_by_many_writers_at_once_is_stored_once(tmp_path):
    import threading

    from rca.history import store as history

    store = tmp_path / "history"
    row = {"incident_id": "inc-1", "start_ns": 1, "end_ns": 2, "signature_ids": ["sig-a"], "component": "factory",
           "kind": "failure", "recorded_at_ns": 0}
    start = threading.Barrier(8)

    def write(n: int) -> None:
        start.wait()
        history.record(store, f"export-{n}", [{**row, "identity": f"export-{n}", "recorded_at_ns": n}])

    writers = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    assert _stored_rows(store) == 1
    assert history.load(store).num_rows == 1


def test_the_same_outage_given_twice_to_one_batch_recurs_once(rca, two_shapes):
    """The batch's own review, before any store: the second export of the outage names the
    first, and the cause is not counted as recurring."""
    run = rca("batch", *map(str, two_shapes), "-f", "json")
    assert run.code == 0, run.stderr
    review = json.loads(run.stdout)
    assert review["recurring_causes"] == []
    notes = [row["note"] for row in review["outages"] if row["start"]]
    assert notes == ["", "the same incident as in logcli.jsonl"]


@pytest.fixture
def taken_mid_outage(tmp_path) -> list[Path]:
    """One outage exported twice: a Grafana download a responder took while orders were
    still failing, and the full logcli pull afterwards. Same fix code, the same chaos."""
    folder = tmp_path / "outages"
    folder.mkdir()
    full = Path(EXPORT).read_text().splitlines()
    failing = [i for i, ln in enumerate(full) if "Failed to fulfill" in ln and "followLinkToEndChaos" in ln]
    midway = sorted(json.loads(full[i])["timestamp"] for i in failing)[len(failing) // 2]
    (folder / "later.jsonl").write_text("\n".join(full) + "\n")
    (folder / "during.jsonl").write_text(
        "\n".join(ln for ln in full if json.loads(ln)["timestamp"] <= midway) + "\n")
    return [folder / "during.jsonl", folder / "later.jsonl"]


def test_an_outage_exported_mid_way_and_after_is_one_incident_in_the_batch(rca, taken_mid_outage):
    run = rca("batch", *map(str, taken_mid_outage), "-f", "json", "--no-store")
    assert run.code == 0, run.stderr
    review = json.loads(run.stdout)
    assert review["recurring_causes"] == []
    assert [row["note"] for row in review["outages"]] == ["", "the same incident as in during.jsonl"]


def test_an_outage_exported_mid_way_and_after_is_stored_once(rca, tmp_path, taken_mid_outage):
    store = tmp_path / "history"
    for path in taken_mid_outage:
        assert rca("batch", str(path), "--store", str(store)).code == 0
    doc = _history(rca, store)
    assert len(doc["incidents"]) == 1 and doc["recurring_causes"] == []


def test_an_export_cut_after_the_onset_does_not_name_its_own_outage_as_an_earlier_one(rca, tmp_path):
    """A Grafana download capped at its line limit loses the outage's first failures: its
    incident starts later than the full export's, but it is the same outage (same fix code),
    so Prevention must not call it a recurrence."""
    full = Path(EXPORT).read_text().splitlines()
    failing = sorted(json.loads(ln)["timestamp"] for ln in full if "followLinkToEndChaos" in ln)
    cut = tmp_path / "capped.jsonl"
    cut.write_text("\n".join(ln for ln in full if json.loads(ln)["timestamp"] >= failing[len(failing) // 2]) + "\n")
    store = tmp_path / "history"
    assert rca("analyze", EXPORT, "--store", str(store), "-q").code == 0
    run = rca("analyze", str(cut), "--store", str(store), "-f", "md")
    assert run.code == 0, run.stderr
    prevention = run.stdout[run.stdout.index("## Prevention"):run.stdout.index("## Action items")]
    assert "No earlier incident in the history has the same root cause" in prevention
    assert "inc-" not in prevention and "recurring" not in prevention


@pytest.mark.parametrize("command", ["batch", "analyze"])
def test_a_store_that_cannot_be_made_is_one_line_naming_it(rca, tmp_path, command):
    store = tmp_path / "export.json" / "history"  # a typo: a folder inside a file
    (tmp_path / "export.json").write_text("{}")
    run = rca(command, EXPORT, "--store", str(store), "-q")
    assert run.code == 2, run.stderr
    assert run.stderr.count("\n") == 1 and f"{store}: cannot write the history store" in run.stderr


def test_the_full_export_of_an_outage_is_kept_over_one_taken_mid_way_whichever_comes_last(rca, tmp_path,
                                                                                          taken_mid_outage):
    during, later = taken_mid_outage
    store = tmp_path / "history"
    for path in (later, during, later, during):  # the mid-way export analysed again, last
        assert rca("batch", str(path), "--store", str(store)).code == 0
    (incident,) = _history(rca, store)["incidents"]
    assert incident["outage"] == "later.jsonl" and incident["affected_requests"] == 9


def _stored_row(start_s: int, remediation: str) -> dict:
    return {"identity": f"export-{start_s}", "outage": f"outage-{start_s}.jsonl", "source": f"outage-{start_s}.jsonl",
            "incident_id": "INC-1", "start_ns": start_s * 10**9, "end_ns": (start_s + 240) * 10**9,
            "recovery_ns": None, "duration_s": 240.0, "component": "pizza-factory", "kind": "failing responses",
            "summary": "orders failed", "confidence": 0.9, "affected_requests": 20, "remediation": remediation,
            "signature_ids": ["s1"], "templates": ["t"], "recorded_at_ns": 0}


def test_two_outages_sharing_a_link_without_a_fix_code_are_both_kept(tmp_path):
    """A constant support page names no outage: a week's two outages that both quote it stay two."""
    from rca.history import store as history

    for n, page in enumerate(["https://help.example.com/support", "https://status.example.com/report/weekly"]):
        history.record(tmp_path, f"export-{n}-1", [_stored_row(1_764_000_000 + n, page)])
        history.record(tmp_path, f"export-{n}-2", [_stored_row(1_764_600_000 + n, page)])
    assert history.load(tmp_path).num_rows == 4


def test_two_exports_of_one_fix_code_are_one_outage(tmp_path):
    from rca.history import store as history

    link = "https://pizza-factory.cs329.click/api/support/****/report/k3q9z7mf"
    history.record(tmp_path, "export-1", [_stored_row(1_764_000_000, link)])
    history.record(tmp_path, "export-2", [_stored_row(1_764_000_060, link)])
    assert history.load(tmp_path).num_rows == 1


def test_a_column_a_person_added_to_a_store_file_survives_its_rewrite(tmp_path):
    """Recording an incident drops its older row from another file; the rest of that file,
    a column someone added to it included, is kept as it was."""
    from rca.history import store as history

    history.record(tmp_path, "export-1", [_stored_row(1_764_000_000, None), _stored_row(1_764_600_000, None)])
    (older,) = tmp_path.glob("*.parquet")
    table = pq.read_table(older)
    pq.write_table(table.append_column("reviewed_by", pa.array(["ana", "raj"])), older)
    history.record(tmp_path, "export-2", [_stored_row(1_764_600_000, None)])
    kept = pq.read_table(older)
    assert kept.num_rows == 1 and kept.column("reviewed_by").to_pylist() == ["ana"]


def test_a_fix_code_is_found_by_the_pack_the_export_was_analysed_with(rca, tmp_path, taken_mid_outage):
    """A team's own pack names its remediation links and their fix codes: the history keys an
    outage by the fix code that pack finds, not by what the built-in pack would find."""
    pack = json.loads(Path("rca/knowledge/packs/jwt-pizza.json").read_text())
    pack["remediation_url_patterns"] = ["/incidents/[0-9A-Z]+/resolve"]
    pack["link_identity_patterns"] = ["/incidents/(?P<fix>[0-9A-Z]+)/resolve"]
    (tmp_path / "ops.json").write_text(json.dumps(pack))
    store = tmp_path / "history"
    for path in taken_mid_outage:
        path.write_text(re.sub(r"https://pizza-factory[.]cs329[.]click/api/support/[^/]+/report/k3q9z7mf",
                               "https://ops.example.com/incidents/K3Q9Z7MF/resolve", path.read_text()))
        run = rca("analyze", str(path), "--pack", str(tmp_path / "ops.json"), "--store", str(store), "-f", "json")
        assert run.code == 0, run.stderr
        assert json.loads(run.stdout)["incidents"][0]["root_causes"][0]["urls"] == [
            "https://ops.example.com/incidents/K3Q9Z7MF/resolve"]
    doc = _history(rca, store)
    assert len(doc["incidents"]) == 1 and doc["recurring_causes"] == []
