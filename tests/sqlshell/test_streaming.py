"""`flowaudit sql` streams: table, csv, json and jsonl reach stdout as the rows come, and a
reader that goes away (`| head`) ends the command quietly with exit 0, as Unix tools do.

Streaming is shown with an endless query: an answer held back until complete would never
print a row."""

from __future__ import annotations

import json
import os
import pty
import select
import socket
import subprocess
import sys
import threading

import pytest

from flowaudit.errors import ExitCode
from tests.sqlshell.conftest import flowaudit_env, start_flowaudit

ENDLESS = "SELECT n, 'row ' || n AS label FROM range(9223372036854775807) t(n)"


def _first_lines(process: subprocess.Popen, count: int, timeout: float = 60) -> list[bytes]:
    lines: list[bytes] = []
    reader = threading.Thread(
        target=lambda: lines.extend(process.stdout.readline() for _ in range(count)), daemon=True
    )
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        process.kill()
        raise AssertionError(f"no {count} lines within {timeout} s: the answer does not stream")
    return lines


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("csv", [b"n,label\n", b"0,row 0\n", b"1,row 1\n"]),
        ("jsonl", [b'{"n":0,"label":"row 0"}\n', b'{"n":1,"label":"row 1"}\n']),
        ("json", [b"[\n", b'\t{"n":0,"label":"row 0"},\n']),
        ("table", [b"n   | label\n", b"----+--------\n", b"  0 | row 0\n"]),
    ],
)
def test_an_endless_answer_streams_and_a_reader_going_away_ends_it_quietly(
    fixture_db, fmt, expected
):
    process = start_flowaudit(
        "sql", "--db", str(fixture_db), "--format", fmt, "--limit", "0", ENDLESS
    )
    try:
        assert _first_lines(process, len(expected)) == expected
        assert process.poll() is None  # the query is still producing rows
        process.stdout.close()  # the reader goes away, as `head` does after its lines
        assert process.wait(timeout=60) == ExitCode.OK
        assert process.stderr.read() == b""  # no traceback, no message
    finally:
        process.kill()
        process.wait()


def test_head_ends_the_command_with_exit_0_and_no_message(fixture_db):
    command = (
        f"set -o pipefail; '{sys.executable}' -m flowaudit sql --db '{fixture_db}' --format csv "
        "'SELECT * FROM range(20000000) t(n)' | head -2"
    )
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, env=flowaudit_env(), timeout=120
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "n\n0\n", "")


@pytest.mark.slow
def test_rows_before_a_late_error_reach_stdout_and_the_exit_code_says_it_failed(fixture_db):
    # 1.5 million rows are about 20 MB of jsonl: DuckDB writes them out before reaching the last.
    sql = "SELECT CASE WHEN n = 1500000 THEN error('boom') ELSE n END AS n FROM range(1600000) t(n)"
    process = start_flowaudit("sql", "--db", str(fixture_db), "--format", "jsonl", sql)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == ExitCode.QUERY
    assert stderr.decode().splitlines()[0] == "flowaudit: error: Invalid Input Error: boom"
    lines = stdout.splitlines()
    assert json.loads(lines[0]) == {"n": 0}  # streamed before the failure
    assert all(json.loads(line)["n"] < 1500000 for line in lines[:-1])


def test_a_socket_as_stdout_gets_the_rows_through_flowaudits_own_pipe_and_may_close(fixture_db):
    # DuckDB cannot open a socket by name: the answer goes through flowaudit's pipe and thread.
    ours, theirs = socket.socketpair()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flowaudit",
            "sql",
            "--db",
            str(fixture_db),
            "--format",
            "csv",
            ENDLESS,
        ],
        stdout=theirs,
        stderr=subprocess.PIPE,
        env=flowaudit_env(),
    )
    theirs.close()
    ours.settimeout(60)  # no rows within a minute: the answer does not stream
    try:
        reader = ours.makefile("rb")
        assert [reader.readline() for _ in range(2)] == [b"n,label\n", b"0,row 0\n"]
        reader.close()
        ours.close()
        assert process.wait(timeout=60) == ExitCode.OK
        assert process.stderr.read() == b""
    finally:
        process.kill()
        process.wait()


def test_a_terminal_gets_the_rows_through_flowaudits_own_pipe(fixture_db):
    # DuckDB is not given the terminal's name (a query may read what it may write).
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flowaudit",
            "sql",
            "--db",
            str(fixture_db),
            "--format",
            "csv",
            "SELECT n FROM range(3) t(n)",
        ],
        stdout=follower,
        stderr=subprocess.PIPE,
        env=flowaudit_env(),
    )
    os.close(follower)
    received = b""
    try:
        while select.select([leader], [], [], 60)[0]:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed: the command is done
                break
            if not chunk:
                break
            received += chunk
        assert process.wait(timeout=60) == ExitCode.OK
        assert process.stderr.read() == b""
    finally:
        os.close(leader)
        process.kill()
        process.wait()
    assert received.replace(b"\r\n", b"\n") == b"n\n0\n1\n2\n"
