"""Files rca writes cannot harm what is already there: devices, pipes, symlinks, read-only
reports, a person's edit made during an attach, and a process killed mid-write."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest

from rca.outputs import files, reportfile

FIXTURE = "fixtures/chaos-fail/loki-query.json"


@pytest.fixture(scope="module")
def findings(tmp_path_factory):
    from rca.findings.pipeline import analyze
    from rca.outputs.report import findings_json

    path = tmp_path_factory.mktemp("findings") / "findings.json"
    path.write_text(json.dumps(findings_json(analyze([FIXTURE]))))
    return path


def _attach(rca, findings, report):
    return rca("attach", str(findings), "--report", str(report))


def test_output_to_a_fifo_is_written_into_the_pipe(rca, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    run = rca("analyze", FIXTURE, "-f", "json", "-o", str(fifo))
    reader.join(30)
    assert run.code == 0, run.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(got[0])["schema"] == "rca.findings/1"


def test_output_to_a_character_device_leaves_the_device(rca, tmp_path):
    if os.geteuid() == 0:
        device = tmp_path / "null"
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    else:
        device = "/dev/null"
    run = rca("analyze", FIXTURE, "-f", "json", "-o", str(device))
    assert run.code == 0, run.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_output_to_dev_stdout_reaches_standard_output(rca, tmp_path):
    # A link of our own to /proc/self/fd/1, as /dev/stdout is: a regression must not
    # replace the machine's /dev/stdout while the tests run as root.
    stdout = tmp_path / "stdout"
    stdout.symlink_to("/proc/self/fd/1")
    run = rca("analyze", FIXTURE, "-f", "json", "-o", str(stdout))
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["schema"] == "rca.findings/1"


def test_a_new_output_file_honours_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        files.write_atomically(tmp_path / "report.html", b"<html></html>")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o644


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old")
    target.chmod(0o640)
    files.write_atomically(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 and target.read_text() == "new"


def test_a_symlinked_report_is_updated_through_the_link(rca, findings, tmp_path):
    real = tmp_path / "shared" / "incident.md"
    real.parent.mkdir()
    link = tmp_path / "incident.md"
    link.symlink_to(real)
    run = _attach(rca, findings, link)
    assert run.code == 0, run.stdout + run.stderr
    assert link.is_symlink() and "rca:begin summary" in real.read_text()


def test_a_symlinked_bak_is_replaced_not_followed(rca, findings, tmp_path):
    report = tmp_path / "incident.md"
    report.write_text("# Incident\n\n## Summary\n\nmy words\n")
    victim = tmp_path / "unrelated.txt"
    victim.write_text("precious")
    (tmp_path / "incident.md.bak").symlink_to(victim)
    run = _attach(rca, findings, report)
    assert run.code == 0, run.stdout + run.stderr
    assert victim.read_text() == "precious"
    bak = tmp_path / "incident.md.bak"
    assert not bak.is_symlink() and bak.read_text() == "# Incident\n\n## Summary\n\nmy words\n"


def test_a_read_only_report_is_refused_with_exit_2(rca, findings, tmp_path):
    report = tmp_path / "incident.md"
    report.write_text("# Incident\n")
    report.chmod(0o444)
    run = _attach(rca, findings, report)
    assert run.code == 2
    assert "read-only" in run.stdout
    assert report.read_text() == "# Incident\n"


def test_a_read_only_output_is_refused_with_exit_2(rca, tmp_path):
    out = tmp_path / "findings.json"
    out.write_text("keep")
    out.chmod(0o444)
    run = rca("analyze", FIXTURE, "-f", "json", "-o", str(out))
    assert run.code == 2 and "read-only" in run.stderr
    assert out.read_text() == "keep"


def test_an_edit_saved_during_an_attach_is_kept(tmp_path, monkeypatch):
    report = tmp_path / "incident.md"
    report.write_text("# Incident\n\n## Summary\n")
    real_fill = reportfile.fill

    def fill_while_a_person_saves(*args, **kwargs):
        update = real_fill(*args, **kwargs)
        report.write_text("# Incident\n\n## Summary\n\nsaved by a person meanwhile\n")
        return update

    monkeypatch.setattr(reportfile, "fill", fill_while_a_person_saves)
    with pytest.raises(files.ChangedMeanwhile):
        reportfile.attach_to_report(report, "Incident", {"Summary": "draft"})
    assert "saved by a person meanwhile" in report.read_text()
    assert [p.name for p in tmp_path.iterdir() if "rca-tmp" in p.name] == []


def test_a_failed_rename_leaves_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "out.json"
    target.write_text("old")

    def refuse(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(OSError):
        files.write_atomically(target, b"new" * 1000, keep_backup=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
    assert target.read_text() == "old"


def test_kill_9_mid_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "incident.md"
    target.write_text("old report")
    script = f"""
import os, sys, time
from pathlib import Path
from rca.outputs import files
def slow_fsync(fd):
    sys.stdout.write("writing\\n"); sys.stdout.flush(); time.sleep(60)
files.os.fsync = slow_fsync
files.write_atomically(Path({str(target)!r}), b"x" * 5_000_000, keep_backup=True)
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout.readline() == b"writing\n"
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incident.md"]
    assert target.read_text() == "old report"
