"""`flowaudit sql` output against DuckDB's own COPY of the same query, side by side (issue 13).

    .venv/bin/python bench/bench_sql.py [--db PATH | --size large] [--repeat 5]
                                        [--query SQL] [--before DIR] [--parts a,b]

The database is a full extract of the simulated account (--size, seed 1), built once into
bench/results/sql-<size>.duckdb (git-ignored), unless --db names one. Every timing is a
whole process, started fresh, one kind right after the other, repeated --repeat times
(min and median shown); each process's CPU time (user + system, all its threads) and
peak memory are its own (wait4's rusage), so a busy machine blurs wall time more than CPU:

- "DuckDB COPY": `python -c` opening the file read-only and running DuckDB's own
  `COPY (<query>) TO FILE (FORMAT ...)`, the speed to match (no flowaudit rules: DuckDB's
  own timestamp text, nested values, NaN).
- "sql -o FILE": `flowaudit sql --format F -o FILE <query>`, as a person runs it.
- "sql > FILE": the same with stdout redirected to a new file (DuckDB writes it directly).
- "sql | reader": stdout is a pipe this script drains (the answer goes through flowaudit's
  own pipe and is spliced on: the streamed path of `| head`, `| gzip` ...).
- "first row": from start until the first data row can be read from `flowaudit sql`'s
  stdout pipe (table and csv), after which the pipe is closed; "| head -2" is the whole
  `flowaudit sql --format csv <query> | head -2` pipeline and its exit code.

The same comparison runs once more inside this process (DuckDB's COPY against
`flowaudit.sqlshell.answer_query`), without any interpreter start.

--before DIR runs the same flowaudit commands with an older copy of the `flowaudit` package
(e.g. `git archive <commit> flowaudit | tar -x -C DIR`) for before/after numbers."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_queries import build_database  # noqa: E402

FORMATS = {"csv": "csv", "json": "json, ARRAY true", "jsonl": "json", "parquet": "parquet"}
COPY_SCRIPT = (
    "import sys, duckdb\n"
    "con = duckdb.connect(sys.argv[1], read_only=True)\n"
    "con.execute(\"SET TimeZone = 'UTC'\")\n"
    "con.execute(f'COPY ({sys.argv[2]}) TO \\'{sys.argv[3]}\\' (FORMAT {sys.argv[4]})')\n"
)


def database(args: argparse.Namespace) -> Path:
    if args.db:
        return args.db
    path = HERE / "results" / f"sql-{args.size}.duckdb"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as scratch:
            built = build_database(args.size, 1, Path(scratch))
            built.rename(path)
    return path


def flowaudit_command(package_dir: Path | None) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWAUDIT_")}
    if package_dir is not None:
        env["PYTHONPATH"] = str(package_dir)
    return [sys.executable, "-m", "flowaudit"], env


def timed(
    command: list[str], env: dict[str, str] | None = None, stdout=subprocess.DEVNULL
) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak memory (MB) of one process; it must succeed."""
    started = time.perf_counter()
    # Run outside the repository: the current folder comes first on sys.path.
    process = subprocess.Popen(command, env=env, stdout=stdout, stderr=subprocess.PIPE, cwd="/")
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[:6]} failed: {process.stderr.read().decode()}")
    process.stderr.close()
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def timed_into_pipe(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """As `timed`, with stdout a pipe that this process drains (`flowaudit sql ... | reader`)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd="/"
    )
    while process.stdout.read1(1 << 20):
        pass
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[:6]} failed")
    process.stdout.close()
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def in_process(
    db: Path, query: str, repeat: int, scratch: Path
) -> dict[tuple[str, str], list[float]]:
    """Wall seconds of DuckDB's COPY and of answer_query in this process: no startup at all."""
    from flowaudit.sqlshell import answer_query

    seconds: dict[tuple[str, str], list[float]] = {}
    for _ in range(repeat):
        for fmt, copy_format in FORMATS.items():
            target = scratch / f"in-process.{fmt}"
            started = time.perf_counter()
            with duckdb.connect(str(db), read_only=True) as connection:
                connection.execute(f"COPY ({query}) TO '{target}' (FORMAT {copy_format})")
            seconds.setdefault((fmt, "DuckDB COPY"), []).append(time.perf_counter() - started)
            target.unlink()
            started = time.perf_counter()
            answer_query(db, query, fmt=fmt, output=target, stdout=sys.stdout.buffer)
            seconds.setdefault((fmt, "answer_query -o FILE"), []).append(
                time.perf_counter() - started
            )
            target.unlink()
    return seconds


def first_row_seconds(command: list[str], env: dict[str, str], row_line: int) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd="/"
    )
    for _ in range(row_line):
        process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.stdout.close()
    process.wait()
    return elapsed


def summary(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f}"


Versions = dict[str, tuple[list[str], dict[str, str]]]
Runs = dict[tuple[str, str], list[tuple[float, float, int]]]


