"""`flowaudit export`: the public views into a Parquet lake (thin command over flowaudit.lake)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from flowaudit.cli import options
from flowaudit.cli.app import app
from flowaudit.errors import UsageError

FORMATS = ("parquet",)


@app.command("export")
def export_command(
    out: Path = typer.Option(..., "--out", help="The lake's folder (created if missing)."),
    format: str = typer.Option(
        "parquet", "--format", help="Output format: parquet (the only one)."
    ),
    since: str | None = typer.Option(
        None,
        "--since",
        help="Refresh only partitions from this UTC date on (YYYY-MM-DD); older ones stay as "
        "their last export left them. Snapshot views (flows, ..., people, baselines) are always "
        "exported whole. [default: every partition]",
    ),
    account: list[str] | None = typer.Option(
        None,
        "--account",
        help="Export only this account (repeatable). [default: every account in the database]",
    ),
    db: Path | None = options.DB,
    wait: float = typer.Option(
        0.0, "--wait", help="Seconds to wait for a run that holds the database."
    ),
    config: Path | None = options.CONFIG,
    quiet: bool = options.QUIET,
    log_file: Path | None = options.LOG_FILE,
) -> None:
    """Write the public views as Parquet, hive-partitioned: OUT/<view>/account=<label>/date=<YYYY-MM-DD>/part-0.parquet.

    Each partition is replaced whole, and only when its rows changed since its last export;
    OUT/_manifest.json lists every account's row counts and hashes per view. Timestamps are
    UTC instants. Prints the manifest's path. docs/scale-out.md shows how DuckDB and Spark
    read the lake. Exit codes: 7 database problem, 8 database locked, 11 the folder cannot be written."""
    from flowaudit.lake.export import export_lake

    if format not in FORMATS:
        raise UsageError(f"--format must be one of: {', '.join(FORMATS)} (not {format!r})")
    settings = options.load_settings(config, db=db, quiet=quiet, log_file=log_file)
    result = export_lake(
        settings.db, out, accounts=account or None, since=_parse_day(since), wait_seconds=wait
    )
    typer.echo(str(result.manifest))
    if not settings.quiet:
        typer.echo(f"flowaudit: {result.summary()}", err=True)


def _parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--since must be a date like 2026-03-01, not {text!r}") from None
