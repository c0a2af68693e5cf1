"""The `rca` command line: a thin layer over the library (`rca.inputs.exports`, `rca.findings.pipeline`, `rca.outputs.report`).

Exit codes: 0 ok, 1 internal error, 2 usage or unusable input, 3 attach kept a person's edit,
4 attach partly failed, 130 interrupted.

No `from __future__ import annotations` here: typer reads the options from the commands'
annotations, and given strings it evaluates every one of them twice per run (~40 ms).
"""

import gc
import os
import sys
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

import typer
from typer._coercion import RuntimeParam, build_runtime_param
from typer.core import TyperCommand, TyperGroup

import rca
from rca import __version__
from rca.errors import EXIT_INTERNAL, InputErrors, RcaError, UsageError
from rca.lazy import compute_wrappers_without_help, logger, numpy_without_docstrings
from rca.outputs.files import write_atomically

EPILOG = "Exit codes: 0 ok, 1 internal error, 2 usage error or unusable input, 130 interrupted."
ATTACH_EPILOG = ("Exit codes: 0 every target attached, 1 error, 2 usage error or unusable input, "
                 "3 a person's edit was kept (rerun with --force to replace it), "
                 "4 some targets were attached and others were not, 130 interrupted.")
APP_EPILOG = ("Exit codes: 0 ok, 1 internal error, 2 usage error or unusable input, "
              "3 (attach) a person's edit was kept, 4 (attach) some targets attached and others not, "
              "130 interrupted.")


_VALUE_NAMES = {"path": "PATH", "str": "TEXT", "int": "N", "float": "NUMBER"}


def _plain_type(param: Any) -> None:
    """Show a value's name (PATH, TEXT, N, or the choices) in help, never a Python type
    such as <bool> or <list[str]>; flags, counts and arguments show none."""
    if getattr(param, "param_type_name", "") == "argument" or getattr(param, "is_flag", False) \
            or getattr(param, "count", False):
        param.display_type_rich = param.display_type = lambda ctx: None
        return
    if param.metavar:
        return
    typed = type(param).display_type

    def shown(ctx: Any) -> str:
        name = typed(param, ctx).strip("<>")
        return _VALUE_NAMES.get(name, name if "|" in name else "TEXT")

    param.display_type_rich = param.display_type = shown


_UNSURE = object()


def _plain_value(annotation: Any, info: Any, value: Any, ctx: Any) -> Any:
    """`value` as typer's pydantic adapter would give it, for the plain values rca's options
    take (text, a whole number, a choice, a path, lists of them); _UNSURE for anything else,
    including every value the adapter would refuse, so its message stays the one shown."""
    if get_origin(annotation) is list and isinstance(value, list | tuple):
        (item,) = get_args(annotation)
        items = [_plain_value(item, info, v, ctx) for v in value]
        return _UNSURE if any(i is _UNSURE for i in items) else items
    if annotation is str and type(value) is str:
        return value
    if annotation is int and type(value) is int and info.min is None and info.max is None:
        return value
    if annotation is int and type(value) is str and value.isascii() and value.isdigit() \
            and (value == "0" or value[0] != "0") and not info.clamp:
        number = int(value)
        low_ok = info.min is None or number >= info.min
        return number if low_ok and (info.max is None or number <= info.max) else _UNSURE
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        if isinstance(value, annotation):
            return value
        if type(value) is str and info.case_sensitive and getattr(ctx, "token_normalize_func", None) is None:
            return next((m for m in annotation if str(m.value) == value), _UNSURE)
    if annotation is Path and type(value) is str and value and _plain_path_checks(info):
        path = Path(value)
        try:
            os.stat(path)
        except OSError:
            return path
        return path if os.access(path, os.R_OK) else _UNSURE
    return _UNSURE


def _plain_path_checks(info: Any) -> bool:
    """A path option with typer's default checks only (it must be readable if it exists)."""
    return (not info.exists and info.file_okay and info.dir_okay and info.readable and not info.writable
            and not info.resolve_path and not info.allow_dash and info.path_type is None and info.parser is None)


@dataclass(frozen=True)
class _PlainCoercion(RuntimeParam):
    """typer's coercion without pydantic for plain values: typer builds a pydantic adapter
    per option (importing pydantic costs a sixth of a small analysis); any other value goes
    to that adapter, built then."""

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        plain = _plain_value(self.annotation, self.parameter_info, value, ctx)
        if plain is not _UNSURE:
            return plain
        return build_runtime_param(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx)


