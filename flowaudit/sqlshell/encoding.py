"""How `flowaudit sql` writes each DuckDB type: SQL expressions put in front of DuckDB's writers.

DuckDB writes csv, json, jsonl and parquet itself (COPY); these expressions change only what
its writers would write differently from flowaudit's rules, chosen once per column from its
type:
- a timestamp is UTC, as ISO-8601 text with `Z` (`2026-01-01T12:00:00Z`, sub-seconds only
  when present); a naive TIMESTAMP is UTC by flowaudit's convention, a TIMESTAMPTZ is shown in
  UTC whatever the session's TimeZone; parquet stores both as TIMESTAMPTZ (isAdjustedToUTC);
- an interval is an ISO-8601 duration, P<days>DT<seconds>S (a month counts 30 days);
- NaN and ±Infinity, which JSON lacks, are JSON null;
- in csv and table, a list, struct or map is compact JSON; a JSON column is its stored text;
- parquet keeps HUGEINT exact as DECIMAL(38, 0) (DuckDB would write a double).
The same rules hold inside lists, structs and maps."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flowaudit.errors import QueryError

if TYPE_CHECKING:
    import duckdb

_NAIVE_TIMESTAMPS = {"timestamp", "timestamp_s", "timestamp_ms", "timestamp_ns"}
_TIMESTAMP_TZ = "timestamp with time zone"
_NESTED = {"list", "array", "struct", "map"}
_HUGE_INTEGERS = {"hugeint", "uhugeint"}
_NUMERIC = {
    "tinyint",
    "smallint",
    "integer",
    "bigint",
    "hugeint",
    "utinyint",
    "usmallint",
    "uinteger",
    "ubigint",
    "uhugeint",
    "float",
    "double",
    "decimal",
    "varint",
    "bignum",
}

# Given a scalar's SQL and type, the SQL that replaces it, or None to keep it as it is.
Leaf = Callable[[str, "duckdb.DuckDBPyType"], "str | None"]


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def is_numeric(column_type: duckdb.DuckDBPyType) -> bool:
    """True for the types a table right-aligns."""
    return column_type.id in _NUMERIC


def json_expr(sql: str, column_type: duckdb.DuckDBPyType) -> str:
    """The column as DuckDB's JSON writer should receive it."""
    return _transform(sql, column_type, _json_leaf) or sql


def csv_expr(sql: str, column_type: duckdb.DuckDBPyType) -> str:
    """The column as DuckDB's CSV writer should receive it (plain scalars as they are)."""
    if column_type.id in _NESTED:
        return _compact_json(sql, column_type)
    return _text_leaf(sql, column_type) or sql


def text_expr(sql: str, column_type: duckdb.DuckDBPyType) -> str:
    """The column as display text (VARCHAR; NULL stays NULL), for the table format."""
    if column_type.id in _NESTED:
        return _compact_json(sql, column_type)
    return _text_leaf(sql, column_type) or f"CAST({sql} AS VARCHAR)"


def parquet_expr(sql: str, column_type: duckdb.DuckDBPyType, name: str) -> str:
    """The column as DuckDB's parquet writer should receive it."""
    if _contains(column_type, {"interval", "union"}):
        # Parquet's INTERVAL and DuckDB's UNION layout are read back by few tools.
        raise QueryError(
            f"parquet cannot store column {name!r} ({column_type}); "
            f"cast it in the query, e.g. CAST({name} AS VARCHAR)"
        )
    return _transform(sql, column_type, _parquet_leaf) or sql


def timestamp_text(sql: str, column_type: duckdb.DuckDBPyType) -> str:
    """ISO-8601 text in UTC with `Z`; DuckDB's own text keeps sub-seconds only when present."""
    if column_type.id == _TIMESTAMP_TZ:
        sql = f"timezone('UTC', {sql})"  # the UTC wall time, whatever the session's zone
    return (
        f"CASE WHEN isfinite({sql}) THEN replace(CAST({sql} AS VARCHAR), ' ', 'T') || 'Z' "
        f"ELSE CAST({sql} AS VARCHAR) END"
    )


