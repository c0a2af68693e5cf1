"""Work the command line hands over runs once, while the map's threads read."""

from __future__ import annotations

import threading

from rca.findings.stream import map_local
from rca.knowledge.pack import default_pack
from rca.inputs.meanwhile import meanwhile, while_waiting


def test_work_handed_over_runs_once_on_the_waiting_thread_while_ranges_are_mapped():
    ran: list[tuple[str, int]] = []
    mapped: list[int] = []
    release = threading.Event()

    def slow_map(chunk, pack):
        release.wait(5)  # no range finishes before the waiting thread has done its work
        mapped.append(chunk)
        return [chunk]

    def work():
        ran.append((threading.current_thread().name, len(mapped)))
        release.set()

    with meanwhile(work):
        results = list(map_local(slow_map, [0, 1, 2, 3], default_pack(), workers=2))
    assert results == [[0], [1], [2], [3]]
    assert ran == [(threading.main_thread().name, 0)]


def test_work_handed_over_is_left_when_nothing_waits():
    ran: list[int] = []
    with meanwhile(lambda: ran.append(1)):
        list(map_local(lambda chunk, pack: [chunk], [0, 1], default_pack(), workers=1))
    assert ran == []
    while_waiting()  # outside the block: nothing is handed over
    assert ran == []
