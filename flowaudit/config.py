"""Settings, resolved once: command-line flag > FLOWAUDIT_* environment > flowaudit.toml >
built-in default. Commands receive a `Settings` and never read the environment themselves.

The API token is the exception to the file rule: it comes only from FLOWAUDIT_TOKEN or a
token file (`--token-file` / FLOWAUDIT_TOKEN_FILE / `token_file` in the config file), never
from a command-line value or the config file itself."""

from __future__ import annotations

import math
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import httpx

from flowaudit import rule_settings
from flowaudit.documents.scrub import DEFAULT_CAPTURED_FIELDS, ScrubPolicy
from flowaudit.errors import ConfigError
from flowaudit.rule_settings import RULE_KEYS
from flowaudit.secrets import Secret, register_secret

REGIONS = {
    "na": "https://api.integrator.io/v1",
    "eu": "https://api.eu.integrator.io/v1",
}

DEFAULT_VOLATILE_FIELDS = (
    "lastModified",
    "lastExecutedAt",
    "debugDate",
    "debugUntil",
    "offline",
    "queueSize",
    "resolvedAt",
)
DEFAULT_SECRET_FIELD_PATTERN = (
    r"(?i)(password|passwd|secret|token|apikey|api_key|privatekey|private_key|"
    r"clientsecret|accesskey|access_key|credential|authorization|bearer|signature)"
)

CONFIG_FILE_NAME = "flowaudit.toml"


@dataclass(frozen=True)
class Settings:
    """Every tunable of flowaudit, with its default."""

    db: Path = Path("flowaudit.duckdb")
    api_url: str = REGIONS["na"]
    account: str = "default"
    token_file: Path | None = None
    concurrency: int = 12  # 150 req/s at ~50-80 ms per answer needs ~10 in flight
    max_in_flight: int = 48  # every account of a --accounts run together (four at the default)
    rate: float = 150.0  # per second on average, a second's worth at once (the account: 300/s)
    timeout: float = 30.0  # seconds: each request's whole deadline, answer body included
    max_attempts: int = 6
    audit_overlap_hours: float = 6.0
    jobs_overlap_hours: float = 1.0  # how far before the jobs watermark a run re-reads jobs
    clock_tolerance_seconds: float = 300.0  # how far the API's clock may run ahead of ours
    max_run_minutes: float = 120.0  # the fetch of one run, at most
    max_response_mb: float = 64.0  # one API answer, compressed or not
    out: Path = Path("flowaudit-reports")
    retention_days: int = 30  # dated report folders kept under `out`
    log_file: Path | None = None
    quiet: bool = False
    templates_dir: Path | None = None
    volatile_fields: tuple[str, ...] = DEFAULT_VOLATILE_FIELDS
    secret_field_pattern: str = DEFAULT_SECRET_FIELD_PATTERN
    # The change-process rules ([rules] in the file; flowaudit.rule_settings).
    business_hours: str = rule_settings.DEFAULT_BUSINESS_HOURS
    business_days: tuple[str, ...] = rule_settings.DEFAULT_BUSINESS_DAYS
    business_timezone: str = rule_settings.DEFAULT_BUSINESS_TIMEZONE
    freeze_windows: tuple[str, ...] = ()
    api_users: tuple[str, ...] | None = None  # None: anyone may change through the API
    ticket_required_integrations: tuple[str, ...] = ()
    ticket_required_types: tuple[str, ...] = ()
    emergency_review_hours: float = rule_settings.DEFAULT_EMERGENCY_REVIEW_HOURS
    # Captured production payloads, replaced by a marker (SHA-256 and size) before storage.
    captured_fields: tuple[str, ...] = DEFAULT_CAPTURED_FIELDS
    store_captured_data: bool = False  # keep them anyway (secrets are masked regardless)
    # The manager's morning (issue 11): how times show, the nightly baseline, the digest.
    display_timezone: str = "UTC"  # IANA zone times are shown in (UTC on hover)
    baseline: str | None = None  # run: drift also against this pinned baseline
    fail_on_attention: bool = False  # run: exit NEEDS_ATTENTION when something needs it
    report_url: str | None = None  # where `out` is served, for the digest's link
    notify_always: bool = False  # send the digest on a night without any change too
    smtp_url: str | None = None  # smtp://[user@]host[:port], smtp+starttls://, smtps://
    smtp_password_file: Path | None = None  # else FLOWAUDIT_SMTP_PASSWORD
    mail_to: tuple[str, ...] = ()
    mail_from: str | None = None
    webhook_url: str | None = None  # a Slack or Teams incoming webhook
    # Not settable from the file: only from the environment or the token file.
    token: Secret | None = field(default=None, repr=False)
    smtp_password: Secret | None = field(default=None, repr=False)

    def require_token(self) -> Secret:
        if self.token is None or not self.token:
            raise ConfigError(
                "no API token: set FLOWAUDIT_TOKEN or pass --token-file PATH "
                "(a file holding only the token)"
            )
        return self.token

    @property
    def scrub_policy(self) -> ScrubPolicy:
        """What is removed from documents before they are staged or stored."""
        return ScrubPolicy(self.captured_fields, self.store_captured_data)