def measure_writers(db: Path, query: str, repeat: int, versions: Versions, scratch: Path) -> Runs:
    """Whole processes: DuckDB's COPY, then each flowaudit writer, per format, interleaved."""
    runs: Runs = {}
    for _ in range(repeat):
        for fmt, copy_format in FORMATS.items():
            # Every writer gets a path where nothing is (freeing the last answer's 200 MB is
            # not part of writing this one).
            target = scratch / f"out.{fmt}"
            copy = [sys.executable, "-c", COPY_SCRIPT, str(db), query, str(target), copy_format]
            runs.setdefault((fmt, "DuckDB COPY"), []).append(timed(copy))
            target.unlink()
            for version, (command, env) in versions.items():
                base = [*command, "sql", "--db", str(db), "--format", fmt, query]
                runs.setdefault((fmt, f"sql -o FILE ({version})"), []).append(
                    timed([*base, "-o", str(target)], env)
                )
                target.unlink()
                if fmt == "parquet":
                    continue
                with open(target, "wb") as sink:
                    runs.setdefault((fmt, f"sql > FILE ({version})"), []).append(
                        timed(base, env, stdout=sink)
                    )
                target.unlink()
                runs.setdefault((fmt, f"sql | reader ({version})"), []).append(
                    timed_into_pipe(base, env)
                )
    return runs


def measure_first_rows(db: Path, query: str, repeat: int, versions: Versions) -> dict:
    latency: dict[tuple[str, str], list[float]] = {}
    for _ in range(repeat):
        for version, (command, env) in versions.items():
            for fmt, row_line in (("table", 3), ("csv", 2)):
                base = [*command, "sql", "--db", str(db), "--format", fmt, query]
                latency.setdefault((fmt, version), []).append(
                    first_row_seconds(base, env, row_line)
                )
    return latency


def measure_head(db: Path, query: str, versions: Versions) -> dict:
    heads = {}
    for version, (command, env) in versions.items():
        words = [*command, "sql", "--db", str(db), "--format", "csv", query]
        quoted = " ".join(f"'{word}'" for word in words)
        started = time.perf_counter()
        done = subprocess.run(
            ["bash", "-c", f"set -o pipefail; {quoted} | head -2 > /dev/null"],
            env=env,
            capture_output=True,
            text=True,
            cwd="/",
        )
        heads[version] = (time.perf_counter() - started, done.returncode, done.stderr.strip()[:80])
    return heads


def print_writers(runs: Runs) -> None:
    print(
        "| format | writer | wall s | CPU s | peak MB | speed vs COPY: wall (min / median) | CPU |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for fmt in FORMATS:
        copy_wall = [wall for wall, _, _ in runs[(fmt, "DuckDB COPY")]]
        copy_cpu = min(cpu for _, cpu, _ in runs[(fmt, "DuckDB COPY")])
        for (result_fmt, writer), values in runs.items():
            if result_fmt != fmt:
                continue
            wall = [w for w, _, _ in values]
            cpu = [c for _, c, _ in values]
            peak = max(m for _, _, m in values)
            print(
                f"| {fmt} | {writer} | {summary(wall)} | {summary(cpu)} | {peak} | "
                f"{ratios(copy_wall, wall)} | {copy_cpu / min(cpu):.0%} |"
            )


def ratios(copy: list[float], ours: list[float]) -> str:
    return f"{min(copy) / min(ours):.0%} / {statistics.median(copy) / statistics.median(ours):.0%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an existing database (skips the build)")
    parser.add_argument("--size", default="large")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--query", default="SELECT * FROM field_changes")
    parser.add_argument("--before", type=Path, help="folder holding an older flowaudit package")
    parser.add_argument(
        "--parts", default="writers,library,first-row,head", help="which measurements to make"
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    db = database(args)
    with duckdb.connect(str(db), read_only=True) as connection:
        rows = connection.execute(f"SELECT count(*) FROM ({args.query})").fetchall()[0][0]
    versions: Versions = {"now": flowaudit_command(None)}
    if args.before:
        versions["before"] = flowaudit_command(args.before)

    print(
        f"\n{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}; `{args.query}`: "
        f"{rows:,} rows; {args.repeat} runs each, interleaved; seconds min / median; "
        f"load average before: {os.getloadavg()[0]:.1f}\n"
    )
    scratch = Path(tempfile.mkdtemp(prefix="bench-sql-"))
    if "writers" in parts:
        print_writers(measure_writers(db, args.query, args.repeat, versions, scratch))
    if "library" in parts:
        library = in_process(db, args.query, args.repeat, scratch)
        print("\n| in one process (no startup) | writer | wall s | speed vs COPY (min / median) |")
        print("|---|---|---:|---:|")
        for (fmt, writer), values in library.items():
            print(
                f"| {fmt} | {writer} | {summary(values)} | {ratios(library[(fmt, 'DuckDB COPY')], values)} |"
            )
    scratch.rmdir()
    if "first-row" in parts:
        print("\n| first data row on stdout | version | seconds min / median |")
        print("|---|---|---:|")
        for (fmt, version), values in measure_first_rows(
            db, args.query, args.repeat, versions
        ).items():
            print(f"| {fmt} | {version} | {summary(values)} |")
    if "head" in parts:
        print("\n| `sql --format csv ... \\| head -2` | seconds | exit code | stderr |")
        print("|---|---:|---:|---|")
        for version, (seconds, code, stderr) in measure_head(db, args.query, versions).items():
            print(f"| {version} | {seconds:.2f} | {code} | {stderr or '(empty)'} |")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
