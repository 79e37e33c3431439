"""Opening the DuckDB file, with every failure turned into a one-line FlowauditError, and
running the store's SQL files (queries/migrations, queries/load, queries/checks).

DuckDB lets one process write a file at a time (and a writer keeps readers out), so every
opener here says plainly who holds the lock, and can wait for it. A SQL file may hold several
statements, each ended by a `;` at the end of a line; parameters are bound by name
(`$account`), each statement receiving only the names it uses."""

from __future__ import annotations

import re
import time
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from flowaudit.assets import read_query
from flowaudit.errors import DatabaseError, DatabaseLockedError

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def connect(
    path: Path | str,
    *,
    read_only: bool = False,
    wait_seconds: float = 0.0,
    poll_seconds: float = 0.2,
) -> duckdb.DuckDBPyConnection:
    """Open the database file; wait up to wait_seconds if another process holds its lock."""
    path = Path(path)
    if read_only and not path.exists():
        raise DatabaseError(
            f"database not found: {path} (run `flowaudit extract` or `flowaudit demo` first)"
        )
    if not read_only and not path.parent.exists():
        raise DatabaseError(
            f"cannot create database {path}: directory {path.parent} does not exist"
        )
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
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
        # Every time flowaudit reads or writes is UTC: the session's zone must not shift
        # naive parameters or `now()` (DuckDB's default is the machine's zone).
        con.execute("SET TimeZone = 'UTC'")
        return con


def describe_duckdb_error(path: Path | str, exc: BaseException) -> str:
    """One line that says what is wrong with the database file."""
    text = str(exc)
    if "not a valid DuckDB database file" in text:
        return f"{path} is not a DuckDB database file"
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
