"""Near-duplicate templates are grouped the way TF-IDF cosine with average linkage groups them."""

from rca.table.similarity import average_linkage, cosine, tfidf

PATTERN = r"[^\s<>*\"'(),:;=]+"


def test_templates_differing_in_one_of_many_words_share_a_group():
    templates = ["Failed to fulfill order at factory now", "Failed to fulfill order at factory today",
                 "unknown user"]
    labels = average_linkage(tfidf(templates, PATTERN), 0.3)
    assert labels[0] == labels[1] != labels[2]


def test_a_template_of_only_variables_stays_alone_instead_of_failing():
    templates = ["<*>", "<*> <*>", "connect ECONNREFUSED <*>"]
    labels = average_linkage(tfidf(templates, PATTERN), 0.3)
    assert len(set(labels)) == 3


def test_cosine_of_identical_documents_is_one_and_of_disjoint_ones_zero():
    assert abs(cosine(["chaos monkey"], ["chaos monkey"], PATTERN) - 1) < 1e-9
    assert cosine(["chaos monkey"], ["oven full"], PATTERN) == 0
