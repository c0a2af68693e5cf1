"""The incident chart: requests per minute by signature over the whole export, incident
windows shaded, start/end/recovery/resolution marked, routine signatures muted, and a
latency panel when latencies are known. Drawn with matplotlib (SVG or PNG)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import numpy as np

from rca.findings.pipeline import Findings
from rca.findings.redacted import shown

MUTED = ["#c9ced6", "#b8c0cc", "#d8dce3", "#aab3bf", "#e1e4e9"]
STRONG = ["#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf"]
OK_COLOUR = "#9ecae1"
NS_MIN = 60_000_000_000


def _minutes(ts: np.ndarray, start: int, bins: int) -> np.ndarray:
    return np.clip(((ts - start) // NS_MIN).astype(int), 0, bins - 1)


def render(f: Findings, fmt: str = "svg", reveal: bool = False) -> bytes:
    """The chart as SVG or PNG bytes; its legend shows the redacted signatures unless `reveal`."""
    f = shown(f, reveal)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "rca"  # stable ids: the same findings give the same SVG
    matplotlib.rcParams["text.parse_math"] = False  # log text with "$" is text, never mathtext
    ts = f.row_ts if f.row_ts is not None else np.zeros(0, dtype=np.int64)
    valid = ts > 0
    if not valid.any():
        fig, ax = plt.subplots(figsize=(10, 2))
        ax.text(0.5, 0.5, "no timestamps to chart", ha="center", va="center")
        ax.axis("off")
        return _save(fig, fmt, plt)
    start = int(ts[valid].min()) // NS_MIN * NS_MIN
    bins = int((int(ts[valid].max()) - start) // NS_MIN) + 1
    edges = [datetime.fromtimestamp((start + i * NS_MIN) / 1e9, tz=UTC) for i in range(bins)]
    requests = f.row_is_request if f.row_is_request is not None else np.ones_like(ts, dtype=bool)
    rc = f.row_cluster if f.row_cluster is not None else np.full(ts.shape, -1)
    latency = f.row_latency_ms
    has_latency = latency is not None and np.isfinite(latency[requests & valid]).any()
    fig, axes = plt.subplots(2 if has_latency else 1, 1, figsize=(11, 5.5 if has_latency else 3.8),
                             sharex=True, squeeze=False, gridspec_kw={"height_ratios": [3, 1.4] if has_latency else [1]})
    ax = axes[0][0]
    counted = valid & requests if requests.any() else valid & (rc >= 0)
    bottom = np.zeros(bins)
    clean = counted & (rc < 0)
    ok = np.bincount(_minutes(ts[clean], start, bins), minlength=bins)
    ax.bar(edges, ok, width=1 / 1440, align="edge", color=OK_COLOUR, label="other requests", linewidth=0)
    bottom += ok
    muted = strong = 0
    for i, c in enumerate(f.clusters):
        rows = counted & (rc == i)
        if not rows.any():
            continue
        counts = np.bincount(_minutes(ts[rows], start, bins), minlength=bins)
        if c.routine:
            colour, muted = MUTED[muted % len(MUTED)], muted + 1
        else:
            colour, strong = STRONG[strong % len(STRONG)], strong + 1
        flags = f" [{', '.join(c.flags)}]" if c.flags else ""
        label = f"{'routine: ' if c.routine else ''}{c.status or ''} {c.template[:44]}{flags}"
        ax.bar(edges, counts, bottom=bottom, width=1 / 1440, align="edge", color=colour, label=label, linewidth=0)
        bottom += counts
    ax.set_ylabel("requests / minute")
    ax.set_title("Requests per minute by signature (UTC)", loc="left", fontsize=11)
    for axis_row in axes:
        a = axis_row[0]
        for inc in f.incidents:
            i = inc.incident
            a.axvspan(_dt(i.start_ns), _dt(i.end_ns), color="#d62728", alpha=0.12, linewidth=0)
    for inc in f.incidents:
        i = inc.incident
        marks = [(i.start_ns, "start", "#d62728"), (i.end_ns, "end", "#d62728")]
        if i.recovery_ns:
            marks.append((i.recovery_ns, "recovery", "#2ca02c"))
        if i.resolution:
            marks.append((i.resolution[0], "resolution", "#1f77b4"))
        for ns, name, colour in marks:
            ax.axvline(_dt(ns), color=colour, linestyle="--", linewidth=1)
            ax.annotate(name, (_dt(ns), ax.get_ylim()[1]), rotation=90, va="top", ha="right", fontsize=8,
                        color=colour)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    if has_latency:
        lat_ax = axes[1][0]
        rows = requests & valid & np.isfinite(latency)
        minute = _minutes(ts[rows], start, bins)
        values = latency[rows] / 1000
        worst = np.full(bins, np.nan)
        np.fmax.at(worst, minute, values)
        lat_ax.plot(edges, worst, color="#444444", linewidth=1, marker=".", markersize=3)
        lat_ax.set_ylabel("slowest (s)")
    axes[-1][0].xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    fig.tight_layout()
    return _save(fig, fmt, plt)


def _dt(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC)


def _save(fig, fmt: str, plt) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=110, bbox_inches="tight", metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)
    return buf.getvalue()
