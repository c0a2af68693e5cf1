"""The committed fixtures are exactly what the generator writes, so they stay reproducible."""

from __future__ import annotations

from fixtures import generate


def test_committed_fixtures_match_the_generator(tmp_path):
    written = generate.write_all(tmp_path)
    for path in written:
        committed = generate.FIXTURES / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), f"{committed} is stale: run python -m fixtures.generate"


def test_simulated_traffic_has_the_course_script_cadence(events):
    http = [e for e in events if e.labels["type"] == "http"]
    menu = [e for e in http if '"/api/order/menu"' in e.line]
    bad_logins = [e for e in http if '"statusCode":404' in e.line]
    assert 230 <= len(menu) <= 245  # every 3 s for 12 minutes
    assert 27 <= len(bad_logins) <= 30  # every 25 s


def test_chaos_window_orders_carry_the_fix_link(events):
    failing = [e for e in events if "followLinkToEndChaos" in e.line]
    assert failing
    start = events[0].ts_ns
    assert all(5 * 60 <= (e.ts_ns - start) / 1e9 <= 9 * 60 + 1 for e in failing)
