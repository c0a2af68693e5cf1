"""What rca imports or compiles only when first used behaves as the eager thing would."""

import pickle
import subprocess
import sys

import regex

from rca.lazy import LazyRegex

PATTERN = r"(?P<key>[a-z_]+)=(?P<value>\d+)"
TEXT = "retry=3 status=500 Latency=12"


def test_a_lazy_pattern_finds_and_replaces_what_the_compiled_one_does():
    lazy, compiled = LazyRegex(PATTERN, regex.IGNORECASE), regex.compile(PATTERN, regex.IGNORECASE)
    assert [m.groupdict() for m in lazy.finditer(TEXT)] == [m.groupdict() for m in compiled.finditer(TEXT)]
    assert lazy.sub(r"\g<key>=<*>", TEXT) == compiled.sub(r"\g<key>=<*>", TEXT)
    assert (lazy.pattern, lazy.flags, lazy.groupindex) == (compiled.pattern, compiled.flags, compiled.groupindex)


def test_a_lazy_pattern_pickles_before_and_after_first_use():
    unused, used = LazyRegex(rb"a+"), LazyRegex(rb"a+")
    used.search(b"caab")
    for pattern in (unused, used):
        assert pickle.loads(pickle.dumps(pattern)).findall(b"caab aaa") == [b"aa", b"aaa"]


def _stderr_of_library_run(enable: bool, loguru_first: bool = False) -> str:
    imports = ["import rca.findings.pipeline as p", "from loguru import logger"]
    code = ("\n".join(reversed(imports) if loguru_first else imports) + "\n"
            + ("logger.enable('rca')\n" if enable else "")
            + "p.analyze(['fixtures/chaos-fail/plain.log'])\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stderr


def test_as_a_library_rca_logs_nothing_unless_the_caller_enables_it():
    assert _stderr_of_library_run(enable=False) == ""
    assert "detected text" in _stderr_of_library_run(enable=True)


def test_a_caller_that_loaded_loguru_before_rca_hears_from_rca_only_when_it_enables_it():
    assert _stderr_of_library_run(enable=False, loguru_first=True) == ""
    assert "detected text" in _stderr_of_library_run(enable=True, loguru_first=True)


def _patterns_in(value) -> list:
    if isinstance(value, LazyRegex):
        return [value]
    if isinstance(value, tuple | list):
        return [p for v in value for p in _patterns_in(v)]
    if hasattr(value, "__dataclass_fields__"):
        return [p for name in value.__dataclass_fields__ for p in _patterns_in(getattr(value, name))]
    return []


def test_every_pattern_of_the_shipped_pack_compiles():
    from rca.knowledge.pack import default_pack

    patterns = _patterns_in(default_pack())
    assert len(patterns) > 20
    for pattern in patterns:
        assert isinstance(pattern.search, type(regex.compile("x").search))
