"""Group anomalous responses into signatures: component + endpoint + status + message
template (+ whether a link, a forged JWT or a slow answer came with it).

Rows are marked anomalous with Arrow expressions; only the distinct signature keys (a
handful) go through Python, where templates are mined and near-duplicates merged (their
words' longest common subsequence, by rapidfuzz). Signature ids hash the normalised key, so
they are stable across runs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex

from rca.findings.rates import Burst, Exposure, burst_in_windows, confined, find_bursts
from rca.knowledge.pack import NoiseRule, Pack
from rca.table.masking import template
from rca.inputs.numpy_arrays import arrow
from rca.table.patterns import mine
from rca.table.packed import PackedLines
from rca.table.rows import take_rows

# Templates of signatures whose lines say nothing but endpoint and status: only their rate
# can tell an incident from routine.
BODYLESS = ("(body not logged)", "(no message)")
# The component of lines that name none, in a file whose name names no service either.
UNNAMED = "unnamed service"
# A template's words, for comparing templates: variables and punctuation are not words.
_WORDS = r"[^\s<>*\"'(),:;=]+"
# Two templates of one group are near-duplicates when this share of their words, in order, agree.
_NEAR_DUPLICATE = 0.7
_SLICE = 1 << 20  # rows whose latencies are inferred at a time
_SQL = r"(?i)^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|REPLACE)\b"


# Why a new signature that formed no incident is only listed (rca.findings.incidents).
ISOLATED = "too few failures and no remediation link to call an incident"


@dataclass
class Cluster:
    id: str
    component: str
    endpoint: str | None
    status: int | None
    template: str
    flags: tuple[str, ...]
    count: int = 0
    first_ns: int = 0
    last_ns: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    link_keys: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    median_latency_ms: float | None = None
    body_lost: bool = False
    users: list[str] = field(default_factory=list)
    routine: bool = False
    routine_reason: str | None = None
    # New, but too few failures and no link to call an incident (rca.findings.incidents).
    isolated: bool = False
    # Windows where the signature ran well above its own baseline (rca.findings.rates); when
    # set, only rows inside them are affected, the rest are its routine trickle.
    bursts: list[Burst] = field(default_factory=list)
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def has_link(self) -> bool:
        return "link" in self.flags

    @property
    def signature(self) -> str:
        where = f"{self.method_endpoint}" if self.endpoint else "-"
        status = self.status if self.status is not None else "-"
        extra = f" [{', '.join(self.flags)}]" if self.flags else ""
        return f"{self.component} {where} {status} \"{self.template}\"{extra}"

    @property
    def method_endpoint(self) -> str:
        return self.endpoint or "-"


def infer_latency(table: pa.Table, decoded: pa.Table, pack: Pack) -> pa.Array:
    """Latency from the logs where the logger gave none: the time from the request's first DB
    write (the pack's anchor, e.g. INSERT INTO dinerOrder) to its HTTP response."""
    latency = decoded.column("latency_ms").combine_chunks()
    if not pack.latency_anchor or table.num_rows == 0:
        return latency
    ts = table.column("ts_ns").combine_chunks().fill_null(0).to_numpy()
    is_anchor, want = latency_anchors(decoded, pack)
    anchor_ts = ts[is_anchor]
    if anchor_ts.size == 0 or not want.any():
        return latency
    values = latency.to_numpy(zero_copy_only=False).astype(float)
    inferred = latency_from_anchors(ts, anchor_ts, want, values, pack).astype(np.float64, copy=False)
    return arrow(inferred, pa.float64(), mask=np.isnan(inferred))  # NaN: no latency known


def latency_anchors(decoded: pa.Table, pack: Pack) -> tuple[np.ndarray, np.ndarray]:
    """Which rows are anchors, and which rows want a latency from one (responses of the
    anchor's endpoint, and method where the pack names one and the line logged one, that
    logged none: a diner's `GET /api/order` history writes no order)."""
    anchor = pack.latency_anchor
    n = decoded.num_rows
    if not anchor or n == 0:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    is_anchor = _message_matches(decoded.column("message"), anchor["anchor_message"])
    want = pc.and_(pc.and_(pc.equal(decoded.column("category"), "http"),
                           pc.equal(decoded.column("endpoint").combine_chunks().fill_null(""), anchor["endpoint"])),
                   pc.is_null(decoded.column("latency_ms")))
    if anchor.get("method"):
        method = decoded.column("method")
        want = pc.and_(want, pc.or_kleene(pc.is_null(method), pc.equal(method, anchor["method"])))
    return is_anchor.to_numpy(zero_copy_only=False), pc.fill_null(want, False).to_numpy(zero_copy_only=False)


def _message_matches(message: pa.ChunkedArray, pattern: str) -> pa.Array:
    """Which rows' messages (a missing one read as "") match: the pattern runs once per
    distinct message, of which there are few next to the rows."""
    encoded = message.combine_chunks().dictionary_encode()
    matches = pc.match_substring_regex(encoded.dictionary, pattern).take(encoded.indices)
    if not encoded.indices.null_count:
        return matches
    empty = pc.match_substring_regex(pa.array([""]), pattern)[0].as_py()
    return matches.fill_null(empty)


def latency_from_anchors(ts: np.ndarray, anchor_ts: np.ndarray, want: np.ndarray, values: np.ndarray,
                         pack: Pack, in_place: bool = False) -> np.ndarray:
    """`values` with each wanting row's gap since the latest anchor at or before it (NaN when
    none is within the pack's `max_ms`). `anchor_ts` is sorted. `in_place`: `values` are
    the caller's own, filled without a copy of every row's latency."""
    values = values if in_place else values.copy()
    if anchor_ts.size == 0 or not want.any():
        return values
    longest = pack.latency_anchor.get("max_ms", 120000)
    for lo in range(0, ts.size, _SLICE):  # a slice at a time: no temporaries the size of the export
        wanting = want[lo:lo + _SLICE]
        if not wanting.any():
            continue
        at = ts[lo:lo + _SLICE][wanting]
        idx = np.searchsorted(anchor_ts, at, side="right") - 1
        gap_ms = np.where(idx >= 0, (at - anchor_ts[np.maximum(idx, 0)]) / 1e6, np.nan)
        gap_ms[(gap_ms < 0) | (gap_ms > longest)] = np.nan
        values[lo:lo + _SLICE][wanting] = gap_ms
    return values


def anomalous_mask(decoded: pa.Table, latency: pa.Array, pack: Pack) -> pa.Array:
    status = decoded.column("status").combine_chunks()
    category = decoded.column("category").combine_chunks()
    message = decoded.column("message")
    error_status = pc.fill_null(pc.greater_equal(status, 400), False)
    has_link = pc.is_valid(decoded.column("link").combine_chunks())
    slow = pc.fill_null(pc.greater_equal(latency, pack.slow_latency_ms), False)
    slow_answer = pc.and_(slow, pc.is_in(category, pa.array(["http", "factory"])))
    error_line = pc.equal(category, "error")
    db_error = pc.and_(pc.equal(category, "db"),
                       pc.and_(pc.invert(_message_matches(message, _SQL)),
                               pc.not_equal(message.combine_chunks().fill_null(""), "")))
    responder = pc.is_valid(decoded.column("attempt").combine_chunks())  # acting on an incident, not a symptom
    mask = pc.or_(pc.or_(error_status, has_link), pc.or_(decoded.column("bad_jwt").combine_chunks(), slow_answer))
    mask = pc.or_(mask, pc.or_(error_line, db_error))
    return pc.and_(mask, pc.invert(responder))


def _stable_id(key: str) -> str:
    return "sig-" + hashlib.blake2b(key.encode(), digest_size=5).hexdigest()


def _merge_templates(templates: list[str]) -> dict[str, str]:
    """Map each template to the representative of its near-duplicate group: the smallest
    template its words agree with (`_NEAR_DUPLICATE`, in order), so the mapping is stable.
    A template without words stays alone."""
    if len(templates) < 2:
        return {t: t for t in templates}
    from rapidfuzz import process
    from rapidfuzz.distance import Indel

    ordered = sorted(templates)
    words = [regex.findall(_WORDS, t) for t in ordered]
    similarity = process.cdist(words, words, scorer=Indel.normalized_similarity)
    leaders: list[int] = []
    mapping = {}
    for i, t in enumerate(ordered):
        leader = next((j for j in leaders if words[i] and similarity[i, j] >= _NEAR_DUPLICATE), None)
        if leader is None:
            leaders.append(i)
            leader = i
        mapping[t] = ordered[leader]
    return mapping


def build_clusters(table: pa.Table, decoded: pa.Table, pack: Pack, latency: pa.Array,
                   lines: pa.ChunkedArray | PackedLines | None = None) -> tuple[list[Cluster], np.ndarray]:
    """Signatures of the anomalous rows, and each row's cluster index (-1: not anomalous).
    `lines`: the rows' raw lines when the table does not hold them (held packed)."""
    n = table.num_rows
    row_cluster = np.full(n, -1, dtype=np.int64)
    mask = anomalous_mask(decoded, latency, pack)
    rows = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
    if rows.size == 0:
        return [], row_cluster
    take = arrow(rows)
    # Only the columns a signature's key is made of: the rest would be copied for nothing.
    sub = decoded.select(["status", "link", "component", "endpoint", "message", "bad_jwt", "body_lost"]).take(take)
    ok_status = pc.fill_null(pc.less(sub.column("status"), 400), True)
    slow = pc.and_(pc.fill_null(pc.greater_equal(latency.take(take), pack.slow_latency_ms), False), ok_status)
    flags_link = pc.is_valid(sub.column("link"))
    key_parts = [
        sub.column("component").fill_null(UNNAMED), sub.column("endpoint").fill_null(""),
        pc.cast(sub.column("status"), pa.string()).fill_null(""), sub.column("message").fill_null(""),
        pc.if_else(flags_link, "link", ""), pc.if_else(sub.column("bad_jwt"), "forged-jwt", ""),
        pc.if_else(slow, "slow", ""), pc.if_else(sub.column("body_lost"), "body-lost", ""),
    ]
    raw_key = pc.binary_join_element_wise(*[pc.cast(p, pa.string()) for p in key_parts], "\x1f")
    encoded = raw_key.combine_chunks().dictionary_encode() if isinstance(raw_key, pa.ChunkedArray) else raw_key.dictionary_encode()
    distinct = [k.split("\x1f") for k in encoded.dictionary.to_pylist()]
    # Templates come from the pattern miner (rca.table.patterns), after the signature masks for
    # JWTs, e-mails and URLs' variable parts.
    mined = mine([template(parts[3], pack.template_variables) for parts in distinct if parts[3]]).templates
    mined_iter = iter(mined)
    templates = {}
    for parts in distinct:
        if parts[3]:
            templates[tuple(parts)] = next(mined_iter)
        else:
            templates[tuple(parts)] = BODYLESS[0] if "body-lost" in parts else BODYLESS[1]
    by_group: dict[tuple, list[tuple[tuple, str]]] = {}
    for parts, tmpl in templates.items():
        by_group.setdefault((parts[0], parts[1], parts[2], *parts[4:]), []).append((parts, tmpl))
    merged: dict[tuple, str] = {}
    for members in by_group.values():
        mapping = _merge_templates(sorted({tmpl for _, tmpl in members}))
        for parts, tmpl in members:
            merged[parts] = mapping[tmpl]
    clusters: list[Cluster] = []
    index_of: dict[str, int] = {}
    distinct_to_cluster = np.zeros(len(distinct), dtype=np.int64)
    for i, parts in enumerate(distinct):
        tmpl = merged[tuple(parts)]
        flags = tuple(f for f in parts[4:] if f)
        norm = "|".join([parts[0], parts[1], parts[2], tmpl, *flags])
        if norm not in index_of:
            index_of[norm] = len(clusters)
            clusters.append(Cluster(
                id=_stable_id(norm), component=parts[0], endpoint=parts[1] or None,
                status=int(parts[2]) if parts[2] else None, template=tmpl, flags=flags,
            ))
        distinct_to_cluster[i] = index_of[norm]
    sub_cluster = distinct_to_cluster[encoded.indices.to_numpy(zero_copy_only=False)]
    row_cluster[rows] = sub_cluster
    _fill_stats(clusters, table, decoded, latency, rows, sub_cluster, table.column("line") if lines is None else lines)
    clusters_sorted = sorted(range(len(clusters)), key=lambda i: (-clusters[i].count, clusters[i].id))
    remap = np.empty(len(clusters), dtype=np.int64)
    for new, old in enumerate(clusters_sorted):
        remap[old] = new
    row_cluster[rows] = remap[sub_cluster]
    return [clusters[i] for i in clusters_sorted], row_cluster


def _fill_stats(clusters: list[Cluster], table: pa.Table, decoded: pa.Table, latency: pa.Array,
                rows: np.ndarray, sub_cluster: np.ndarray, lines: pa.ChunkedArray | PackedLines) -> None:
    """Each cluster's rows and what they hold. The rows are put in cluster order once, so
    each cluster reads slices of its own (`rows` ascend, so each slice is in row order);
    what a cluster's rows hold (statuses, links, …) is counted for every cluster at once
    over their distinct values, not row by row in Python."""
    order = np.argsort(sub_cluster, kind="stable")
    member_rows = rows[order]
    owner = sub_cluster[order]
    take = arrow(member_rows)
    ts = table.column("ts_ns").combine_chunks().fill_null(0).to_numpy()[member_rows]
    lat = latency.to_numpy(zero_copy_only=False).astype(float)[member_rows]
    bounds = np.flatnonzero(np.diff(owner)) + 1
    starts = np.array([0, *bounds.tolist()], dtype=np.int64)
    medians = _median_latencies(lat, owner, starts)
    firsts, lasts = np.minimum.reduceat(ts, starts), np.maximum.reduceat(ts, starts)  # (rows is not empty)
    lost = np.logical_or.reduceat(_is_true(decoded.column("body_lost").take(take)), starts)
    statuses, links, link_keys, categories, users = (
        _distinct_per_cluster(decoded.column(name).take(take), owner, len(clusters))
        for name in ("status", "link", "link_key", "category", "user"))
    for k, (lo, hi) in enumerate(zip(starts.tolist(), [*bounds.tolist(), order.size], strict=True)):
        i = int(owner[lo])
        c = clusters[i]
        c.rows = member_rows[lo:hi]
        c.count = hi - lo
        c.first_ns, c.last_ns = int(firsts[k]), int(lasts[k])
        c.statuses = {str(v): n for v, n in sorted(statuses[i].items())}
        c.links, c.link_keys, c.categories, c.users = (
            sorted(values[i]) for values in (links, link_keys, categories, users))
        c.body_lost = bool(lost[k])
        c.median_latency_ms = medians[k]
    _fill_examples([c for c in clusters if c.count], lines)


def _is_true(values: pa.ChunkedArray) -> np.ndarray:
    """A boolean column as numpy booleans, a missing value read as false."""
    return values.combine_chunks().fill_null(False).to_numpy(zero_copy_only=False)


def _distinct_per_cluster(values: pa.ChunkedArray, owner: np.ndarray, n: int) -> list[dict]:
    """For each of `n` clusters, its rows' distinct non-null values and how many rows hold
    each (`owner`: each row's cluster): one sort of (cluster, value code) pairs, then Python
    only over the distinct pairs."""
    encoded = values.combine_chunks().dictionary_encode()
    indices = encoded.indices
    valid = indices.is_valid().to_numpy(zero_copy_only=False)
    codes = indices.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    width = max(len(encoded.dictionary), 1)
    key = owner[valid].astype(np.int64) * width + codes[valid]
    key.sort()
    first = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if key.size else np.zeros(0, np.int64)
    counts = np.diff(np.append(first, key.size)).tolist()
    distinct = key[first]
    names = encoded.dictionary.to_pylist()
    out: list[dict] = [{} for _ in range(n)]
    for cluster, code, count in zip((distinct // width).tolist(), (distinct % width).tolist(), counts, strict=True):
        out[cluster][names[code]] = count
    return out


def _fill_examples(clusters: list[Cluster], lines: pa.ChunkedArray | PackedLines) -> None:
    """Each cluster's first three distinct lines among its first 50 rows, read for every
    cluster at once: its first three rows, then the next 47 of the clusters whose first
    three repeat a line (each read unpacks the pieces of packed lines it needs once)."""
    for c in clusters:
        c.examples = []
    todo = clusters
    for lo, hi in ((0, 3), (3, 50)):
        parts = [c.rows[lo:hi] for c in todo]
        values = take_rows(lines, np.concatenate(parts) if parts else np.zeros(0, np.int64)).to_pylist()
        at = 0
        for c, part in zip(todo, parts, strict=True):
            for line in values[at:at + part.size]:
                if len(c.examples) == 3:
                    break
                if line not in c.examples:
                    c.examples.append(line)
            at += part.size
        todo = [c for c in todo if len(c.examples) < 3 and c.rows.size > 3]


def _median_latencies(lat: np.ndarray, owner: np.ndarray, starts: np.ndarray) -> list[float | None]:
    """The median of each run of `owner`'s known latencies (None for none), for every cluster
    at once: one sort by cluster then value, not a median call per cluster."""
    if lat.size == 0:
        return [None] * starts.size
    ordered = lat[np.lexsort((lat, owner))]  # unknown (NaN) latencies sort last in their cluster
    known = np.add.reduceat(~np.isnan(lat), starts)
    mid = starts + known // 2
    upper = ordered[np.minimum(mid, lat.size - 1)]
    lower = ordered[np.maximum(mid - 1, 0)]
    value = np.where(known % 2 == 1, upper, (lower + upper) / 2)
    return [float(v) if n else None for v, n in zip(value.tolist(), known.tolist(), strict=True)]


def mark_routine(clusters: list[Cluster], pack: Pack, first_ns: int, last_ns: int, ts: np.ndarray,
                 exp: Exposure | None = None) -> None:
    """Routine = known noise from the pack, or seen across the export with no significant
    rise in rate against its own baseline (rca.findings.rates): neither in a window found by
    scanning its counts, nor in a window other evidence established (a remediation link,
    another signature's burst or first appearance). A signature absent from the first or
    last quarter is new only when, at the rate it shows, it would almost surely have been
    seen there; a single row cannot be told apart from routine and is kept.

    A cluster with a remediation link is never routine: the link is the incident.
    """
    span = max(last_ns - first_ns, 1)
    steady: list[tuple[Cluster, np.ndarray]] = []
    windows: list[tuple[int, int]] = []
    for c in clusters:
        if c.has_link:
            windows.append((c.first_ns, c.last_ns))
            continue
        rule = _noise_rule(c, pack)
        if rule is not None and not (rule.bursts_matter and exp is not None):
            continue
        times = np.sort(ts[c.rows])
        times = times[times >= first_ns]
        if rule is not None:
            c.bursts = find_bursts(times, exp) if times.size >= 2 else []
            if c.bursts:  # many times its own trickle: not the routine the rule names
                c.routine, c.routine_reason = False, None
                windows += [(b.start_ns, b.end_ns) for b in c.bursts]
            continue
        if times.size < 2:
            continue
        if exp is not None:
            c.bursts = find_bursts(times, exp)
            if c.bursts:
                windows += [(b.start_ns, b.end_ns) for b in c.bursts]
                continue
        early = times[0] <= first_ns + 0.25 * span
        late = times[-1] >= last_ns - 0.25 * span
        if (early and late) or (exp is not None and not confined(times, exp)):
            steady.append((c, times))
        else:
            windows.append((int(times[0]), int(times[-1])))
    windows = sorted(set(windows))
    for c, times in steady:
        c.bursts = burst_in_windows(times, exp, windows) if exp is not None else []
        if not c.bursts:
            c.routine, c.routine_reason = True, "steady rate before, during and after"


def mark_known_noise(clusters: list[Cluster], pack: Pack) -> None:
    """Records without times cannot show a rate, but the pack's noise is noise all the same:
    a bad login is never an untimed export's cause."""
    for c in clusters:
        if not c.has_link:
            _noise_rule(c, pack)


def _noise_rule(c: Cluster, pack: Pack) -> NoiseRule | None:
    """Mark `c` routine when a pack noise rule names it, and return that rule."""
    for rule in pack.noise:
        if rule.statuses and c.status not in rule.statuses:
            continue
        if rule.component and rule.component != c.component:
            continue
        if rule.message and not rule.message.search(c.template):
            continue
        if rule.has_link is not None and rule.has_link != c.has_link:
            continue
        c.routine, c.routine_reason = True, rule.name
        return rule
    return None
