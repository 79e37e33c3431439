"""`flowaudit doctor`: check, in order, the configuration, the API's reachability, the token
and what it may read, the database (integrity, schema version, data checks) and the report
directory. Each check is one line of words; the report's exit code is the first failure's.

Nothing here changes anything: the database is opened read-only, and the only file written
is a temporary probe in the report directory, removed at once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from flowaudit.config import (
    Settings,
    find_config_file,
    resolve_settings_with_origins,
    token_file_warning,
)
from flowaudit.errors import ConfigError, ExitCode
from flowaudit.ops.api_check import check_api_and_token
from flowaudit.ops.checks import FAIL, Check, fail_from, ok, skip, warn
from flowaudit.ops.local_checks import check_database, check_report_dir

# The order in which settings are listed (the dataclass order, token last).
SETTING_ORDER = tuple(Settings.__dataclass_fields__)


@dataclass
class DoctorReport:
    """Every check, in the order they ran; the exit code is the first failure's."""

    checks: list[Check] = field(default_factory=list)

    @property
    def first_failure(self) -> Check | None:
        return next((check for check in self.checks if check.status == FAIL), None)

    @property
    def exit_code(self) -> ExitCode:
        failure = self.first_failure
        return ExitCode.OK if failure is None else failure.exit_code

    def lines(self) -> list[str]:
        return [line for check in self.checks for line in check.lines()]


def diagnose(
    flags: dict[str, Any] | None = None,
    *,
    config_file: Path | None = None,
    environ: dict[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> DoctorReport:
    """Run every check with settings resolved as a run would resolve them."""
    report = DoctorReport()
    try:
        settings, origins = resolve_settings_with_origins(
            flags, environ=environ, config_file=config_file
        )
    except ConfigError as exc:
        report.checks.append(fail_from("config", exc))
        for name in ("api", "token", "database", "reports"):
            report.checks.append(skip(name, "needs a valid configuration"))
        return report
    env = dict(os.environ if environ is None else environ)
    report.checks.append(describe_config(settings, origins, find_config_file(config_file, env)))
    warning = token_file_warning(settings.token_file)
    if warning:
        report.checks.append(warn("tokenfile", warning))
    report.checks.extend(check_api_and_token(settings, transport=transport))
    report.checks.append(check_database(settings.db))
    report.checks.append(check_report_dir(settings.out))
    return report


def describe_config(settings: Settings, origins: dict[str, str], path: Path | None) -> Check:
    """Every setting with its value and where it came from; the token only as set/not set."""
    source = f"config file {path}" if path else "no config file"
    details = []
    for name in SETTING_ORDER:
        if name == "token":
            where = origins.get("token")
            details.append(f"token = set (from {where})" if where else "token = not set")
            continue
        details.append(
            f"{name} = {_show(getattr(settings, name))}  ({origins.get(name, 'default')})"
        )
    return ok("config", f"settings resolved ({source}; flag > FLOWAUDIT_* > file > default)",
              tuple(details))  # fmt: skip


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(value)
    return "-" if value is None else str(value)
