"""How an export is cut into byte ranges for the map's threads."""

from __future__ import annotations

import pytest

from rca.inputs.chunks import plan

MB = 1 << 20


def _sized(tmp_path, size: int) -> str:
    path = tmp_path / "export.jsonl"
    with open(path, "wb") as fh:
        fh.truncate(size)  # plan reads only the file's size
    return str(path)


@pytest.mark.parametrize("size", [1, 100, 70 * MB, 343 * MB, 3400 * MB])
def test_ranges_cover_the_file_once_and_none_outgrows_an_equal_share(tmp_path, size):
    chunks = plan(_sized(tmp_path, size), 64 * MB, workers=2)
    assert chunks[0].start == 0 and chunks[-1].end == size
    assert all(a.end == b.start for a, b in zip(chunks, chunks[1:]))
    equal_count = -(-(-(-size // (64 * MB))) // 2) * 2
    assert max(c.end - c.start for c in chunks) <= -(-size // equal_count)


def test_the_last_ranges_taper_so_that_two_workers_finish_together(tmp_path):
    sizes = [c.end - c.start for c in plan(_sized(tmp_path, 343 * MB), 64 * MB, workers=2)]
    assert sizes[:4] == [sizes[0]] * 4  # the bulk in equal ranges of the usual size
    assert sizes == sorted(sizes, reverse=True)
    assert max(sizes[-2:]) <= sizes[0] / 5  # each worker's last range is short
    assert len(sizes) == 10


def test_one_worker_reads_ranges_of_the_chunk_size(tmp_path):
    sizes = [c.end - c.start for c in plan(_sized(tmp_path, 150 * MB), 64 * MB)]
    assert sizes == [64 * MB, 64 * MB, 22 * MB]


@pytest.mark.parametrize("equal", [6, 16, 18])
def test_the_pieces_a_last_round_is_cut_into_count_as_its_ranges(tmp_path, equal):
    # (how many ranges decide whether the allocators are kept lean: tapering must not move it)
    chunks = plan(_sized(tmp_path, equal * 64 * MB - MB), 64 * MB, workers=2)
    assert len(chunks) == equal + 4
    assert sum(not c.extra for c in chunks) == equal
