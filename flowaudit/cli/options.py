"""Options shared by several commands, and turning them into Settings once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from flowaudit.config import Settings, resolve_settings, token_file_warning
from flowaudit.errors import UsageError
from flowaudit.logs import get_logger, setup_logging

log = get_logger(__name__)

DB = typer.Option(None, "--db", help="DuckDB file. [env FLOWAUDIT_DB; default flowaudit.duckdb]")
CONFIG = typer.Option(
    None, "--config", help="Config file. [env FLOWAUDIT_CONFIG; default ./flowaudit.toml]"
)
ACCOUNT = typer.Option(
    None, "--account", help="Account label, for several accounts in one file. [default: default]"
)
API_URL = typer.Option(None, "--api-url", help="API base URL. [env FLOWAUDIT_API_URL]")
REGION = typer.Option(None, "--region", help="API region preset: na or eu. [env FLOWAUDIT_REGION]")
TOKEN_FILE = typer.Option(
    None,
    "--token-file",
    help="File holding the API token (else FLOWAUDIT_TOKEN). Never pass the token itself.",
)
CONCURRENCY = typer.Option(None, "--concurrency", help="Requests in flight at most. [default 12]")
RATE = typer.Option(None, "--rate", help="Requests per second on average, a second's worth at once. [default 150]")
QUIET = typer.Option(False, "--quiet", "-q", help="Print only errors (and nothing on success).")
LOG_FILE = typer.Option(None, "--log-file", help="Write log lines to this file instead of stderr.")
OUT = typer.Option(
    None, "--out", help="Report directory. [env FLOWAUDIT_OUT; default flowaudit-reports]"
)

ACCOUNTS = typer.Option(
    None,
    "--accounts",
    help="TOML file of [accounts.<label>] tables: every account in one run, fetched at once "
    "(each with its own api_url or region, token_file or token_env, rate, concurrency).",
)
DB_PER_ACCOUNT = typer.Option(
    None,
    "--db-per-account",
    help="With --accounts: one database per account, DIR/<label>.duckdb, instead of one --db.",
)
MAX_IN_FLIGHT = typer.Option(
    None,
    "--max-in-flight",
    help="With --accounts: requests in flight at most, every account together. [default 48]",
)
# With --accounts, each account's table gives these; a flag would be ambiguous.
_PER_ACCOUNT_FLAGS = {
    "account": "--account",
    "api_url": "--api-url",
    "region": "--region",
    "token_file": "--token-file",
}


def check_accounts_flags(accounts: Path | None, db_per_account: Path | None, **given: Any) -> None:
    """Refuse flags that cannot go with --accounts (or need it), before anything runs."""
    if accounts is None:
        if db_per_account is not None:
            raise UsageError("--db-per-account needs --accounts FILE")
        return
    for key, flag in _PER_ACCOUNT_FLAGS.items():
        if given.get(key) is not None:
            raise UsageError(
                f"{flag} cannot be used with --accounts: each account's table in {accounts} gives its own"
            )
    if db_per_account is not None and given.get("db") is not None:
        raise UsageError("--db and --db-per-account cannot be used together")


def load_settings(config: Path | None = None, **flags: Any) -> Settings:
    """Resolve settings from flags (None = not given) and set up logging from them."""
    if flags.get("quiet") is False:
        flags["quiet"] = None  # an absent --quiet must not override the file or environment
    settings = resolve_settings(flags, config_file=config)
    setup_logging(quiet=settings.quiet, log_file=settings.log_file)
    warning = token_file_warning(settings.token_file)
    if warning:
        log.warning("%s", warning)
    return settings
