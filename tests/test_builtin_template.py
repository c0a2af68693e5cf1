"""The built-in report is rendered without Jinja (rca.outputs.builtin_template): for every
context it writes exactly what Jinja writes from the shipped template, which stays the one
teams copy for --template."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from fixtures import generate
from fixtures.generate import Chaos
from rca.outputs import builtin_template
from rca.outputs.postmortem import TEMPLATE, _environment, context


def _jinja(values: dict) -> str:
    return _environment(TEMPLATE).get_template(TEMPLATE.name).render(**values)


# Text a report can carry: Markdown's characters, line breaks, blank and padded values.
_text = st.text(st.sampled_from("ab #*_`[]|<>&.:-\né\u202e"), max_size=12) | st.sampled_from(["https://x.example/a_b", "1."])
_maybe = st.none() | _text
_count = st.integers(min_value=0, max_value=3)
_rows = lambda **fields: st.lists(st.fixed_dictionaries(fields), max_size=3)  # noqa: E731

_cause = st.fixed_dictionaries({
    "summary": _text, "clause": _text, "confidence": _text, "advice": _maybe,
    "evidence": st.lists(_text, max_size=3), "links": st.lists(_text, max_size=2),
    "redacted_links": st.lists(_text, max_size=2)})

_incident = st.fixed_dictionaries({
    "headline": _text, "window": _text, "affected_text": _text, "failed": _text, "endpoints": _text,
    "cause": st.none() | _cause, "recovery": _maybe, "onset_unbounded": st.booleans(),
    "recovery_unseen": st.booleans(), "alert": _maybe, "alert_fires": _text, "time_to_detect": _text,
    "first_affected": _text, "last_affected": _text, "affected": _count, "total": _count | _text,
    "users": _count | _text, "duration": _text,
    "routine_inside": _rows(signature=_text, count=_count),
    "timeline": _rows(time=_text, event=_text),
    "explore": st.none() | st.fixed_dictionaries({"window": _text, "signatures": _rows(id=_text, url=_text)}),
    "other_causes": _rows(rank=_count, component=_text, kind=_text, summary=_text, confidence=_text),
    "contributors": st.lists(_text, max_size=2),
    "resolution": st.none() | st.fixed_dictionaries({"time": _text, "action": _text}),
    "attempts": _rows(time=_text, summary=_text),
    "prevention": st.lists(_text, max_size=3),
    "actions": _rows(item=_text, priority=_text)})

_context = st.fixed_dictionaries({
    "title": _text, "zone": _maybe, "inputs_line": _text, "chart": _maybe,
    "routine": _rows(signature=_text, count=_count, reason=_text), "routine_ruled_out": _text,
    "routine_total": _count, "isolated": _rows(signature=_text, count=_count), "isolated_note": _text,
    "redacted_link_note": _text, "incidents": st.lists(_incident, max_size=3)})


@given(_context)
def test_every_branch_of_the_template_is_written_as_jinja_writes_it(values):
    assert builtin_template.render(values) == _jinja(values)


def test_real_reports_are_written_as_jinja_writes_them(tmp_path):
    from rca import analyze
    from rca.outputs.explore import Explore
    from rca.outputs.report import zone

    path = tmp_path / "export.json"
    path.write_bytes(generate.loki_query(generate.simulate(chaos=[Chaos("fail", 120, 300), Chaos("db-outage", 540, 720)],
                                                           minutes=14)))
    several = analyze([str(path)])
    one = analyze([str(Path(__file__).parent.parent / "fixtures/chaos-fail/logcli.jsonl")])
    assert len(several.incidents) >= 2 and len(one.incidents) == 1
    explore = Explore.from_options("http://grafana.example:3000", "loki")
    for f in (several, one):
        for values in (context(f), context(f, zone("America/Denver"), "chart dir/c.svg", explore=explore),
                       context(f, incidents=[])):
            assert builtin_template.render(values) == _jinja(values)
