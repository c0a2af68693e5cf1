"""The `rca` command line: a thin layer over the library (`rca.ingest`, `rca.analysis`, `rca.report`).

Exit codes: 0 ok, 1 internal error, 2 usage or unusable input.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import orjson
import typer
from loguru import logger

from rca import __version__
from rca.errors import EXIT_INTERNAL, InputErrors, RcaError
from rca.analysis import analyze as run_analysis
from rca.formats import FORMATS
from rca.knowledge import default_pack, load_pack
from rca.report import findings_json, markdown, terminal, zone

EPILOG = "Exit codes: 0 ok, 1 internal error, 2 usage error or unusable input."

app = typer.Typer(
    name="rca",
    help="Root-cause assistant for Loki / Grafana / JSON log exports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    epilog=EPILOG,
)


class OutputFormat(str, Enum):
    text = "text"
    md = "md"
    json = "json"


def _configure_logging(debug: bool) -> None:
    logger.remove()
    logger.enable("rca")
    logger.add(sys.stderr, level="DEBUG" if debug else "WARNING", diagnose=False,
               backtrace=debug, format=lambda record: "rca: " + record["level"].name.lower() + ": {message}\n")


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    tmp = output.with_name(f".{output.name}.rca-tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, output)


@app.command(epilog=EPILOG)
def analyze(
    inputs: Annotated[list[str], typer.Argument(help="Export files, folders of part files, or - for stdin.", show_default=False)],
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="text (terminal summary), md (report sections) or json (rca.findings/1).")] = OutputFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    input_format: Annotated[str | None, typer.Option("--input-format", help="Force an input format (see 'rca formats').")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="Show local times in this IANA zone beside UTC, e.g. America/Denver.")] = None,
    reveal_secrets: Annotated[bool, typer.Option("--reveal-secrets", help="Do not mask API keys, JWTs, tokens and passwords in md/json output.")] = False,
    pack: Annotated[Path | None, typer.Option("--pack", help="A knowledge pack JSON to use instead of the built-in JWT Pizza one.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show diagnostics and tracebacks.")] = False,
) -> None:
    """Find incidents in log exports: signatures, windows, ranked root causes, report sections."""
    _configure_logging(debug)
    local = zone(tz)
    knowledge = load_pack(pack) if pack else default_pack()
    findings = run_analysis(inputs, input_format=input_format, pack=knowledge)
    for s in findings.ingested.inputs:
        for w in s.warnings:
            logger.warning("{}: {}", s.path, w)
    if fmt is OutputFormat.json:
        text = orjson.dumps(findings_json(findings, reveal=reveal_secrets), option=orjson.OPT_INDENT_2).decode() + "\n"
    elif fmt is OutputFormat.md:
        text = markdown(findings, local, reveal=reveal_secrets)
    else:
        text = terminal(findings, local)
    _write(text, output)


class PatternFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"


@app.command(epilog=EPILOG)
def patterns(
    inputs: Annotated[list[str], typer.Argument(help="Exports or plain text files (one message per line), or -.", show_default=False)],
    fmt: Annotated[PatternFormat, typer.Option("--format", "-f", help="text (top templates), json, or csv (one row per input line).")] = PatternFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    field: Annotated[str | None, typer.Option("--field", help="Template this JSON field of each line (dotted path) instead of its message.")] = None,
    min_count: Annotated[int, typer.Option("--min-count", min=1, help="Leave out templates seen fewer times (text and json).")] = 1,
    input_format: Annotated[str | None, typer.Option("--input-format", help="Force an input format (see 'rca formats').")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show diagnostics and tracebacks.")] = False,
) -> None:
    """Mine log templates: variables become <*>, each template with a stable id."""
    from rca.ingest import ingest
    from rca.patterns import patterns_of
    from rca.patterns_output import as_csv, as_json, as_text

    _configure_logging(debug)
    ingested = ingest(inputs, input_format=input_format)
    for s in ingested.inputs:
        for w in s.warnings:
            logger.warning("{}: {}", s.path, w)
    report = patterns_of(ingested.table, field)
    if fmt is PatternFormat.csv:
        text = as_csv(report, ingested.table)
    elif fmt is PatternFormat.json:
        text = as_json(report, min_count)
    else:
        text = as_text(report, min_count)
    _write(text, output)


@app.command()
def formats() -> None:
    """List the export formats rca reads."""
    width = max(len(n) for n in FORMATS)
    for f in FORMATS.values():
        typer.echo(f"{f.name.ljust(width)}  {f.description}")


@app.command()
def version() -> None:
    """Print rca's version."""
    typer.echo(__version__)


def main() -> None:
    """Console entry point: one-line errors and documented exit codes, never a traceback
    unless --debug."""
    debug = "--debug" in sys.argv or os.environ.get("RCA_DEBUG") == "1"
    try:
        app(standalone_mode=False)
    except RcaError as exc:
        errors = exc.errors if isinstance(exc, InputErrors) else [exc]
        for e in errors:
            sys.stderr.write(f"rca: error: {e}\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("rca: interrupted\n")
        sys.exit(130)
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if _is_usage_error(exc):
            message = _usage_message(exc)
            if message:
                sys.stderr.write(f"rca: error: {message}\n")
            sys.exit(2)
        if debug:
            raise
        sys.stderr.write(f"rca: internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)\n")
        sys.exit(EXIT_INTERNAL)


def _is_usage_error(exc: BaseException) -> bool:
    return type(exc).__name__ in {"UsageError", "BadParameter", "NoSuchOption", "MissingParameter",
                                  "BadOptionUsage", "BadArgumentUsage", "NoArgsIsHelpError"}


def _usage_message(exc: BaseException) -> str:
    fmt = getattr(exc, "format_message", None)
    return fmt() if callable(fmt) else str(exc)
