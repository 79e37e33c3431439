"""`flowaudit sql` (ad hoc, read-only SQL over the database) and `flowaudit schema`."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

import typer
from typer.core import TyperCommand

from flowaudit.cli import options
from flowaudit.cli.app import app
from flowaudit.config import resolve_settings
from flowaudit.errors import ExitCode, QueryError, UsageError
from flowaudit.secrets import scrub
from flowaudit.sqlshell import DEFAULT_TABLE_LIMIT, FORMATS, TableStyle, answer_query, open_readonly
from flowaudit.sqlshell.schema import read_schema, render_markdown, render_text

_PARAM_FLAGS = ("-p", "--param")


class _ParamPairsCommand(TyperCommand):
    """Lets `-p NAME VALUE` take two words (typer options take one); passed on as NAME=VALUE."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        joined: list[str] = []
        words = iter(args)
        for word in words:
            if word == "--":
                joined.append(word)
                joined.extend(words)
                break
            if word in _PARAM_FLAGS:
                pair = [next(words, None), next(words, None)]
                if None in pair:
                    raise UsageError(f"{word} needs a name and a value: {word} NAME VALUE")
                joined += [word, f"{pair[0]}={pair[1]}"]
            else:
                joined.append(word)
        return super().parse_args(ctx, joined)


@app.command("sql", cls=_ParamPairsCommand)
def sql_command(
    query: str | None = typer.Argument(
        None, metavar="[QUERY]", help="SQL text; '-' reads it from stdin.", show_default=False
    ),
    file: Path | None = typer.Option(
        None,
        "-f",
        "--file",
        help="Read the SQL from this file ('-' for stdin).",
        show_default=False,
    ),
    param: list[str] = typer.Option(
        [],
        "-p",
        "--param",
        metavar="NAME VALUE",
        help="Bind $NAME to VALUE (text; cast in SQL, e.g. $days::INTEGER). Repeatable.",
        show_default=False,
    ),
    fmt: str = typer.Option("table", "--format", help=f"Output format: {', '.join(FORMATS)}."),
    output: Path | None = typer.Option(
        None,
        "-o",
        "--output",
        help="Write to this file instead of stdout: a regular file appears only once the whole "
        "answer is written; a device or FIFO is written as the rows come.",
        show_default=False,
    ),
    db: Path | None = options.DB,
    limit: int | None = typer.Option(
        None,
        "--limit",
        help=f"Rows to show; 0 for all (default: {DEFAULT_TABLE_LIMIT} for table, all otherwise).",
        show_default=False,
    ),
    wait: float = typer.Option(
        0.0, "--wait", help="Seconds to wait for a run that is writing the database."
    ),
) -> None:
    """Run read-only SQL on the database and print the result (data on stdout only).

    Several statements run in order; the last one's result is printed. The database cannot
    be changed from here, nor can other files be read or written (use --output). Parameters:
    $name in the SQL, -p name value on the command line; a file may declare defaults in
    comment lines `-- @param name = value`; a date-time with an offset is converted to UTC.
    Times are written in UTC (ISO-8601 with Z). Output streams: rows reach stdout as they
    come, so a query failing half-way may leave rows before its error (check the exit code);
    --output FILE appears only whole. Exit codes: 0 also when the reader of stdout goes away
    (| head), 2 bad usage or missing parameter, 7 not a DuckDB file or missing database,
    8 locked by a writer, 10 the query failed or tried to change the database (DuckDB's whole
    message follows the first line)."""
    settings = resolve_settings({"db": db})
    sql = _read_sql(query, file)
    params = dict(pair.split("=", 1) for pair in param)
    if limit is not None and limit < 0:
        raise UsageError("--limit must be 0 (no limit) or more")
    row_limit = limit if limit is not None else DEFAULT_TABLE_LIMIT if fmt == "table" else 0

    try:
        summary = answer_query(
            settings.db,
            sql,
            params,
            fmt=fmt,
            output=output,
            stdout=sys.stdout.buffer,
            limit=row_limit,
            style=_table_style(output),
            wait_seconds=wait,
        )
    except BrokenPipeError:
        _stdout_gone()
        return
    except QueryError as exc:
        _report_query_error(exc)
        raise typer.Exit(ExitCode.QUERY) from None
    if summary.rows_left_out:
        sys.stderr.write(
            f"flowaudit: showed the first {summary.rows_written:,} of {summary.rows_total:,} rows "
            "(--limit 0 shows all)\n"
        )


def _stdout_gone() -> None:
    """`flowaudit sql ... | head`: the reader went away, which is no error (exit 0, as Unix tools do)."""
    # Nothing more can reach the reader; later flushes (at exit too) must not fail. In-process
    # tests give a stdout that is no file descriptor: nothing to do there.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _report_query_error(exc: QueryError) -> None:
    """A failed query's whole message: the usual first line, then DuckDB's hints and caret."""
    lines = scrub(exc.message).strip().splitlines() or ["the query failed"]
    sys.stderr.write(f"flowaudit: error: {lines[0]}\n" + "".join(f"{line}\n" for line in lines[1:]))
    sys.stderr.flush()


def _read_sql(query: str | None, file: Path | None) -> str:
    if query is not None and file is not None:
        raise UsageError("give the SQL either as QUERY or with -f FILE, not both")
    if file is not None and str(file) != "-":
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or exc.__class__.__name__
            raise UsageError(f"cannot read SQL file {file}: {reason}") from None
    if query == "-" or file is not None:
        return sys.stdin.read()
    if query is None:
        raise UsageError('no SQL given: flowaudit sql "SELECT ...", flowaudit sql -, or -f FILE')
    return query


def _table_style(output: Path | None) -> TableStyle:
    if output is not None or not sys.stdout.isatty():
        return TableStyle()
    return TableStyle(
        terminal=True,
        width=shutil.get_terminal_size().columns,
        color="NO_COLOR" not in os.environ,
    )


@app.command("schema")
def schema_command(
    db: Path | None = options.DB,
    fmt: str = typer.Option("text", "--format", help="text or markdown."),
    wait: float = typer.Option(
        0.0, "--wait", help="Seconds to wait for a run that is writing the database."
    ),
) -> None:
    """Print every public view and table macro with its columns, types and meanings.

    Read from the comments stored in the database; docs/schema.md is the same text."""
    if fmt not in {"text", "markdown"}:
        raise UsageError(f"unknown format {fmt!r} (choose from: text, markdown)")
    settings = resolve_settings({"db": db})
    with open_readonly(settings.db, wait_seconds=wait) as connection:
        objects = read_schema(connection)
    sys.stdout.write(render_text(objects) if fmt == "text" else render_markdown(objects))
