"""`flowaudit doctor`: check the setup a cron run depends on and say what is wrong."""

from __future__ import annotations

from pathlib import Path

import typer

from flowaudit.cli import options
from flowaudit.cli.app import app
from flowaudit.errors import FlowauditError


@app.command("doctor")
def doctor_command(
    api_url: str = options.API_URL,
    region: str = options.REGION,
    token_file: Path = options.TOKEN_FILE,
    db: Path = options.DB,
    out: Path = options.OUT,
    account: str = options.ACCOUNT,
    config: Path = options.CONFIG,
) -> None:
    """Check the configuration, the API, the token, the database and the report directory.

    One line per check (ok, FAIL or skip) on stdout; settings are shown with where each came
    from, the token only as "set". Exit code: the first failure's (see the table above)."""
    from flowaudit.ops import diagnose

    flags = {"api_url": api_url, "region": region, "token_file": token_file, "db": db,
             "out": out, "account": account}  # fmt: skip
    report = diagnose(flags, config_file=config)
    for line in report.lines():
        typer.echo(line)
    failure = report.first_failure
    if failure is not None:
        raise FlowauditError(
            f"doctor: {failure.name}: {failure.message}", exit_code=failure.exit_code
        )