class _PlainHelp:
    """Mixin for typer's command classes: plain value names in help (see _plain_type), plain
    values parsed without pydantic (see _PlainCoercion)."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for p in params:
            _plain_type(p)
            if getattr(p, "_runtime_param", False) is None:
                p._runtime_param = _PlainCoercion(parameter_info=p.type_descriptor.parameter_info,
                                                  annotation=p.type_descriptor.annotation)
        return params


class _Command(_PlainHelp, TyperCommand):
    pass


class _Group(_PlainHelp, TyperGroup):
    pass


app = typer.Typer(
    name="rca",
    help="Root-cause assistant for Loki / Grafana / JSON log exports.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    # Click's plain help: rich's help renderer (rich.markdown, markdown_it) cost more than the
    # rest of `rca --help`.
    rich_markup_mode=None,
    epilog=APP_EPILOG,
    cls=_Group,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"rca {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_show_version,
                                          help="Print rca's version and exit.")] = False,
) -> None:
    """Root-cause assistant for Loki / Grafana / JSON log exports."""


# Options every command takes: how much rca says on stderr, and whether it uses colour.
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr: no warnings, no progress.")]
Verbose = Annotated[int, typer.Option("--verbose", "-v", count=True, show_default=False, help="Say more on stderr: -v steps, -vv diagnostics.")]
NoColor = Annotated[bool, typer.Option("--no-color", help="No colour (also NO_COLOR=1, and whenever output is not a terminal).")]
Debug = Annotated[bool, typer.Option("--debug", help="Show diagnostics and tracebacks.")]


def _seconds(duration: str | None) -> float | None:
    """A --deadline in seconds, checked before any work starts."""
    from rca.integrations.pull import parse_duration_ns

    return parse_duration_ns(duration) / 1e9 if duration else None


Limit = Annotated[list[str] | None, typer.Option(
    "--input-limit", metavar="NAME=VALUE",
    help="Raise a safety limit: input-size=2G (decompressed or streamed bytes per input), ratio=200 "
         "(decompression ratio), line-length=256K (longer lines are cut), read-timeout=60 (seconds a pipe may "
         "stay silent; 0 waits forever). Repeatable.", show_default=False)]


def _limits(settings: list[str] | None) -> None:
    from rca.inputs.limits import apply

    apply(settings)


class OutputFormat(str, Enum):
    text = "text"
    md = "md"
    json = "json"
    html = "html"


def _for_stderr(message: object) -> str:
    """A message for stderr: secrets masked, on one line, no terminal control sequences."""
    from rca.outputs.escape import term_text
    from rca.table.redact import redact

    return term_text(redact(str(message)))


SETTINGS = {"quiet": False, "no_color": False}
PROGRESS_AFTER = 0.5  # seconds of work before a progress bar is drawn


def _configure_logging(debug: bool, quiet: bool = False, verbose: int = 0, no_color: bool = False) -> None:
    """stderr says warnings by default, errors only with -q, steps with -v, everything with -vv or --debug.

    Every command calls this once it has imported what it needs, so this is also where the
    cyclic garbage collector, paused by `main` meanwhile, starts: what the imports made lives
    as long as the process, and each collection during them walked it all again (~35 ms of
    a small analysis). It is frozen (never walked again) and collection resumes."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
    SETTINGS.update(quiet=quiet, no_color=no_color)
    rca.diagnostics_enabled = True
    level = "DEBUG" if debug or verbose >= 2 else "INFO" if verbose == 1 else "ERROR" if quiet else "WARNING"
    stream = sys.stderr

    def setup(real: Any) -> None:
        real.remove()
        real.enable("rca")
        real.add(stream, level=level, diagnose=False, backtrace=debug,
                 format=lambda record: "rca: " + record["level"].name.lower() + ": {extra[safe]}\n",
                 filter=lambda record: record["extra"].update(safe=_for_stderr(record["message"])) or True)

    logger.configure(level, setup)


def _stderr_console() -> Any:
    from rca.outputs.console import make_console

    return make_console(sys.stderr, no_color=SETTINGS["no_color"])


@contextmanager
def _progress() -> Iterator[None]:
    """The phase and the bytes read, on stderr while the block runs: on a terminal, unless
    --quiet or no colour is wanted (a live bar is cursor escapes); nothing at all otherwise.
    The bar appears once the block has run `PROGRESS_AFTER` seconds (rca.outputs.progress_bar)."""
    from rca.inputs.progress import listening
    from rca.outputs.console import wants_colour

    # Decided before building a console: rich is not imported for a run that shows no bar.
    if SETTINGS["quiet"] or not wants_colour(sys.stderr, SETTINGS["no_color"]):
        yield
        return
    from rca.outputs.progress_bar import late_bar

    with late_bar(_stderr_console, PROGRESS_AFTER) as bar, listening(bar.show):
        yield


def _empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return False


def _stamp(ns: int) -> str:
    from rca.inputs.timestamps import format_rfc3339_ms

    return format_rfc3339_ms(ns)


def _say(message: str) -> None:
    """A progress note on stderr, unless --quiet."""
    if not SETTINGS["quiet"]:
        sys.stderr.write(f"rca: {_for_stderr(message)}\n")


def _write_bytes(data: bytes | Iterable[bytes], output: Path) -> None:
    try:
        write_atomically(output, data)
    except OSError as exc:
        raise RcaError(f"{output}: cannot write ({exc.strerror or exc})") from None


def _write_chunks(chunks: Iterable[str], output: Path | None) -> None:
    """Stream text chunks to stdout or (atomically) to a file, never holding all of them."""
    if output is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
        return
    _write_bytes((c.encode("utf-8") for c in chunks), output)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    _write_bytes(text.encode("utf-8"), output)


