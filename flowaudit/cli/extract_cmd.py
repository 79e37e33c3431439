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
) -> None:
    """Extract flows, integrations, exports, imports, connections and the audit log.

    The token comes from FLOWAUDIT_TOKEN or --token-file. Prints one summary line.
    """
    from flowaudit.pipeline import run_extract

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
    )
    progress = ProgressReporter(quiet=settings.quiet)
    try:
        result = run_extract(settings, full=full, progress=progress)
    finally:
        progress.close()
    if not settings.quiet:
        typer.echo(f"flowaudit: {result.summary()}", err=True)
