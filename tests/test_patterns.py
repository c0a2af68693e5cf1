"""The template miner: masking rules, JSON/logfmt lines, stable ids, the CSV contract, and
accuracy on a Loghub-2k system."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from bench.patterns_accuracy import load, scores
from fixtures import generate
from rca.table.patterns import message_of, mine, normalise, template_id

LOGHUB = Path(__file__).resolve().parents[2] / "shared" / "data" / "loghub2k"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("PacketResponder 1 for block blk_38865049064139660 terminating", "PacketResponder <*> for block <*> terminating"),
        ("Received block blk_-1608999687919862906 src: /10.250.19.102:54106 dest: /10.250.19.102:50010 of size 91178",
         "Received block <*> src: <*>:<*> dest: <*>:<*> of size <*>"),
        ("workerEnv.init() ok /etc/httpd/conf/workers2.properties", "workerEnv.init() ok <*>"),
        ("jk2_init() Found child 6725 in scoreboard slot 10", "jk2_init() Found child <*> in scoreboard slot <*>"),
        ("Times: total = 42, boot = -3, init = 8, finish = 1", "Times: total = <*>, boot = <*>, init = <*>, finish = <*>"),
        ("Expiring session 0x14ed93111f20027, timeout of 10000ms exceeded", "Expiring session <*>, timeout of <*> exceeded"),
        ("Input split: hdfs://10.10.34.11:9000/pjhe/logs/2kSOSP.log:21876+7292", "Input split: hdfs://<*>"),
        ("flag is true now", "flag is <*> now"),
        ("generating core.2275", "generating core.<*>"),
    ],
    ids=["digits", "ip-port-path", "path", "word-with-digit-kept", "signed", "hex-and-unit", "url", "boolean",
         "dotted-name"],
)
def test_masking_rules(message, expected):
    assert mine([message]).templates == [expected]


def test_normalise_collapses_double_spaces_and_consecutive_variables():
    assert normalise("a  b <*><*> c <*>.<*>") == "a b <*> c <*>"


def test_many_values_at_one_position_become_a_variable():
    users = ["alice", "bob", "carol", "dave", "erin", "frank"]
    templates = mine([f"Invalid user {u} from 10.0.0.1" for u in users]).templates
    assert set(templates) == {"Invalid user <*> from <*>"}


def test_a_few_state_words_stay_separate_events():
    msgs = [f"peer state {s} (my state)" for s in ["LOOKING", "LEADING", "FOLLOWING"] for _ in range(5)]
    assert len(set(mine(msgs).templates)) == 3


def test_key_value_prefix_survives_generalisation():
    msgs = [f"auth failure; rhost=10.0.0.{i} user={u}" for i, u in enumerate(["ann", "ben", "cat", "dan", "eve", "fay"])]
    assert set(mine(msgs).templates) == {"auth failure; rhost=<*> user=<*>"}


def test_lists_of_varying_length_are_one_variable():
    msgs = ["ask 10.0.0.1:50010 to delete blk_-1608999687 blk_2008999687 blk_3008999687",
            "ask 10.0.0.2:50010 to delete blk_4008999687", "ask 10.0.0.3:50010 to delete blk_5008999687 blk_6008999687"]
    assert set(mine(msgs).templates) == {"ask <*>:<*> to delete <*>"}


def test_json_line_templates_its_message_field():
    assert message_of('{"level":"error","msg":"payment timeout order=881"}') == "payment timeout order=881"
    assert mine([message_of('{"level":"error","msg":"payment timeout order=881"}')]).templates == \
        ["payment timeout order=<*>"]


def test_json_line_without_message_keeps_its_keys():
    text = message_of('{"statusCode":500,"method":"POST"}')
    assert mine([text]).templates == ["statusCode=<*> method=POST"]


def test_json_field_option_picks_a_nested_field():
    assert message_of('{"payload":{"msg":"x 1"}}', field="payload.msg") == "x 1"


def test_logfmt_line_keeps_keys_and_masks_values():
    assert mine(['level=error msg="payment timeout" order=881']).templates == \
        ['level=error msg="payment timeout" order=<*>']


def test_template_ids_are_stable_across_runs_and_input_order():
    msgs = [f"conn {i} from 10.0.0.{i}" for i in range(20)] + ["boot ok", "boot ok"]
    a = mine(msgs)
    shuffled = msgs[:]
    random.Random(3).shuffle(shuffled)
    b = mine(shuffled)
    assert sorted(set(a.ids)) == sorted(set(b.ids))
    assert template_id("boot ok") == template_id("boot ok") == "t-" + template_id("boot ok")[2:]


def test_csv_contract_one_row_per_input_line_in_input_order(rca, tmp_path):
    path = tmp_path / "app.log"
    path.write_text("connected to 10.0.0.1 port 22\n\nconnected to 10.0.0.2 port 23\nboot ok\n")
    run = rca("patterns", str(path), "--format", "csv")
    assert run.code == 0, run.stderr
    rows = list(csv.reader(io.StringIO(run.stdout)))
    assert rows[0] == ["line", "template_id", "template"]
    assert [r[0] for r in rows[1:]] == ["1", "3", "4"]
    assert rows[1][1] == rows[2][1] == template_id("connected to <*> port <*>")
    assert rows[3][2] == "boot ok"


def test_patterns_reads_loki_exports_too(rca):
    run = rca("patterns", "fixtures/chaos-fail/loki-query.json", "--format", "json", "--min-count", "200")
    assert run.code == 0
    import json

    doc = json.loads(run.stdout)
    assert doc["templates"] and all(t["count"] >= 200 for t in doc["templates"])
    assert doc["templates"][0]["id"].startswith("t-")


@pytest.mark.skipif(not LOGHUB.exists(), reason="shared Loghub-2k data is not beside this checkout")
def test_accuracy_on_hdfs_and_openssh_does_not_regress():
    for system, floor in [("HDFS", 0.998), ("OpenSSH", 0.95)]:
        messages, truth = load(LOGHUB, system)
        result = scores(mine(messages).templates, truth)
        assert result["GA"] >= floor, (system, result)
        assert result["PA"] >= 0.95, (system, result)


@pytest.mark.parametrize("fmt", sorted(generate.WRITERS))
def test_patterns_command_reads_every_input_format(fmt, rca, events, tmp_path):
    name, writer = generate.WRITERS[fmt]
    path = tmp_path / name
    path.write_bytes(writer(events))
    run = rca("patterns", str(path), "--format", "csv")
    assert run.code == 0, run.stderr
    assert len(run.stdout.strip().splitlines()) == len(events) + 1


def test_a_field_no_line_has_is_a_usage_error(rca):
    run = rca("patterns", "fixtures/chaos-fail/pino.ndjson", "--field", "nothere")
    assert run.code == 2 and "no line has the field" in run.stderr


def test_lines_missing_the_field_are_counted_and_reported(rca):
    run = rca("patterns", "fixtures/chaos-fail/pino.ndjson", "--field", "statusCode", "-f", "json")
    assert run.code == 0
    assert "have no field 'statusCode'" in run.stderr
    import json

    templates = {t["template"]: t["count"] for t in json.loads(run.stdout)["templates"]}
    assert templates["(field missing)"] > 0 and templates["<*>"] > 0


def test_a_line_of_thousands_of_tokens_keeps_its_own_variables_instead_of_comparing_every_position():
    from collections import Counter

    from rca.table.patterns import MERGE_MAX_TOKENS, merge_variable_positions
    short = Counter({f"job started on worker {w}": 1 for w in ("alpha", "beta", "gamma", "delta", "omega")})
    long = Counter({"word " * MERGE_MAX_TOKENS + w: 1 for w in ("alpha", "beta", "gamma", "delta", "omega")})
    assert len(set(merge_variable_positions(short).values())) == 1
    assert merge_variable_positions(long) == {t: t for t in long}
