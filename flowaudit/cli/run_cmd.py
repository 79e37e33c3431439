"""`flowaudit run` (extract then report: the cron line) and `flowaudit demo`."""

from __future__ import annotations

from pathlib import Path

import typer

from flowaudit.cli import options
from flowaudit.cli.app import app
from flowaudit.cli.progress import ProgressReporter
from flowaudit.logs import setup_logging


@app.command("run")
def run_command(
    api_url: str = options.API_URL,
    region: str = options.REGION,
    db: Path = options.DB,
    account: str = options.ACCOUNT,
    token_file: Path = options.TOKEN_FILE,
    out: Path = options.OUT,
    full: bool = typer.Option(False, "--full", help="Fetch the whole audit history again."),
    concurrency: int = options.CONCURRENCY,
    rate: float = options.RATE,
    config: Path = options.CONFIG,
    quiet: bool = options.QUIET,
    log_file: Path = options.LOG_FILE,
) -> None:
    """Extract, then render the reports: the one line to put in cron.

    A failed extract still renders the reports, marked stale since the last good run, and the
    exit code is the extract's. Prints the index path on stdout.
    """
    from flowaudit.pipeline import run_nightly

    settings = options.load_settings(
        config, api_url=api_url, region=region, db=db, account=account, token_file=token_file,
        out=out, concurrency=concurrency, rate=rate, quiet=quiet, log_file=log_file,
    )  # fmt: skip
    progress = ProgressReporter(quiet=settings.quiet)
    try:
        outcome = run_nightly(settings, full=full, progress=progress)
    finally:
        progress.close()
    # Quiet means nothing on success: a cron line must not mail the index path every night.
    if outcome.index is not None and not settings.quiet:
        typer.echo(str(outcome.index))
    if outcome.result is not None and not settings.quiet:
        typer.echo(f"flowaudit: {outcome.result.summary()}", err=True)
    if outcome.error is not None:
        raise outcome.error


@app.command("demo")
def demo_command(
    out: Path = typer.Option(
        Path("flowaudit-demo"), "--out", help="Folder for the demo database and reports."
    ),
    days: int = typer.Option(3, "--days", help="Simulated days to let pass after the first run."),
    seed: int = typer.Option(1, "--seed", help="Seed of the simulated account."),
    quiet: bool = options.QUIET,
) -> None:
    """Run flowaudit on an embedded simulated account and print the report's index path.

    No network and no token needed: a simulated integrator.io account is generated, extracted
    into OUT/demo.duckdb, changed over a few simulated days with a run after each, and reported
    in OUT/reports/ (OUT/reports/latest/index.html is the page to open).
    """
    from flowaudit.demo import run_demo

    settings = options.load_settings(None, quiet=quiet)
    # The demo's own lines tell the story; log lines would drown them (errors still show).
    setup_logging(quiet=True)

    def say(result) -> None:
        if not settings.quiet:
            typer.echo(f"flowaudit demo: {result.summary()}", err=True)

    index = run_demo(out, days=days, seed=seed, settings=settings, on_run=say)
    typer.echo(str(index))
