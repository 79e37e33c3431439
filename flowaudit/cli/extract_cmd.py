"""`flowaudit extract`: page through the account into the DuckDB file."""

from __future__ import annotations

from pathlib import Path

import typer

from flowaudit.cli import options
from flowaudit.cli.app import app
from flowaudit.cli.progress import ProgressReporter


@app.command()
def extract(
    api_url: str = options.API_URL,
    region: str = options.REGION,
    db: Path = options.DB,
    account: str = options.ACCOUNT,
    token_file: Path = options.TOKEN_FILE,
    full: bool = typer.Option(False, "--full", help="Fetch the whole audit history again."),
    concurrency: int = options.CONCURRENCY,
    rate: float = options.RATE,
    config: Path = options.CONFIG,
    quiet: bool = options.QUIET,
    log_file: Path = options.LOG_FILE,
    accounts: Path = options.ACCOUNTS,
    db_per_account: Path = options.DB_PER_ACCOUNT,
    max_in_flight: int = options.MAX_IN_FLIGHT,
) -> None:
    """Extract flows, integrations, exports, imports, connections and the audit log.

    The token comes from FLOWAUDIT_TOKEN or --token-file. Prints one summary line.
    With --accounts FILE: every account of the file at once, one summary line each; one
    account's failure never stops the others (exit 15 names the accounts that failed).
    """
    from flowaudit.pipeline import run_extract

    options.check_accounts_flags(accounts, db_per_account, account=account, api_url=api_url,
                                 region=region, token_file=token_file, db=db)  # fmt: skip
    settings = options.load_settings(
        config,
        api_url=api_url,
        region=region,
        db=db,
        account=account,
        token_file=token_file,
        concurrency=concurrency,
        rate=rate,
        quiet=quiet,
        log_file=log_file,
        max_in_flight=max_in_flight,
    )
    if accounts is not None:
        _extract_accounts(settings, accounts, db_per_account, full)
        return
    progress = ProgressReporter(quiet=settings.quiet)
    try:
        result = run_extract(settings, full=full, progress=progress)
    finally:
        progress.close()
    if not settings.quiet:
        typer.echo(f"flowaudit: {result.summary()}", err=True)


def _extract_accounts(settings, accounts: Path, db_per_account: Path | None, full: bool) -> None:
    from flowaudit.accounts.file import plan_accounts
    from flowaudit.accounts.runner import AccountsOutcome, extract_accounts

    plan = plan_accounts(accounts, settings, db_per_account=db_per_account)
    progress = ProgressReporter(quiet=settings.quiet)
    try:
        outcome = AccountsOutcome(extract_accounts(plan, full=full, progress=progress))
    finally:
        progress.close()
    if not settings.quiet:
        for account in outcome.accounts:
            if account.error is None:
                typer.echo(f"flowaudit: {account.summary()}", err=True)
    error = outcome.final_error()
    if error is not None:
        raise error