@app.command(epilog=EPILOG, cls=_Command)
def analyze(
    inputs: Annotated[list[str] | None, typer.Argument(help="Export files, folders of part files, or - for stdin.", show_default=False)] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="text (terminal summary), md (report sections), json (rca.findings/1) or html (one page with the chart).")] = OutputFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    input_format: Annotated[str | None, typer.Option("--input-format", help="Force an input format (see 'rca formats').")] = None,
    tz: Annotated[str | None, typer.Option("--tz", metavar="ZONE", help="Show local times in this IANA zone beside UTC, e.g. America/Denver.")] = None,
    reveal_secrets: Annotated[bool, typer.Option("--reveal-secrets", help="Do not mask API keys, JWTs, tokens and passwords in md/json output.")] = False,
    pack: Annotated[Path | None, typer.Option("--pack", help="A knowledge pack JSON to use instead of the built-in JWT Pizza one.")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="Record the incidents in this history store and name earlier ones with the same cause.")] = None,
    grafana_url: Annotated[str | None, typer.Option("--grafana-url", metavar="URL", help="With --datasource: md/html/json link each incident window and signature to Grafana Explore.", rich_help_panel="Grafana")] = None,
    datasource: Annotated[str | None, typer.Option("--datasource", metavar="UID", help="The Loki datasource uid for Grafana Explore links.", rich_help_panel="Grafana")] = None,
    template: Annotated[Path | None, typer.Option("--template", metavar="FILE", help="Render the md report with this Jinja2 template instead of the built-in one (copy rca/outputs/templates/postmortem.md.j2).")] = None,
    chart: Annotated[Path | None, typer.Option("--chart", help="Also write the chart alone (.svg or .png); md output links it under Timeline.")] = None,
    loki: Annotated[str | None, typer.Option("--loki", help="Pull from this Loki instead of reading files.", rich_help_panel="Loki")] = None,
    query: Annotated[str | None, typer.Option("--query", help="LogQL log query for --loki.", rich_help_panel="Loki")] = None,
    since: Annotated[str | None, typer.Option("--since", help="How far back, e.g. 1h: from now with --loki, from the export's newest record on files.", rich_help_panel="Time window")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="Start time (RFC 3339 or epoch): what --loki pulls, or where the analysis of files starts.", rich_help_panel="Time window")] = None,
    to: Annotated[str | None, typer.Option("--to", help="End time, exclusive: with --loki default now; on files the analysis stops there.", rich_help_panel="Time window")] = None,
    token_file: Annotated[Path | None, typer.Option("--token-file", help="With --loki: bearer token file.", rich_help_panel="Loki")] = None,
    org_id: Annotated[str | None, typer.Option("--org-id", help="With --loki: X-Scope-OrgID.", rich_help_panel="Loki")] = None,
    keep_pull: Annotated[Path | None, typer.Option("--keep-pull", metavar="FILE", help="With --loki: keep the pulled lines in this file (else the temporary pull is removed when done).", rich_help_panel="Loki")] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", metavar="DURATION", help="With --loki: give up when the pull takes longer than this, e.g. 10m.", rich_help_panel="Loki", show_default=False)] = None,
    engine: Annotated[str, typer.Option("--engine", help="local, or dask: line-oriented exports (logcli JSONL, NDJSON, text; plain, gz, zst) read by Dask workers, plain files in byte ranges.")] = "local",
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="With --engine dask: the scheduler address; without it a local cluster is started.")] = None,
    quiet: Quiet = False,
    verbose: Verbose = 0,
    no_color: NoColor = False,
    limit: Limit = None,
    debug: Debug = False,
) -> None:
    """Find incidents in log exports: signatures, windows, ranked root causes, report sections."""
    # The analysis stack (pyarrow, numpy) loads here, not at import: `rca --help` stays fast.
    from rca.findings.pipeline import analyze as run_analysis
    from rca.knowledge.pack import default_pack, load_pack
    from rca.inputs.meanwhile import meanwhile
    from rca.outputs.report import findings_json, markdown, zone

    _configure_logging(debug, quiet, verbose, no_color)
    _limits(limit)
    scratch: Path | None = None
    if deadline and not loki:
        raise UsageError("--deadline bounds the --loki pull; without --loki rca talks to no server")
    if loki:
        import tempfile

        if not query:
            raise UsageError("--loki needs --query")
        start, end = _window(since, from_, to)
        # The pull may hold secrets (tokens in URLs, JWTs): a scratch copy goes once analysed.
        scratch = None if keep_pull else Path(tempfile.mkdtemp(prefix="rca-pull-"))
        pulled = keep_pull or scratch / "loki.jsonl"  # type: ignore[operator]
        inputs = [*(inputs or []), str(pulled)]
    try:
        if loki:
            _pull_to(loki, query or "", start, end, pulled, 5000, False, token_file, org_id, deadline)
            if _empty(pulled):  # nothing came back: say so, rather than name the scratch file
                inputs.remove(str(pulled))
                if not inputs:
                    raise RcaError(f"Loki returned no lines for this query from {_stamp(start)} to {_stamp(end)}: "
                                   "nothing to analyse (check the query and the time range)")
        if not inputs:
            raise UsageError("give export files (or - for stdin), or --loki URL --query LOGQL")
        local = zone(tz)
        explore = None
        if grafana_url or datasource:  # the link builder loads only when links are asked for
            from rca.outputs.explore import Explore

            explore = Explore.from_options(grafana_url, datasource)
        knowledge = load_pack(pack) if pack else default_pack()
        with _progress(), meanwhile(lambda: _ready_to_write(fmt)):
            if not loki and (since or from_ or to):  # on files the window clips the analysis
                if engine != "local":
                    raise UsageError("--engine dask analyses the whole export; --from/--to/--since on files need the local engine")
                findings = run_analysis(_clipped(inputs, input_format, since, from_, to), pack=knowledge)
            else:
                findings = _analysis(inputs, input_format, knowledge, engine, scheduler, identity=store is not None)
        logger.info("read {} records from {} input(s): {} signatures, {} incident(s)", findings.ingested.records,
                    len(findings.ingested.inputs), len(findings.clusters), len(findings.incidents))
        if store is not None:
            from rca.history.batch import remember

            remember(findings, inputs, store)
        for s in findings.ingested.inputs:
            for w in s.warnings:
                logger.warning("{}: {}", s.path, w)
        from rca.findings.redacted import shown

        public = shown(findings, reveal_secrets)  # the one redaction pass every output below renders
        chart_link = None
        if chart is not None:
            from rca.outputs.chart import render as render_chart
            kind = chart.suffix.lower().lstrip(".")
            if kind not in ("svg", "png"):
                raise UsageError(f"--chart {chart}: the chart is written as .svg or .png")
            _write_bytes(render_chart(public, kind, local), chart)
            chart_link = os.path.relpath(chart, output.parent if output else Path.cwd())
        if fmt is OutputFormat.json:
            from rca.outputs.escape import json_document

            text = json_document(findings_json(public, reveal=reveal_secrets, explore=explore))
        elif fmt is OutputFormat.html:
            from rca.outputs.html import page

            text = page(public, local, reveal=reveal_secrets, explore=explore)
        elif fmt is OutputFormat.md:
            text = markdown(public, local, reveal=reveal_secrets, chart=chart_link, template=template, explore=explore)
        else:
            from rca.outputs.console import wants_colour, width_for
            from rca.outputs.terminal import terminal

            stream = sys.stdout if output is None else open(os.devnull, "w")  # noqa: SIM115 - a file gets no colour
            # Masked either way; from the unredacted findings the terminal can tell which links it masked.
            text = terminal(findings, local,
                            width=width_for(stream) if output is None else 100,
                            colour=output is None and wants_colour(stream, no_color), reveal=reveal_secrets,
                            public=public)
        _write(text, output)
    finally:
        if scratch is not None:
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)