_FILE_KEYS = {f.name for f in fields(Settings)} - {"token", "smtp_password"}
_PATH_KEYS = {"db", "token_file", "out", "log_file", "templates_dir", "smtp_password_file"}
_BOOL_KEYS = {"quiet", "store_captured_data", "fail_on_attention", "notify_always"}
_TUPLE_KEYS = {"volatile_fields", "captured_fields", "mail_to"}
SMTP_SCHEMES = ("smtp", "smtp+starttls", "smtps")
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
# Allowed ranges, inclusive; a value outside is a configuration error, never clamped.
# The upper bounds are far beyond any real need: they exist so that a typo (1e9) or a
# non-number (nan) is refused here instead of failing, or misbehaving, in the middle of a run.
_INT_RANGES = {
    "concurrency": (1, 64),  # each request in flight is also a parallel audit window
    "max_in_flight": (1, 1024),
    "max_attempts": (1, 100),
    "retention_days": (1, 36_500),
}
_FLOAT_RANGES = {
    "rate": (0.001, 100_000.0),
    "timeout": (0.1, 3_600.0),
    "audit_overlap_hours": (0.0, 720.0),
    "jobs_overlap_hours": (0.0, 720.0),
    "clock_tolerance_seconds": (0.0, 86_400.0),
    "max_run_minutes": (1.0, 10_080.0),
    "max_response_mb": (1.0, 4_096.0),
}
MAX_ACCOUNT_CHARS = 200
_FIELD_NAME = re.compile(r"^[^.\[\]\s]+$")
MAX_TOKEN_FILE_BYTES = 64 * 1024


def _coerce(key: str, value: Any, origin: str) -> Any:
    """One setting's value in its type and range, or a ConfigError naming where it came from."""
    try:
        return _coerce_value(key, value)
    except (TypeError, ValueError, OverflowError) as exc:
        reason = f" ({exc})" if str(exc) else ""
        raise ConfigError(f"{origin}: invalid value for {key}: {_quoted(value)}{reason}") from None


def coerce_setting(key: str, value: Any) -> Any:
    """One setting's value in its type and range; a ValueError saying why not (for the
    accounts file, which words its own messages)."""
    return _coerce_value(key, value)


