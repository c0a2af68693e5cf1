"""Long work says how far it is: phases and bytes read reach a listener; a pipe sees nothing."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from rca.findings.pipeline import analyze
from rca.inputs.progress import listening
from rca.outputs.progress_bar import LateBar, late_bar

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "chaos-fail" / "logcli.jsonl"


def test_analysis_reports_its_phases_and_every_byte_read():
    heard: list[tuple[str, int, int]] = []
    with listening(lambda phase, done, total: heard.append((phase, done, total))):
        analyze([str(FIXTURE)])
    phases = [p for p, _, _ in heard]
    assert phases.index("reading") < phases.index("decoding") < phases.index("finding incidents")
    size = FIXTURE.stat().st_size
    assert ("reading", size, size) in heard


def test_a_streamed_analysis_reports_bytes_as_its_ranges_are_read(tmp_path):
    heard: list[tuple[str, int, int]] = []
    with listening(lambda phase, done, total: heard.append((phase, done, total))):
        analyze([str(FIXTURE)], chunk_bytes=64_000)
    read = [done for phase, done, _ in heard if phase == "reading and decoding"]
    assert read == sorted(read) and len(read) > 2 and read[-1] == FIXTURE.stat().st_size


def test_nothing_is_drawn_on_stderr_when_it_is_not_a_terminal():
    env = {**os.environ, "COLUMNS": "100"}
    run = subprocess.run([sys.executable, "-m", "rca", "analyze", str(FIXTURE)], capture_output=True,
                         text=True, env=env)
    assert run.returncode == 0
    assert run.stderr == ""


def _stderr_on_a_terminal(*args: str, after: float = 0, code: str = "") -> str:
    """What rca writes to a terminal standing in for stderr (read while it runs), its bar
    drawn `after` seconds into the work; `code` runs after the command."""
    import pty
    import threading

    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    program = (f"import sys\nimport rca.cli as cli\ncli.PROGRESS_AFTER = {after}\ncli._leave = lambda code: None\n"
               f"sys.argv = ['rca', *{list(args)!r}]\ncli.main()\n{code}")
    run = subprocess.run([sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=follower,
                         env=env, timeout=300)
    os.close(follower)
    reader.join(timeout=10)
    os.close(leader)
    assert run.returncode == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_sees_the_phase_and_bytes_read():
    drawn = _stderr_on_a_terminal("analyze", str(FIXTURE))
    assert any(phase in drawn for phase in ("reading", "decoding", "finding incidents"))
    assert "bytes" in drawn or "kB" in drawn


def test_quiet_draws_nothing_even_on_a_terminal():
    assert _stderr_on_a_terminal("analyze", "-q", str(FIXTURE)).strip() == ""


def test_work_shorter_than_the_delay_draws_no_bar_and_loads_no_live_display():
    drawn = _stderr_on_a_terminal("analyze", "-o", os.devnull, str(FIXTURE), after=600,
                                  code="print('rich.live' in sys.modules, file=sys.stderr)")
    assert drawn.strip() == "False"


def _console(buffer: io.StringIO):
    from rich.console import Console

    return lambda: Console(file=buffer, force_terminal=True, width=80)


def test_the_bar_opens_on_the_last_phase_reported_before_it_appeared():
    buffer = io.StringIO()
    bar = LateBar(_console(buffer))
    bar.show("reading", 10, 100)
    bar.show("decoding", 0, 0)
    bar.start()
    bar.stop()
    assert "decoding" in buffer.getvalue() and "10/100 bytes" in buffer.getvalue()
    assert "reading" not in buffer.getvalue() and "starting" not in buffer.getvalue()


def test_a_bar_due_after_the_work_ended_is_never_drawn():
    buffer = io.StringIO()
    with late_bar(_console(buffer), after=600) as bar:
        bar.show("reading", 10, 100)
    bar.start()  # the timer's call, had it fired after the block
    assert buffer.getvalue() == ""
