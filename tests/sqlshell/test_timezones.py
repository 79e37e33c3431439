"""`flowaudit sql` answers the same under any TZ: the session is pinned to UTC, timestamps are
written in UTC with `Z` (naive TIMESTAMP and TIMESTAMPTZ alike), and a parameter with an
offset means the instant it names."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from flowaudit.errors import ExitCode
from tests.sqlshell.conftest import flowaudit_env, run_flowaudit

ZONES = ("UTC", "America/New_York", "Pacific/Auckland")
QUERY = """
SELECT id,
       changed_at,
       changed_at::TIMESTAMPTZ AS changed_tz,
       changed_at::DATE AS changed_day,
       hour(changed_at::TIMESTAMPTZ) AS changed_hour,
       changed_at >= $from::TIMESTAMP AS after_from,
       changed_at::TIMESTAMPTZ >= $from::TIMESTAMPTZ AS after_from_tz,
       changed_at > now() - INTERVAL 36500 DAY AS within_a_century,
       now()::TIMESTAMP = now() AT TIME ZONE 'UTC' AS session_is_utc,
       date_trunc('day', changed_at::TIMESTAMPTZ) AS day_start,
       strftime(changed_at::TIMESTAMPTZ, '%Y-%m-%d %H:%M') AS formatted
FROM samples ORDER BY id
"""


@pytest.fixture(scope="module")
def zoned_db(tmp_path_factory) -> Path:
    """Rows whose UTC and local days differ in every zone tried, stored naive and zoned."""
    path = tmp_path_factory.mktemp("zones") / "zones.duckdb"
    connection = duckdb.connect(str(path))
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(
        """CREATE TABLE samples AS SELECT * FROM (VALUES
               (1, TIMESTAMP '2026-01-01 02:30:00'),
               (2, TIMESTAMP '2025-12-31 19:00:00'),
               (3, TIMESTAMP '2026-06-30 23:59:59.5')) t(id, changed_at)"""
    )
    connection.close()
    return path


def _answers(db: Path, tmp_path: Path, zone: str) -> dict[str, object]:
    answers: dict[str, object] = {}
    env = flowaudit_env(TZ=zone)
    for fmt in ("table", "csv", "json", "jsonl"):
        done = run_flowaudit(
            "sql",
            "--db",
            str(db),
            "--format",
            fmt,
            "-p",
            "from",
            "2026-01-01T00:00+05:00",
            QUERY,
            env=env,
        )
        assert done.returncode == ExitCode.OK, done.stderr
        answers[fmt] = done.stdout
    target = tmp_path / f"{zone.replace('/', '_')}.parquet"
    done = run_flowaudit(
        "sql",
        "--db",
        str(db),
        "--format",
        "parquet",
        "-o",
        str(target),
        "-p",
        "from",
        "2026-01-01T00:00+05:00",
        QUERY,
        env=env,
    )
    assert done.returncode == ExitCode.OK, done.stderr
    table = pq.read_table(target)
    answers["parquet"] = (str(table.schema), table.to_pylist())
    return answers


@pytest.fixture(scope="module")
def answers_by_zone(zoned_db, tmp_path_factory) -> dict[str, dict[str, object]]:
    folder = tmp_path_factory.mktemp("parquet")
    return {zone: _answers(zoned_db, folder, zone) for zone in ZONES}


@pytest.mark.slow
def test_the_answer_is_the_same_under_every_time_zone(answers_by_zone):
    first = answers_by_zone["UTC"]
    for zone in ZONES[1:]:
        for fmt, answer in answers_by_zone[zone].items():
            assert answer == first[fmt], f"{fmt} under TZ={zone} differs from UTC"


@pytest.mark.slow
def test_the_answer_is_in_utc(answers_by_zone):
    answers = answers_by_zone["Pacific/Auckland"]
    assert answers["csv"].splitlines() == [
        "id,changed_at,changed_tz,changed_day,changed_hour,after_from,after_from_tz,"
        "within_a_century,session_is_utc,day_start,formatted",
        "1,2026-01-01T02:30:00Z,2026-01-01T02:30:00Z,2026-01-01,2,true,true,true,true,"
        "2026-01-01T00:00:00Z,2026-01-01 02:30",
        # -p from 2026-01-01T00:00+05:00 is 2025-12-31T19:00Z: this row is exactly at it.
        "2,2025-12-31T19:00:00Z,2025-12-31T19:00:00Z,2025-12-31,19,true,true,true,true,"
        "2025-12-31T00:00:00Z,2025-12-31 19:00",
        "3,2026-06-30T23:59:59.5Z,2026-06-30T23:59:59.5Z,2026-06-30,23,true,true,true,true,"
        "2026-06-30T00:00:00Z,2026-06-30 23:59",
    ]
    schema, rows = answers["parquet"]
    assert "changed_at: timestamp[us, tz=UTC]" in schema
    assert rows[1]["changed_at"].isoformat() == "2025-12-31T19:00:00+00:00"
