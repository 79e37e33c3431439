"""Logging fit for cron, through the real command line: timestamped plain lines on stderr or
in --log-file, nothing but errors with --quiet (nothing at all on success), no colour or
carriage-return progress unless stderr is a terminal, and a final summary line."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from flowaudit.simulate.server import ServerHandle, serve
from tests.ops.cli import flowaudit, last_line

TOKEN = "log-tok-0a1b2c3d4e5f"
GOOD = {"FLOWAUDIT_TOKEN": TOKEN}
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} (DEBUG|INFO|WARNING|ERROR) \S")
SUMMARY = re.compile(
    r"^flowaudit: run \d+ \((full|incremental)\) succeeded: \d+ flows, .* requests"
)


@pytest.fixture(scope="module")
def api() -> Iterator[ServerHandle]:
    with serve(SimulatedAccount.generate("small", seed=6, token=TOKEN)) as handle:
        yield handle


def _run(api: ServerHandle, tmp_path: Path, *extra: str, env=None) -> subprocess.CompletedProcess:
    return flowaudit(
        "run", "--api-url", api.url, "--db", str(tmp_path / "a.duckdb"),
        "--out", str(tmp_path / "reports"), *extra, env={**GOOD, **(env or {})},
    )  # fmt: skip


def test_every_stderr_line_is_timestamped_plain_text_and_the_last_is_the_summary(
    api: ServerHandle, tmp_path: Path
):
    result = _run(api, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) > 3
    assert SUMMARY.match(lines[-1]), lines[-1]
    untimed = [line for line in lines[:-1] if not LOG_LINE.match(line)]
    assert untimed == []
    assert "\x1b" not in result.stderr and "\r" not in result.stderr
    assert result.stdout.strip().endswith("index.html")


def test_quiet_prints_nothing_on_success(api: ServerHandle, tmp_path: Path):
    result = _run(api, tmp_path, "--quiet")
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")
    assert (tmp_path / "reports" / "latest" / "index.html").is_file()


def test_quiet_from_the_environment_prints_nothing_on_success(api: ServerHandle, tmp_path: Path):
    result = flowaudit(
        "extract", "--api-url", api.url, "--db", str(tmp_path / "a.duckdb"),
        env={**GOOD, "FLOWAUDIT_QUIET": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")


def test_quiet_prints_only_the_errors_of_a_failed_night(api: ServerHandle, tmp_path: Path):
    result = _run(api, tmp_path, "--quiet", env={"FLOWAUDIT_TOKEN": "log-wrong-99999"})
    assert result.returncode == 4
    lines = result.stderr.splitlines()
    assert all(" ERROR " in line for line in lines[:-1]), lines
    assert last_line(result.stderr).startswith("flowaudit: error: the API rejected the token")
    assert result.stdout == ""


def test_log_file_receives_the_log_lines(api: ServerHandle, tmp_path: Path):
    log = tmp_path / "logs" / "flowaudit.log"
    result = _run(api, tmp_path, "--log-file", str(log))
    assert result.returncode == 0, result.stderr
    logged = log.read_text(encoding="utf-8").splitlines()
    assert any("run 1 started (full)" in line for line in logged)
    assert any("reports written" in line for line in logged)
    assert all(LOG_LINE.match(line) for line in logged), logged
    # stderr keeps only the verdict: the summary line.
    assert result.stderr.splitlines() == [last_line(result.stderr)]
    assert SUMMARY.match(last_line(result.stderr))


def test_quiet_with_a_log_file_keeps_the_errors_in_the_file(api: ServerHandle, tmp_path: Path):
    log = tmp_path / "flowaudit.log"
    result = _run(api, tmp_path, "--quiet", "--log-file", str(log),
                  env={"FLOWAUDIT_TOKEN": "log-wrong-99999"})  # fmt: skip
    assert result.returncode == 4
    assert "extract failed: the API rejected the token" in log.read_text(encoding="utf-8")
    assert result.stderr.splitlines() == [last_line(result.stderr)]  # cron mails one line


SLOW_RUN = """
import sys
sys.argv = ["flowaudit", "extract", "--api-url", sys.argv[1], "--db", sys.argv[2]]
from flowaudit.cli import main
main()
"""


def test_a_terminal_gets_a_live_progress_line_instead(tmp_path: Path):
    # The contrast that proves the plain-text test above can fail: on a terminal, progress
    # is redrawn in place with a carriage return and an erase-line escape.
    slow = SimulatedAccount.generate("small", seed=6, token=TOKEN,
                                     options=SimulatorOptions(latency_ms=20))  # fmt: skip
    master, slave = os.openpty()
    with serve(slow) as handle:
        child = subprocess.Popen(
            [sys.executable, "-c", SLOW_RUN, handle.url, str(tmp_path / "a.duckdb")],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
            env={**os.environ, **GOOD},
        )  # fmt: skip
        os.close(slave)
        seen = _read_all(master, child)
    assert child.returncode == 0, seen
    assert "\r\x1b[2Kfetching: " in seen


def _read_all(fd: int, child: subprocess.Popen) -> str:
    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    child.wait(timeout=60)
    os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace")
