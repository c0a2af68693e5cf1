from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from fixtures import generate

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=150)
settings.register_profile("dev", deadline=None, max_examples=60)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def run_rca(*args: str, stdin: bytes | None = None, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> Run:
    """Run the real command line in a subprocess, as a user would."""
    base = {k: v for k, v in os.environ.items() if k not in ("GRAFANA_TOKEN", "GRAFANA_URL")}
    proc = subprocess.run(
        [sys.executable, "-m", "rca", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        cwd=cwd or ROOT,
        timeout=120,
        env={**base, "NO_COLOR": "1", "COLUMNS": "120", **(env or {})},
    )
    return Run(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


@pytest.fixture(scope="session")
def events() -> list[generate.Event]:
    return generate.simulate(chaos=generate.CHAOS_FAIL)


@pytest.fixture
def rca():
    return run_rca


@pytest.fixture(scope="session")
def dask_cluster():
    """One two-worker local Dask cluster for the whole run, started before any test lowers a
    limit, so its workers hold only the defaults (limits travel with each task)."""
    pytest.importorskip("dask.distributed")
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      memory_limit="1GiB") as cluster:
        yield cluster
