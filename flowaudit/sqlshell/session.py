"""Running ad hoc SQL against the flowaudit database without being able to change it.

The guard is the connection, not a look at the SQL text: the file is opened read-only (any
write fails inside DuckDB) and external access is switched off for the session, so a query
can neither ATTACH another file read-write nor COPY/read files. External access cannot be
switched back on while the connection is open. Every DuckDB error leaves as a QueryError."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from flowaudit.errors import QueryError, UsageError
from flowaudit.load.db import connect

READ_ONLY_MESSAGE = "the database is opened read-only: this statement would change it"
NO_FILES_MESSAGE = (
    "flowaudit sql reads only its database: ATTACH, COPY and reading or writing files are "
    "switched off (to save a result use --output FILE)"
)
_PARAMETER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Column:
    name: str
    type: duckdb.DuckDBPyType


@dataclass
class QueryResult:
    """The result of the last statement, still in DuckDB: fetch it with `fetch_rows`."""

    connection: duckdb.DuckDBPyConnection
    columns: list[Column]

    def fetch_rows(self, batch_size: int = 2048) -> Iterator[list[tuple]]:
        """Rows in batches, as DuckDB converts them to Python values."""
        while True:
            try:
                rows = self.connection.fetchmany(batch_size)
            except duckdb.Error as exc:
                raise query_error(exc) from None
            if not rows:
                return
            yield rows


@contextmanager
def open_readonly(db: Path, *, wait_seconds: float = 0.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the database that cannot reach other files."""
    connection = connect(db, read_only=True, wait_seconds=wait_seconds)
    try:
        connection.execute("SET enable_external_access = false")
        # DuckDB draws a progress bar on stderr for long queries; stderr is for diagnostics.
        connection.execute("SET enable_progress_bar = false")
        yield connection
    finally:
        connection.close()


def run_query(
    connection: duckdb.DuckDBPyConnection,
    sql: str,
    params: Mapping[str, str] | None = None,
) -> QueryResult:
    """Run every statement of `sql` in order; the result is the last statement's.

    `params` are bound as DuckDB `$name` parameters (as text; cast in SQL where a number or
    timestamp is needed). Defaults declared in the text with `-- @param name = value` apply
    to names not given."""
    given = dict(params or {})
    for name in given:
        if not _PARAMETER_NAME.match(name):
            raise UsageError(f"invalid parameter name {name!r} (letters, digits, _)")
    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error as exc:
        raise query_error(exc) from None
    if not statements:
        raise UsageError("no SQL statement given")

    values = {**declared_parameters(sql), **given}
    used = set().union(*(statement.named_parameters for statement in statements))
    if any(name.isdigit() for name in used):
        raise UsageError("positional parameters (? or $1) are not supported: use $name and -p name VALUE")
    missing = sorted(used - values.keys())
    if missing:
        raise UsageError(
            "missing parameter(s): "
            + ", ".join(f"${name} (pass -p {name} VALUE)" for name in missing)
        )
    unused = sorted(given.keys() - used)
    if unused:
        raise UsageError(f"parameter(s) not used by the query: {', '.join(unused)}")

    for position, statement in enumerate(statements, start=1):
        bound = {name: values[name] for name in statement.named_parameters}
        try:
            connection.execute(statement.query, bound or None)
            # Fetch earlier results fully: an error in a late row must surface here.
            if position < len(statements) and connection.description is not None:
                connection.fetchall()
        except duckdb.Error as exc:
            raise query_error(exc, statement=position if len(statements) > 1 else None) from None

    # SET, USE ... answer with a placeholder "Success" column: there is nothing to show.
    last = statements[-1]
    produces_rows = any(kind != duckdb.ExpectedResultType.NOTHING for kind in last.expected_result_type)
    description = (connection.description or []) if produces_rows else []
    return QueryResult(connection, [Column(name, kind) for name, kind, *_ in description])


_DECLARED = re.compile(
    r"^[ \t]*--[ \t]*@param[ \t]+(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*"
    r"(?:'(?P<quoted>(?:[^']|'')*)'|(?P<bare>\S*))",
    re.MULTILINE,
)


def declared_parameters(sql: str) -> dict[str, str]:
    """Defaults declared in comment lines: `-- @param days = 7` or `-- @param who = 'a b'`.

    An empty default (`-- @param person =`) declares a parameter that must be given."""
    defaults: dict[str, str] = {}
    for match in _DECLARED.finditer(sql):
        if match["quoted"] is not None:
            defaults[match["name"]] = match["quoted"].replace("''", "'")
        elif match["bare"]:
            defaults[match["name"]] = match["bare"]
    return defaults


def query_error(exc: BaseException, *, statement: int | None = None) -> BaseException:
    """The one-line QueryError a person sees for a DuckDB failure."""
    if isinstance(exc, duckdb.InterruptException):
        return KeyboardInterrupt()
    text = str(exc)
    if "read-only mode" in text or "Unique file handle conflict" in text:
        message = READ_ONLY_MESSAGE
    elif isinstance(exc, duckdb.PermissionException) or "disabled by configuration" in text:
        message = NO_FILES_MESSAGE
    else:
        message = text.strip().splitlines()[0] if text.strip() else exc.__class__.__name__
    where = f"statement {statement}: " if statement is not None else ""
    return QueryError(where + message)