def _ready_to_write(fmt: OutputFormat) -> None:
    """What writing the findings as `fmt` loads first (its modules: ~0.01-0.05 s), loaded
    while a large export's ranges are read on other threads (`rca.inputs.meanwhile`) rather
    than after them, when nothing else can run. A team's own template (`--template`) is read
    when rendered, where its errors are told."""
    import rca.findings.redacted  # noqa: F401 - the redaction pass every output renders

    if fmt in (OutputFormat.json, OutputFormat.md):
        import rca.outputs.builtin_template  # noqa: F401
        import rca.outputs.postmortem  # noqa: F401
    elif fmt is OutputFormat.text:
        import rca.outputs.terminal  # noqa: F401


def _analysis(inputs: list[str], input_format: str | None, knowledge, engine: str, scheduler: str | None,
              identity: bool = True):
    from rca.findings.pipeline import analyze as run_analysis

    if engine == "local":
        if scheduler:
            raise UsageError("--scheduler needs --engine dask")
        return run_analysis(inputs, input_format=input_format, pack=knowledge, identity=identity)
    if engine != "dask":
        raise UsageError(f"unknown engine {engine!r}: use local or dask")
    from rca.findings.stream import dask_client, dask_mapper
    from rca.inputs.parts import streamed_files

    if streamed_files(inputs, input_format) is None:
        raise UsageError("--engine dask reads line-oriented exports (logcli JSONL, NDJSON, text lines; plain, "
                         "gzip or zstd); read Loki API responses and Grafana downloads with the local engine, "
                         "and many separate exports with rca batch --engine dask")
    with dask_client(scheduler) as client:
        return run_analysis(inputs, input_format=input_format, pack=knowledge, mapper=dask_mapper(client),
                            identity=identity)


