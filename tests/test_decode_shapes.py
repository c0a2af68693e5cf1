"""Decoding once per shape gives exactly the columns decoding each line gives."""

from __future__ import annotations

import pyarrow as pa

from bench.pizza_export import iter_varied
from rca.knowledge.pack import default_pack
from rca.table.decode import COLUMNS, _FEW, decode, decode_line, shapes

PACK = default_pack()


def _table(lines: list[str], labels: list[dict[str, str]] | None = None) -> pa.Table:
    labels = labels or [{"component": "jwt-pizza-service"}] * len(lines)
    return pa.table({"line": pa.array(lines),
                     "labels": pa.array([list(d.items()) for d in labels], pa.map_(pa.string(), pa.string()))})


def _per_line(table: pa.Table) -> pa.Table:
    rows = [decode_line(text, PACK).row() for text in table.column("line").to_pylist()]
    columns = list(zip(*rows, strict=True))
    return pa.table([pa.array(c, f.type) for c, f in zip(columns, COLUMNS, strict=True)], schema=COLUMNS)


def test_a_varied_export_decodes_by_shape_to_the_per_line_columns():
    events = list(iter_varied(3 * _FEW))
    table = _table([text for _, _, text in events], [labels for _, labels, _ in events])
    by_shape = decode(table, PACK)
    expected = _per_line(table)
    for name in ("method", "endpoint", "status", "message", "latency_ms", "link", "urls", "user",
                 "bad_jwt", "items", "body_lost", "resolution", "dependency"):
        assert by_shape.column(name).equals(expected.column(name)), name


def test_request_lines_differing_in_tokens_and_ids_share_a_shape():
    a = '{"path":"/api/order","statusCode":200,"ip":"10.0.0.7","sessionId":"eyJhbGc.eyJ1c2Vy.c2ln","orderId":17}'
    b = '{"path":"/api/order","statusCode":200,"ip":"10.3.9.1","sessionId":"eyJhbGc.eyJvdGhl.c2ln","orderId":912}'
    assert len(set(shapes(pa.array([a, b]), PACK).to_pylist())) == 1


def test_values_decoding_reads_are_not_masked():
    lines = ['{"statusCode":500,"request":{"diner":{"id":3}}}', '{"statusCode":200,"diner.id":7}']
    assert shapes(pa.array(lines), PACK).to_pylist() == lines


def test_lines_differing_only_in_latency_share_a_shape_and_keep_their_own_latency():
    lines = [f'{{"type":"http","path":"/api/order/menu","statusCode":200,"latency":{i % 700},'
             f'"payload":{{"n":{i}}}}}' for i in range(max(2000, _FEW + 10))]
    assert len(set(shapes(pa.array(lines), PACK).to_pylist())) == 1
    out = decode(_table(lines), PACK)
    assert out.column("latency_ms").to_pylist()[:3] == [0.0, 1.0, 2.0]
    assert out.column("latency_ms").to_pylist()[701] == 1.0


def test_a_masked_value_that_reaches_a_message_is_decoded_from_its_own_line():
    lines = [f'{{"type":"http","statusCode":500,"message":"connect ECONNREFUSED 10.0.3.{i % 250}:3306",'
             f'"requestId":{i}}}' for i in range(_FEW + 10)]
    out = decode(_table(lines), PACK)
    assert out.column("message").to_pylist()[7] == "connect ECONNREFUSED 10.0.3.7:3306"


def test_a_second_range_with_the_same_shapes_decodes_as_the_first_did():
    events = list(iter_varied(4 * _FEW, seed=23))
    texts = [text for _, _, text in events]
    first, second = _table(texts[: 2 * _FEW]), _table(texts[2 * _FEW:])
    decode(first, PACK)  # its shapes are now remembered
    expected = _per_line(second)
    by_shape = decode(second, PACK)
    for name in ("method", "endpoint", "status", "message", "latency_ms", "link", "urls", "bad_jwt"):
        assert by_shape.column(name).equals(expected.column(name)), name


def test_shapes_longer_than_the_remembered_limit_are_decoded_but_not_kept():
    from rca.table import decode as decoding

    long_line = '{"type":"http","statusCode":500,"message":"' + "x" * (decoding._SHAPE_CHARS + 10) + '"}'
    rows = decoding._decoded_shapes([long_line], PACK)
    assert rows[0][0][5].startswith("xxx")  # the message, clipped
    assert long_line not in decoding._per_pack(PACK, "shapes", lambda _: {})


