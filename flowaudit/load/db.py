"""Opening the DuckDB file, with every failure turned into a one-line FlowauditError, and
running the store's SQL files (queries/migrations, queries/load, queries/checks).

DuckDB lets one process write a file at a time (and a writer keeps readers out), so every
opener here says plainly who holds the lock, and can wait for it. A SQL file may hold several
statements, each ended by a `;` at the end of a line; parameters are bound by name
(`$account`), each statement receiving only the names it uses.

A database file is data, never code flowaudit runs blindly: a file whose header is not
DuckDB's is refused before DuckDB opens it (DuckDB would try to load an extension for a
SQLite file), extensions are never installed or loaded on the fly, and file access is off on
every connection (a view or macro stored in a copied file cannot read /proc or the disk),
except for the folders a caller names (the loader reads its staging area)."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from flowaudit.assets import read_query
from flowaudit.errors import DatabaseError, DatabaseLockedError

# Bytes 8-11 of every DuckDB database file (after an 8-byte checksum).
DUCKDB_MAGIC = b"DUCK"
_FOREIGN_HEADERS = (
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"PK\x03\x04", "a zip file"),
    (b"PAR1", "a Parquet file"),
    (b"\x1f\x8b", "a gzip file"),
)
# Settings fixed when the connection opens (some cannot be changed later).
_CONNECT_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def connect(
    path: Path | str,
    *,
    read_only: bool = False,
    wait_seconds: float = 0.0,
    poll_seconds: float = 0.2,
    file_access: Sequence[Path] = (),
    file_paths: Sequence[str] = (),
) -> duckdb.DuckDBPyConnection:
    """Open the database file; wait up to wait_seconds if another process holds its lock.

    The connection can read and write no file but the database, except in the folders of
    file_access and the single files (or pipes) of file_paths."""
    path = Path(path)
    if read_only and not path.exists():
        raise DatabaseError(
            f"database not found: {path} (run `flowaudit extract` or `flowaudit demo` first)"
        )
    if not read_only and not path.parent.exists():
        raise DatabaseError(
            f"cannot create database {path}: directory {path.parent} does not exist"
        )
    check_header(path)
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=dict(_CONNECT_CONFIG))
        except duckdb.Error as exc:
            text = str(exc)
            holder = _LOCK_HOLDER.search(text)
            if holder or "Could not set lock" in text:
                if time.monotonic() < deadline:
                    time.sleep(poll_seconds)
                    continue
                who = f" by process {holder['pid']}" if holder else ""
                raise DatabaseLockedError(
                    f"database {path} is locked{who} (a flowaudit run is probably writing it); "
                    "try again when it finishes, or pass --wait"
                ) from None
            raise DatabaseError(describe_duckdb_error(path, exc)) from None
        try:
            _restrict(con, file_access, file_paths)
        except BaseException:
            con.close()
            raise
        return con


def _restrict(con: duckdb.DuckDBPyConnection, file_access: Sequence[Path], file_paths: Sequence[str]) -> None:
    try:
        # Every time flowaudit reads or writes is UTC: the session's zone must not shift
        # naive parameters or `now()` (DuckDB's default is the machine's zone).
        con.execute("SET TimeZone = 'UTC'")
        if file_access:
            folders = [str(Path(folder).resolve()) for folder in file_access]
            con.execute("SET allowed_directories = $folders", {"folders": folders})
        if file_paths:
            con.execute("SET allowed_paths = $paths", {"paths": list(file_paths)})
        # Cannot be switched back on while the connection is open.
        con.execute("SET enable_external_access = false")
    except duckdb.Error as exc:
        raise DatabaseError(describe_duckdb_error(current_path(con), exc)) from None


def check_header(path: Path) -> None:
    """Refuse an existing file that is not a DuckDB database, before DuckDB reads it."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(16)
    except FileNotFoundError:
        return  # a new database
    except IsADirectoryError:
        raise DatabaseError(f"{path} is a directory, not a DuckDB database file") from None
    except OSError as exc:
        raise DatabaseError(
            f"cannot read {path}: {exc.strerror or exc.__class__.__name__}"
        ) from None
    if header[8:12] == DUCKDB_MAGIC:
        return
    kind = next((name for magic, name in _FOREIGN_HEADERS if header.startswith(magic)), None)
    if not header:
        kind = "an empty file"
    raise DatabaseError(
        f"{path} is not a DuckDB database file" + (f" (it is {kind})" if kind else "")
    )


def current_path(con: duckdb.DuckDBPyConnection) -> str:
    """The file of the connection's database (for messages)."""
    try:
        rows = con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchall()
        return rows[0][0] or "the database"
    except duckdb.Error:
        return "the database"


def is_damage(exc: BaseException) -> bool:
    """Whether a DuckDB error says the file itself is damaged (truncated, corrupt)."""
    text = str(exc)
    return (
        "Could not read enough bytes" in text
        or "Corrupt database file" in text
        or ("checksum" in text.lower() and "block" in text.lower())
    )


def describe_duckdb_error(path: Path | str, exc: BaseException) -> str:
    """One line that says what is wrong with the database file."""
    text = str(exc)
    if "not a valid DuckDB database file" in text:
        return f"{path} is not a DuckDB database file"
    if is_damage(exc):
        return f"{path} is damaged (truncated or corrupt): keep a copy, then rebuild it with `flowaudit extract --full`"
    if "No space left on device" in text:
        return f"disk full while writing {path}"
    if "Permission denied" in text:
        return f"permission denied opening {path}"
    if ("older" in text and "storage" in text.lower()) or "newer" in text:
        return f"{path} was written by another DuckDB version: {text.splitlines()[0]}"
    first = text.splitlines()[0] if text else exc.__class__.__name__
    return f"database {path}: {first}"


_STATEMENT_END = re.compile(r";[ \t]*(?:--[^\n]*)?(?:\n|$)")
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_LINE_COMMENT = re.compile(r"--[^\n]*")


@cache
def statements(name: str) -> tuple[str, ...]:
    """The statements of `queries/<name>`, comments kept, empty pieces dropped."""
    pieces = _STATEMENT_END.split(read_query(name))
    return tuple(p.strip() for p in pieces if _LINE_COMMENT.sub("", p).strip())


def run_sql_file(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> None:
    """Execute every statement of `queries/<name>` with the named parameters it uses."""
    for statement in statements(name):
        con.execute(statement, _used(statement, params))


def fetch_sql_file(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[tuple]:
    """Rows of the single statement in `queries/<name>`."""
    (statement,) = statements(name)
    return con.execute(statement, _used(statement, params)).fetchall()


def _used(statement: str, params: dict[str, Any]) -> dict[str, Any]:
    names = set(_PARAMETER.findall(_LINE_COMMENT.sub("", statement)))
    missing = names - params.keys()
    if missing:
        raise KeyError(f"missing SQL parameter(s): {', '.join(sorted(missing))}")
    return {name: params[name] for name in names}