def _coerce_value(key: str, value: Any) -> Any:
    if key in RULE_KEYS:
        return rule_settings.coerce_rule(key, value)
    if key in _PATH_KEYS:
        if not isinstance(value, str | Path) or not str(value).strip():
            raise ValueError("a path is needed")
        return Path(os.path.expanduser(str(value)))
    if key in _INT_RANGES:
        return _in_range(_integer(value), *_INT_RANGES[key])
    if key in _FLOAT_RANGES:
        return _in_range(_number(value), *_FLOAT_RANGES[key])
    if key in _BOOL_KEYS:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower() if isinstance(value, str) else None
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError("true or false")
    if key in _TUPLE_KEYS:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(isinstance(v, str) for v in items):
            raise ValueError("a list of e-mail addresses" if key == "mail_to" else "a list of field names")
        names = tuple(v.strip() for v in items if v.strip())
        if key == "captured_fields" and any(not _FIELD_NAME.match(name) for name in names):
            raise ValueError("field names without dots, brackets or spaces (matched at any depth)")
        return tuple(_address(v) for v in names) if key == "mail_to" else names
    if not isinstance(value, str):
        raise ValueError("text is needed")
    if key == "account":
        return _account(value)
    if key == "api_url":
        return _api_url(value)
    if key in _NOTIFY_CHECKS:
        return _NOTIFY_CHECKS[key](value.strip())
    if key == "secret_field_pattern":
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("a whole number is needed")
    return int(value)  # "1e8", "2.5": ValueError


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("a number is needed")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("a finite number is needed")
    return number


def _in_range(number: int | float, low: int | float, high: int | float) -> int | float:
    if not low <= number <= high:
        raise ValueError(f"must be between {low:g} and {high:g}")
    return number


def _account(text: str) -> str:
    label = text.strip()
    if not label:
        raise ValueError("an account label cannot be empty")
    if len(label) > MAX_ACCOUNT_CHARS or not label.isprintable():
        raise ValueError(f"at most {MAX_ACCOUNT_CHARS} printable characters")
    return label


