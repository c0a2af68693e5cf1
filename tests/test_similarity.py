"""Which templates are near-duplicates: within one signature group, and across the history."""

from rca.findings.signatures import _merge_templates
from rca.history.store import recurrences


def test_templates_differing_in_one_of_many_words_share_the_smallest_as_representative():
    mapping = _merge_templates(["Failed to fulfill order at factory today",
                                "Failed to fulfill order at factory now", "unknown user"])
    assert mapping == {"Failed to fulfill order at factory today": "Failed to fulfill order at factory now",
                       "Failed to fulfill order at factory now": "Failed to fulfill order at factory now",
                       "unknown user": "unknown user"}


def test_templates_of_only_variables_stay_alone_instead_of_merging():
    mapping = _merge_templates(["<*>", "<*> <*>", "connect ECONNREFUSED <*>"])
    assert mapping == {t: t for t in mapping}


def test_the_same_words_in_another_order_are_not_a_near_duplicate():
    mapping = _merge_templates(["order failed: oven is full", "oven failed: order is full"])
    assert len(set(mapping.values())) == 2


def _incident(name: str, templates: list[str], start: int) -> dict:
    return {"incident_id": name, "start_ns": start, "signature_ids": [f"sig-{name}"], "templates": templates,
            "component": "pizza-factory", "kind": "failing responses", "summary": name}


def test_incidents_without_words_in_their_templates_do_not_recur_by_similarity():
    groups = recurrences([_incident("a", ["<*>"], 1), _incident("b", ["<*>"], 2)])
    assert [len(g.incidents) for g in groups] == [1, 1]


def test_a_lone_incident_is_its_own_group():
    groups = recurrences([_incident("a", ["chaos monkey"], 1)])
    assert [[i["incident_id"] for i in g.incidents] for g in groups] == [["a"]]
