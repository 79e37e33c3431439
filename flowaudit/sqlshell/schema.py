"""The public schema as a person reads it: every view and table macro in schema `main`, with
its columns, their types and meanings, read from the database itself.

Views and their columns are described by the comments any DuckDB client shows
(duckdb_views(), duckdb_columns()); a table macro by its duckdb_functions() comment, its
output columns by asking DuckDB for the macro's result shape, and the meanings of a macro's
parameters and columns (which DuckDB cannot store as comments) by `store.schema_docs`.
`flowaudit schema` and docs/schema.md are both rendered from `read_schema`."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from flowaudit.errors import QueryError


@dataclass(frozen=True)
class Field:
    """A column (or a macro parameter): name, DuckDB type ('' if untyped) and meaning."""

    name: str
    type: str
    meaning: str


@dataclass(frozen=True)
class PublicObject:
    """A public view or table macro."""

    name: str
    kind: str  # "view" or "macro"
    description: str
    parameters: list[Field] = field(default_factory=list)
    columns: list[Field] = field(default_factory=list)

    @property
    def signature(self) -> str:
        if self.kind == "view":
            return self.name
        return f"{self.name}({', '.join(p.name for p in self.parameters)})"


def read_schema(connection: duckdb.DuckDBPyConnection) -> list[PublicObject]:
    """Every public view, then every public table macro, each sorted by name."""
    try:
        notes = _macro_notes(connection)
        views = [_read_view(connection, name, comment) for name, comment in _views(connection)]
        macros = [
            _read_macro(connection, name, comment, parameters, notes)
            for name, comment, parameters in _macros(connection)
        ]
    except duckdb.Error as exc:
        raise QueryError(f"cannot read the schema: {str(exc).splitlines()[0]}") from None
    return views + macros


def _views(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None]]:
    return connection.execute(
        "SELECT view_name, comment FROM duckdb_views() "
        "WHERE database_name = current_database() AND schema_name = 'main' "
        "AND NOT internal AND NOT temporary ORDER BY view_name"
    ).fetchall()


def _macros(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None, list[str]]]:
    return connection.execute(
        "SELECT DISTINCT function_name, comment, parameters FROM duckdb_functions() "
        "WHERE database_name = current_database() AND schema_name = 'main' "
        "AND function_type = 'table_macro' AND NOT internal ORDER BY function_name"
    ).fetchall()


def _read_view(
    connection: duckdb.DuckDBPyConnection, name: str, comment: str | None
) -> PublicObject:
    columns = connection.execute(
        "SELECT column_name, data_type, comment FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main' "
        "AND table_name = $name ORDER BY column_index",
        {"name": name},
    ).fetchall()
    return PublicObject(
        name=name,
        kind="view",
        description=comment or "",
        columns=[Field(column, kind, meaning or "") for column, kind, meaning in columns],
    )


def _read_macro(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    comment: str | None,
    parameters: list[str],
    notes: dict[tuple[str, str, str], str],
) -> PublicObject:
    shape = _macro_result_shape(connection, name, len(parameters))
    return PublicObject(
        name=name,
        kind="macro",
        description=comment or notes.get((name, "object", ""), ""),
        parameters=[Field(p, "", notes.get((name, "parameter", p), "")) for p in parameters],
        columns=[Field(c, kind, notes.get((name, "column", c), "")) for c, kind in shape],
    )


def _macro_result_shape(
    connection: duckdb.DuckDBPyConnection, name: str, arity: int
) -> list[tuple[str, str]]:
    # Macros are untyped; flowaudit's take timestamps, so try that first, then plain NULLs.
    last_error: duckdb.Error | None = None
    for argument in ("NULL::TIMESTAMP", "NULL"):
        arguments = ", ".join([argument] * arity)
        try:
            connection.execute(f'SELECT * FROM "{name}"({arguments}) LIMIT 0')
        except duckdb.Error as exc:
            last_error = exc
            continue
        shape = [(column, str(kind)) for column, kind, *_ in connection.description]
        connection.fetchall()
        return shape
    assert last_error is not None
    raise last_error


def _macro_notes(connection: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], str]:
    exists = connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'store' AND table_name = 'schema_docs'"
    ).fetchall()[0][0]
    if not exists:
        return {}
    rows = connection.execute(
        "SELECT object_name, item_kind, coalesce(item_name, ''), description "
        "FROM store.schema_docs WHERE object_kind = 'macro'"
    ).fetchall()
    return {(obj, item, item_name): text for obj, item, item_name, text in rows}


def render_text(objects: list[PublicObject]) -> str:
    """The schema for a terminal: one block per object, columns aligned."""
    blocks = []
    for obj in objects:
        lines = [f"{obj.signature}  ({'view' if obj.kind == 'view' else 'table macro'})"]
        if obj.description:
            lines.append(f"  {obj.description}")
        for parameter in obj.parameters:
            lines.append(f"  parameter {parameter.name}: {parameter.meaning}".rstrip())
        name_width = max((len(c.name) for c in obj.columns), default=0)
        type_width = max((len(c.type) for c in obj.columns), default=0)
        for column in obj.columns:
            lines.append(
                f"    {column.name:<{name_width}}  {column.type:<{type_width}}  {column.meaning}".rstrip()
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


MARKDOWN_TITLE = "# The flowaudit database: public views and table macros"


def render_markdown(objects: list[PublicObject]) -> str:
    """The schema as a Markdown page (docs/schema.md)."""
    out = [
        MARKDOWN_TITLE,
        "",
        "Generated from the comments stored in the database (`flowaudit schema --format markdown`);",
        "do not edit by hand: the descriptions live in `queries/views/*.sql`.",
        "Every timestamp is UTC. Tables in schema `store` are internal and may change.",
        "",
    ]
    for title, kind in (("Views", "view"), ("Table macros", "macro")):
        members = [obj for obj in objects if obj.kind == kind]
        if not members:
            continue
        out += [f"## {title}", ""]
        for obj in members:
            out += [f"### `{obj.signature}`", ""]
            if obj.description:
                out += [_md(obj.description), ""]
            if obj.parameters:
                out += [f"- `{p.name}`: {_md(p.meaning)}".rstrip() for p in obj.parameters] + [""]
            out += ["| column | type | meaning |", "|---|---|---|"]
            out += [f"| `{c.name}` | {_md(c.type)} | {_md(c.meaning)} |" for c in obj.columns]
            out.append("")
    return "\n".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def fresh_schema_markdown() -> str:
    """docs/schema.md as this code base defines it: rendered from a new in-memory database
    with every migration and view installed."""
    from flowaudit.load.migrations import migrate  # the loader owns the schema's creation

    connection = duckdb.connect()
    try:
        migrate(connection)
        return render_markdown(read_schema(connection))
    finally:
        connection.close()


if __name__ == "__main__":
    # Regenerate the docs: python -m flowaudit.sqlshell.schema docs/schema.md
    import sys
    from pathlib import Path

    Path(sys.argv[1]).write_text(fresh_schema_markdown(), encoding="utf-8")
