"""rca's regexes, compiled once, are kept for later runs (rca.compiled, in the user's cache
folder): the findings are the same with or without them, a kept pattern finds what a fresh
compile finds, and a cache that is not the user's own or is damaged is not read."""

from __future__ import annotations

import os
import pickle
import stat

import regex

FIXTURE = "fixtures/chaos-fail/logcli.jsonl"


def _kept_file(home: os.PathLike) -> str:
    folder = os.path.join(home, "rca", "regex")
    (name,) = [n for n in os.listdir(folder) if n.startswith("patterns-")]
    return os.path.join(folder, name)


def _analysis(rca, home: os.PathLike, source: str = FIXTURE) -> str:
    run = rca("analyze", source, "-f", "md", env={"XDG_CACHE_HOME": str(home)})
    assert run.code == 0, run.stderr
    return run.stdout


def test_a_report_from_the_kept_regexes_is_the_same(rca, tmp_path):
    first = _analysis(rca, tmp_path)
    assert os.path.getsize(_kept_file(tmp_path)) > 0
    assert _analysis(rca, tmp_path) == first


def _texts() -> list[str]:
    lines = []
    for name in ("logcli.jsonl", "plain.log", "pino.ndjson", "logcli.txt"):
        with open(os.path.join("fixtures/chaos-fail", name), encoding="utf-8") as fh:
            lines += fh.read().splitlines()[:200]
    return lines + ["password=hunter22 token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig https://a.b/c?api_key=k1 "
                    "AKIAABCDEFGHIJKLMNOP 10.0.0.1:80 2024-01-01T10:00:00.123Z 12ms /api/order/123 \x1b[31m"]


def test_a_kept_pattern_finds_what_a_fresh_compile_finds(rca, tmp_path):
    _analysis(rca, tmp_path)
    with open(_kept_file(tmp_path), "rb") as fh:
        kept = pickle.load(fh)
    assert len(kept) > 50
    texts = _texts()
    for (pattern, flags, _), compiled in kept.items():
        fresh = regex.compile(pattern, flags)
        assert (compiled.pattern, compiled.flags, compiled.groupindex) == (fresh.pattern, fresh.flags, fresh.groupindex)
        for text in texts:
            text = text.encode() if isinstance(pattern, bytes) else text
            assert [m.regs for m in compiled.finditer(text)] == [m.regs for m in fresh.finditer(text)], pattern


def test_the_cache_is_readable_by_its_owner_only(rca, tmp_path):
    _analysis(rca, tmp_path)
    assert stat.S_IMODE(os.stat(os.path.dirname(_kept_file(tmp_path))).st_mode) == 0o700


class _Planted:
    """A pickle that, if loaded, leaves a file behind."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, "w")


def _plant(path: str, marker: str) -> None:
    with open(path, "wb") as fh:
        pickle.dump({("x", 0, 0): _Planted(marker)}, fh)


def test_a_cache_others_can_write_to_is_never_loaded(rca, tmp_path):
    first = _analysis(rca, tmp_path)
    kept = _kept_file(tmp_path)
    for writable, mode in ((kept, 0o666), (os.path.dirname(kept), 0o777)):
        marker = str(tmp_path / f"loaded-{oct(mode)}")
        _plant(kept, marker)
        os.chmod(kept, 0o600)
        os.chmod(writable, mode)
        assert _analysis(rca, tmp_path) == first
        assert not os.path.exists(marker)
        os.chmod(writable, 0o700 if writable != kept else 0o600)


def test_a_damaged_cache_changes_nothing(rca, tmp_path):
    first = _analysis(rca, tmp_path)
    with open(_kept_file(tmp_path), "wb") as fh:
        fh.write(b"\x80\x05not a pickle")
    assert _analysis(rca, tmp_path) == first
    assert _analysis(rca, tmp_path) == first


def test_nothing_from_the_logs_is_kept(rca, tmp_path):
    export = tmp_path / "export.log"
    export.write_text("".join(f"2024-01-01T10:00:{s:02d}Z ERROR payment zebra-quartz-7781 failed for user{s}\n"
                              for s in range(40)))
    _analysis(rca, tmp_path / "cache", str(export))
    for folder, _, names in os.walk(tmp_path / "cache"):
        for name in names:
            with open(os.path.join(folder, name), "rb") as fh:
                assert b"zebra-quartz" not in fh.read(), name
