"""Settings, resolved once: command-line flag > FLOWAUDIT_* environment > flowaudit.toml >
built-in default. Commands receive a `Settings` and never read the environment themselves.

The API token is the exception to the file rule: it comes only from FLOWAUDIT_TOKEN or a
token file (`--token-file` / FLOWAUDIT_TOKEN_FILE / `token_file` in the config file), never
from a command-line value or the config file itself."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from flowaudit.errors import ConfigError
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
    rate: float = 150.0  # requests per second, well under the account's 300/s
    timeout: float = 30.0  # seconds, per request
    max_attempts: int = 6
    audit_overlap_hours: float = 6.0
    out: Path = Path("flowaudit-reports")
    retention_days: int = 30  # dated report folders kept under `out`
    log_file: Path | None = None
    quiet: bool = False
    templates_dir: Path | None = None
    volatile_fields: tuple[str, ...] = DEFAULT_VOLATILE_FIELDS
    secret_field_pattern: str = DEFAULT_SECRET_FIELD_PATTERN
    # Not settable from the file: only from the environment or the token file.
    token: Secret | None = field(default=None, repr=False)

    def require_token(self) -> Secret:
        if self.token is None or not self.token:
            raise ConfigError(
                "no API token: set FLOWAUDIT_TOKEN or pass --token-file PATH "
                "(a file holding only the token)"
            )
        return self.token


_FILE_KEYS = {f.name for f in fields(Settings)} - {"token"}
_PATH_KEYS = {"db", "token_file", "out", "log_file", "templates_dir"}
_INT_KEYS = {"concurrency", "max_attempts", "retention_days"}
_FLOAT_KEYS = {"rate", "timeout", "audit_overlap_hours"}
_BOOL_KEYS = {"quiet"}
_TUPLE_KEYS = {"volatile_fields"}


def _coerce(key: str, value: Any, origin: str) -> Any:
    try:
        if key in _PATH_KEYS:
            return Path(os.path.expanduser(str(value)))
        if key in _INT_KEYS:
            number = int(value)
            if number < 1:
                raise ValueError
            return number
        if key in _FLOAT_KEYS:
            number = float(value)
            if number <= 0 and key != "audit_overlap_hours":
                raise ValueError
            return number
        if key in _BOOL_KEYS:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError
        if key in _TUPLE_KEYS:
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            return tuple(str(v) for v in value)
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{origin}: invalid value for {key}: {value!r}") from None


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
    if "token" in section:
        raise ConfigError(
            f"config file {path}: 'token' is not allowed in the file; use token_file or FLOWAUDIT_TOKEN"
        )
    unknown = sorted(set(section) - _FILE_KEYS - {"region"})
    if unknown:
        raise ConfigError(f"config file {path}: unknown setting(s): {', '.join(unknown)}")
    return section


def _apply_region(
    values: dict[str, Any], region: str | None, origin: str, origins: dict[str, str]
) -> None:
    if region is None:
        return
    key = region.strip().lower()
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
    settings = replace(settings, token=_load_token(settings, env))
    for name in _FILE_KEYS:
        origins.setdefault(name, "default")
    if settings.token is not None:
        origins["token"] = (
            f"token file {settings.token_file}" if settings.token_file else "FLOWAUDIT_TOKEN"
        )
    return settings, origins


def _load_token(settings: Settings, env: dict[str, str]) -> Secret | None:
    if settings.token_file is not None:
        try:
            text = settings.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"cannot read token file {settings.token_file}: {exc.strerror or exc.__class__.__name__}"
            ) from None
        if not text or len(text.split()) != 1:
            raise ConfigError(f"token file {settings.token_file} must hold exactly one token")
        register_secret(text)
        return Secret(text)
    token = env.get("FLOWAUDIT_TOKEN", "").strip()
    if token:
        register_secret(token)
        return Secret(token)
    return None
