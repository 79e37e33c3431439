"""The accounts file of `run --accounts` / `extract --accounts`: one `[accounts.<label>]`
table per account, checked once, into one Settings per account.

Each table takes the per-account keys of the settings: `api_url` or `region`, `token_file`
or `token_env` (the name of the environment variable that holds the token), and optional
`rate` and `concurrency`. Everything else (timeouts, limits, volatile fields, ...) comes from
the ordinary settings and applies to every account. No message ever shows a value from the
file, so a token pasted in the wrong place is never printed."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flowaudit.accounts.labels import label_problem
from flowaudit.config import REGIONS, Settings, coerce_setting, parse_token, read_token_file
from flowaudit.errors import ConfigError

ACCOUNT_KEYS = ("api_url", "region", "token_file", "token_env", "rate", "concurrency")
_NUMBER_KEYS = {"rate", "concurrency"}
# What an environment variable's name looks like; anything else may be a token pasted in.
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_SHOWN_KEY_CHARS = 24  # integrator.io tokens are 32 characters: a longer key is never shown


@dataclass(frozen=True)
class AccountsPlan:
    """Every account of the file with the settings it runs with, and where the overview goes."""

    accounts: tuple[Settings, ...]  # each: its label, API, token, limits, database, report folder
    out: Path  # the overview page's folder; account reports go to out/<label>/
    db_per_account: Path | None  # the folder of one database per account, or None: one shared

    @property
    def labels(self) -> list[str]:
        return [settings.account for settings in self.accounts]

    @property
    def databases(self) -> list[Path]:
        """Each database once, in the order of the accounts."""
        return list(dict.fromkeys(settings.db for settings in self.accounts))


def plan_accounts(
    path: Path,
    base: Settings,
    *,
    db_per_account: Path | None = None,
    environ: dict[str, str] | None = None,
    need_tokens: bool = True,
) -> AccountsPlan:
    """Read and check the accounts file; each account's settings are `base` with its own
    keys, its database (base.db, or DIR/<label>.duckdb) and its report folder (out/<label>).

    need_tokens=False checks that each account names a token source without reading it
    (rendering reports needs no token)."""
    env = dict(os.environ if environ is None else environ)
    tables = _read_tables(path)
    accounts = []
    seen: dict[str, str] = {}
    for label, table in tables.items():
        where = f"accounts file {path}: account {label!r}"
        problem = label_problem(label)
        if problem:
            raise ConfigError(
                f"accounts file {path}: [accounts.…] table {_shown_label(label)}: {problem}"
            )
        if label.lower() in seen:
            raise ConfigError(
                f"accounts file {path}: accounts {seen[label.lower()]!r} and {label!r} differ only "
                "in case (their folders would be one on some file systems)"
            )
        seen[label.lower()] = label
        settings = _account_settings(where, label, table, base, env, need_tokens)
        db = base.db if db_per_account is None else db_per_account / f"{label}.duckdb"
        # An account's reports are in out/<label>: where they are served follows.
        served = None if settings.report_url is None else f"{settings.report_url.rstrip('/')}/{label}"
        accounts.append(replace(settings, db=db, out=base.out / label, report_url=served))
    return AccountsPlan(tuple(accounts), base.out, db_per_account)


def _read_tables(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"accounts file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc.__class__.__name__
        raise ConfigError(f"cannot read accounts file {path}: {reason}") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib names the line and column, never the text it read.
        raise ConfigError(f"accounts file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"accounts"})
    if unknown:
        raise ConfigError(
            f"accounts file {path}: only [accounts.<label>] tables belong here, not "
            f"{', '.join(_shown_label(k) for k in unknown)}"
        )
    tables = data.get("accounts")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f"accounts file {path}: no account (add an [accounts.<label>] table)")
    for label, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(
                f"accounts file {path}: accounts.{_shown_label(label)} must be a table "
                f"([accounts.{_shown_label(label)}])"
            )
    return tables


def _account_settings(
    where: str,
    label: str,
    table: dict[str, Any],
    base: Settings,
    env: dict[str, str],
    need_tokens: bool,
) -> Settings:
    if "token" in table:
        raise ConfigError(
            f"{where}: 'token' is not allowed in the file; use token_file or token_env "
            "(the name of an environment variable that holds it)"
        )
    unknown = sorted(set(table) - set(ACCOUNT_KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(_shown_label(k) for k in unknown)} "
            f"(an account takes {', '.join(ACCOUNT_KEYS)})"
        )
    if "api_url" in table and "region" in table:
        raise ConfigError(f"{where}: give api_url or region, not both")
    values: dict[str, Any] = {"account": label, "token_file": None, "token": None}
    for key in ("api_url", "token_file", "rate", "concurrency"):
        if key in table:
            values[key] = _checked(where, key, table[key])
    if "region" in table:
        region = table["region"]
        if not isinstance(region, str) or region.strip().lower() not in REGIONS:
            raise ConfigError(f"{where}: unknown region (choose from: {', '.join(REGIONS)})")
        values["api_url"] = REGIONS[region.strip().lower()]
    has_file, has_env = "token_file" in table, "token_env" in table
    if has_file == has_env:
        raise ConfigError(
            f"{where}: give exactly one of token_file (a file holding only the token) and "
            "token_env (the name of the environment variable that holds it)"
        )
    if has_env and not _is_env_name(table["token_env"]):
        raise ConfigError(
            f"{where}: token_env must be the name of an environment variable (letters, digits "
            "and _), not the token itself"
        )
    settings = replace(base, **values)
    if need_tokens:
        settings = replace(settings, token=_token(where, settings, table, env))
    return settings


def _checked(where: str, key: str, value: Any) -> Any:
    if key in _NUMBER_KEYS and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ConfigError(f"{where}: invalid value for {key} (a number is needed)")
    if key not in _NUMBER_KEYS and not isinstance(value, str):
        raise ConfigError(f"{where}: invalid value for {key} (text is needed)")
    try:
        return coerce_setting(key, value)
    except (TypeError, ValueError, OverflowError) as exc:
        # The reasons name the rule ("must be between 1 and 64"), never the value.
        raise ConfigError(f"{where}: invalid value for {key} ({exc})") from None


def _token(where: str, settings: Settings, table: dict[str, Any], env: dict[str, str]):
    if settings.token_file is not None:
        return parse_token(
            read_token_file(settings.token_file), f"token file {settings.token_file} ({where})"
        )
    name = table["token_env"]
    text = env.get(name, "")
    if not text.strip():
        # Not named: a token pasted as token_env can look like a variable's name.
        raise ConfigError(
            f"{where}: the environment variable its token_env names is not set or empty"
        )
    return parse_token(text, f"the environment variable {name} ({where})")


def _is_env_name(value: Any) -> bool:
    return isinstance(value, str) and bool(_ENV_NAME.match(value))


def _shown_label(text: str) -> str:
    """A key of the file as a message may show it: only a short name (a token is longer)."""
    shown = _ENV_NAME.match(text.replace("-", "_")) and len(text) <= _SHOWN_KEY_CHARS
    return repr(text) if shown else "(a key that is not a name)"
