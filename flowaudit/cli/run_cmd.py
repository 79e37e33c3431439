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
    accounts: Path = options.ACCOUNTS,
    db_per_account: Path = options.DB_PER_ACCOUNT,
    max_in_flight: int = options.MAX_IN_FLIGHT,
    export: Path = typer.Option(
        None, "--export",
        help="After a successful extract, write the public views into this Parquet lake "
        "(as `flowaudit export --format parquet --out DIR`).",
    ),
    baseline: str = typer.Option(
        None, "--baseline", help="Also compare with this pinned baseline. [env FLOWAUDIT_BASELINE]"
    ),
    fail_on_attention: bool = typer.Option(
        None, "--fail-on-attention",
        help="Exit with code 16 when something needs attention. [env FLOWAUDIT_FAIL_ON_ATTENTION]",
    ),
) -> None:
    """Extract, send the digest, then render the reports: the one line to put in cron.

    A failed extract still renders the reports, marked stale since the last good run, and the
    exit code is the extract's. Prints the index path on stdout, and on stderr the run's
    summary and the night's verdict. The digest goes by e-mail and webhook when they are set
    (smtp_url, webhook_url).

    With --accounts FILE: every account of the file at once; each account's reports go to
    OUT/<label>/ and the overview of all of them to OUT/index.html (its path is printed).
    One account's failure never stops the others: exit 15 names the accounts that failed.
    """
    from flowaudit.errors import NeedsAttentionError
    from flowaudit.pipeline import run_nightly

    options.check_accounts_flags(accounts, db_per_account, account=account, api_url=api_url,
                                 region=region, token_file=token_file, db=db)  # fmt: skip
    settings = options.load_settings(
        config, api_url=api_url, region=region, db=db, account=account, token_file=token_file,
        out=out, concurrency=concurrency, rate=rate, quiet=quiet, log_file=log_file,
        max_in_flight=max_in_flight,
        baseline=baseline, fail_on_attention=fail_on_attention or None,
    )  # fmt: skip
    if accounts is not None:
        _run_accounts(settings, accounts, db_per_account, full, export)
        return
    progress = ProgressReporter(quiet=settings.quiet)
    try:
        outcome = run_nightly(settings, full=full, progress=progress, export_dir=export)
    finally:
        progress.close()
    # Quiet means nothing on success: a cron line must not mail the index path every night.
    if outcome.index is not None and not settings.quiet:
        typer.echo(str(outcome.index))
    # One last line on stderr (what cron mails): the run's summary, then the night's verdict.
    if not settings.quiet:
        said = [outcome.result.summary()] if outcome.result is not None else []
        said += [outcome.night.verdict()] if outcome.night is not None else []
        if said:
            typer.echo("flowaudit: " + ". ".join(said), err=True)
    if outcome.error is not None:
        raise outcome.error
    if settings.fail_on_attention and outcome.night is not None and outcome.night.items:
        raise NeedsAttentionError(
            f"{outcome.night.attention} change(s) need attention: {outcome.index or outcome.night.report_link}"
        )


@app.command("digest")
def digest_command(
    db: Path = options.DB,
    account: str = options.ACCOUNT,
    config: Path = options.CONFIG,
    out: Path = options.OUT,
    baseline: str = typer.Option(None, "--baseline", help="Also list what differs from this pinned baseline."),
    html: bool = typer.Option(False, "--html", help="Print the HTML part instead of the plain text."),
) -> None:
    """Print the digest of the newest run on stdout (for cron's own mail, or to preview it).

    The same text `run` sends by e-mail: the verdict, what needs attention since the previous
    run, and where the report is. Nothing is sent and the database is only read.
    """
    from flowaudit.attention import read_night
    from flowaudit.load.db import connect
    from flowaudit.load.migrations import check_schema
    from flowaudit.load.public_schema import check_public_schema
    from flowaudit.notify.digest import compose
    from flowaudit.notify.send import report_link

    settings = options.load_settings(config, db=db, account=account, out=out, baseline=baseline, quiet=True)
    con = connect(settings.db, read_only=True)
    try:
        check_schema(con)
        check_public_schema(con)
        night = read_night(con, settings.account, baseline=settings.baseline, report_link=report_link(settings))
    finally:
        con.close()
    digest = compose(night, timezone=settings.display_timezone)
    typer.echo(digest.html if html else digest.text, nl=False)


def _run_accounts(settings, accounts: Path, db_per_account: Path | None, full: bool, export: Path | None) -> None:
    from flowaudit.accounts.file import plan_accounts
    from flowaudit.accounts.runner import run_accounts

    plan = plan_accounts(accounts, settings, db_per_account=db_per_account)
    progress = ProgressReporter(quiet=settings.quiet)
    try:
        outcome = run_accounts(plan, full=full, export_dir=export, progress=progress)
    finally:
        progress.close()
    if not settings.quiet:
        if outcome.overview is not None:
            typer.echo(str(outcome.overview))
        for account in outcome.accounts:
            if account.error is None:
                typer.echo(f"flowaudit: {account.summary()}", err=True)
    error = outcome.final_error()
    if error is not None:
        raise error


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
