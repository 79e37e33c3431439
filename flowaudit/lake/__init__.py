"""The Parquet lake: the public views written as hive-partitioned Parquet files
(`DIR/<view>/account=<label>/date=<YYYY-MM-DD>/part-0.parquet`) for engines that read
object storage and shared file systems (DuckDB, Spark, Trino, Athena, BigQuery, polars).
See docs/scale-out.md for reading it, and flowaudit.lake.export for how it is written."""
