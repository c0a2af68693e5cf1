"""Which rows of streamed files the whole read would keep, and in what order, computed from
a few numbers per row: the whole read's merge of several inputs (`rca.inputs.records`),
without the rows themselves.

The whole read turns a newest-first logcli file around as it reads it, concatenates the
inputs, drops records repeated across inputs, and sorts by time (`sort_by_time`). Here the
same steps run on per-row arrays: each file's rows in file order, their times, and a
128-bit digest of each line that stands in for the line when repeats are looked for.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

_UNIT_NS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}


@dataclass(frozen=True)
class FileRows:
    """One file's rows: [start, end) of the rows of every file in file order."""

    start: int
    end: int
    turned: bool   # the whole read turns this file around (a newest-first logcli export)


def line_digests(lines: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A 128-bit digest per line (two uint64 columns): equal lines, equal digests; a
    collision between different lines is as unlikely as guessing a random 128-bit key."""
    blake = hashlib.blake2b
    joined = b"".join(blake(line.encode("utf-8", "surrogatepass"), digest_size=16).digest()
                      for line in lines.to_pylist())
    return np.frombuffer(joined, dtype=np.uint64).reshape(-1, 2)


def turns(fmt: str, ts: np.ndarray) -> bool:
    """Whether the whole read turns a file around: logcli JSONL wholly newest first."""
    return fmt == "logcli-jsonl" and ts.size > 1 and bool((ts[1:] <= ts[:-1]).all())  # no int64 diff


def repeats(ts: np.ndarray, timed: np.ndarray, digests: np.ndarray, files: list[FileRows],
            precisions: set[str]) -> tuple[np.ndarray | None, list[int]]:
    """Rows to keep (None: all) and how many each file loses, as `dedupe_across_sources`
    decides: per (time at the coarsest precision, line) the file holding it most often
    (the earliest on a tie) keeps its copies; other files' copies are duplicates."""
    if len(files) < 2 or ts.size == 0:
        return None, [0] * len(files)
    unit = max((_UNIT_NS.get(p, _UNIT_NS["s"]) for p in precisions), default=1)
    key_ts = np.where(ts < 0, -((-ts) // unit), ts // unit) * unit if unit > 1 else ts  # Arrow truncates
    keys = np.empty(ts.size, dtype=[("timed", "u1"), ("ts", "i8"), ("a", "u8"), ("b", "u8")])
    keys["timed"] = timed
    keys["ts"] = np.where(timed, key_ts, 0)
    keys["a"], keys["b"] = digests[:, 0], digests[:, 1]
    _, group = np.unique(keys, return_inverse=True)
    del keys
    group = group.reshape(-1)
    src = np.repeat(np.arange(len(files)), [f.end - f.start for f in files])
    counts = np.bincount(group * len(files) + src, minlength=(int(group.max()) + 1) * len(files))
    winner = counts.reshape(-1, len(files)).argmax(axis=1)  # the first of equals: the earliest file
    keep = winner[group] == src
    if keep.all():
        return None, [0] * len(files)
    lost = np.bincount(src[~keep], minlength=len(files))
    return keep, [int(n) for n in lost]


def time_order(ts: np.ndarray, timed: np.ndarray) -> np.ndarray | None:
    """`sort_by_time`'s order (None: as they are): ascending, descending turned around,
    else a stable sort with untimed rows last."""
    if timed.all():  # compared in place: a difference array would be 8 bytes a row
        if (ts[1:] >= ts[:-1]).all():
            return None
        if (ts[1:] <= ts[:-1]).all():
            return np.arange(ts.size - 1, -1, -1)
        return np.argsort(ts, kind="stable")
    return np.argsort(np.where(timed, ts, np.iinfo(np.int64).max), kind="stable")


def _newest_first(ts: np.ndarray, timed: np.ndarray) -> bool:
    """Whether `time_order` turns these rows around (timed, descending, not all equal)."""
    return ts.size > 1 and bool(timed.all()) and not (ts[1:] >= ts[:-1]).all() and bool((ts[1:] <= ts[:-1]).all())


def analysis_order(ts: np.ndarray, timed: np.ndarray, files: list[FileRows],
                   keep: np.ndarray | None) -> tuple[np.ndarray | None, bool]:
    """The rows (indices in file order) in the whole read's final order, None when that is
    file order or (the second value True) file order turned around: one newest-first file,
    whose rows then need no index array the length of the export."""
    n = ts.size
    if keep is None and not any(f.turned for f in files):
        if len(files) == 1 and _newest_first(ts, timed):  # as sort_by_time turns it: a view
            return None, True
        return time_order(ts, timed), False
    if keep is None and len(files) == 1:
        after = time_order(ts[::-1], timed[::-1])  # (an index array only when one is needed)
        return (None, True) if after is None else (np.arange(n - 1, -1, -1)[after], False)
    base = np.concatenate([np.arange(f.end - 1, f.start - 1, -1) if f.turned else np.arange(f.start, f.end)
                           for f in files])
    if keep is not None:
        base = base[keep[base]]
    after = time_order(ts[base], timed[base])
    return (base if after is None else base[after]), False
