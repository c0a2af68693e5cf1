"""Decoding real logger shapes (the domain doc's E1–E18) into canonical columns."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from rca.table.decode import _lower, clean_url, decode_line, deep_decode, find_urls
from rca.knowledge.pack import default_pack

KEY = "5f0c2a9e7b1d4c38a6e2f91b0d7c4e55"
URL = f"https://pizza-factory.cs329.click/api/support/{KEY}/report/k3q9z7mf"
PACK = default_pack()

E1 = ('{"authorized":true,"path":"/api/order","method":"POST","statusCode":500,"reqBody":"{\\"franchiseId\\":1,'
      '\\"storeId\\":1,\\"items\\":[{\\"menuId\\":1,\\"description\\":\\"Veggie\\",\\"price\\":0.05}]}","resBody":'
      '"{\\"message\\":\\"Failed to fulfill order at factory\\",\\"followLinkToEndChaos\\":\\"' + URL + '\\"}"}')
E2 = ('{"authorized":false,"path":"/api/auth","method":"PUT","statusCode":404,"reqBody":"{\\"email\\":\\"unknown@jwt.com\\",'
      '\\"password\\": \\"*****\\"}","resBody":"\\"{\\\\\\"message\\\\\\":\\\\\\"unknown user\\\\\\",\\\\\\"stack\\\\\\":'
      '\\\\\\"Error: unknown user\\\\\\\\n    at DB.getUser (/usr/src/app/database/database.js:64:15)\\\\\\"}\\""}')
E6 = ('{"service":"pizza-factory","url":"https://pizza-factory.cs329.click/api/order","requestBody":{"diner":{"id":3,'
      '"name": "**Hidden**","email": "**Hidden**"},"order":{"franchiseId":1,"storeId":1,"items":[{"menuId":1}],"id":412}},'
      '"responseBody":{"message":"chaos monkey","reportUrl":"' + URL + '"},"status":500}')
E8 = ('{"type":"factory_request","url":"https://pizza-factory.cs329.click/api/order","method":"POST","status":200,'
      '"success":true,"durationMs":32047.61,"requestBody":{"diner":{"id":3,"name":"pizza diner","email":"d***@j***.com"}},'
      '"responseBody":{"jwt":"[redacted]","reportUrl":"' + URL + '"},"ts":"2025-12-02T17:43:03.734Z"}')
E9 = ('{"timestamp":"2025-12-02T17:42:31.118Z","level":"info","event":"factory_request","payload":{"method":"POST",'
      '"url":"https://pizza-factory.cs329.click/api/order","statusCode":500,"latencyMs":83.4,"responseBody":'
      '{"message":"chaos monkey","reportUrl":"' + URL + '"}}}')
E10 = ('{"level":"factory","message":"factory_response","status":500,"body":{"message":"chaos monkey","reportUrl":"'
       + URL + '"},"latency":91}')
E11 = ('{"method":"POST","path":"/api/order","authHeader":"Bearer *****","status":500,"resBody":"{\\"message\\":'
       '\\"Failed to fulfill order at factory\\",\\"reportUrl\\":\\"https://cs329.cs.byu.edu/api/report?apiKey='
       + KEY + '&fixCode=9c1e4b7a2d0f4e6b8a3c5d7e9f1a2b3c\\"}","ip":"::ffff:172.31.9.14"}')
E13 = ('{"level":"warn","message":"Received error response from factory","status":500,"response":{"message":'
       '"chaos monkey","reportUrl":"' + URL + '"}}')
E15 = ('{"authorized":true,"path":"/","method":"POST","statusCode":500,"reqBody":"{\\"franchiseId\\":1,\\"storeId\\":1,'
       '\\"items\\":[{\\"menuId\\":1}]}","resBody":"[object Object]"}')
E16 = ('{"request":{"diner":{"id":3,"name":"pizza diner","email":"*****"},"order":{"id":412}},"response":{}}')
E17 = ('{"authorized":true,"path":"/api/order","method":"POST","statusCode":500,"reqBody":"{}","resBody":"\\"{\\\\\\"message'
       '\\\\\\":\\\\\\"Chaos monkey\\\\\\",\\\\\\"stack\\\\\\":\\\\\\"Error: Chaos monkey\\\\\\\\n    at /usr/src/app/routes/'
       'orderRouter.js:61:11\\\\\\"}\\""}')
E18 = ('{"method":"GET","url":"' + URL + '","statusCode":200,"responseBody":{"message":"Problem resolved. Pizza is back '
       'on the menu!"}}')


def test_single_encoded_body_gives_message_and_link():
    d = decode_line(E1, PACK)
    assert (d.method, d.endpoint, d.status) == ("POST", "/api/order", 500)
    assert d.message == "Failed to fulfill order at factory"
    assert (d.link, d.link_key) == (URL, "followLinkToEndChaos")


def test_triple_encoded_body_is_decoded_to_the_message():
    d = decode_line(E2, PACK)
    assert (d.status, d.message, d.link) == (404, "unknown user", None)


def test_factory_line_with_object_bodies():
    d = decode_line(E6, PACK)
    assert (d.status, d.message, d.link_key) == (500, "chaos monkey", "reportUrl")
    assert d.dependency == "https://pizza-factory.cs329.click/api/order"
    assert d.category == "factory"


def test_latency_field_in_ms_and_category_inside_the_line():
    d = decode_line(E8, PACK)
    assert d.latency_ms == pytest.approx(32047.61)
    assert d.category == "factory" and d.link == URL


def test_nested_payload_is_read():
    d = decode_line(E9, PACK)
    assert (d.status, d.message, d.latency_ms, d.category) == (500, "chaos monkey", 83.4, "factory")


def test_category_in_the_level_field():
    d = decode_line(E10, PACK)
    assert d.category == "factory" and d.status == 500 and d.link == URL


def test_status_key_and_autograder_url():
    d = decode_line(E11, PACK)
    assert d.status == 500 and d.link_key == "reportUrl"
    assert d.link.endswith("fixCode=9c1e4b7a2d0f4e6b8a3c5d7e9f1a2b3c")


def test_winston_response_object():
    d = decode_line(E13, PACK)
    assert (d.status, d.message, d.link) == (500, "chaos monkey", URL)


def test_object_object_body_is_marked_lost_and_path_slash_is_the_order_endpoint():
    d = decode_line(E15, PACK)
    assert d.body_lost and d.link is None and d.urls == []
    assert d.endpoint == "/api/order"


def test_empty_factory_response_is_marked_lost():
    assert decode_line(E16, PACK).body_lost


def test_service_chaos_switch_message():
    d = decode_line(E17, PACK)
    assert (d.status, d.message, d.link) == (500, "Chaos monkey", None)


def test_support_get_is_a_resolution():
    d = decode_line(E18, PACK)
    assert d.resolution and "Problem resolved" in d.resolution


def test_sql_string_line_is_a_db_line():
    assert decode_line('"INSERT INTO dinerOrder (dinerId) VALUES (?)"', PACK).category == "db"


def test_logfmt_line():
    d = decode_line('level=error msg="payment timeout" status=504 method=POST path=/api/pay', PACK)
    assert (d.status, d.message, d.endpoint) == (504, "payment timeout", "/api/pay")


def test_deep_decode_stops_at_plain_text():
    assert deep_decode('"\\"{\\\\\\"a\\\\\\":1}\\""') == {"a": 1}
    assert deep_decode("[object Object]") == "[object Object]"


@pytest.mark.parametrize(
    "raw",
    [f'\\"{URL}\\"', f"{URL}\\", f'"{URL}"}}', f"({URL}).", f'\\\\\\"{URL}\\\\\\"'],
    ids=["escaped-quotes", "trailing-backslash", "quote-brace", "parenthesis-period", "double-escaped"],
)
def test_urls_lose_escaping_debris(raw):
    assert find_urls(f"see {raw} now") == [URL]


def test_clean_url_strips_trailing_punctuation():
    assert clean_url(URL + ".,;") == URL


def test_label_values_are_lower_cased_as_arrows_unicode_kernel_does():
    for values in (["HTTP", "db", None], ["ÄRGER", "Db", "\u212a"], []):
        column = pa.array(values, pa.string())
        assert _lower(column).equals(pc.utf8_lower(column)), values
