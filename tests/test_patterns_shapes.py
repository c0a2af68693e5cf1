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
