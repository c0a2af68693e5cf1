"""Arbitrary bytes never raise anything but rca's own input error."""

from __future__ import annotations

import gzip

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rca.errors import InputError
from rca.inputs.formats import FORMATS
from rca.inputs.exports import read_input
import contextlib

_PREFIXES = [b"", b"{", b"[", b'{"streams":[', b'{"data":{"resultType":"streams","result":[',
             b'{"labels":{},"line":"x","timestamp":"', b"Common labels: {}\n\n1717243205000\t",
             b'"labels","Time","Line"\n', b"2024-06-01T12:00:00Z {a=\"b\"} ", b'{"hits":{"hits":[',
             b'{"events":[', b'[{"schema":{"fields":[', b"\xef\xbb\xbf", b"\xff\xfe"]


def _read_or_input_error(data: bytes, fmt: str | None = None) -> None:
    with contextlib.suppress(InputError):
        read_input("fuzz.bin", fmt, data=data)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_PREFIXES), st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_input_errors(prefix, tail):
    _read_or_input_error(prefix + tail)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(FORMATS)), st.sampled_from(_PREFIXES), st.text(max_size=300))
def test_any_forced_format_raises_only_input_errors(fmt, prefix, tail):
    _read_or_input_error(prefix + tail.encode(), fmt)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=40)
@given(st.binary(max_size=300))
def test_gzip_of_arbitrary_bytes_raises_only_input_errors(payload):
    _read_or_input_error(gzip.compress(payload))


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["statusCode", "status", "resBody", "body", "message", "path", "url", "method", "type",
                         "latency", "payload", "followLinkToEndChaos", "reportUrl", "jwt", "items", "request"]),
        children, max_size=6),
    max_leaves=20,
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(_JSONISH)
def test_decoding_any_json_line_never_raises(value):
    import json

    from rca.table.decode import decode_line
    from rca.knowledge.pack import default_pack

    text = json.dumps(value)
    decode_line(text, default_pack())
    decode_line(json.dumps(text), default_pack())


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=30)
@given(st.lists(_JSONISH, min_size=1, max_size=30))
def test_analysing_any_ndjson_export_never_raises(values):
    import json

    from rca.findings.pipeline import analyze
    from rca.inputs.exports import Ingested, read_input

    lines = "\n".join(json.dumps({**(v if isinstance(v, dict) else {"msg": json.dumps(v)}),
                                   "time": 1764696600000 + i * 1000}) for i, v in enumerate(values))
    try:
        table, summary = read_input("fuzz.ndjson", "ndjson", data=lines.encode())
    except InputError:
        return
    analyze(Ingested(table, [summary]))
