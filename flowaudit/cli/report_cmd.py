"""`flowaudit report` and `flowaudit baseline set|list`: thin commands over flowaudit.report."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import typer

from flowaudit.cli import options
from flowaudit.cli.app import app
from flowaudit.config import resolve_settings
from flowaudit.errors import DatabaseError, UsageError
from flowaudit.load.db import connect

baseline_app = typer.Typer(
    help="Pin the current configuration as approved, and list the pins.", no_args_is_help=True
)
app.add_typer(baseline_app, name="baseline")


def _parse_since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since must be a date like 2026-03-01 (or 2026-03-01T12:00), not {text!r}") from None
    # A time without an offset is UTC, like every time flowaudit prints.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@app.command("report")
def report_command(
    db: Path | None = options.DB,
    out: Path | None = options.OUT,
    since: str | None = typer.Option(
        None, "--since",
        help="Start of the Recent changes page (UTC date or time, e.g. 2026-03-01 or 2026-03-01T12:00); "
        "only that page: drift, monthly history and flow pages are not affected. "
        "[default: the earlier of 7 days ago and the previous successful run]",
    ),
    baseline: str | None = typer.Option(
        None, "--baseline", help="Compare with this pinned baseline. [default: the previous successful run]"
    ),
    templates: Path | None = typer.Option(
        None, "--templates", help="Directory of templates that replace built-in ones, file by file."
    ),
    account: str | None = options.ACCOUNT,
    config: Path | None = options.CONFIG,
    quiet: bool = options.QUIET,
) -> None:
    """Render the HTML reports from the database (no network) and print the index path.

    Writes OUT/<date>/ and refreshes OUT/latest/; pages whose content did not change since
    the previous report there are carried over (hard links) instead of rendered again.
    Exit codes: 7 database problem, 8 database locked, 11 report directory cannot be written."""
    from flowaudit.report.render import render_reports

    settings = options.load_settings(
        config, db=db, out=out, templates_dir=templates, quiet=quiet, account=account
    )
    index = render_reports(settings.db, settings.out, settings, since=_parse_since(since), baseline=baseline)
    sys.stdout.write(f"{index}\n")


@baseline_app.command("set")
def baseline_set(
    name: str = typer.Argument(..., help="Name of the pin, e.g. 'approved-2026-03'."),
    db: Path | None = options.DB,
    account: str | None = options.ACCOUNT,
    config: Path | None = options.CONFIG,
    wait: float = typer.Option(0.0, "--wait", help="Seconds to wait for a run that holds the database."),
    note: str | None = typer.Option(
        None, "--note", help="The approval it stands for, e.g. a change ticket: 'CHG-1234'."
    ),
    by: str | None = typer.Option(None, "--by", help="Who pins it. [default: the operating-system user]"),
) -> None:
    """Pin the configuration of the last successful run as the approved baseline NAME."""
    from flowaudit.load.migrations import migrate
    from flowaudit.report.baselines import pin_baseline

    settings = resolve_settings({"db": db, "account": account}, config_file=config)
    con = connect(settings.db, wait_seconds=wait) if settings.db.exists() else _missing(settings.db)
    try:
        migrate(con, volatile_fields=settings.volatile_fields, scrub_policy=settings.scrub_policy)
        pin = pin_baseline(con, settings.account, name, note=note, by=by)
    finally:
        con.close()
    sys.stdout.write(
        f"baseline {pin.name} pinned by {pin.pinned_by}: configuration as of {pin.as_of:%Y-%m-%d %H:%M} UTC "
        f"(run {pin.run_id}){f', approval {pin.note}' if pin.note else ''}\n"
    )


@baseline_app.command("list")
def baseline_list(
    db: Path | None = options.DB,
    account: str | None = options.ACCOUNT,
    config: Path | None = options.CONFIG,
) -> None:
    """List the pinned baselines, newest first (name, configuration time, run, pinned at)."""
    from flowaudit.report.baselines import list_baselines

    settings = resolve_settings({"db": db, "account": account}, config_file=config)
    con = connect(settings.db, read_only=True)
    try:
        pins = list_baselines(con, settings.account)
    finally:
        con.close()
    for pin in pins:
        sys.stdout.write(
            f"{pin.name}\t{pin.as_of:%Y-%m-%d %H:%M}\trun {pin.run_id}\tpinned {pin.pinned_at:%Y-%m-%d %H:%M}"
            f"\tby {pin.pinned_by or '-'}\t{pin.note or ''}\n"
        )
    if not pins:
        sys.stderr.write("flowaudit: no baseline pinned yet (flowaudit baseline set NAME)\n")


def _missing(path: Path):
    raise DatabaseError(f"database not found: {path} (run `flowaudit extract` or `flowaudit demo` first)")