@app.command(epilog=EPILOG, cls=_Command)
def show(
    inputs: Annotated[list[str], typer.Argument(help="The export(s) analysed, or - for stdin.", show_default=False)],
    signature: Annotated[str | None, typer.Option("--signature", metavar="ID", help="The lines of this signature (sig-…, from analyze).")] = None,
    incident: Annotated[str | None, typer.Option("--incident", metavar="ID", help="Every line inside this incident's window (inc-…).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Show at most N lines (0: all).")] = 50,
    oldest_first: Annotated[bool, typer.Option("--oldest-first", help="Oldest line first (default: newest first, like logcli).")] = False,
    input_format: Annotated[str | None, typer.Option("--input-format", help="Force an input format (see 'rca formats').")] = None,
    pack: Annotated[Path | None, typer.Option("--pack", help="A knowledge pack JSON to use instead of the built-in one.")] = None,
    reveal_secrets: Annotated[bool, typer.Option("--reveal-secrets", help="Do not mask secrets in the lines.")] = False,
    quiet: Quiet = False,
    verbose: Verbose = 0,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Print the raw lines (redacted) behind a signature or an incident window."""
    from rca.findings.pipeline import analyze as run_analysis
    from rca.inputs.exports import ingest
    from rca.knowledge.pack import default_pack, load_pack
    from rca.outputs.drilldown import lines_text, rows_behind

    _configure_logging(debug, quiet, verbose, no_color)
    if (signature is None) == (incident is None):
        raise UsageError("give one of --signature ID or --incident ID")
    knowledge = load_pack(pack) if pack else default_pack()
    findings = run_analysis(ingest(inputs, input_format=input_format), pack=knowledge)
    rows, what = rows_behind(findings, signature, incident)
    text, total = lines_text(findings, rows, limit or None, oldest_first, reveal_secrets)
    order = "oldest" if oldest_first else "newest"
    _say(f"{what}: {total} lines, showing {min(total, limit) if limit else total}, {order} first")
    _write(text, None)


class PatternFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"


@app.command(epilog=EPILOG, cls=_Command)
def patterns(
    inputs: Annotated[list[str], typer.Argument(help="Exports or plain text files (one message per line), or -.", show_default=False)],
    fmt: Annotated[PatternFormat, typer.Option("--format", "-f", help="text (top templates), json, or csv (one row per input line).")] = PatternFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    field: Annotated[str | None, typer.Option("--field", help="Template this JSON field of each line (dotted path) instead of its message.")] = None,
    min_count: Annotated[int, typer.Option("--min-count", min=1, help="Leave out templates seen fewer times (text and json).")] = 1,
    top: Annotated[int, typer.Option("--top", min=1, help="Show this many templates in the text view.")] = 50,
    input_format: Annotated[str | None, typer.Option("--input-format", help="Force an input format (see 'rca formats').")] = None,
    reveal_secrets: Annotated[bool, typer.Option("--reveal-secrets", help="Do not mask API keys, JWTs, tokens and passwords in templates and examples.")] = False,
    quiet: Quiet = False,
    verbose: Verbose = 0,
    no_color: NoColor = False,
    limit: Limit = None,
    debug: Debug = False,
) -> None:
    """Mine log templates: variables become <*>, each template with a stable id."""
    from rca.inputs.exports import ingest
    from rca.table.patterns import patterns_of
    from rca.outputs.patterns_output import as_csv, as_json, as_text

    from rca.inputs import progress

    _configure_logging(debug, quiet, verbose, no_color)
    _limits(limit)
    with _progress():
        ingested = ingest(inputs, input_format=input_format, labels=False)
    for s in ingested.inputs:
        for w in s.warnings:
            logger.warning("{}: {}", s.path, w)
    # Handed over, not kept: patterns_of lets the lines go once it has their distinct values.
    # The CSV needs only each row's source and record.
    rows = ingested.table.select(["source", "record"])
    handed = [ingested.table.select(["ts_ns", "line"])]
    del ingested
    with _progress():
        progress.report("mining templates")
        report = patterns_of(handed.pop(), field)
    if field and report.missing_field == report.total:
        raise UsageError(f"no line has the field {field!r} (JSON lines, dotted path such as payload.msg)")
    if report.missing_field:
        logger.warning("{} of {} lines have no field {!r}; they are counted as '(field missing)'",
                       report.missing_field, report.total, field)
    if fmt is PatternFormat.csv:
        _write_chunks(as_csv(report, rows, reveal=reveal_secrets), output)
        return
    text = (as_json(report, min_count, reveal=reveal_secrets) if fmt is PatternFormat.json
            else as_text(report, min_count, top, reveal=reveal_secrets))
    _write(text, output)


@app.command(epilog=ATTACH_EPILOG, cls=_Command)
def attach(
    sources: Annotated[list[str], typer.Argument(help="A findings JSON (rca analyze -f json -o F) or log exports.", show_default=False)],
    report: Annotated[Path | None, typer.Option("--report", help="The Markdown incident report to create or update.", rich_help_panel="Report file")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite drafts a person edited.", rich_help_panel="Report file")] = False,
    grafana_url: Annotated[str | None, typer.Option("--grafana-url", envvar="GRAFANA_URL", help="Grafana base URL.", rich_help_panel="Grafana")] = None,
    incident_id: Annotated[str | None, typer.Option("--incident-id", help="Grafana IRM incident to add notes to.", rich_help_panel="Grafana")] = None,
    create_incident: Annotated[bool, typer.Option("--create-incident", help="Create a resolved retrospective incident when there is none.", rich_help_panel="Grafana")] = False,
    plugin_id: Annotated[str | None, typer.Option("--plugin-id", help="IRM plugin id (default: grafana-irm-app, then grafana-incident-app).", rich_help_panel="Grafana")] = None,
    annotate: Annotated[bool, typer.Option("--annotate", help="Add a region annotation for the incident window.", rich_help_panel="Grafana")] = False,
    dashboard_uid: Annotated[str | None, typer.Option("--dashboard-uid", help="Put the annotation on this dashboard.", rich_help_panel="Grafana")] = None,
    token_file: Annotated[Path | None, typer.Option("--token-file", help="Read the Grafana token from this file (else GRAFANA_TOKEN).", rich_help_panel="Grafana")] = None,
    incident_index: Annotated[int, typer.Option("--incident-index", min=0, help="Which incident, when the findings hold several.")] = 0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print every change and request; make none.")] = False,
    reveal_secrets: Annotated[bool, typer.Option("--reveal-secrets", help="Do not mask secrets in what is attached.")] = False,
    input_format: Annotated[str | None, typer.Option("--input-format", help="Force the input format of log exports.")] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", metavar="DURATION", help="Give up talking to Grafana when this much time has passed, e.g. 1m (each request is also cut off after 5m).", rich_help_panel="Grafana", show_default=False)] = None,
    quiet: Quiet = False,
    verbose: Verbose = 0,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Attach findings to the incident report file and to Grafana."""
    import time as _time

    from rca.integrations.attach import attach_annotation, attach_incident, attach_report, load_findings, pick_incident, read_token
    from rca.integrations.grafana import Grafana
    from rca.table.redact import redact

    _configure_logging(debug, quiet, verbose, no_color)
    deadline_s = _seconds(deadline)
    wants_grafana = incident_id is not None or create_incident or annotate
    if report is None and not wants_grafana:
        raise UsageError("nothing to attach to: give --report, or --grafana-url with --incident-id/--create-incident/--annotate")
    if wants_grafana and not grafana_url:
        raise UsageError("--grafana-url (or GRAFANA_URL) is needed for Grafana targets")
    doc = load_findings(sources, input_format, reveal_secrets)
    incident, note = pick_incident(doc, incident_index)
    if note:
        logger.warning("{}", note)
    outcomes = []
    if report is not None:
        outcomes.append(attach_report(incident, report, force, dry_run, reveal_secrets))
    if wants_grafana:
        token = read_token(token_file)
        if not token and not dry_run:
            raise UsageError("no Grafana token given; set GRAFANA_TOKEN or pass --token-file")
        grafana = Grafana(grafana_url or "", token, plugin=plugin_id, dry_run=dry_run,
                          give_up_at=_time.monotonic() + deadline_s if deadline_s else None)
        if incident_id is not None or create_incident:
            outcomes.append(attach_incident(grafana, incident, incident_id, create_incident, reveal_secrets))
        if annotate:
            outcomes.append(attach_annotation(grafana, incident, dashboard_uid, reveal_secrets))
        if dry_run:
            for request in grafana.sent:
                typer.echo(redact(request.describe()))
    for o in outcomes:  # a server's answer may echo the token back: masked before it is printed
        typer.echo(f"{'ok' if o.ok else 'FAILED'}  {o.target}: {redact(o.message)}")
        for d in o.details:
            typer.echo(d if reveal_secrets else redact(d), nl=False)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        sys.exit(4 if len(failed) < len(outcomes) else (failed[0].exit_code if len(outcomes) == 1 else 1))


class ReviewFormat(str, Enum):
    text = "text"
    md = "md"
    json = "json"
    csv = "csv"


@app.command(epilog=EPILOG, cls=_Command)
def batch(
    paths: Annotated[list[str], typer.Argument(help="Exports: each file, each file in a zip archive, or each folder of part files, is one outage.", show_default=False)],
    fmt: Annotated[ReviewFormat, typer.Option("--format", "-f", help="text, md, json or csv.")] = ReviewFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    group_by_gap: Annotated[str | None, typer.Option("--group-by-gap", help="Split one long export into outages at quiet gaps longer than this (e.g. 30m).")] = None,
    engine: Annotated[str, typer.Option("--engine", help="local (process pool), serial, or dask.")] = "local",
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address; without it a local cluster is started.")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="History store folder (default: $XDG_DATA_HOME/rca/history).")] = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not record the outages in the history.")] = False,
    input_format: Annotated[str | None, typer.Option("--input-format", help="Force an input format.")] = None,
    quiet: Quiet = False,
    verbose: Verbose = 0,
    no_color: NoColor = False,
    limit: Limit = None,
    debug: Debug = False,
) -> None:
    """Review many past outages: a table per outage and the causes that recur."""
    from rca.history import batch as batch_mod
    from rca.history.store import default_store
    from rca.history.review import render

    _configure_logging(debug, quiet, verbose, no_color)
    _limits(limit)
    if group_by_gap:
        from rca.integrations.pull import parse_duration_ns

        units = batch_mod.units_by_gap(paths, parse_duration_ns(group_by_gap) / 1e9, input_format)
    else:
        units = batch_mod.units_from_paths(paths)
        for u in units:
            u.input_format = input_format
    target = None if no_store else (store or default_store())
    from rich.progress import Progress

    console = _stderr_console()
    with Progress(console=console, transient=True, disable=not console.is_terminal or SETTINGS["quiet"]) as progress:
        task = progress.add_task("analysing outages", total=len(units))
        results = batch_mod.run(units, engine=engine, scheduler=scheduler, store=target,
                                on_result=lambda _r: progress.advance(task))
    for r in results:
        if r["error"]:
            logger.warning("{}", _outage_problem(r))
    _write(render(results, fmt.value), output)


