"""No native crash at exit: once rca has written its answer it leaves at once, without the
interpreter teardown in which a thread still alive (Arrow's pools are native) can abort the
process with `terminate called without an active exception`."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

# A thread that is still busy when the command ends, as a native pool's worker can be.
BUSY_THREAD = ("import sys, threading, time; import rca.cli as cli; "
               "threading.Thread(target=time.sleep, args=(120,)).start(); "
               "sys.argv = ['rca'] + sys.argv[1:]; cli.main()")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BUSY_THREAD, *args], cwd=ROOT, capture_output=True,
                          timeout=60, text=True)


def test_a_thread_still_busy_does_not_hold_up_or_break_the_exit(tmp_path):
    done = _run("analyze", "fixtures/chaos-fail/loki-query.json", "-f", "json", "-o", str(tmp_path / "f.json"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "f.json").read_text().rstrip().endswith("}")


def test_the_answer_is_complete_on_stdout_before_the_exit():
    done = _run("analyze", "fixtures/chaos-fail/loki-query.json", "-f", "md")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("| Complete the Response section with who noticed, when, and what they did "
                                         "| _unassigned_ | P3 | _set a date_ |")


def test_an_error_exit_keeps_its_code_and_message():
    done = _run("analyze", "no-such-export.json")
    assert done.returncode == 2
    assert done.stderr.strip() == "rca: error: no-such-export.json: no such file or folder"
