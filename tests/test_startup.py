"""The command line starts without the heavy libraries: each command imports what it needs."""

import json
import os
import subprocess
import sys

import pytest

HEAVY = {"pyarrow", "numpy", "sklearn", "scipy", "matplotlib", "dask", "distributed", "jsonschema",
         "pandas", "loguru", "asyncio", "ssl", "rich", "jinja2", "pydantic", "regex"}


def _imported_after(code: str, whole_names: bool = False) -> set[str]:
    """The packages (or with `whole_names` the modules) loaded after running `code`."""
    name = "m" if whole_names else "m.split('.')[0]"
    probe = f"import sys\n{code}\nimport json, sys\nprint(json.dumps(sorted({{{name} for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_library():
    assert _imported_after("import rca.cli") & HEAVY == set()


def test_analysing_an_export_does_not_load_scikit_learn_matplotlib_or_dask():
    loaded = _imported_after("from rca.findings.pipeline import analyze\n"
                             "analyze(['fixtures/chaos-fail/logcli.jsonl'])")
    assert "pyarrow" in loaded
    assert loaded & {"sklearn", "scipy", "matplotlib", "dask", "distributed", "jsonschema"} == set()


def test_rca_as_a_library_stays_quiet_without_loading_its_logger():
    loaded = _imported_after("from rca.findings.pipeline import analyze\n"
                             "analyze(['fixtures/chaos-fail/plain.log'])")
    assert "loguru" not in loaded


def test_analysing_into_a_json_file_loads_no_logger_console_option_validator_query_engine_masked_arrays_or_zipfile(tmp_path):
    out = tmp_path / "out.json"
    loaded = _imported_after("import rca.cli as cli\ncli._leave = lambda code: None\nsys.argv = "
                             f"['rca', 'analyze', 'fixtures/chaos-fail/logcli.jsonl', '-f', 'json', '-o', {str(out)!r}, "
                             "'--input-limit', 'ratio=200']\ncli.main()", whole_names=True)
    assert out.stat().st_size > 0
    assert loaded & {"loguru", "asyncio", "ssl", "rich", "pydantic", "pyarrow.acero", "pyarrow.dataset",
                     "numpy.ma", "zipfile"} == set()


def test_the_terminal_summary_is_drawn_without_richs_console_text_or_table(tmp_path):
    loaded = _imported_after("import rca.cli as cli\ncli._leave = lambda code: None\nsys.argv = "
                             "['rca', 'analyze', 'fixtures/chaos-fail/logcli.jsonl']\ncli.main()", whole_names=True)
    assert "rca.outputs.terminal" in loaded
    assert loaded & {"rich.console", "rich.text", "rich.table", "rich.segment", "rich.style"} == set()


def test_the_command_line_gives_numpy_one_blas_thread_unless_the_user_chose(monkeypatch):
    from rca.cli import _one_blas_thread

    for name in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    _one_blas_thread()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    _one_blas_thread()
    assert "OPENBLAS_NUM_THREADS" not in os.environ


def test_numpy_under_the_command_line_starts_no_blas_threads():
    if not os.path.isdir("/proc/self/task"):
        return
    code = ("import os\nfrom rca.cli import _one_blas_thread\n_one_blas_thread()\nimport numpy\n"
            "print(len(os.listdir('/proc/self/task')))")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.split() == ["1"]


def test_an_analysis_runs_with_the_garbage_collector_on_and_the_imports_frozen(tmp_path):
    out = tmp_path / "out.json"
    code = ("import gc, sys\nimport rca.cli as cli\nimport rca.findings.pipeline as p\n"
            "cli._leave = lambda code: None\nreal, seen = p.analyze, []\n"
            "p.analyze = lambda *a, **k: seen.append((gc.isenabled(), gc.get_freeze_count())) or real(*a, **k)\n"
            f"sys.argv = ['rca', 'analyze', 'fixtures/chaos-fail/logcli.jsonl', '-f', 'json', '-o', {str(out)!r}]\n"
            "cli.main()\nprint(seen[0][0], seen[0][1] > 10000, gc.isenabled())")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stat().st_size > 0
    assert run.stdout.split() == ["True", "True", "True"]


def test_the_rca_command_starts_with_the_garbage_collector_paused():
    code = "import gc\nimport rca.cli as cli\ncli.main = lambda: print(gc.isenabled())\nfrom rca.__main__ import run\nrun()"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() == ["False"]


def test_analysing_a_small_plain_export_does_not_load_the_streamed_analysis():
    loaded = _imported_after("from rca.findings.pipeline import analyze\n"
                             "analyze(['fixtures/chaos-fail/logcli.jsonl'])", whole_names=True)
    assert "rca.table.decode" in loaded
    assert "rca.findings.stream" not in loaded


@pytest.mark.parametrize("fmt", ["json", "md"])
def test_the_built_in_report_is_written_without_importing_jinja(tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    loaded = _imported_after("import rca.cli as cli\ncli._leave = lambda code: None\nsys.argv = "
                             f"['rca', 'analyze', 'fixtures/chaos-fail/logcli.jsonl', '-f', {fmt!r}, '-o', {str(out)!r}]\n"
                             "cli.main()")
    assert "Root cause" in out.read_text()  # the report was written
    assert "jinja2" not in loaded