def interval_text(sql: str) -> str:
    """ISO-8601 duration P<days>DT<seconds>S, a month counted as 30 days (NULL stays NULL)."""
    micros = f"abs(epoch_us({sql}))"
    return (
        f"(CASE WHEN epoch_us({sql}) < 0 THEN '-' ELSE '' END) || 'P' "
        f"|| CAST({micros} // 86400000000 AS VARCHAR) || 'DT' "
        f"|| CAST({micros} % 86400000000 // 1000000 AS VARCHAR) "
        f"|| (CASE WHEN {micros} % 1000000 = 0 THEN '' "
        f"ELSE '.' || rtrim(lpad(CAST({micros} % 1000000 AS VARCHAR), 6, '0'), '0') END) || 'S'"
    )


def _json_leaf(sql: str, column_type: duckdb.DuckDBPyType) -> str | None:
    kind = column_type.id
    if kind in {"float", "double"}:
        return f"CASE WHEN isfinite({sql}) THEN {sql} END"
    return _text_leaf(sql, column_type)


def _text_leaf(sql: str, column_type: duckdb.DuckDBPyType) -> str | None:
    kind = column_type.id
    if kind in _NAIVE_TIMESTAMPS or kind == _TIMESTAMP_TZ:
        return timestamp_text(sql, column_type)
    if kind == "interval":
        return interval_text(sql)
    return None


def _parquet_leaf(sql: str, column_type: duckdb.DuckDBPyType) -> str | None:
    kind = column_type.id
    if kind in _NAIVE_TIMESTAMPS:
        # timezone('UTC', naive) reads the wall time as UTC, whatever the session's zone.
        return f"timezone('UTC', CAST({sql} AS TIMESTAMP))"
    if kind in _HUGE_INTEGERS:
        return f"CAST({sql} AS DECIMAL(38, 0))"
    return None


def _compact_json(sql: str, column_type: duckdb.DuckDBPyType) -> str:
    return f"CAST(to_json({json_expr(sql, column_type)}) AS VARCHAR)"


def _transform(
    sql: str, column_type: duckdb.DuckDBPyType, leaf: Leaf, depth: int = 0
) -> str | None:
    """`sql` rebuilt with `leaf` applied to every scalar inside it; None when nothing changes."""
    kind = column_type.id
    if kind in {"list", "array"}:
        variable = f"flowaudit_item{depth}"
        inner = _transform(variable, _children(column_type)[0][1], leaf, depth + 1)
        return None if inner is None else f"list_transform({sql}, lambda {variable}: {inner})"
    if kind == "struct":
        fields = [
            (name, f"struct_extract({sql}, {quote_literal(name)})", field_type)
            for name, field_type in _children(column_type)
        ]
        changed = [_transform(access, field_type, leaf, depth) for _, access, field_type in fields]
        if all(expr is None for expr in changed):
            return None
        packed = ", ".join(
            f"{quote_identifier(name)} := {expr or access}"
            for (name, access, _), expr in zip(fields, changed, strict=True)
        )
        return f"CASE WHEN {sql} IS NULL THEN NULL ELSE struct_pack({packed}) END"
    if kind == "map":
        (_, key_type), (_, value_type) = _children(column_type)
        entry = f"flowaudit_entry{depth}"
        key = _transform(f"{entry}.key", key_type, leaf, depth + 1)
        value = _transform(f"{entry}.value", value_type, leaf, depth + 1)
        if key is None and value is None:
            return None
        return (
            f"map_from_entries(list_transform(map_entries({sql}), lambda {entry}: "
            f"struct_pack(key := {key or f'{entry}.key'}, value := {value or f'{entry}.value'})))"
        )
    if kind == "union":
        return None
    return leaf(sql, column_type)


def _contains(column_type: duckdb.DuckDBPyType, kinds: set[str]) -> bool:
    if column_type.id in kinds:
        return True
    if column_type.id in _NESTED:
        return any(_contains(child, kinds) for _, child in _children(column_type))
    return False


def _children(column_type: duckdb.DuckDBPyType) -> list[tuple[str, duckdb.DuckDBPyType]]:
    # Lists pair ("child", type), arrays add ("size", n), structs and maps pair names and types.
    return [(name, child) for name, child in column_type.children if hasattr(child, "id")]
