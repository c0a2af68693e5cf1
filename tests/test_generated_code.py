"""Dataclass methods compiled by an earlier run are read back, and behave as compiled afresh."""

from __future__ import annotations

import json
import os
import subprocess
import sys

# Defines a dataclass after rca.generated_code is installed and prints what it does, how
# many sources were compiled, and its __init__'s bytecode.
PROBE = """
import dataclasses, json, sys
import rca.generated_code as g
compiled = []
g.compile = lambda *a, **k: compiled.append(1) or compile(*a, **k)
g.install()

@dataclasses.dataclass(frozen=True, order=True)
class Point:
    x: int
    y: int = 2
    tags: list = dataclasses.field(default_factory=list, compare=False)

p = Point(1)
try:
    p.x = 5
    frozen = False
except dataclasses.FrozenInstanceError:
    frozen = True
g.keep()
print(json.dumps({"repr": repr(p), "eq": p == Point(1, 2, ["a"]), "lt": p < Point(1, 3), "hash": hash(p) == hash(Point(1)),
                  "frozen": frozen, "compiled": len(compiled), "init": Point.__init__.__code__.co_code.hex()}))
"""

AFRESH = PROBE.replace("g.install()", "")


def _run(code: str, cache: str) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": cache}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.splitlines()[-1])


def test_a_second_run_compiles_nothing_and_its_dataclass_behaves_as_one_compiled_afresh(tmp_path):
    first = _run(PROBE, str(tmp_path))
    second = _run(PROBE, str(tmp_path))
    afresh = _run(AFRESH, str(tmp_path / "elsewhere"))
    assert first["compiled"] > 0
    assert second["compiled"] == 0
    for run in (first, second):
        assert {k: v for k, v in run.items() if k != "compiled"} == {k: v for k, v in afresh.items() if k != "compiled"}


def test_a_damaged_cache_only_costs_the_compile(tmp_path):
    _run(PROBE, str(tmp_path))
    (kept,) = (tmp_path / "rca" / "code").iterdir()
    kept.write_bytes(b"\x00not marshal")
    again = _run(PROBE, str(tmp_path))
    assert again["compiled"] > 0
    assert again["repr"] == "Point(x=1, y=2, tags=[])"


def test_the_rca_command_keeps_its_dataclass_methods_for_the_next_run(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "rca", "version"], capture_output=True, check=True, env=env)
    assert [p.name.startswith("dataclasses-") for p in (tmp_path / "rca" / "code").iterdir()] == [True]