def test_lines_whose_link_holds_a_hex_key_are_decoded_by_shape_not_one_by_one(monkeypatch):
    from rca.table import decode as decoding

    link = "https://pizza-factory.cs329.click/api/support/5f0c2a9e7b1d4c38a6e2f91b0d7c4e55/report/0060thut"
    lines = [f'{{"path":"/api/order","statusCode":500,"sessionId":"eyJhbGc.eyJ1c2Vy{i}.c2ln",'
             f'"resBody":{{"message":"Failed","reportUrl":"{link}"}}}}' for i in range(_FEW + 10)]
    calls = []
    monkeypatch.setattr(decoding, "decode_line", lambda text, pack: calls.append(text) or decode_line(text, pack))
    out = decode(_table(lines), PACK)
    assert out.column("link").to_pylist() == [link] * len(lines)
    assert len(calls) <= 2  # its shape with the key masked (which shows the mask), then without


def test_a_hex_id_standing_alone_is_still_masked():
    line = '{"path":"/api/order","statusCode":200,"traceId":"5f0c2a9e7b1d4c38a6e2f91b0d7c4e55"}'
    assert shapes(pa.array([line]), PACK).to_pylist() == [line.replace("5f0c2a9e7b1d4c38a6e2f91b0d7c4e55", "RCAVAR")]


def _oversize_failure(i: int) -> str:
    """A failed 22-pizza order whose logger also writes the time as a JSON number of
    nanoseconds, after a body long enough that the decoded message is clipped before it."""
    items = ",".join(f'{{\\"menuId\\":{1 + (i + k) % 5},\\"description\\":\\"Veggie\\",\\"price\\":0.00{i % 97 + k}}}'
                     for k in range(22))
    return ('{"authorized":true,"path":"/api/order","method":"POST","statusCode":500,'
            f'"reqBody":"{{\\"franchiseId\\":1,\\"storeId\\":1,\\"items\\":[{items}]}}",'
            '"resBody":"{\\"message\\":\\"Failed to fulfill order at factory\\"}",'
            f'"timestamp":{1764697351123000000 + i * 7_000_000}}}')


def test_a_failed_order_with_a_nanosecond_time_number_keeps_its_status_when_decoded_by_shape():
    lines = [_oversize_failure(i) for i in range(_FEW + 10)]
    out = decode(_table(lines), PACK)
    assert set(out.column("status").to_pylist()) == {500}
    assert set(out.column("message").to_pylist()) == {"Failed to fulfill order at factory"}
    assert set(out.column("items").to_pylist()) == {22}


def test_a_masked_number_inside_a_json_body_string_does_not_change_how_the_body_decodes():
    lines = [f'{{"type":"factory","statusCode":500,"response":"{{\\"message\\":\\"chaos monkey\\",'
             f'\\"stack\\":\\"{"x" * 600}\\",\\"at\\":{1764697351123000000 + i}}}"}}' for i in range(_FEW + 10)]
    out = decode(_table(lines), PACK)
    assert set(out.column("message").to_pylist()) == {"chaos monkey"}


def test_lines_differing_only_in_a_nanosecond_time_number_are_decoded_once_per_shape(monkeypatch):
    from rca.table import decode as decoding

    calls = []
    monkeypatch.setattr(decoding, "decode_line", lambda text, pack: calls.append(text) or decode_line(text, pack))
    decode(_table([_oversize_failure(i) for i in range(_FEW + 10)]), PACK)
    assert len(calls) < 10


def test_a_message_quoting_json_keeps_its_own_numbers_when_decoded_by_shape():
    lines = [f'{{"type":"http","path":"/api/franchise","method":"POST","statusCode":400,"requestId":{i},'
             f'"resBody":"{{\\"message\\":\\"Unexpected value in JSON: \\\\\\"count\\\\\\": {i % 300}\\"}}"}}'
             for i in range(_FEW + 10)]
    out = decode(_table(lines), PACK)
    assert out.column("message").to_pylist()[7] == 'Unexpected value in JSON: "count": 7'


def test_the_keep_byte_is_found_anywhere_in_a_range_larger_than_a_block():
    from rca.table.decode import _MARKER_BLOCK, _holds_marker

    size = 3 * _MARKER_BLOCK + 5
    for at in (0, _MARKER_BLOCK - 1, _MARKER_BLOCK, size - 1):
        data = bytearray(b"x" * size)
        data[at] = 1
        assert _holds_marker(pa.py_buffer(bytes(data))), at
    assert not _holds_marker(pa.py_buffer(b"x" * size))
    assert _holds_marker(pa.py_buffer(b"x" * (_MARKER_BLOCK - 3) + b"RCAVAR" + b"x" * 9))
