"""Did a signature's rate change? A Poisson scan statistic over its per-bin counts.

A signature seen a few times an hour for hours, then dozens of times in fifteen minutes, is
a burst even when every line looks the same (a logger that lost the bodies leaves only the
rate). Each signature's rows are counted per bin (a minute on exports of half an hour or
more). For windows of many lengths the count inside is compared with what the signature's
own rate elsewhere predicts (Kulldorff's likelihood ratio); the best window is tested with
an exact binomial tail bounded for the windows tried (or, when that bound is too coarse to
decide, a seeded Monte Carlo scan under the null), and counts as a burst only when it is also several times the baseline rate. Bins where the
export holds no line at all (a paused traffic script, a gap between part files) carry no
exposure: silence there says nothing either way. Found bursts are set aside and the search
repeats, so one signature can burst twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rca.findings.gaps import median_gap

NS_S = 1_000_000_000
NS_H = 3600 * NS_S
_SLICE = 1 << 20


@dataclass(frozen=True)
class Exposure:
    """The bins of an export and which of them the export actually covers."""

    origin_ns: int
    bin_ns: int
    covered: np.ndarray

    def bins_of(self, ts: np.ndarray) -> np.ndarray:
        return np.clip((ts - self.origin_ns) // self.bin_ns, 0, self.covered.size - 1)


@dataclass(frozen=True)
class Burst:
    """A window where a signature ran well above its own baseline rate."""

    start_ns: int  # first and last row of the signature inside the window
    end_ns: int
    count: int
    expected: float  # rows the baseline rate predicts for the window
    baseline_per_hour: float  # the signature's rate outside its bursts
    p_value: float  # corrected for the windows tried
    # Found by testing a window other evidence established (a link, another signature's
    # burst), not by searching this signature's own counts.
    corroborated: bool = False

    def describe(self) -> str:
        minutes = max(1.0, (self.end_ns - self.start_ns) / (60 * NS_S))
        how = ", tested in the window of the incident's other signatures" if self.corroborated else ""
        if self.baseline_per_hour <= 0:
            return f"rate change: {self.count} in {minutes:.0f} min, none before or after (p = {self.p_value:.1g})"
        return (f"rate change: {self.count} in {minutes:.0f} min where its baseline of "
                f"{self.baseline_per_hour:.1f}/h predicts {self.expected:.1f} (p = {self.p_value:.1g}{how})")


def exposure(ts: np.ndarray) -> Exposure | None:
    """Bins over the export's time span; a bin is covered when a line falls near it."""
    if ts.size < 2:
        return None
    if not (ts[:-1] <= ts[1:]).all():  # an export's rows are mostly in time order already
        ts = np.sort(ts)
    first, last = int(ts[0]), int(ts[-1])
    span = max(last - first, 1)
    bin_ns = 60 * NS_S if span >= 30 * 60 * NS_S else max(NS_S, span // 30)
    bin_ns = max(bin_ns, -(-span // 5000))
    n = int(span // bin_ns) + 1
    has_line = np.zeros(n, dtype=bool)
    for lo in range(0, ts.size, _SLICE):  # a slice at a time: no temporaries the size of the export
        has_line[(ts[lo:lo + _SLICE] - first) // bin_ns] = True
    # Lines a typical gap apart are continuous traffic: a quiet stretch is ten such gaps.
    quiet = max(1, int(10 * median_gap(ts) // bin_ns))
    near = np.convolve(has_line.astype(np.int64), np.ones(2 * quiet + 1, dtype=np.int64), mode="same") > 0
    return Exposure(first, bin_ns, near)


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), exact, summed in log space."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1, dtype=float)))])
    j = np.arange(k, n + 1)
    terms = log_fact[n] - log_fact[j] - log_fact[n - j] + j * np.log(p) + (n - j) * np.log1p(-p)
    top = float(terms.max())
    return float(min(1.0, np.exp(top) * np.exp(terms - top).sum()))


def _lengths(m: int) -> np.ndarray:
    """Window lengths in bins: every length up to 16, then growing by a quarter."""
    out = list(range(1, min(16, m) + 1))
    while out[-1] < m:
        out.append(min(m, int(out[-1] * 1.25) + 1))
    return np.array(sorted(set(out)))


def _scan(counts: np.ndarray, weights: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row of `counts` (replicates × bins): the best window's log-likelihood ratio
    against the row's overall rate, its start bin and its length (Kulldorff's statistic)."""
    total = counts.sum(axis=1, keepdims=True)
    exposed = float(weights.sum())
    c = np.concatenate([np.zeros((counts.shape[0], 1)), np.cumsum(counts, axis=1)], axis=1)
    x = np.concatenate([[0.0], np.cumsum(weights)])
    best = np.zeros(counts.shape[0])
    start = np.zeros(counts.shape[0], dtype=np.int64)
    size = np.zeros(counts.shape[0], dtype=np.int64)
    for length in lengths:
        k = c[:, length:] - c[:, :-length]
        w = x[length:] - x[:-length]
        mu = total * w / exposed
        rest, rest_mu = total - k, total - mu
        with np.errstate(divide="ignore", invalid="ignore"):
            llr = k * np.log(k / mu) + np.where(rest > 0, rest * np.log(rest / rest_mu), 0.0)
        llr = np.where((w > 0) & (w < exposed) & (k > mu), llr, 0.0)
        i = np.argmax(llr, axis=1)
        value = llr[np.arange(llr.shape[0]), i]
        better = value > best
        best[better], start[better], size[better] = value[better], i[better], length
    return best, start, size


def _significance(k: int, total: int, w: float, exposed: float, llr: float, weights: np.ndarray,
                  lengths: np.ndarray, alpha: float, replicates: int = 199) -> float:
    """The window's p-value corrected for searching: a Bonferroni bound over every window
    tried when that already decides, else a Monte Carlo scan under the null (the same rows
    spread over the covered bins), seeded so runs agree."""
    raw = binomial_tail(k, total, w / exposed)
    tried = float(sum(max(1, weights.size - n + 1) for n in lengths))
    bound = min(1.0, raw * tried)
    if bound < alpha or raw >= alpha:
        return bound
    rng = np.random.default_rng(total * 7919 + weights.size)
    placed = rng.multinomial(total, weights / exposed, size=replicates).astype(float)
    null_best, _, _ = _scan(placed, weights, lengths)
    return float((1 + np.count_nonzero(null_best >= llr - 1e-9)) / (replicates + 1))


def _bounds(times: np.ndarray, lo: int, hi: int, baseline_per_ns: float) -> tuple[int, int]:
    """Refine a window found on bins to the rows that belong to the burst: a change point on
    each side. Every gap between rows scores how much better the burst's rate explains it
    than the baseline's (exponential gaps of a Poisson process); from the window's middle,
    each end moves to where the running score peaks, within one window length."""
    if hi - lo < 2 or baseline_per_ns <= 0:
        return lo, hi
    rate = (hi - lo) / max(float(times[hi] - times[lo]), 1.0)
    if rate <= baseline_per_ns:
        return lo, hi
    reach = hi - lo + 1
    mid = (lo + hi) // 2
    gaps = np.diff(times).astype(float)
    score = np.log(rate / baseline_per_ns) - (rate - baseline_per_ns) * gaps
    right = score[mid:min(gaps.size, hi + reach)]
    end = mid + int(np.argmax(np.concatenate([[0.0], np.cumsum(right)])))
    left = score[max(0, lo - reach):mid][::-1]
    start = mid - int(np.argmax(np.concatenate([[0.0], np.cumsum(left)])))
    return start, end


def find_bursts(times: np.ndarray, exp: Exposure, alpha: float = 0.01, min_ratio: float = 3.0,
                min_count: int = 5, max_bursts: int = 5) -> list[Burst]:
    """Windows where `times` (one signature's rows) rise significantly above their baseline."""
    times = np.sort(times)
    counts = np.bincount(exp.bins_of(times), minlength=exp.covered.size).astype(float)
    weights = exp.covered.astype(float)
    weights[counts > 0] = 1.0
    lengths = _lengths(weights.size)
    found: list[tuple[int, int, int, float]] = []
    while len(found) < max_bursts:
        total, exposed = int(counts.sum()), float(weights.sum())
        if total < min_count or exposed <= 1:
            break
        best, starts, sizes = _scan(counts[None, :], weights, lengths)
        llr, start, length = float(best[0]), int(starts[0]), int(sizes[0])
        if llr <= 0:
            break
        k = int(counts[start:start + length].sum())
        w = float(weights[start:start + length].sum())
        rate_out = (total - k) / (exposed - w)
        if k < min_count or (rate_out > 0 and (k / w) < min_ratio * rate_out):
            break
        p = _significance(k, total, w, exposed, llr, weights, lengths, alpha)
        if p >= alpha:
            break
        found.append((start, length, k, min(1.0, p)))
        counts[start:start + length] = 0.0
        weights[start:start + length] = 0.0
    if not found:
        return []
    rest_exposed = float(weights.sum())
    baseline = float(counts.sum()) / rest_exposed if rest_exposed else 0.0
    bursts = []
    for start, length, _k, p in sorted(found):
        t_lo = exp.origin_ns + start * exp.bin_ns
        lo = int(np.searchsorted(times, t_lo, side="left"))
        hi = int(np.searchsorted(times, t_lo + length * exp.bin_ns, side="left")) - 1
        lo, hi = _bounds(times, lo, hi, baseline / exp.bin_ns)
        if hi - lo + 1 < min_count:
            continue
        bins = exp.bins_of(times[[lo, hi]])
        bursts.append(Burst(int(times[lo]), int(times[hi]), hi - lo + 1,
                            baseline * float(exp.covered[bins[0]:bins[1] + 1].sum()),
                            baseline * NS_H / exp.bin_ns, p))
    return bursts


def confined(times: np.ndarray, exp: Exposure, alpha: float = 0.01, min_per_minute: float = 0.5) -> bool:
    """Whether a signature seen in only part of the export is new there rather than a sparse
    steady trickle. Either its rows are packed tighter than a steady rate makes likely
    (the range of N uniform points spans at most a fraction x with probability
    N x^(N-1) - (N-1) x^N), or they come at least `min_per_minute` and, at that rate, the
    signature would have been expected over 6.9 times (P(absent) < 0.1%) where it was not.
    The second covers few rows in a short export, where no test has the power to decide."""
    first, last = exp.bins_of(times[[0, -1]])
    inside = float(exp.covered[first:last + 1].sum()) or 1.0
    exposed = float(exp.covered.sum())
    x, n = min(1.0, inside / exposed), times.size
    if n * x ** (n - 1) - (n - 1) * x ** n < alpha:
        return True
    per_minute = (n - 1) / max((times[-1] - times[0]) / (60 * NS_S), 1.0)
    return per_minute >= min_per_minute and (n - 1) * (exposed - inside) / inside >= -np.log(0.001)


def burst_in_windows(times: np.ndarray, exp: Exposure, windows: list[tuple[int, int]], alpha: float = 0.01,
                     min_ratio: float = 3.0, min_count: int = 3) -> list[Burst]:
    """A signature's rise inside windows that other evidence established: one binomial test
    per window (no search over this signature's counts, so far more power on few rows),
    Bonferroni-corrected for the windows given."""
    times = np.sort(times)
    if times.size < min_count or not windows:
        return []
    weights = exp.covered.astype(float)
    weights[np.bincount(exp.bins_of(times), minlength=weights.size) > 0] = 1.0
    exposed = float(weights.sum())
    out = []
    for lo_ns, hi_ns in windows:
        lo, hi = exp.bins_of(np.array([lo_ns, hi_ns]))
        w = float(weights[lo:hi + 1].sum())
        inside = times[(times >= lo_ns) & (times <= hi_ns)]
        k = int(inside.size)
        if k < min_count or w <= 0 or w >= exposed:
            continue
        rate_out = (times.size - k) / (exposed - w)
        if rate_out > 0 and k / w < min_ratio * rate_out:
            continue
        p = min(1.0, binomial_tail(k, int(times.size), w / exposed) * len(windows))
        if p < alpha:
            first = int(np.searchsorted(times, inside[0]))
            a, b = _bounds(times, first, first + k - 1, rate_out / exp.bin_ns)
            out.append(Burst(int(times[a]), int(times[b]), b - a + 1, rate_out * w, rate_out * NS_H / exp.bin_ns,
                             p, corroborated=True))
    return out