def _api_url(text: str) -> str:
    try:
        url = httpx.URL(text.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        raise ValueError("not a URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("an http(s) URL with a host is needed")
    if url.userinfo or url.query or url.fragment:
        raise ValueError("no user, password, query or fragment in the API URL")
    return str(url).rstrip("/")


def _timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not an IANA time zone such as Europe/Berlin") from None
    return name


def _smtp_url(text: str) -> str:
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise ValueError("not a URL") from None
    if url.scheme not in SMTP_SCHEMES or not url.host:
        raise ValueError(f"an {', '.join(s + '://' for s in SMTP_SCHEMES)} URL with a host is needed")
    if url.password:
        raise ValueError("no password in the URL: use FLOWAUDIT_SMTP_PASSWORD or smtp_password_file")
    return text


def _http_url(text: str) -> str:
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise ValueError("not a URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("an http(s) URL with a host is needed")
    return text


def _address(text: str) -> str:
    if not _ADDRESS.match(text):
        raise ValueError(f"not an e-mail address: {text!r}")
    return text


def _not_empty(text: str) -> str:
    if not text or not text.isprintable():
        raise ValueError("a printable, non-empty text is needed")
    return text


_NOTIFY_CHECKS = {
    "display_timezone": _timezone,
    "smtp_url": _smtp_url,
    "webhook_url": _http_url,
    "report_url": _http_url,
    "mail_from": _address,
    "baseline": _not_empty,
}


def _quoted(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _check_together(settings: Settings, origins: dict[str, str]) -> None:
    """Rules between settings."""
    if settings.smtp_url and (not settings.mail_to or not settings.mail_from):
        raise ConfigError(
            f"smtp_url ({origins['smtp_url']}) needs mail_to and mail_from: who gets the digest, and from whom"
        )
    for overlap in ("audit_overlap_hours", "jobs_overlap_hours"):
        hours = getattr(settings, overlap)
        if hours * 3600 < settings.clock_tolerance_seconds:
            raise ConfigError(
                f"{overlap} ({hours:g} h, {origins[overlap]}) "
                f"must cover clock_tolerance_seconds ({settings.clock_tolerance_seconds:g} s, "
                f"{origins['clock_tolerance_seconds']}): a run whose observation time was bounded "
                "re-reads at least that much next time"
            )


def find_config_file(explicit: Path | None, environ: dict[str, str]) -> Path | None:
    """The config file to read: --config, FLOWAUDIT_CONFIG, or ./flowaudit.toml if present."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        return explicit
    if environ.get("FLOWAUDIT_CONFIG"):
        path = Path(environ["FLOWAUDIT_CONFIG"])
        if not path.is_file():
            raise ConfigError(f"config file not found: {path} (from FLOWAUDIT_CONFIG)")
        return path
    local = Path.cwd() / CONFIG_FILE_NAME
    return local if local.is_file() else None


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.__class__.__name__}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    section = data.get("flowaudit", data)
    if not isinstance(section, dict):
        raise ConfigError(f"config file {path}: [flowaudit] must be a table")
    section = dict(section)
    section.update(_rules_table(path, data, section))
    if "token" in section:
        raise ConfigError(
            f"config file {path}: 'token' is not allowed in the file; use token_file or FLOWAUDIT_TOKEN"
        )
    unknown = sorted(set(section) - _FILE_KEYS - {"region"})
    if unknown:
        raise ConfigError(f"config file {path}: unknown setting(s): {', '.join(unknown)}")
    return section


def _rules_table(path: Path, data: dict[str, Any], section: dict[str, Any]) -> dict[str, Any]:
    """The [rules] table (or [flowaudit.rules]); rule keys live there and nowhere else."""
    misplaced = sorted(RULE_KEYS.intersection(section))
    if misplaced:
        raise ConfigError(f"config file {path}: {', '.join(misplaced)} belong(s) in the [rules] table")
    rules = section.pop("rules", None) if "rules" in section else data.get("rules")
    if rules is None:
        return {}
    if not isinstance(rules, dict):
        raise ConfigError(f"config file {path}: [rules] must be a table")
    unknown = sorted(set(rules) - RULE_KEYS)
    if unknown:
        raise ConfigError(f"config file {path}: unknown rule(s) in [rules]: {', '.join(unknown)}")
    return rules


def _apply_region(
    values: dict[str, Any], region: str | None, origin: str, origins: dict[str, str]
) -> None:
    if region is None:
        return
    key = region.strip().lower() if isinstance(region, str) else ""
    if key not in REGIONS:
        raise ConfigError(
            f"{origin}: unknown region {region!r} (choose from: {', '.join(REGIONS)})"
        )
    values["api_url"] = REGIONS[key]
    origins["api_url"] = f"{origin} (region {key})"


def resolve_settings(
    flags: dict[str, Any] | None = None,
    *,
    environ: dict[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Merge defaults, the config file, FLOWAUDIT_* variables and flags (None = not given)."""
    return resolve_settings_with_origins(flags, environ=environ, config_file=config_file)[0]


def resolve_settings_with_origins(
    flags: dict[str, Any] | None = None,
    *,
    environ: dict[str, str] | None = None,
    config_file: Path | None = None,
) -> tuple[Settings, dict[str, str]]:
    """resolve_settings, plus where each setting came from ("--db", "FLOWAUDIT_DB", the
    config file's path, or "default"); `token` names its source, never its value."""
    env = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}

    path = find_config_file(config_file, env)
    if path is not None:
        file_values = _read_config_file(path)
        _apply_region(values, file_values.pop("region", None), str(path), origins)
        for key, value in file_values.items():
            values[key] = _coerce(key, value, str(path))
            origins[key] = str(path)

    _apply_region(values, env.get("FLOWAUDIT_REGION") or None, "FLOWAUDIT_REGION", origins)
    for key in _FILE_KEYS:
        env_name = f"FLOWAUDIT_{key.upper()}"
        if env.get(env_name):
            values[key] = _coerce(key, env[env_name], env_name)
            origins[key] = env_name

    for key, value in (flags or {}).items():
        if value is None:
            continue
        if key == "region":
            _apply_region(values, value, "--region", origins)
        elif key in _FILE_KEYS:
            flag = f"--{key.replace('_', '-')}"
            values[key] = _coerce(key, value, flag)
            origins[key] = flag
        else:
            raise ValueError(f"unknown setting {key}")

    settings = replace(Settings(), **values)
    for name in _FILE_KEYS:
        origins.setdefault(name, "default")
    _check_together(settings, origins)
    settings = replace(settings, token=_load_token(settings, env), smtp_password=_load_smtp_password(settings, env))
    if settings.webhook_url:  # an incoming webhook's URL is its credential
        register_secret(httpx.URL(settings.webhook_url).path)
    if settings.token is not None:
        origins["token"] = (
            f"token file {settings.token_file}" if settings.token_file else "FLOWAUDIT_TOKEN"
        )
    return settings, origins


# A token is one printable ASCII word: anything else (a newline, a space, a control or
# non-ASCII character) would make an invalid header, and the header's error would quote it.
_TOKEN = re.compile(r"^[\x21-\x7e]{1,4096}$")


def _load_token(settings: Settings, env: dict[str, str]) -> Secret | None:
    if settings.token_file is not None:
        return parse_token(read_token_file(settings.token_file), f"token file {settings.token_file}")
    text = env.get("FLOWAUDIT_TOKEN", "").strip()
    return parse_token(text, "FLOWAUDIT_TOKEN") if text else None


def parse_token(text: str, where: str) -> Secret:
    """The token `where` holds (a file's text, a variable's value), or a ConfigError that
    shows no part of it."""
    text = text.strip()
    # Whatever it holds is a secret, valid or not: no later text may show any part of it.
    register_secret(text)
    if not text or len(text.split()) != 1:
        raise ConfigError(f"{where} must hold exactly one token (it holds {_word_count(text)})")
    if not _TOKEN.match(text):
        raise ConfigError(
            f"{where} holds a character a token cannot have (control or non-ASCII); "
            "an integrator.io token is one word of printable ASCII"
        )
    return Secret(text)


def _load_smtp_password(settings: Settings, env: dict[str, str]) -> Secret | None:
    """The SMTP password: FLOWAUDIT_SMTP_PASSWORD, else smtp_password_file (never a flag or
    a file key), checked like a token file."""
    if settings.smtp_password_file is not None:
        text = read_token_file(settings.smtp_password_file).strip("\r\n")
    else:
        text = env.get("FLOWAUDIT_SMTP_PASSWORD", "")
    if not text:
        return None
    register_secret(text)
    return Secret(text)


def _word_count(text: str) -> str:
    count = len(text.split())
    return "nothing" if count == 0 else f"{count} words"


def read_token_file(path: Path) -> str:
    """The text of a token file; a ConfigError for anything but a small, readable, ASCII
    regular file (a FIFO or a device such as /dev/zero would block or never end)."""
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer for ever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ConfigError(f"cannot read token file {path}: {_reason(exc)}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"token file {path} is not a regular file ({_file_kind(info.st_mode)})")
        if info.st_size > MAX_TOKEN_FILE_BYTES:
            raise ConfigError(f"token file {path} is {info.st_size} bytes: too large to hold only a token")
        try:
            raw = os.read(fd, MAX_TOKEN_FILE_BYTES + 1)
        except OSError as exc:
            raise ConfigError(f"cannot read token file {path}: {_reason(exc)}") from None
    finally:
        os.close(fd)
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise ConfigError(
            f"token file {path} holds binary or non-ASCII content, not a token"
        ) from None


def token_file_warning(path: Path | None) -> str | None:
    """A warning when the token file can be read by every user of the machine."""
    if path is None:
        return None
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & stat.S_IROTH:
        return (
            f"token file {path} can be read by every user of this machine "
            f"(mode {stat.S_IMODE(mode):04o}); make it private: chmod 600 {path}"
        )
    return None


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def _reason(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__
