"""What changed in the window: field values over-represented in an incident's window
against the rest of the export (log rate analysis, as Elastic and Grafana Sift do it).

For each field (signature, endpoint, status, method, user, each label) the rows inside
the window and outside it are counted per value, among the rows in signatures (failures and
other unusual lines, which a streamed analysis keeps), not all traffic; a value whose share inside is well above
its share outside scores by a 2×2 likelihood-ratio (G) test, reported as -log10 p. Counting
is vectorised per field; only the few best values of each field are turned into results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rca.inputs.numpy_arrays import arrow

FIELDS = ("endpoint", "status", "method", "user")


@dataclass(frozen=True)
class Contributor:
    field: str
    value: str
    in_window: int  # rows with this value inside the window
    baseline: int  # rows with this value outside it
    score: float  # -log10 p of the G test: how surely it is over-represented

    def describe(self) -> str:
        return (f"{self.field} = {self.value}: {self.in_window} unusual lines in the window, {self.baseline} outside "
                f"(score {self.score:.1f})")


def _minus_log10_p(g: float) -> float:
    """-log10 of the chi-square(1) upper tail at g, in log space when it underflows."""
    if g <= 0:
        return 0.0
    x = math.sqrt(g / 2)
    p = math.erfc(x)
    if p > 1e-300:
        return -math.log10(p)
    return (x * x + math.log(x * math.sqrt(math.pi))) / math.log(10)


def _g_stat(k_in: np.ndarray, k_out: np.ndarray, n_in: int, n_out: int) -> np.ndarray:
    """2×2 G statistic per value: rows with the value in/out against rows without it."""
    total = n_in + n_out
    cells = [k_in, n_in - k_in, k_out, n_out - k_out]
    col = [k_in + k_out, total - k_in - k_out]
    expected = [col[0] * n_in / total, col[1] * n_in / total, col[0] * n_out / total, col[1] * n_out / total]
    g = np.zeros(k_in.shape, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        for obs, exp in zip(cells, expected, strict=True):
            g += np.where(obs > 0, obs * np.log(obs / exp), 0.0)
    return 2 * g


def _field_columns(decoded: pa.Table, table: pa.Table, signatures: pa.Array) -> dict[str, pa.Array]:
    cols: dict[str, pa.Array] = {"signature": signatures}
    for name in FIELDS:
        cols[name] = pc.cast(decoded.column(name).combine_chunks(), pa.string())
    labels = table.column("labels").combine_chunks()
    if len(labels.keys):
        offsets = labels.offsets.to_numpy()
        lo, hi = int(offsets[0]), int(offsets[-1])
        keys, items = labels.keys.slice(lo, hi - lo), labels.items.slice(lo, hi - lo)
        parents = np.repeat(np.arange(len(labels)), np.diff(offsets))
        for key in pc.unique(keys).to_pylist()[:20]:
            hit = pc.equal(keys, key).fill_null(False).to_numpy(zero_copy_only=False)
            slot = np.full(len(labels), -1, dtype=np.int64)
            slot[parents[hit]] = np.flatnonzero(hit)
            cols.setdefault(f"label {key}", pc.cast(items.take(arrow(slot, mask=slot < 0)), pa.string()))
    return cols


def top_values(name: str, dictionary: pa.Array, inside: np.ndarray, outside: np.ndarray, n_in: int, n_out: int,
               top: int, min_score: float) -> list[Contributor]:
    """A field's values over-represented in a window, best first: `inside`/`outside` count
    each dictionary value's rows in and out of it, of `n_in` and `n_out` rows."""
    k_in, k_out = inside.astype(float), outside.astype(float)
    over = (k_in >= 2) & (k_in * n_out > 2 * k_out * n_in)
    if not over.any():
        return []
    g = np.zeros(len(dictionary))
    g[over] = _g_stat(k_in[over], k_out[over], n_in, n_out)
    found = []
    for i in np.argsort(-g)[:top]:
        if g[i] <= 0:
            break
        score = _minus_log10_p(float(g[i]))
        if score >= min_score:
            found.append(Contributor(name, str(dictionary[int(i)].as_py()), int(k_in[i]), int(k_out[i]), round(score, 1)))
    return found


def contributors(table: pa.Table, decoded: pa.Table, signatures: pa.Array, ts: np.ndarray,
                 windows: list[tuple[int, int]], top: int = 5, min_score: float = 3.0) -> list[list[Contributor]]:
    """For each (start, end) window, its top over-represented field values, best first."""
    if table.num_rows == 0 or not windows:
        return [[] for _ in windows]
    cols = {name: col.dictionary_encode() for name, col in _field_columns(decoded, table, signatures).items()}
    # Rows in time order, so a window's rows are one slice; each value's code shifted by one,
    # so a missing value (-1) is counted in slot 0 and dropped.
    by_time = np.argsort(ts, kind="stable")
    ts = ts[by_time]
    codes = {name: col.indices.fill_null(-1).to_numpy(zero_copy_only=False)[by_time] + 1 for name, col in cols.items()}
    # Rows outside a window are all rows less those inside: counted once, not per window.
    totals = {name: np.bincount(c, minlength=len(cols[name].dictionary) + 1)[1:] for name, c in codes.items()}
    out = []
    for start, end in windows:
        lo, hi = int(np.searchsorted(ts, start, "left")), int(np.searchsorted(ts, end, "right"))
        n_in, n_out = hi - lo, ts.size - (hi - lo)
        found: list[Contributor] = []
        if n_in == 0 or n_out == 0:
            out.append(found)
            continue
        for name, col in cols.items():
            size = len(col.dictionary)
            if size == 0 or (name != "signature" and size == 1):
                continue
            counted = np.bincount(codes[name][lo:hi], minlength=size + 1)[1:]
            found += top_values(name, col.dictionary, counted, totals[name] - counted, n_in, n_out, top, min_score)
        found.sort(key=lambda x: (-x.score, x.field, x.value))
        out.append(found[:top])
    return out
