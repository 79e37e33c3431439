"""Values beyond the fixture's: exact decimals and huge integers, JSON nested in lists and
structs, time zones, intervals, blobs, NaN (JSON has none)."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import duckdb
import pytest

from flowaudit.errors import QueryError, UsageError
from flowaudit.sqlshell import declared_parameters, run_query, write_result


def _jsonl(sql: str) -> str:
    connection = duckdb.connect()
    try:
        out = io.BytesIO()
        write_result(run_query(connection, sql), "jsonl", out)
        return out.getvalue().decode("utf-8")
    finally:
        connection.close()


def test_decimals_and_hugeints_keep_every_digit_as_json_numbers():
    text = _jsonl(
        "SELECT 12345678901234567890.123456789::DECIMAL(38, 9) AS d, "
        "170141183460469231731687303715884105727::HUGEINT AS h, 0.10::DECIMAL(4, 2) AS small"
    )
    assert text == (
        '{"d":12345678901234567890.123456789,'
        '"h":170141183460469231731687303715884105727,"small":0.10}\n'
    )
    parsed = json.loads(text, parse_float=Decimal)
    assert parsed["d"] == Decimal("12345678901234567890.123456789")


def test_json_nested_in_lists_structs_and_maps_is_embedded_not_quoted():
    text = _jsonl(
        """SELECT ['{"a": 1}'::JSON, NULL] AS docs,
                  {'doc': '[true]'::JSON, 'n': 2} AS pair,
                  MAP {'k': '{"x": null}'::JSON} AS m"""
    )
    assert json.loads(text) == {
        "docs": [{"a": 1}, None],
        "pair": {"doc": [True], "n": 2},
        "m": {"k": {"x": None}},
    }


def test_a_pretty_printed_json_value_stays_on_one_jsonl_line():
    text = _jsonl("""SELECT '{\n  "a": [1,\n 2]\n}'::JSON AS doc""")
    assert text == '{"doc":{"a":[1,2]}}\n'


def test_times_intervals_blobs_and_non_finite_floats():
    text = _jsonl(
        "SELECT TIMESTAMPTZ '2026-03-01 10:00:00+00' AS tz, DATE '2026-03-01' AS d, "
        "TIME '07:05:00' AS t, INTERVAL 90 MINUTE AS iv, '\\xAA'::BLOB || 'ok'::BLOB AS b, "
        "'nan'::DOUBLE AS n, 'inf'::DOUBLE AS i, '9e1b6f3c-0000-4000-8000-000000000001'::UUID AS u"
    )
    assert json.loads(text) == {
        "tz": "2026-03-01T10:00:00+00:00",
        "d": "2026-03-01",
        "t": "07:05:00",
        "iv": "P0DT5400S",
        "b": "\\xAAok",
        "n": None,
        "i": None,
        "u": "9e1b6f3c-0000-4000-8000-000000000001",
    }


def test_positional_parameters_are_refused_with_a_hint():
    with pytest.raises(UsageError, match=r"\$name"):
        run_query(duckdb.connect(), "SELECT ?")


def test_an_empty_script_is_a_usage_error():
    with pytest.raises(UsageError, match="no SQL statement"):
        run_query(duckdb.connect(), "-- nothing here\n")


def test_the_failing_statement_of_a_script_is_named():
    with pytest.raises(QueryError, match=r"^statement 2: Catalog Error"):
        run_query(duckdb.connect(), "SELECT 1; SELECT * FROM missing_table; SELECT 3")


def test_declared_defaults_are_read_from_comment_lines():
    sql = "-- @param days = 7\n-- @param who = 'Ann O''Neil'\n--   @param person =\nSELECT 1"
    assert declared_parameters(sql) == {"days": "7", "who": "Ann O'Neil"}
