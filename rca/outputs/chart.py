"""The incident chart, read at a glance: failures per minute by signature on their own
panel (routine ones muted), all requests per minute below, p95 latency per minute when
latencies are known. Incident windows are shaded behind the bars, so bars keep their
legend colours; start/end/recovery/resolution labels are stacked so they never overlap;
the time axis is in the --tz zone. Drawn with matplotlib (SVG or PNG); in SVG every bar
carries a <title> (minute, count, signature) for hover.

What is drawn stays small whatever the export: at most `MAX_BARS` time bars (minutes are
summed into 5, 15, … minute bars over long exports), only bars that hold something, and a
few signatures by name with the rest summed into one "more" series each for new and routine
ones (scanners probing a thousand paths give a thousand routine signatures)."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING

import numpy as np

from rca.findings.pipeline import Findings
from rca.findings.redacted import shown
from rca.findings.traffic import NS_MIN
from rca.inputs.timestamps import NO_TIME
from rca.outputs.escape import without_controls

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

MUTED = ["#c9ced6", "#b8c0cc", "#d8dce3", "#aab3bf", "#e1e4e9"]
STRONG = ["#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf"]
OK_COLOUR = "#9ecae1"
SHADE = "#f3e3e3"
LABEL_GAP = 0.09  # axis fraction a mark's label needs before the next one on its row
MAX_BARS = 720  # time bars per panel: minutes are summed into wider bars past this
BAR_MINUTES = (1, 5, 15, 30, 60, 180, 360, 720, 1440)
NAMED_ROUTINE = 4  # routine signatures drawn by name; the rest are one muted series


def bar_minutes(bins: int) -> int:
    """Minutes per bar so that `bins` minutes make at most MAX_BARS bars."""
    return next((m for m in BAR_MINUTES if -(-bins // m) <= MAX_BARS), BAR_MINUTES[-1])


def _per_bar(values: np.ndarray, minutes: int, fill: float) -> np.ndarray:
    """Per-minute values as one row per bar of `minutes` (the last bar padded with `fill`)."""
    padded = np.full(-(-values.size // minutes) * minutes, fill, dtype=values.dtype)
    padded[:values.size] = values
    return padded.reshape(-1, minutes)


def coarsen(counts: np.ndarray, minutes: int) -> np.ndarray:
    """Per-minute counts summed into bars of `minutes`."""
    return counts if minutes == 1 else _per_bar(counts, minutes, 0).sum(axis=1)


def worst_minute(p95: np.ndarray, minutes: int) -> np.ndarray:
    """Per-minute p95 reduced to each bar's worst minute (NaN where no minute had one)."""
    if minutes == 1:
        return p95
    shaped = _per_bar(p95, minutes, np.nan)
    out = np.full(shaped.shape[0], np.nan)
    some = ~np.isnan(shaped).all(axis=1)
    out[some] = np.nanmax(shaped[some], axis=1)
    return out


def drawn_series(f: Findings, by_cluster: Mapping[int, np.ndarray]) -> list[tuple[str, str, bool, np.ndarray]]:
    """(legend label, hover name, routine, per-minute counts) of each series the failure
    panel draws, largest signatures first: new signatures by name up to one per strong colour
    and routine ones up to NAMED_ROUTINE, the rest of each summed into one "more" series
    (as they come: a varied export has ~1,200 signatures of ~13,000 minutes each)."""
    named: list[tuple[str, str, bool, np.ndarray]] = []
    rest: dict[bool, list] = {False: [0, None], True: [0, None]}  # how many, their sum
    room = {False: len(STRONG) - 1, True: NAMED_ROUTINE}
    for i, c in enumerate(f.clusters):
        counts = by_cluster.get(i)
        if counts is None:
            continue
        if room[c.routine] == 0:
            more = rest[c.routine]
            more[0] += 1
            more[1] = counts if more[1] is None else more[1] + counts
            continue
        room[c.routine] -= 1
        flags = f" [{', '.join(c.flags)}]" if c.flags else ""
        template = without_controls(c.template)  # XML cannot hold them, nor a legend draw them
        label = f"{'routine: ' if c.routine else ''}{c.status or ''} {template[:44]}{flags}"
        named.append((label, f"{c.id} {c.status or ''} {template[:60]}", c.routine, counts))
    for routine, (count, total) in rest.items():
        if count:
            what = f"{count} more {'routine' if routine else 'new'} signatures"
            named.append((('routine: ' if routine else '') + what, what, routine, total))
    return named


def label_rows(positions: list[float], gap: float = LABEL_GAP) -> list[int]:
    """A row for each label (positions as axis fractions, in order) so that labels on one
    row are at least `gap` apart: greedy, lowest free row first."""
    last: list[float] = []
    rows = []
    for x in positions:
        row = next((r for r, end in enumerate(last) if x - end >= gap), len(last))
        if row == len(last):
            last.append(x)
        else:
            last[row] = x
        rows.append(row)
    return rows


