"""The command line behaves like the tools on-call engineers already use: --version,
shell completion, colour only where it belongs, -q/-v, plain help, every exit code documented."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import pty
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

FIXTURE = "fixtures/chaos-fail/loki-query.json"
TRUNCATED = "fixtures/truncated/loki-query-1000.json"
RCA_SCRIPT = Path(sys.executable).parent / "rca"


def _in_a_terminal(*args: str, env: dict[str, str] | None = None) -> str:
    """Run rca with stdout and stderr on a pseudo-terminal, as in an interactive shell."""
    base = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "rca", *args], stdout=child, stderr=child,
                            stdin=subprocess.DEVNULL, cwd=ROOT, env={**base, "COLUMNS": "120", **(env or {})})
    os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=120)
    os.close(main)
    return out.decode(errors="replace")


def test_version_flag_prints_the_version(rca):
    run = rca("--version")
    assert run.code == 0
    assert run.stdout.startswith("rca ") and run.stdout.split()[1][0].isdigit()


@pytest.mark.skipif(not RCA_SCRIPT.exists(), reason="the rca console script is not installed")
def test_completion_script_is_offered_and_completes_commands():
    # `--show-completion` detects the shell from the process tree (none under some CI runners);
    # the bash script itself is what the instruction variable asks for.
    script = subprocess.run([str(RCA_SCRIPT)], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                            env={**os.environ, "_RCA_COMPLETE": "source_bash"})
    assert script.returncode == 0 and "_RCA_COMPLETE=complete_bash" in script.stdout
    completed = subprocess.run([str(RCA_SCRIPT)], capture_output=True, text=True,
                               env={**os.environ, "_RCA_COMPLETE": "complete_bash", "COMP_WORDS": "rca ana",
                                    "COMP_CWORD": "1"})
    assert completed.stdout.split() == ["analyze"]


@pytest.mark.parametrize("command", ["analyze", "patterns", "attach", "batch", "history", "pull", ""])
def test_help_names_values_without_python_types(rca, command):
    run = rca(*([command] if command else []), "--help")
    assert run.code == 0
    for python_type in ("<bool>", "<list[", "<str>", "<path>", "<int>", "<integer>"):
        assert python_type not in run.stdout
    if command == "analyze":
        assert "PATH" in run.stdout and "text|md|json|html" in run.stdout


def test_every_exit_code_is_in_the_help(rca):
    top = " ".join(rca("--help").stdout.split())
    for code in ("0 ok", "1 internal error", "2 usage error", "3 (attach) a person's edit was kept",
                 "4 (attach) some targets", "130 interrupted"):
        assert code in top
    attach = " ".join(rca("attach", "--help").stdout.split())
    assert "3 a person's edit was kept" in attach and "4 some targets were attached" in attach


@pytest.mark.parametrize("command", ["analyze", "patterns", "batch", "show", "pull"])
def test_one_flag_name_means_one_thing(rca, command):
    """--limit counts lines (show, as logcli's --limit); safety caps are --input-limit; a pull's page is --batch."""
    flags = set(" ".join(rca(command, "--help").stdout.split()).replace(",", " ").split())
    assert ("--limit" in flags) == (command == "show")
    assert ("--input-limit" in flags) == (command in ("analyze", "patterns", "batch"))
    assert ("--batch" in flags) == (command == "pull")


def test_quiet_leaves_only_errors_on_stderr(rca):
    loud = rca("analyze", TRUNCATED)
    assert loud.code == 0 and "rca: warning:" in loud.stderr
    quiet = rca("analyze", TRUNCATED, "-q")
    assert quiet.code == 0 and quiet.stderr == ""
    assert quiet.stdout == loud.stdout


def test_verbose_says_what_was_read(rca):
    run = rca("analyze", FIXTURE, "-v")
    assert run.code == 0
    assert "rca: info: read 835 records from 1 input(s)" in run.stderr
    assert "rca: debug:" not in run.stderr
    assert "rca: debug:" in rca("analyze", FIXTURE, "-vv").stderr


def test_colour_on_a_terminal():
    assert "\x1b[" in _in_a_terminal("analyze", FIXTURE)


@pytest.mark.parametrize("how", ["NO_COLOR", "--no-color"])
def test_no_colour_when_asked_on_a_terminal(how):
    out = _in_a_terminal("analyze", FIXTURE, *(["--no-color"] if how == "--no-color" else []),
                         env={"NO_COLOR": "1"} if how == "NO_COLOR" else None)
    assert "INCIDENT" in out and "\x1b[" not in out


def test_no_colour_into_a_pipe(rca):
    run = rca("analyze", FIXTURE, env={"NO_COLOR": ""})
    assert "INCIDENT" in run.stdout and "\x1b[" not in run.stdout


def _third_party_imports() -> set[str]:
    found = set()
    for path in (ROOT / "rca").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            found.update(n.split(".")[0] for n in names)
    return {n for n in found if n != "rca" and n not in sys.stdlib_module_names}


def test_every_library_rca_imports_is_declared_in_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {d.split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()
                for d in project["dependencies"] + [d for ds in project["optional-dependencies"].values() for d in ds]}
    dists = importlib.metadata.packages_distributions()
    for module in _third_party_imports():
        names = {d.lower() for d in dists.get(module, [module])}
        assert names & declared, f"rca imports {module} but pyproject.toml does not declare {names}"
