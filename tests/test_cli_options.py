"""rca's options parse to exactly what typer's own (pydantic) coercion gives, values and
refusals alike (rca parses plain values itself so as not to import pydantic: tests/test_startup.py)."""

import pytest
import typer.main
from typer._click import Context
from typer._coercion import build_runtime_param

from rca import cli

ROOT_COMMAND = typer.main.get_command(cli.app)
COMMANDS = {"rca": ROOT_COMMAND, **ROOT_COMMAND.commands}
SAMPLES = ["json", "text", "JSON", "md ", "5", "0", "1", "007", "-1", "+2", "1_000", " 4", "٣", "", "x",
           ".", "fixtures/chaos-fail/plain.log", "fixtures", "/nonexistent/x.json", "-", 3, 0, True,
           ("a", "5"), ("fixtures",), (), ["1", "x"]]


def _outcome(coerce, value, param, ctx):
    try:
        got = coerce(value, param=param, ctx=ctx)
    except Exception as exc:  # noqa: BLE001 - the refusal itself is compared
        return ("refused", type(exc).__name__, str(exc))
    return ("value", type(got).__name__, got)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_parses_every_sample_as_typer_would(name):
    command = COMMANDS[name]
    ctx = Context(command)
    for param in command.get_params(ctx):
        if not hasattr(param, "type_descriptor"):
            continue
        typer_own = build_runtime_param(param.type_descriptor)
        for value in SAMPLES:
            expected = _outcome(typer_own.coerce, value, param, ctx)
            assert _outcome(param.get_runtime_param().coerce, value, param, ctx) == expected, (param.name, value)

