"""Text logs whose lines open with a bracketed field (`[Sun Dec 04 04:47:44 2005] [error] …`,
as Apache's error log writes them) are plain text, not broken JSON; JSON that opens with a
bracket is still JSON."""

from __future__ import annotations

from rca.inputs.detect import detect


def _apache_error_log() -> str:
    days = ["Mon", "Tue", "Wed"]
    return "".join(f"[{days[i % 3]} Dec 0{i % 3 + 1} 04:47:{i % 60:02d} 2005] [{'error' if i % 4 else 'notice'}] "
                   f"mod_jk child workerEnv in error state {i % 9}\n" for i in range(40))


def test_lines_opening_with_a_bracketed_time_are_text_not_json(rca, tmp_path):
    path = tmp_path / "error_log"
    path.write_text(_apache_error_log())
    result = rca("patterns", str(path), "-f", "csv")
    assert result.code == 0, result.stderr
    assert result.stdout.count("\n") == 41
    # The bracketed time is the record's time, not part of its message (nor of its template).
    assert ",[error] mod_jk child workerEnv in error state <*>\n" in result.stdout
    assert "Dec" not in result.stdout


def test_json_opening_with_a_bracket_is_still_json():
    assert detect(b'[["a", 1], ["b", 2]]\n')[0] != "text"
    assert detect(b'[\n  {"line": "x", "timestamp": "2024-01-01T00:00:00Z"}\n]\n')[0] == "grafana-json"


def test_every_first_line_must_open_with_a_bracketed_field_to_be_text():
    assert detect(b"[1] one\n[2] two\n")[0] == "text"
    assert detect(b"[1] one\n{\"a\": 1}\n")[0] != "text"
