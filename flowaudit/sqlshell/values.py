"""How one DuckDB value is written: as JSON text (json/jsonl) or as display text (table/csv).

JSON keeps every value's JSON type: timestamps become ISO-8601 strings, columns of DuckDB's
JSON type are embedded as JSON (not as strings), DECIMAL and HUGEINT keep every digit as JSON
numbers, NaN/Infinity (which JSON lacks) become null. A converter is chosen once per column
from its DuckDB type, because a JSON column reaches Python as a plain `str`."""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import duckdb

ToText = Callable[[Any], str]


def json_converter(column_type: duckdb.DuckDBPyType) -> ToText:
    """A function turning one value of this DuckDB type into JSON text."""
    if _is_json(column_type):
        return _json_text_of_json
    if not _contains_json(column_type):
        return json_of_value
    kind = column_type.id
    children = column_type.children
    if kind in {"list", "array"}:
        item = json_converter(_child_type(children[0]))
        return lambda value: _none_or(value, lambda v: "[" + ",".join(map(item, v)) + "]")
    if kind == "struct":
        fields = {name: json_converter(_child_type(child)) for name, child in children}

        def struct(value: dict) -> str:
            return "{" + ",".join(
                f"{_string(name)}:{fields.get(name, json_of_value)(item)}"
                for name, item in value.items()
            ) + "}"

        return lambda value: _none_or(value, struct)
    if kind == "map":
        map_value = json_converter(_child_type(children[1]))

        def mapping(value: dict) -> str:
            return "{" + ",".join(
                f"{_string(display_text(key))}:{map_value(item)}" for key, item in value.items()
            ) + "}"

        return lambda value: _none_or(value, mapping)
    return json_of_value


def text_converter(column_type: duckdb.DuckDBPyType) -> ToText:
    """A function turning one non-NULL value of this DuckDB type into display text."""
    if _is_json(column_type):
        # Stored JSON text is shown compact, one line, like any other JSON value here.
        return _json_text_of_json
    if column_type.id in {"list", "array", "struct", "map"}:
        return json_converter(column_type)
    return display_text


def json_of_value(value: Any) -> str:
    """JSON text of a value as DuckDB hands it to Python (no JSON-typed strings inside)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "null"
    if isinstance(value, Decimal):
        return _decimal_text(value) if value.is_finite() else "null"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return _string(value.isoformat())
    if isinstance(value, dt.timedelta):
        return _string(_iso_duration(value))
    if isinstance(value, uuid.UUID):
        return _string(str(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return _string(_blob_text(bytes(value)))
    if isinstance(value, dict):
        return "{" + ",".join(
            f"{_string(display_text(k))}:{json_of_value(v)}" for k, v in value.items()
        ) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(map(json_of_value, value)) + "]"
    return _string(str(value))


def display_text(value: Any) -> str:
    """Display text of a non-NULL value, as the DuckDB command line would show it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.timedelta):
        return _iso_duration(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return _blob_text(bytes(value))
    if isinstance(value, dict | list | tuple):
        return json_of_value(value)
    return str(value)


def _json_text_of_json(value: str | None) -> str:
    if value is None:
        return "null"
    # parse_float keeps every digit of a stored number; compact output keeps JSONL one line.
    return _json_of_parsed(json.loads(value, parse_float=Decimal))


def _json_of_parsed(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(k)}:{_json_of_parsed(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(map(_json_of_parsed, value)) + "]"
    return json_of_value(value)


def _none_or(value: Any, convert: ToText) -> str:
    return "null" if value is None else convert(value)


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _decimal_text(value: Decimal) -> str:
    # 'f' keeps DECIMAL(38, 0) values out of exponent notation: every digit is written.
    return format(value, "f")


def _iso_duration(value: dt.timedelta) -> str:
    sign = "-" if value < dt.timedelta(0) else ""
    value = abs(value)
    seconds = value.seconds + value.microseconds / 1_000_000
    seconds_text = f"{seconds:.6f}".rstrip("0").rstrip(".")
    return f"{sign}P{value.days}DT{seconds_text}S"


def _blob_text(data: bytes) -> str:
    # DuckDB's own rendering: printable ASCII as is, every other byte as \xHH.
    return "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02X}" for b in data)


def _is_json(column_type: duckdb.DuckDBPyType) -> bool:
    return str(column_type) == "JSON"


def _contains_json(column_type: duckdb.DuckDBPyType) -> bool:
    return "JSON" in str(column_type)


def _child_type(child: Any) -> duckdb.DuckDBPyType:
    # DuckDBPyType.children pairs a name with a type (list: ("child", type)).
    return child[1] if isinstance(child, tuple) else child
