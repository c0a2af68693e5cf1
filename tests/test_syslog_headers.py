"""A syslog line (RFC 3164) opens with `Dec  2 17:10:00 web-1 nginx[812]: `: the time, the host
that wrote it and the program with its process id. The host and pid say where the line was
written, not what happened, so they are no part of its message, signature or template; the
program names the line's component."""

from __future__ import annotations

import json

import pyarrow as pa

from rca.inputs.timestamps import strip_leading_time
from rca.knowledge.pack import default_pack
from rca.table.decode import _LOGFMT, _SQL, REQUEST_LINE, decode_line
from rca.table.quiet_text import quiet_lines

PACK = default_pack()
TIMEOUT = ("[error] upstream timed out (110: Connection timed out) while reading response header from upstream, "
           'client: 10.0.0.7, request: "POST /api/order HTTP/1.1"')


def test_the_header_is_not_part_of_the_message():
    d = decode_line(f"Dec  2 17:10:00 web-1 nginx[812]: {TIMEOUT}", PACK)
    assert d.message == TIMEOUT


def test_the_program_names_the_component():
    assert decode_line(f"Dec  2 17:10:00 web-1 nginx[812]: {TIMEOUT}", PACK).component == "nginx"
    assert decode_line("Dec  2 17:10:00 mx-1 postfix/smtpd[4021]: connect from x", PACK).component == "postfix/smtpd"


def test_a_message_that_merely_looks_like_a_header_keeps_its_words():
    """Without syslog's month-name time, `worker[3]:` is the application's own text."""
    d = decode_line("2026-12-02T17:10:00Z Retrying order[42]: factory busy", PACK)
    assert (d.message, d.component) == ("Retrying order[42]: factory busy", None)


def test_quiet_syslog_lines_decode_as_each_line_alone():
    lines = [f"Dec  2 17:10:{i % 60:02d} web-{i % 3} sshd[{2400 + i}]: Connection closed by 10.0.0.{i % 9} port 22"
             for i in range(60)]
    quiet, messages, programs = quiet_lines(pa.array(lines), PACK, _LOGFMT, REQUEST_LINE, _SQL)
    assert quiet.all()
    assert [(m, p) for m, p in zip(messages.to_pylist(), programs.to_pylist(), strict=True)] == [
        (decode_line(t, PACK).message, decode_line(t, PACK).component) for t in lines]


def _syslog(tmp_path) -> str:
    """nginx on two hosts, each process logging the same upstream timeout in a burst."""
    lines = []
    for i in range(300):
        stamp = f"Dec  2 17:{i // 10:02d}:{i % 10 * 6:02d}"
        if 100 <= i < 150:
            lines.append(f"{stamp} web-{i % 2 + 1} nginx[{812 + i % 2 * 101}]: {TIMEOUT}")
        else:
            lines.append(f"{stamp} web-{i % 2 + 1} systemd[1]: Started Session {i} of user pizza.")
    path = tmp_path / "syslog"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_the_same_failure_on_two_hosts_is_one_signature_without_host_or_pid(tmp_path, rca):
    out = tmp_path / "findings.json"
    rca("analyze", "-f", "json", "-o", str(out), _syslog(tmp_path))
    failing = [c for c in json.loads(out.read_text())["clusters"] if "upstream timed out" in c["template"]]
    assert [c["count"] for c in failing] == [50]
    assert not any(word in failing[0]["template"] + failing[0]["signature"] for word in ("web-", "[812]", "[913]"))
    assert failing[0]["signature"].startswith("nginx ")


def test_patterns_templates_leave_the_header_out(tmp_path, rca):
    templates = [line for line in rca("patterns", _syslog(tmp_path)).stdout.splitlines() if " t-" in line]
    assert len(templates) == 2 and not any("web-" in t or "[<*>]" in t for t in templates)


OOM = "Out of memory: Killed process 812 (node) total-vm:1024kB"
HEADED = {
    "a tag without a pid": (f"Dec  2 17:10:00 web-1 kernel: {OOM}", "kernel", OOM),
    "rsyslog's ISO header": (f"2026-12-02T17:10:00.123+00:00 web-1 nginx[812]: {TIMEOUT}", "nginx", TIMEOUT),
    "rsyslog's ISO header, a tag without a pid": (f"2026-12-02T17:10:00.123456+00:00 web-1 kernel: {OOM}",
                                                  "kernel", OOM),
    "an ISO header in UTC": ("2026-12-02T17:10:00Z ip-10-0-3-17 systemd[1]: Started Session 4.", "systemd",
                             "Started Session 4."),
}


def test_more_syslog_headers_are_split_off():
    for line, program, message in HEADED.values():
        d = decode_line(line, PACK)
        assert (d.component, d.message) == (program, message), line


LOOKALIKES = [
    "Dec  2 17:10:00 Starting server: port 3000",
    "Dec  2 17:10:00 info main: listening on 3000",
    "2026-12-02T17:10:00Z ERROR order: factory busy",
    "2026-12-02T17:10:00Z warn cache[2]: evicted 10 entries",
    "2026-12-02T17:10:00Z Retrying order[42]: factory busy",
]


def test_words_that_merely_look_like_a_pid_less_tag_stay_in_the_message():
    for line in LOOKALIKES:
        d = decode_line(line, PACK)
        assert (d.component, d.message) == (None, strip_leading_time(line)), line


def test_quiet_lines_split_the_new_headers_as_each_line_alone():
    lines = [line for line, _, _ in HEADED.values()] + LOOKALIKES
    lines = [line.replace("812", str(812 + i)) for i in range(10) for line in lines]
    quiet, messages, programs = quiet_lines(pa.array(lines), PACK, _LOGFMT, REQUEST_LINE, _SQL)
    assert quiet.sum() >= 50
    decoded = [decode_line(t, PACK) for t, q in zip(lines, quiet, strict=True) if q]
    assert list(zip(messages.to_pylist(), programs.to_pylist(), strict=True)) == [
        (d.message, d.component) for d in decoded]


def test_messages_without_their_programs_are_the_split_messages():
    """`rca patterns` asks only for messages: the same as the split gives, programs untaken."""
    from rca.inputs.timestamps import header_less_array, split_header_array

    lines = pa.array([line for line, _, _ in HEADED.values()] + LOOKALIKES
                     + [f"Dec  2 17:10:00 web-1 nginx[812]: {TIMEOUT}", "  Dec  2 17:10:00 web-1 sshd[7]: x", "", "plain"])
    assert header_less_array(lines).to_pylist() == split_header_array(lines)[0].to_pylist()
    assert split_header_array(lines, programs=False)[1] is None
