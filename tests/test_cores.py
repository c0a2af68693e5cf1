"""Work spreads over spare cores only: on a busy machine it runs on one."""

from __future__ import annotations

import os
import threading

from rca.inputs import cores


def test_an_idle_machine_lends_every_core_up_to_the_limit(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.2, 0.2, 0.2))
    assert cores.spare_cores(2) == 2


def test_a_machine_whose_cores_are_all_busy_lends_one(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (2.4, 1.0, 1.0))
    monkeypatch.setattr(cores, "_runnable_now", lambda: 3)
    assert cores.spare_cores(2) == 1


def test_a_load_average_left_by_work_that_has_ended_lends_every_core(monkeypatch):
    # rca's own last run, just finished, still counts in the 1-minute average.
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (2.1, 1.2, 0.6))
    monkeypatch.setattr(cores, "_runnable_now", lambda: 0)
    assert cores.spare_cores(2) == 2


def test_a_busy_average_with_nothing_known_of_now_lends_one(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (2.4, 1.0, 1.0))
    monkeypatch.setattr(cores, "_runnable_now", lambda: None)
    assert cores.spare_cores(2) == 1


def test_the_threads_runnable_now_are_counted_without_this_one(tmp_path):
    loadavg = tmp_path / "loadavg"
    loadavg.write_text("2.10 1.20 0.60 3/250 12345\n")
    assert cores._runnable_now(str(loadavg)) == 2


def test_where_the_threads_runnable_now_cannot_be_read_they_are_unknown(tmp_path):
    assert cores._runnable_now(str(tmp_path / "missing")) is None
    (tmp_path / "odd").write_text("0.5 0.5 0.5\n")
    assert cores._runnable_now(str(tmp_path / "odd")) is None


def test_without_a_load_average_every_core_up_to_the_limit_is_lent(monkeypatch):
    def unavailable():
        raise OSError("no load average")

    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setattr(os, "getloadavg", unavailable)
    assert cores.spare_cores(2) == 2


def test_code_on_a_worker_thread_knows_it_is_there():
    seen = []
    worker = threading.Thread(target=lambda: seen.append(cores.on_worker_thread()))
    worker.start()
    worker.join()
    assert seen == [True] and not cores.on_worker_thread()