def _outage_problem(result: dict) -> str:
    """An unreadable outage's error, named once: an input's error already starts with its path."""
    from rca.table.redact import redact

    named = len(result["sources"]) == 1 and result["error"].startswith(redact(str(result["sources"][0])) + ": ")
    return result["error"] if named else f"{result['outage']}: {result['error']}"


@app.command(epilog=EPILOG, cls=_Command)
def history(
    fmt: Annotated[ReviewFormat, typer.Option("--format", "-f", help="text, md, json or csv.")] = ReviewFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="History store folder (default: $XDG_DATA_HOME/rca/history).")] = None,
    quiet: Quiet = False,
    verbose: Verbose = 0,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """List recorded incidents and the root causes that recur, with mean time to recovery."""
    from rca.history.store import default_store, load
    from rca.history.review import render_history

    _configure_logging(debug, quiet, verbose, no_color)
    where = store or default_store()
    incidents = load(where).to_pylist()
    if not incidents:
        logger.warning("the history at {} holds no incidents yet (rca batch or rca analyze --store add them)", where)
    _write(render_history(incidents, fmt.value), output)


def _clipped(inputs: list[str], input_format: str | None, since: str | None, from_: str | None,
             to: str | None):
    """The inputs read and clipped to --from/--to, or to --since back from their newest record."""
    from rca.inputs.exports import ingest
    from rca.inputs.window import clip_to, newest
    from rca.integrations.pull import parse_duration_ns, parse_time

    if since and (from_ or to):
        raise UsageError("give --since or --from/--to, not both")
    ingested = ingest(inputs, input_format=input_format)
    last = newest(ingested)
    if since:
        if last is None:
            raise UsageError("--since: the export has no times to count back from")
        return clip_to(ingested, last - parse_duration_ns(since), None)
    now = last if last is not None else 0
    return clip_to(ingested, parse_time(from_, now) if from_ else None, parse_time(to, now) if to else None)


