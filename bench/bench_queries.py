"""Time every queries/examples/*.sql on a database extracted from a simulated account.

    .venv/bin/python bench/bench_queries.py [--size large] [--seed 1] [--repeat 5] [--db PATH]

Builds the database once (a full extract from the in-process simulator) unless --db names an
existing one, then runs each example through flowaudit.sqlshell exactly as `flowaudit sql -f`
does (read-only connection, parameters bound, result written as CSV to memory) and prints
the median and slowest of --repeat runs, plus the rows each returned, as a Markdown table.
"query ms" is the same without the writing: the median time to open the file, run the query
and fetch the whole result as Arrow (no Python value per row), i.e. DuckDB's own part."""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from flowaudit.assets import queries_dir
from flowaudit.config import resolve_settings
from flowaudit.sqlshell import answer_query, open_readonly, run_query

# Parameters an example requires (the others use the defaults declared in the files).
REQUIRED = {
    "what_a_person_changed": lambda con: {
        "person": con.execute(
            "SELECT user_email FROM audit_events GROUP BY ALL ORDER BY count(*) DESC LIMIT 1"
        ).fetchall()[0][0]
    },
    "flow_on_a_date": lambda con: {
        "flow": con.execute("SELECT flow_id FROM flows ORDER BY flow_id LIMIT 1").fetchall()[0][0],
        "at": str(
            con.execute("SELECT max(observed_at) - INTERVAL 60 DAY FROM runs").fetchall()[0][0]
        ),
    },
}


def build_database(size: str, seed: int, directory: Path) -> Path:
    from flowaudit.pipeline import run_extract
    from flowaudit.simulate import SimulatedAccount

    db = directory / f"bench-{size}-{seed}.duckdb"
    started = time.perf_counter()
    account = SimulatedAccount.generate(size=size, seed=seed, token="bench")
    settings = resolve_settings({"db": str(db)}, environ={"FLOWAUDIT_TOKEN": "bench"})
    run_extract(settings, transport=account.async_transport())
    print(f"built {db} ({size}, seed {seed}) in {time.perf_counter() - started:.1f} s")
    return db


def time_examples(db: Path, repeat: int) -> list[tuple[str, int, float, float, float]]:
    results = []
    for path in sorted((queries_dir() / "examples").glob("*.sql")):
        sql = path.read_text(encoding="utf-8")
        with open_readonly(db) as connection:
            params = REQUIRED.get(path.stem, lambda con: {})(connection)
        seconds, query_seconds, rows = [], [], 0
        for _ in range(repeat):
            started = time.perf_counter()
            with open_readonly(db) as connection:
                result = run_query(connection, sql, params)
                connection.sql(result.select(["*"]), params=result.params or None).to_arrow_table()
            query_seconds.append(time.perf_counter() - started)
            # A new connection each time, as each `flowaudit sql` invocation opens one.
            started = time.perf_counter()
            out = io.BytesIO()
            rows = answer_query(db, sql, params, fmt="csv", stdout=out).rows_written
            seconds.append(time.perf_counter() - started)
        results.append(
            (
                path.stem,
                rows,
                statistics.median(query_seconds),
                statistics.median(seconds),
                max(seconds),
            )
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path, help="an existing database to time (skips the build)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        db = args.db or build_database(args.size, args.seed, Path(scratch))
        with open_readonly(db) as connection:
            counts = connection.execute(
                "SELECT (SELECT count(*) FROM audit_events), (SELECT count(*) FROM field_changes), "
                "(SELECT count(*) FROM flow_versions), (SELECT count(*) FROM flows)"
            ).fetchall()[0]
        results = time_examples(db, args.repeat)

    print(
        f"\n{platform.processor() or platform.machine()}, {platform.system()}, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}; "
        f"{counts[0]:,} audit events, {counts[1]:,} field changes, {counts[2]:,} flow versions, "
        f"{counts[3]:,} flows; median and max of {args.repeat} runs, each opening the file\n"
    )
    print("| example | rows | query ms | median ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for name, rows, query, median, slowest in results:
        print(
            f"| {name} | {rows:,} | {query * 1000:.0f} | {median * 1000:.0f} | {slowest * 1000:.0f} |"
        )


if __name__ == "__main__":
    main()
