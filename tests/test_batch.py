"""Batch review: outages table, history store, recurrence, Prevention, engines."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from fixtures import generate
from fixtures.generate import Chaos
from rca.history import batch
from rca.history import store as history
from tests.conftest import ROOT

S = 1_000_000_000


def _outage(path, kind="fail", code="aaaa1111", seed=1, fmt="loki-query"):
    events = generate.simulate(chaos=[Chaos(kind, 300, 540, fix_code=code)], seed=seed)
    path.write_bytes(generate.WRITERS[fmt][1](events))
    return path


@pytest.fixture(scope="module")
def outages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("outages")
    _outage(folder / "a.json", "fail", "aaaa1111", 1)
    _outage(folder / "b.json", "fail", "bbbb2222", 2)
    _outage(folder / "c.json", "db-outage", "x", 3)
    return folder


def _comparable(results):
    return sorted((r["outage"], i["incident_id"], i["start_ns"], i["end_ns"], i["component"], i["kind"],
                   i["affected_requests"], tuple(i["signature_ids"])) for r in results for i in r["incidents"])


def test_batch_prints_outages_and_recurring_causes(rca, outages, tmp_path):
    run = rca("batch", str(outages), "--store", str(tmp_path / "store"), "--format", "json")
    assert run.code == 0, run.stderr
    doc = json.loads(run.stdout)
    assert [o["outage"] for o in doc["outages"]] == ["a.json", "b.json", "c.json"]
    assert [o["component"] for o in doc["outages"]] == ["pizza-factory", "pizza-factory", "database"]
    assert all("****" in o["remediation"] for o in doc["outages"][:2])
    (recurring,) = doc["recurring_causes"]
    assert (recurring["component"], recurring["count"]) == ("pizza-factory", 2)
    assert recurring["mttr_s"] > 0


@pytest.mark.parametrize("fmt", ["text", "md", "csv"])
def test_batch_other_formats(fmt, rca, outages, tmp_path):
    run = rca("batch", str(outages), "--no-store", "--format", fmt)
    assert run.code == 0
    assert "a.json" in run.stdout and "pizza-factory" in run.stdout


def test_batch_markdown_keeps_the_link_to_follow_a_link(rca, outages):
    run = rca("batch", str(outages), "--no-store", "--format", "md")
    rows = [line for line in run.stdout.splitlines() if line.startswith("| a.json")]
    assert rows and "| https://pizza-factory.cs329.click/api/support/****/report/aaaa1111 |" in rows[0]


def test_history_store_round_trip(outages, tmp_path):
    store = tmp_path / "store"
    results = batch.run(batch.units_from_paths([str(outages)]), engine="serial", store=store)
    stored = history.load(store).to_pylist()
    assert sorted(r["incident_id"] for r in stored) == sorted(i["incident_id"] for r in results for i in r["incidents"])
    assert all(r["recorded_at_ns"] > 0 for r in stored)


def test_history_command_lists_incidents_and_recurring_causes(rca, outages, tmp_path):
    store = tmp_path / "store"
    rca("batch", str(outages), "--store", str(store))
    run = rca("history", "--store", str(store), "--format", "json")
    doc = json.loads(run.stdout)
    assert len(doc["incidents"]) == 3
    assert doc["recurring_causes"][0]["count"] == 2


def test_same_export_again_is_not_duplicated_even_renamed_or_reformatted(outages, tmp_path):
    store = tmp_path / "store"
    batch.run(batch.units_from_paths([str(outages / "a.json")]), engine="serial", store=store)
    copy = tmp_path / "renamed.jsonl"
    events = generate.simulate(chaos=[Chaos("fail", 300, 540, fix_code="aaaa1111")], seed=1)
    copy.write_bytes(generate.logcli_jsonl(events))
    batch.run(batch.units_from_paths([str(copy)]), engine="serial", store=store)
    assert history.load(store).num_rows == 1


def test_two_writers_at_once_keep_every_outage(outages, tmp_path):
    store = tmp_path / "store"
    procs = [subprocess.Popen([sys.executable, "-m", "rca", "batch", str(outages / name), "--store", str(store)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for name in ("a.json", "b.json", "c.json", "a.json")]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    assert history.load(store).num_rows == 3
    assert not [p for p in store.iterdir() if p.name.startswith(".")]


def test_a_batch_that_crashes_halfway_keeps_finished_outages(outages, tmp_path):
    store = tmp_path / "store"
    seen = []

    def crash_after_two(result):
        seen.append(result)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        batch.run(batch.units_from_paths([str(outages)]), engine="serial", store=store, on_result=crash_after_two)
    assert history.load(store).num_rows == 2


def test_unreadable_export_is_reported_not_fatal(rca, outages, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.json").write_bytes((outages / "a.json").read_bytes())
    (folder / "broken.bin").write_bytes(b"\x00\x01" * 50)
    run = rca("batch", str(folder), "--no-store")
    assert run.code == 0
    assert "broken.bin: unreadable" in run.stdout and "binary" in run.stderr


def test_recurrence_matches_reworded_templates():
    base = {"identity": "i", "outage": "o", "source": "s", "end_ns": 0, "recovery_ns": None, "duration_s": 60.0,
            "component": "pizza-factory", "kind": "failing responses", "summary": "x", "confidence": 0.9,
            "affected_requests": 3, "remediation": None, "recorded_at_ns": 0}
    a = {**base, "incident_id": "a", "start_ns": 1, "signature_ids": ["sig-1"],
         "templates": ["Failed to fulfill order at factory", "chaos monkey"]}
    b = {**base, "incident_id": "b", "start_ns": 2, "signature_ids": ["sig-2"],
         "templates": ["Failed to fulfill the order at factory: chaos monkey"]}
    c = {**base, "incident_id": "c", "start_ns": 3, "signature_ids": ["sig-3"], "templates": ["oven is full"]}
    groups = history.recurrences([a, b, c])
    assert [sorted(i["incident_id"] for i in g.incidents) for g in groups] == [["a", "b"], ["c"]]


def test_analyze_with_a_store_fills_prevention(rca, outages, tmp_path):
    store = tmp_path / "store"
    first = rca("analyze", str(outages / "a.json"), "--store", str(store), "-f", "md")
    assert "No earlier incident in the history has the same root cause" in first.stdout
    later = _outage(tmp_path / "later.json", "fail", "dddd4444", seed=9)
    events = generate.simulate(chaos=[Chaos("fail", 300, 540, fix_code="dddd4444")], seed=9)
    shifted = [replace(e, ts_ns=e.ts_ns + 86400 * S) for e in events]
    later.write_bytes(generate.loki_query(shifted))
    run = rca("analyze", str(later), "--store", str(store), "-f", "md")
    assert run.code == 0
    prevention = run.stdout.split("## Prevention")[1].split("## Action items")[0]
    assert "caused 1 earlier incident" in prevention and "a.json" in prevention


def test_group_by_gap_splits_one_long_export(rca, tmp_path):
    one = generate.simulate(chaos=[Chaos("fail", 300, 540, fix_code="aaaa1111")], seed=1)
    two = generate.simulate(chaos=[Chaos("fail", 300, 540, fix_code="bbbb2222")], seed=2)
    long = one + [replace(e, ts_ns=e.ts_ns + 3 * 3600 * S) for e in two]
    path = tmp_path / "long.json"
    path.write_bytes(generate.loki_query(long))
    run = rca("batch", str(path), "--group-by-gap", "30m", "--no-store", "-f", "json")
    assert run.code == 0, run.stderr
    doc = json.loads(run.stdout)
    assert [o["outage"] for o in doc["outages"]] == ["long.json#1", "long.json#2"]
    assert [o["remediation"].rsplit("/", 1)[1] for o in doc["outages"]] == ["aaaa1111", "bbbb2222"]


def test_engines_give_the_same_results(outages):
    units = batch.units_from_paths([str(outages)])
    serial = _comparable(batch.run(units, engine="serial"))
    local = _comparable(batch.run(units, engine="local"))
    assert serial == local and serial


def test_dask_cluster_gives_the_same_results(outages, dask_cluster):
    units = batch.units_from_paths([str(outages)])
    serial = _comparable(batch.run(units, engine="serial"))
    dask_results = _comparable(batch.run(units, engine="dask", scheduler=dask_cluster.scheduler_address))
    assert dask_results == serial


@pytest.mark.parametrize("command", ["batch", "analyze"])
def test_a_scheduler_address_dask_cannot_read_is_one_line_naming_the_flag(rca, tmp_path, command):
    export = _outage(tmp_path / "a.jsonl", fmt="logcli-jsonl")
    run = rca(command, str(export), "--engine", "dask", "--scheduler", "http://127.0.0.1:1", "--no-store"
              if command == "batch" else "-q")
    assert run.code == 2, run.stderr
    assert run.stderr.count("\n") == 1 and "--scheduler http://127.0.0.1:1" in run.stderr
    assert "internal error" not in run.stderr


def test_batch_on_a_scheduler_nobody_runs_is_one_line_naming_the_flag(rca, outages):
    run = rca("batch", str(outages / "a.json"), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9", "--no-store")
    assert run.code == 2, run.stderr
    assert run.stderr.count("\n") == 1 and "cannot reach the Dask scheduler" in run.stderr


def test_part_files_beside_other_files_are_still_one_outage(tmp_path):
    """logcli's --part-path-prefix folder with the user's notes (or logcli's stderr) saved
    beside the parts: the parts are one outage, the other file another."""
    folder = tmp_path / "incident-7"
    folder.mkdir()
    (folder / "inc_20251202T173000_20251202T173600.part").write_text("{}\n")
    (folder / "inc_20251202T173600_20251202T174200.part").write_text("{}\n")
    (folder / "notes.md").write_text("# what we saw\n")
    units = batch.units_from_paths([str(folder)])
    assert sorted((u.name, len(u.paths)) for u in units) == [("incident-7", 2), ("notes.md", 1)]


def test_unreadable_export_warning_names_the_file_once(rca, outages, tmp_path):
    broken = tmp_path / "broken.bin"
    broken.write_bytes(b"\x00\x01" * 50)
    run = rca("batch", str(broken), str(outages / "a.json"), "--no-store")
    assert run.code == 0
    warning = next(line for line in run.stderr.splitlines() if "binary" in line)
    assert warning.count("broken.bin") == 1


def _zipped(outages, tmp_path):
    """The outages zipped as a person would send them: two in a folder, one at the top."""
    import zipfile

    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(outages / "a.json", "november/a.json")
        z.write(outages / "b.json", "november/b.json")
        z.write(outages / "c.json", "c.json")
    return archive


def test_each_file_in_a_zip_archive_is_its_own_outage_named_by_its_path(rca, outages, tmp_path):
    run = rca("batch", str(_zipped(outages, tmp_path)), "--no-store", "--format", "json")
    assert run.code == 0, run.stderr
    doc = json.loads(run.stdout)
    assert [(o["outage"], o["component"]) for o in doc["outages"]] == [
        ("c.json", "database"), ("november/a.json", "pizza-factory"), ("november/b.json", "pizza-factory")]


def test_a_zipped_outage_finds_what_the_file_alone_finds(outages, tmp_path):
    units = batch.units_from_paths([str(_zipped(outages, tmp_path))])
    zipped = {r["outage"]: r for r in batch.run(units, engine="serial")}
    alone = batch.run(batch.units_from_paths([str(outages / "a.json")]), engine="serial")[0]
    assert _comparable([{**zipped["november/a.json"], "outage": "a.json"}]) == _comparable([alone])


def test_the_part_files_of_a_zipped_folder_are_one_outage(tmp_path):
    import zipfile

    archive = tmp_path / "parts.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("incident-7/inc_20251202T173000_20251202T173600.part", "{}\n")
        z.writestr("incident-7/inc_20251202T173600_20251202T174200.part", "{}\n")
        z.writestr("incident-7/notes.md", "# what we saw\n")
    units = batch.units_from_paths([str(archive)])
    assert sorted((u.name, len(u.paths)) for u in units) == [("incident-7", 2), ("incident-7/notes.md", 1)]