def _window(since: str | None, from_: str | None, to: str | None) -> tuple[int, int]:
    import time as _time

    from rca.integrations.pull import parse_duration_ns, parse_time

    now = _time.time_ns()
    if since and (from_ or to):
        raise UsageError("give --since or --from/--to, not both")
    if since:
        return now - parse_duration_ns(since), now
    if not from_:
        raise UsageError("give the time range: --since DURATION, or --from TIME [--to TIME]")
    from rca.inputs.window import check_order

    start, end = parse_time(from_, now), parse_time(to, now) if to else now
    check_order(start, end)
    return start, end


def _pull_to(loki: str, query: str, start: int, end: int, out: Path, limit: int, resume: bool,
             token_file: Path | None, org_id: str | None, deadline: str | None = None) -> None:
    from rich.progress import BarColumn, Progress, TextColumn

    from rca.integrations.pull import access_from_env, pull
    from rca.inputs.timestamps import format_rfc3339_ms

    console = _stderr_console()
    access = access_from_env(loki, token_file, org_id)
    from rca.table.redact import remember_secret

    remember_secret(access.token)
    remember_secret(access.password)
    with Progress(TextColumn("pulling"), BarColumn(), TextColumn("{task.fields[lines]} lines, {task.fields[pages]} pages"),
                  console=console, transient=True, disable=not console.is_terminal or SETTINGS["quiet"]) as progress:
        task = progress.add_task("pull", total=end - start, lines=0, pages=0)
        stats = pull(access, query, start, end, out, limit=limit, resume=resume,
                     deadline_s=_seconds(deadline),
                     progress=lambda st, cursor: progress.update(task, completed=cursor - start, lines=st.lines,
                                                                 pages=st.pages))
    what = f"{stats.lines} lines in {stats.pages} pages (limit {stats.limit}"
    what += f", {stats.retries} retries)" if stats.retries else ")"
    if stats.resumed_from_ns is not None:
        what += f", resumed from {format_rfc3339_ms(stats.resumed_from_ns)}"
    _say(f"pulled {what} into {out}")
    for a, b, why in stats.incomplete:
        sys.stderr.write(f"rca: warning: window {format_rfc3339_ms(a)} .. {format_rfc3339_ms(b)} is incomplete: "
                         f"{_for_stderr(why)}\n")
    if stats.interrupted:
        sys.stderr.write(f"rca: interrupted: {out} holds every line up to the interruption; continue with --resume\n")
        sys.exit(130)