def render(f: Findings, fmt: str = "svg", tz: ZoneInfo | None = None, reveal: bool = False) -> bytes:
    """The chart as SVG or PNG bytes, times on the axis in `tz`; its legend shows the redacted
    signatures unless `reveal`."""
    f = shown(f, reveal)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "rca"  # stable ids: the same findings give the same SVG
    matplotlib.rcParams["text.parse_math"] = False  # log text with "$" is text, never mathtext
    series = f.minutes
    if series is None or series.bins == 0:
        fig, ax = plt.subplots(figsize=(10, 2))
        ax.text(0.5, 0.5, "no timestamps to chart", ha="center", va="center")
        ax.axis("off")
        return _save(fig, fmt, plt, {})
    zone_name = getattr(tz, "key", None) or "UTC"
    step = bar_minutes(series.bins)
    start, bins = series.start_ns, -(-series.bins // step)
    per = "min" if step == 1 else f"{step} min"
    edges = [datetime.fromtimestamp((start + i * step * NS_MIN) / 1e9, tz=UTC) for i in range(bins)]
    has_latency = series.p95_s is not None
    ratios = [2.2, 1.2] + ([1.1] if has_latency else [])
    fig, axes = plt.subplots(len(ratios), 1, figsize=(11, 1.5 * sum(ratios) + 0.8), sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": ratios})
    err_ax, req_ax = axes[0][0], axes[1][0]
    tips: dict[str, str] = {}
    local = (lambda d: d.astimezone(tz)) if tz is not None else (lambda d: d)

    def bars(ax, counts, bottom, colour, label, name):
        """Only the bars that hold something: empty ones are thousands of invisible patches."""
        held = np.flatnonzero(counts)
        drawn = ax.bar([edges[b] for b in held], counts[held], bottom=bottom[held], width=step / 1440,
                       align="edge", color=colour, label=label, linewidth=0, zorder=3)
        for b, patch in zip(held, drawn.patches, strict=True):
            gid = f"rca-bar-{len(tips)}"
            patch.set_gid(gid)
            tips[gid] = f"{local(edges[b]):%H:%M %Z}: {int(counts[b])} × {name}"

    for a in (row[0] for row in axes):
        for lo, hi in windows(f):
            a.axvspan(_dt(lo), _dt(hi), color=SHADE, linewidth=0, zorder=0)
    bottom = np.zeros(bins)
    muted = strong = 0
    for label, name, routine, minute_counts in drawn_series(f, series.by_cluster):
        if routine:
            colour, muted = MUTED[muted % len(MUTED)], muted + 1
        else:
            colour, strong = STRONG[strong % len(STRONG)], strong + 1
        counts = coarsen(minute_counts, step)
        bars(err_ax, counts, bottom, colour, label, name)
        bottom += counts
    err_ax.set_ylabel(f"failing / {per}")
    err_ax.yaxis.get_major_locator().set_params(integer=True)
    err_ax.set_title(f"Failures per {per} by signature, incident windows shaded ({zone_name})", loc="left", fontsize=11)
    bars(req_ax, coarsen(series.requests, step), np.zeros(bins), OK_COLOUR, "all requests", "requests")
    req_ax.set_ylabel(f"requests / {per}")
    if has_latency:
        lat_ax = axes[2][0]
        lat_ax.plot(edges, worst_minute(series.p95_s, step), color="#444444", linewidth=1, marker=".",
                    markersize=3, zorder=3)
        lat_ax.set_ylabel("p95 latency (s)" if step == 1 else f"p95 latency (s)\nworst minute of {per}")
    _marks(f, axes, err_ax)
    handles, labels = err_ax.get_legend_handles_labels()
    if handles:
        err_ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    axes[-1][0].xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz or UTC))
    axes[-1][0].set_xlabel(f"time ({zone_name})")
    with warnings.catch_warnings():  # a legend too tall for tight layout: the saved bbox fits it anyway
        warnings.simplefilter("ignore", UserWarning)
        fig.tight_layout()
    return _save(fig, fmt, plt, tips)


def windows(f: Findings) -> list[tuple[int, int]]:
    """The incident windows to shade: only those whose times the export held."""
    return [(i.incident.start_ns, i.incident.end_ns) for i in f.incidents if i.incident.start_ns != NO_TIME]


def marks(f: Findings) -> list[tuple[int, str, str]]:
    """(time, label, colour) of each incident's start, end, recovery and resolution, oldest
    first; an incident without times has none, so nothing is ever drawn at the epoch."""
    out = []
    for inc in f.incidents:
        i = inc.incident
        if i.start_ns == NO_TIME:
            continue
        out += [(i.start_ns, "start", "#d62728"), (i.end_ns, "end", "#d62728")]
        if i.recovery_ns:
            out.append((i.recovery_ns, "recovery", "#2ca02c"))
        if i.resolution and i.resolution[0] != NO_TIME:
            out.append((i.resolution[0], "resolution", "#1f77b4"))
    return sorted(out, key=lambda m: m[0])


def _marks(f: Findings, axes, top) -> None:
    points = marks(f)
    if not points:
        return
    lo, hi = top.get_xlim()
    import matplotlib.dates as mdates

    fractions = [(mdates.date2num(_dt(ns)) - lo) / (hi - lo) for ns, _, _ in points]
    for (ns, name, colour), frac, row in zip(points, fractions, label_rows(fractions), strict=True):
        for axis_row in axes:
            axis_row[0].axvline(_dt(ns), color=colour, linestyle="--", linewidth=1, zorder=4)
        top.annotate(name, (frac, 1.0), xycoords="axes fraction", xytext=(2, 3 + 11 * row),
                     textcoords="offset points", fontsize=8, color=colour, ha="left", va="bottom")
    top.set_title(top.get_title(loc="left"), loc="left", fontsize=11, pad=8 + 11 * (max(label_rows(fractions)) + 1))


def _dt(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC)


def _save(fig, fmt: str, plt, tips: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=110, bbox_inches="tight", metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)
    data = buf.getvalue()
    if fmt != "svg" or not tips:
        return data
    # Each bar's group gets a <title>: browsers show it on hover, the page's script too.
    return re.sub(rb'<g id="(rca-bar-\d+)">',
                  lambda m: m.group(0) + b"<title>" + escape(tips[m.group(1).decode()]).encode() + b"</title>", data)
