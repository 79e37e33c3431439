"""Running ad hoc SQL against the flowaudit database without being able to change it.

The guard is the connection, not a look at the SQL text: the file is opened read-only (any
write fails inside DuckDB) and external access is switched off for the session, so a query
can neither ATTACH another file read-write nor COPY/read files. The one exception is the
path flowaudit itself writes the answer to (a fresh temporary file or a pipe), fixed before
the first statement runs. Neither can be changed while the connection is open. Every DuckDB
error leaves as a QueryError that keeps DuckDB's whole message (hints and caret included)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from flowaudit.errors import QueryError, UsageError
from flowaudit.load.db import connect
from flowaudit.sqlshell.parameters import check_names, declared_parameters, in_utc

READ_ONLY_MESSAGE = "the database is opened read-only: this statement would change it"
NO_FILES_MESSAGE = (
    "flowaudit sql reads only its database: ATTACH, COPY and reading or writing files are "
    "switched off (to save a result use --output FILE)"
)
# The name a materialised answer (PRAGMA, EXPLAIN, CALL ...) is read back under.
_ANSWER_VIEW = "flowaudit_answer"


@dataclass(frozen=True)
class Column:
    name: str
    type: duckdb.DuckDBPyType


@dataclass
class QueryResult:
    """The last statement's answer, not yet read: `select` builds SQL that reads it."""

    connection: duckdb.DuckDBPyConnection
    columns: list[Column]
    query: str | None = None  # the statement's text; None when its rows are held by name
    params: dict[str, str] = field(default_factory=dict)
    statement: int | None = None  # its number in a script of several, for error messages

    @property
    def source(self) -> str:
        """A FROM item that reads the answer (the statement as a subquery, as relations do)."""
        # The text starts on the first line, so DuckDB's "LINE n" counts the person's lines.
        return (
            f"({self.query}\n) AS answer" if self.query is not None else f"{_ANSWER_VIEW} AS answer"
        )

    @property
    def hidden_prefix(self) -> str:
        """What `select` puts before the person's text on its first line."""
        return "FROM (" if self.query is not None else ""

    def error(self, exc: BaseException) -> BaseException:
        """The QueryError for a failure while reading the answer through `select`."""
        return query_error(exc, statement=self.statement, hidden_prefix=self.hidden_prefix)

    def select(self, expressions: list[str], *, limit: int = 0) -> str:
        """SQL reading the answer through `expressions` (over #1, #2 ...); bind `params`."""
        return f"FROM {self.source} SELECT {', '.join(expressions)}" + (
            f" LIMIT {int(limit)}" if limit else ""
        )


@contextmanager
def open_readonly(
    db: Path, *, wait_seconds: float = 0.0, writes_to: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection that cannot reach other files (but `writes_to`, if given)."""
    connection = connect(
        db, read_only=True, wait_seconds=wait_seconds, file_paths=[writes_to] if writes_to is not None else ()
    )  # external access is off (db.connect), but for writes_to
    try:
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
    """Run every statement of `sql` but the last in order; the result reads the last one's answer.

    `params` are bound as DuckDB `$name` parameters (as text; cast in SQL where a number or
    timestamp is needed; a date-time with an offset is given in UTC). Defaults declared in
    the text with `-- @param name = value` apply to names not given."""
    given = dict(params or {})
    check_names(given)
    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error as exc:
        raise query_error(exc) from None
    if not statements:
        raise UsageError("no SQL statement given")

    values = {name: in_utc(value) for name, value in {**declared_parameters(sql), **given}.items()}
    used = set().union(*(statement.named_parameters for statement in statements))
    if any(name.isdigit() for name in used):
        raise UsageError(
            "positional parameters (? or $1) are not supported: use $name and -p name VALUE"
        )
    missing = sorted(used - values.keys())
    if missing:
        raise UsageError(
            "missing parameter(s): "
            + ", ".join(f"${name} (pass -p {name} VALUE)" for name in missing)
        )
    unused = sorted(given.keys() - used)
    if unused:
        raise UsageError(f"parameter(s) not used by the query: {', '.join(unused)}")

    numbered = len(statements) > 1
    for position, statement in enumerate(statements[:-1], start=1):
        bound = {name: values[name] for name in statement.named_parameters}
        try:
            connection.execute(statement.query, bound or None)
            # Fetch earlier results fully: an error in a late row must surface here.
            if connection.description is not None:
                connection.fetchall()
        except duckdb.Error as exc:
            raise query_error(exc, statement=position if numbered else None) from None

    last = statements[-1]
    bound = {name: values[name] for name in last.named_parameters}
    number = len(statements) if numbered else None
    try:
        return _answer_of(connection, last, bound, number)
    except duckdb.Error as exc:
        raise query_error(exc, statement=number) from None


def _answer_of(
    connection: duckdb.DuckDBPyConnection, statement, bound: dict[str, str], number: int | None
) -> QueryResult:
    # SET, USE ... answer with a placeholder "Success" column: there is nothing to show.
    if all(kind == duckdb.ExpectedResultType.NOTHING for kind in statement.expected_result_type):
        connection.execute(statement.query, bound or None)
        return QueryResult(connection, [], statement=number)
    # A relation binds the statement (names and types) without running it yet.
    relation = connection.sql(statement.query, params=bound or None)
    columns = [
        Column(name, kind) for name, kind in zip(relation.columns, relation.types, strict=True)
    ]
    if statement.type == duckdb.StatementType.SELECT:
        # Read as a subquery (as DuckDB's relations do), so the answer streams into its writer.
        return QueryResult(connection, columns, statement.query.rstrip(" \t\r\n;"), bound, number)
    # PRAGMA, EXPLAIN, CALL, PIVOT ... were run by `sql()`; their rows are read back by name.
    connection.register(_ANSWER_VIEW, relation)
    return QueryResult(connection, columns, statement=number)


def query_error(
    exc: BaseException, *, statement: int | None = None, hidden_prefix: str = ""
) -> BaseException:
    """The QueryError a person sees for a DuckDB failure: DuckDB's whole message.

    `hidden_prefix` is what flowaudit put before the person's SQL on its first line (to read
    the answer through its writers); it is taken out of DuckDB's "LINE 1:" context."""
    if isinstance(exc, duckdb.InterruptException):
        return KeyboardInterrupt()
    text = str(exc)
    if "read-only mode" in text or "Unique file handle conflict" in text:
        message = READ_ONLY_MESSAGE
    elif isinstance(exc, duckdb.PermissionException) or "disabled by configuration" in text:
        message = NO_FILES_MESSAGE
    else:
        message = _without_prefix(text.strip(), hidden_prefix) or exc.__class__.__name__
    where = f"statement {statement}: " if statement is not None else ""
    return QueryError(where + message)


def _without_prefix(message: str, prefix: str) -> str:
    marker = "LINE 1: " + prefix
    lines = message.split("\n")
    for i, line in enumerate(lines[:-1]):
        caret = lines[i + 1]
        indent = len(caret) - len(caret.lstrip(" "))
        if prefix and line.startswith(marker) and indent >= len(marker):
            lines[i] = "LINE 1: " + line[len(marker) :]
            lines[i + 1] = caret[len(prefix) :]
            break
    return "\n".join(lines)