@app.command(epilog=EPILOG, cls=_Command)
def pull(
    loki: Annotated[str, typer.Option("--loki", envvar="LOKI_ADDR", help="Loki URL, Grafana Cloud Loki URL, or a Grafana datasource proxy URL.")],
    query: Annotated[str, typer.Option("--query", help="LogQL log query, e.g. '{component=\"jwt-pizza-service\"}'.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (logcli JSONL; gzip when it ends in .gz).")],
    since: Annotated[str | None, typer.Option("--since", help="How far back from now, e.g. 1h, 30m, 2d.")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="Start (RFC 3339 or epoch), inclusive.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="End (RFC 3339 or epoch), exclusive; default now.")] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Lines per request (as logcli's --batch); lowered automatically if the server refuses it.")] = 5000,
    resume: Annotated[bool, typer.Option("--resume", help="Continue a partial output file.")] = False,
    token_file: Annotated[Path | None, typer.Option("--token-file", help="Bearer token file (else LOKI_TOKEN; or LOKI_USER/LOKI_PASSWORD).")] = None,
    org_id: Annotated[str | None, typer.Option("--org-id", help="X-Scope-OrgID for multi-tenant Loki (else LOKI_ORG_ID).")] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", metavar="DURATION", help="Give up when the whole pull takes longer than this, e.g. 10m (the file stays valid for --resume; each request is also cut off after 5m).", show_default=False)] = None,
    quiet: Quiet = False,
    verbose: Verbose = 0,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Fetch every line of a query from Loki, past the line limit, into a file."""
    _configure_logging(debug, quiet, verbose, no_color)
    start, end = _window(since, from_, to)
    _pull_to(loki, query, start, end, output, batch, resume, token_file, org_id, deadline)


@app.command(cls=_Command)
def formats() -> None:
    """List the export formats rca reads."""
    from rca.inputs.formats import FORMATS

    width = max(len(n) for n in FORMATS)
    for f in FORMATS.values():
        typer.echo(f"{f.name.ljust(width)}  {f.description}")


@app.command(cls=_Command)
def version() -> None:
    """Print rca's version."""
    typer.echo(__version__)


def main() -> None:
    """Console entry point: one-line errors and documented exit codes, never a traceback
    unless --debug; then a deterministic exit (`_leave`)."""
    _one_blas_thread()
    compute_wrappers_without_help()
    numpy_without_docstrings()
    gc.disable()  # until the command's libraries are imported: see _configure_logging
    code = 0
    try:
        _run()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int) and exc.code is not None:
            sys.stderr.write(f"{exc.code}\n")
    finally:
        gc.enable()
    _leave(code)


def _one_blas_thread() -> None:
    """numpy's OpenBLAS, unless told otherwise, starts a thread per core as numpy is imported,
    which spins for a while waiting for work rca never gives it (rca does no linear algebra):
    on two cores, that is CPU taken from Arrow's threads. One thread, as Dask gives its
    workers, unless the user set a count."""
    if not any(name in os.environ for name in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")):
        os.environ["OPENBLAS_NUM_THREADS"] = "1"


def _leave(code: int) -> None:
    """Flush what was written and leave without interpreter teardown. Arrow's native thread
    pools live until the static destructors run at exit; one still busy then (e.g. read-ahead
    left behind by a reader that gave up) aborts the process with `terminate called without
    an active exception`. Everything rca writes is complete and flushed by now, and its own
    thread and process pools are closed when their `with` blocks end, so nothing is lost.
    The regexes and dataclass methods this run compiled are kept for the next (rca.compiled,
    rca.generated_code), which would happen at exit."""
    for keeper in ("rca.compiled", "rca.generated_code"):
        if keeper in sys.modules:
            sys.modules[keeper].keep()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1 if stream is sys.stdout else code
    os._exit(code)


def _run() -> None:
    debug = "--debug" in sys.argv or os.environ.get("RCA_DEBUG") == "1"
    # Every command configures its diagnostics before it logs: the library need not silence
    # them on import, which would import loguru (and asyncio) for a run that says nothing.
    rca.diagnostics_enabled = True
    try:
        app(standalone_mode=False)
    except RcaError as exc:
        errors = exc.errors if isinstance(exc, InputErrors) else [exc]
        for e in errors:
            sys.stderr.write(f"rca: error: {_for_stderr(e)}\n")
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
                sys.stderr.write(f"rca: error: {_for_stderr(message)}\n")
            sys.exit(2)
        if debug:
            raise
        sys.stderr.write(f"rca: internal error: {type(exc).__name__}: {_for_stderr(exc)} (rerun with --debug for details)\n")
        sys.exit(EXIT_INTERNAL)


def _is_usage_error(exc: BaseException) -> bool:
    return type(exc).__name__ in {"UsageError", "BadParameter", "NoSuchOption", "MissingParameter",
                                  "BadOptionUsage", "BadArgumentUsage", "NoArgsIsHelpError"}


def _usage_message(exc: BaseException) -> str:
    fmt = getattr(exc, "format_message", None)
    return fmt() if callable(fmt) else str(exc)
