"""Running the store's SQL files (queries/migrations, queries/load, queries/checks).

A file may hold several statements, each ended by a `;` at the end of a line. Parameters
are bound by name (`$account`); each statement receives only the names it uses."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import duckdb

from flowaudit.assets import read_query

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
