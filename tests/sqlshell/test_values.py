"""Values beyond the fixture's, written by DuckDB with flowaudit's rules: exact decimals and
huge integers, JSON nested in lists and structs, UTC timestamps (also nested), intervals,
blobs, NaN (JSON has none), and parquet's UTC timestamps."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flowaudit.errors import QueryError, UsageError
from flowaudit.sqlshell import answer_query, declared_parameters, in_utc, run_query


def _answer(db: Path, sql: str, fmt: str = "jsonl", **params: str) -> str:
    out = io.BytesIO()
    answer_query(db, sql, params, fmt=fmt, stdout=out)
    return out.getvalue().decode("utf-8")


def test_decimals_and_hugeints_keep_every_digit_as_json_numbers(fixture_db):
    text = _answer(
        fixture_db,
        "SELECT 12345678901234567890.123456789::DECIMAL(38, 9) AS d, "
        "170141183460469231731687303715884105727::HUGEINT AS h, 0.10::DECIMAL(4, 2) AS small",
    )
    assert text == (
        '{"d":12345678901234567890.123456789,'
        '"h":170141183460469231731687303715884105727,"small":0.1}\n'
    )
    parsed = json.loads(text, parse_float=Decimal)
    assert parsed["d"] == Decimal("12345678901234567890.123456789")


def test_csv_and_table_keep_a_decimals_scale(fixture_db):
    assert _answer(fixture_db, "SELECT 0.10::DECIMAL(4, 2) AS small", "csv") == "small\n0.10\n"
    assert (
        _answer(fixture_db, "SELECT 0.10::DECIMAL(4, 2) AS small", "table").splitlines()[-1]
        == " 0.10"
    )


def test_json_nested_in_lists_structs_and_maps_is_embedded_not_quoted(fixture_db):
    text = _answer(
        fixture_db,
        """SELECT ['{"a": 1}'::JSON, NULL] AS docs,
                  {'doc': '[true]'::JSON, 'n': 2} AS pair,
                  MAP {'k': '{"x": null}'::JSON} AS m""",
    )
    assert json.loads(text) == {
        "docs": [{"a": 1}, None],
        "pair": {"doc": [True], "n": 2},
        "m": {"k": {"x": None}},
    }


def test_a_pretty_printed_json_value_stays_on_one_jsonl_line(fixture_db):
    text = _answer(fixture_db, """SELECT '{\n  "a": [1,\n 2]\n}'::JSON AS doc""")
    assert text == '{"doc":{"a":[1,2]}}\n'


def test_times_intervals_blobs_and_non_finite_floats(fixture_db):
    text = _answer(
        fixture_db,
        "SELECT TIMESTAMPTZ '2026-03-01 10:00:00+02' AS tz, DATE '2026-03-01' AS d, "
        "TIME '07:05:00' AS t, INTERVAL 90 MINUTE AS iv, -INTERVAL '1 day 0.25 seconds' AS back, "
        "'\\xAA'::BLOB || 'ok'::BLOB AS b, 'nan'::DOUBLE AS n, 'inf'::DOUBLE AS i, "
        "'-inf'::FLOAT AS f, '9e1b6f3c-0000-4000-8000-000000000001'::UUID AS u",
    )
    assert json.loads(text) == {
        "tz": "2026-03-01T08:00:00Z",
        "d": "2026-03-01",
        "t": "07:05:00",
        "iv": "P0DT5400S",
        "back": "-P1DT0.25S",
        "b": "\\xAAok",
        "n": None,
        "i": None,
        "f": None,
        "u": "9e1b6f3c-0000-4000-8000-000000000001",
    }


def test_timestamps_are_utc_with_z_and_sub_seconds_only_when_present(fixture_db):
    sql = (
        "SELECT TIMESTAMP '2026-01-01 12:00:00' AS whole, "
        "TIMESTAMP '2026-01-01 12:00:00.5' AS half, "
        "TIMESTAMPTZ '2026-01-01 00:00:00.000123-05:00' AS micro, "
        "'2026-01-01 12:00:00.123456789'::TIMESTAMP_NS AS nano, "
        "'infinity'::TIMESTAMP AS never"
    )
    expected = [
        "2026-01-01T12:00:00Z",
        "2026-01-01T12:00:00.5Z",
        "2026-01-01T05:00:00.000123Z",
        "2026-01-01T12:00:00.123456789Z",
        "infinity",
    ]
    assert list(json.loads(_answer(fixture_db, sql)).values()) == expected
    assert _answer(fixture_db, sql, "csv").splitlines()[1] == ",".join(expected)
    table_row = _answer(fixture_db, sql, "table").splitlines()[2]
    assert [cell.strip() for cell in table_row.split("|")] == expected


def test_timestamps_inside_lists_structs_and_maps_are_utc_too(fixture_db):
    sql = (
        "SELECT [TIMESTAMP '2026-01-01 12:00:00', NULL] AS times, "
        "{'at': TIMESTAMPTZ '2026-01-01 12:00:00+01', 'n': 'nan'::DOUBLE} AS event, "
        "MAP {'start': TIMESTAMP '2026-01-01 12:00:00'} AS marks, "
        'NULL::STRUCT("at" TIMESTAMP) AS nothing'
    )
    expected = {
        "times": ["2026-01-01T12:00:00Z", None],
        "event": {"at": "2026-01-01T11:00:00Z", "n": None},
        "marks": {"start": "2026-01-01T12:00:00Z"},
        "nothing": None,
    }
    assert json.loads(_answer(fixture_db, sql)) == expected
    _header, row = _answer(fixture_db, sql, "csv").splitlines()
    assert row == (
        '"[""2026-01-01T12:00:00Z"",null]",'
        '"{""at"":""2026-01-01T11:00:00Z"",""n"":null}",'
        '"{""start"":""2026-01-01T12:00:00Z""}",'
    )


def test_naive_and_zoned_timestamps_are_written_the_same(fixture_db, tmp_path: Path):
    naive = "SELECT TIMESTAMP '2026-01-01 12:00:00.25' AS t, [TIMESTAMP '2026-01-02 00:00:00'] AS l"
    zoned = (
        "SET TimeZone = 'Pacific/Auckland'; SELECT TIMESTAMPTZ '2026-01-01 12:00:00.25+00' AS t, "
        "[TIMESTAMPTZ '2026-01-02 00:00:00+00'] AS l"
    )
    for fmt in ("table", "csv", "json", "jsonl"):
        assert _answer(fixture_db, naive, fmt) == _answer(fixture_db, zoned, fmt), fmt
    tables = []
    for name, sql in (("naive", naive), ("zoned", zoned)):
        target = tmp_path / f"{name}.parquet"
        answer_query(fixture_db, sql, fmt="parquet", output=target, stdout=io.BytesIO())
        tables.append(pq.read_table(target))
    assert tables[0].to_pylist() == tables[1].to_pylist()
    assert [f.type for f in tables[0].schema] == [f.type for f in tables[1].schema]
    assert tables[0].schema.field("t").type == pa.timestamp("us", tz="UTC")
    assert tables[0].schema.field("l").type == pa.list_(pa.timestamp("us", tz="UTC"))
    column = pq.ParquetFile(tmp_path / "naive.parquet").schema.column(0)
    assert json.loads(column.logical_type.to_json())["isAdjustedToUTC"] is True


def test_parquet_keeps_huge_integers_exact(fixture_db, tmp_path: Path):
    target = tmp_path / "sum.parquet"
    sql = "SELECT sum(n) * 100000000000 AS big, 170141183460469231731687303715884105::HUGEINT AS h FROM counter"
    answer_query(fixture_db, sql, fmt="parquet", output=target, stdout=io.BytesIO())
    row = pq.read_table(target).to_pylist()[0]
    assert row == {
        "big": Decimal(3123750 * 100000000000),
        "h": Decimal("170141183460469231731687303715884105"),
    }


@pytest.mark.parametrize("sql", ["SELECT INTERVAL 1 DAY AS iv", "SELECT [INTERVAL 1 DAY] AS iv"])
def test_parquet_refuses_intervals_with_a_hint(fixture_db, tmp_path: Path, sql):
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(QueryError, match=r"CAST\(iv AS VARCHAR\)"):
        answer_query(
            fixture_db, sql, fmt="parquet", output=folder / "x.parquet", stdout=io.BytesIO()
        )
    assert not list(folder.iterdir())


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2026-01-01T00:00+05:00", "2025-12-31T19:00:00Z"),
        ("2026-01-01 00:00:00.5-03:30", "2026-01-01T03:30:00.5Z"),
        ("2026-01-01T00:00:00.123456789+0100", "2025-12-31T23:00:00.123456Z"),
        ("2026-01-01T10:00:00+00", "2026-01-01T10:00:00Z"),
        ("2026-01-01T10:00:00Z", "2026-01-01T10:00:00Z"),  # already UTC: as given
        ("2026-01-01 10:00", "2026-01-01 10:00"),  # no offset: UTC by convention
        ("2026-01-01", "2026-01-01"),
        ("2026-13-01T00:00+05:00", "2026-13-01T00:00+05:00"),  # not a date: DuckDB will say so
        ("ann-o'neil@example.com", "ann-o'neil@example.com"),
        ("-5", "-5"),
    ],
)
def test_a_date_time_parameter_with_an_offset_is_converted_to_utc(given, expected):
    assert in_utc(given) == expected


def test_an_offset_parameter_selects_the_same_instant_in_sql(fixture_db):
    sql = "SELECT $from::TIMESTAMP AS naive, $from::TIMESTAMPTZ AS zoned, $from::DATE AS day"
    row = json.loads(_answer(fixture_db, sql, **{"from": "2026-01-01T00:00+05:00"}))
    assert row == {
        "naive": "2025-12-31T19:00:00Z",
        "zoned": "2025-12-31T19:00:00Z",
        "day": "2025-12-31",
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


def test_statements_other_than_select_answer_through_every_format(fixture_db):
    # PRAGMA, CALL and EXPLAIN are run at once and read back; SHOW and DESCRIBE are subqueries.
    assert (
        _answer(fixture_db, "PRAGMA table_info('counter')", "csv")
        .splitlines()[1]
        .startswith("0,n,BIGINT")
    )
    assert json.loads(_answer(fixture_db, "CALL pragma_version()"))["library_version"]
    assert "sample_view" in _answer(fixture_db, "SHOW TABLES", "csv").splitlines()
    assert "flowaudit_answer" not in _answer(fixture_db, "SHOW TABLES", "csv")
    assert _answer(fixture_db, "DESCRIBE samples", "table").splitlines()[2].startswith("id ")


def test_declared_defaults_are_read_from_comment_lines():
    sql = "-- @param days = 7\n-- @param who = 'Ann O''Neil'\n--   @param person =\nSELECT 1"
    assert declared_parameters(sql) == {"days": "7", "who": "Ann O'Neil"}
