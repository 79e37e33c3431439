"""Run docs/scale-out.md's Spark SQL statements on a lake and check that Spark counts the
rows DuckDB counts. Needs pyspark and a Java runtime, which flowaudit does not depend on:

    python3 -m venv /tmp/spark && /tmp/spark/bin/pip install pyspark duckdb
    /tmp/spark/bin/python bench/check_lake_spark.py /srv/flowaudit/lake

Both ways are checked: temporary views (no metastore), and metastore tables whose
partitions `MSCK REPAIR TABLE ... SYNC PARTITIONS` registers (a local Derby metastore in a
temporary folder)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import duckdb
from pyspark.sql import SparkSession

VIEWS = ("audit_events", "field_changes", "resource_versions", "flow_versions", "flows", "runs")


def duckdb_count(lake: Path, view: str) -> int:
    pattern = str(lake / view / "*" / "*" / "*.parquet")
    return duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{pattern}', hive_partitioning = true, "
        "hive_types = {'account': VARCHAR, 'date': DATE})"
    ).fetchall()[0][0]


def main() -> None:
    lake = Path(sys.argv[1]).resolve()
    work = Path(tempfile.mkdtemp(prefix="lake-spark-"))
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", str(work / "warehouse"))
        .config(
            "javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={work / 'metastore'};create=true",
        )
        .enableHiveSupport()
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.sql("SET spark.sql.session.timeZone = UTC")
    spark.sql("CREATE DATABASE IF NOT EXISTS flowaudit")
    for view in VIEWS:
        if not list((lake / view).glob("*/*/*.parquet")):
            continue
        expected = duckdb_count(lake, view)
        spark.sql(
            f"CREATE OR REPLACE TEMPORARY VIEW {view} USING parquet OPTIONS (path '{lake / view}')"
        )
        temporary = spark.sql(f"SELECT count(*) FROM {view}").collect()[0][0]
        spark.sql(
            f"CREATE TABLE IF NOT EXISTS flowaudit.{view} USING parquet LOCATION '{lake / view}'"
        )
        spark.sql(f"MSCK REPAIR TABLE flowaudit.{view} SYNC PARTITIONS")
        spark.sql(f"REFRESH TABLE flowaudit.{view}")
        table = spark.sql(f"SELECT count(*) FROM flowaudit.{view}").collect()[0][0]
        types = {f.name: f.dataType.simpleString() for f in spark.table(view).schema.fields}
        print(f"{view}: duckdb {expected}, spark view {temporary}, spark table {table}; "
              f"account {types['account']}, date {types['date']}")  # fmt: skip
        assert expected == temporary == table, view
        assert types["date"] == "date" and types["account"] == "string", types
    events = (
        spark.sql("SELECT time FROM audit_events LIMIT 1").schema.fields[0].dataType.simpleString()
    )
    assert events == "timestamp", events  # an instant (TIMESTAMP_NTZ would be a local time)
    print(f"ok: Spark {spark.version} reads the lake as DuckDB does")


if __name__ == "__main__":
    main()
