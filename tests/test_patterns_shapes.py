"""`rca patterns` decodes JSON lines once per masked shape: lines the shape cannot speak for
(escapes cut by masking, keys repeated in nested objects) come out as if decoded one by one."""

from __future__ import annotations

import json
import random


def _templates(rca, tmp_path, lines: list[str]) -> set[str]:
    path = tmp_path / "service.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = rca("patterns", str(path), "-f", "json")
    assert run.code == 0, run.stderr
    return {t["template"] for t in json.loads(run.stdout)["templates"]}


def test_escaped_and_plain_spellings_of_one_message_are_one_template(rca, tmp_path):
    rng = random.Random(3)
    lines = []
    for i in range(300):
        msg = f"café order {rng.randint(100, 999)} done"
        escaped = json.dumps({"level": "info", "msg": msg}, ensure_ascii=True)
        digits = escaped.replace(msg[11:14].encode().decode(), "".join(f"\\u{ord(c):04x}" for c in msg[11:14]))
        lines.append([escaped, json.dumps({"level": "info", "msg": msg}, ensure_ascii=False), digits][i % 3])
    assert _templates(rca, tmp_path, lines) == {"café order <*> done"}


def test_a_key_repeated_in_a_nested_object_does_not_stand_for_the_top_level_one(rca, tmp_path):
    rng = random.Random(4)
    lines = [json.dumps({"upstream": {"status": f"x{rng.randint(1, 9999)}"},
                         "status": rng.choice([200, 503]), "msg": "done"}) for _ in range(300)]
    assert _templates(rca, tmp_path, lines) == {"status=200 done", "status=503 done"}


def test_a_status_written_as_a_number_or_a_string_is_one_identity(rca, tmp_path):
    rng = random.Random(5)
    lines = [json.dumps({"statusCode": rng.choice([200, "200", 500]), "msg": "handled",
                         "latency": rng.randint(1, 900)}) for _ in range(300)]
    assert _templates(rca, tmp_path, lines) == {"statusCode=200 handled", "statusCode=500 handled"}


def test_a_field_picked_by_shape_gives_each_line_the_template_of_its_own_value():
    # --field is worked out per masked JSON shape; every kind of line must come out as the
    # per-line reading (message_of) would template it
    import pyarrow as pa

    from rca.table.patterns import MISSING, message_of, mine, patterns_of

    rng = random.Random(6)
    lines = []
    for i in range(400):
        kind = i % 9
        user = rng.choice(["alice", "bob", "carol"])
        if kind == 0:
            lines.append(json.dumps({"level": "info", "req": {"path": f"/items/{i}"}, "msg": f"served {i} ms"}))
        elif kind == 1:
            lines.append(json.dumps({"req": {"path": "/health"}, "msg": f"user {user} said \"hi\"\n{i}"}))
        elif kind == 2:
            lines.append(json.dumps({"req": rng.choice([None, 7, True, "x"]), "msg": "odd req"}))
        elif kind == 3:
            lines.append(json.dumps({"msg": "no req here", "n": i}))
        elif kind == 4:
            lines.append(f'2024-03-04T10:00:{i % 60:02d}Z plain text line {i}')
        elif kind == 5:
            lines.append(json.dumps(f"a quoted line {i}"))
        elif kind == 6:
            lines.append(f'level=info req={i} msg="logfmt {user}"')
        elif kind == 7:
            lines.append('{"req": {"path": "/a\\u0031' + str(i) + '"}, "broken": ')
        else:
            lines.append(json.dumps({"req": {"path": f"/u/{user}", "k{i}": i}, "msg": "nested keys vary"}))
    for field in ("req.path", "req", "msg", "absent"):
        table = pa.table({"line": pa.array(lines), "ts_ns": pa.array([None] * len(lines), pa.int64())})
        got = patterns_of(table, field=field).row_templates.to_pylist()
        want = mine([message_of(line, field) for line in lines]).templates
        assert got == want, field
    assert MISSING in want
