"""Rank candidate root causes for an incident from its signatures and the pack's cause rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from rca.findings.incidents import Incident
from rca.knowledge.pack import CauseRule, Pack
from rca.table.redact import clip
from rca.findings.signatures import BODYLESS, Cluster
from rca.inputs.timestamps import format_rfc3339_ms


@dataclass
class Cause:
    rank: int
    component: str
    kind: str
    summary: str
    confidence: float
    clusters: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    advice: str | None = None
    weight: float = 0.0


def _matches(rule: CauseRule, c: Cluster, pack: Pack) -> bool:
    m = rule.match
    if "has_link" in m and bool(m["has_link"]) != c.has_link:
        return False
    if "min_status" in m and (c.status is None or c.status < m["min_status"]):
        return False
    if "max_status" in m and (c.status is None or c.status > m["max_status"]):
        return False
    if m.get("jwt_prefix") and "forged-jwt" not in c.flags:
        return False
    if m.get("slow") and "slow" not in c.flags:
        return False
    if m.get("body_lost") and not c.body_lost:
        return False
    if m.get("endpoint") and c.endpoint != m["endpoint"]:
        return False
    if rule.message is None:
        return True
    return bool(rule.message.search(c.template) or any(rule.message.search(e) for e in c.examples))


def _rule_for(c: Cluster, pack: Pack) -> CauseRule | None:
    return next((rule for rule in pack.causes if _matches(rule, c, pack)), None)


def cause_for(c: Cluster, pack: Pack) -> tuple[str, str, str, float, str | None]:
    """(component, kind, summary, confidence, advice) for one signature."""
    rule = _rule_for(c, pack)
    if rule is not None and rule.component:
        return rule.component, rule.kind, rule.summary, rule.confidence, rule.advice
    if rule is not None:  # a rule for any component: the signature's own, named in the summary
        summary = rule.summary.format(component=c.component, message=clip(c.template, 160))
        return c.component, rule.kind, summary, rule.confidence, rule.advice
    g = pack.generic_cause
    if "slow" in c.flags and pack.generic_slow_cause:
        g = pack.generic_slow_cause
    elif not c.has_link and c.template in BODYLESS and pack.generic_bodyless_cause:
        g = pack.generic_bodyless_cause
    summary = g["summary"].format(endpoint=c.endpoint or c.component, status=c.status or "errors",
                                  message=c.template, latency_s=(c.median_latency_ms or 0) / 1000)
    return c.component, g["kind"], summary, float(g["confidence"]), g.get("advice")


def rank_causes(incident: Incident, clusters: list[Cluster], pack: Pack, row_cluster,
                incident_links: set[str] | None = None) -> list[Cause]:
    """Causes for one incident, best first. Links are those seen inside this incident."""
    by_key: dict[tuple[str, str], Cause] = {}
    members = incident.rows
    kinds_seen = {(cause_for(clusters[ci], pack)[0], cause_for(clusters[ci], pack)[1]) for ci in incident.clusters}
    for ci in incident.clusters:
        c = clusters[ci]
        in_incident = int((row_cluster[members] == ci).sum())
        component, kind, summary, confidence, advice = cause_for(c, pack)
        rule = _rule_for(c, pack)
        # An ambiguous signature (e.g. a link on a 200 from the factory's own line) joins the
        # specific cause another signature of the same incident established.
        refined = next((k for k in (rule.refined_by if rule else ()) if (component, k) in kinds_seen), None)
        if refined is not None:
            existing = next(cl for cl in incident.clusters if cause_for(clusters[cl], pack)[:2] == (component, refined))
            component, kind, summary, confidence, advice = cause_for(clusters[existing], pack)
        cause = by_key.setdefault((component, kind), Cause(0, component, kind, summary, confidence, advice=advice))
        if confidence > cause.confidence:  # the best-evidenced signature words the summary
            cause.summary, cause.advice = summary, advice if advice is not None else cause.advice
        cause.confidence = max(cause.confidence, confidence)
        cause.clusters.append(c.id)
        cause.urls += [u for u in c.links if u not in cause.urls
                       and (incident_links is None or u in incident_links)]
        cause.weight += in_incident * confidence
        span = f"{format_rfc3339_ms(c.first_ns)} .. {format_rfc3339_ms(c.last_ns)}"
        status = c.status if c.status is not None else "-"
        extra = f" with {', '.join(c.link_keys)}" if c.link_keys else ""
        latency = f", median latency {c.median_latency_ms / 1000:.1f} s" if c.median_latency_ms and "slow" in c.flags else ""
        cause.evidence.append(f"{in_incident} x {c.component} {c.endpoint or ''} {status} \"{c.template}\"{extra}"
                              f"{latency} ({span})".replace("  ", " "))
        cause.evidence += [b.describe() for b in c.bursts if b.start_ns <= incident.end_ns and b.end_ns >= incident.start_ns]
        if c.examples:
            cause.evidence.append(f"example: {clip(c.examples[0], 400)}")
    causes = sorted(by_key.values(), key=lambda x: (-x.weight, -x.confidence, x.component))
    total = sum(c.weight for c in causes) or 1.0
    for i, cause in enumerate(causes, 1):
        cause.rank = i
        share = cause.weight / total
        thin = 0.7 if incident.affected_requests < 3 else 1.0
        cause.confidence = round(min(0.99, cause.confidence * (0.5 + 0.5 * share) * thin), 2)
        if cause.advice is None and incident.affected_requests < 3:
            cause.advice = "only a few affected requests: widen the export's time range"
    return causes
