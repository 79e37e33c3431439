"""Hostile settings, tokens and log files (issue 10, items 5, 12, 15, 17), through the real
command line: every bad value is one line and exit 3 before anything runs, no part of a
malformed token is ever printed, and a log that cannot be written is exit 3 too."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flowaudit.errors import ExitCode
from flowaudit.registry import RESOURCE_TYPES
from flowaudit.simulate import SimulatedAccount
from flowaudit.simulate.server import ServerHandle, serve
from tests.ops.cli import flowaudit, last_line
from tests.pipeline.helpers import query

TOKEN = "settings-tok-1a2b3c4d5e"


@pytest.fixture(scope="module")
def api() -> Iterator[ServerHandle]:
    with serve(SimulatedAccount.generate("small", seed=61, token=TOKEN)) as handle:
        yield handle


def _config_error(result: subprocess.CompletedProcess, words: str) -> None:
    assert result.returncode == ExitCode.CONFIG, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("flowaudit: error:") == 1
    assert words in last_line(result.stderr), result.stderr


# -- item 12: values out of range or of the wrong type -------------------------------------


@pytest.mark.parametrize(
    "variable, value, words",
    [
        ("FLOWAUDIT_TIMEOUT", "nan", "invalid value for timeout"),
        ("FLOWAUDIT_AUDIT_OVERLAP_HOURS", "nan", "invalid value for audit_overlap_hours"),
        ("FLOWAUDIT_AUDIT_OVERLAP_HOURS", "1e300", "must be between 0 and 720"),
        ("FLOWAUDIT_AUDIT_OVERLAP_HOURS", "-20", "must be between 0 and 720"),
        ("FLOWAUDIT_RETENTION_DAYS", "1e9", "invalid value for retention_days"),
        ("FLOWAUDIT_SECRET_FIELD_PATTERN", "(unclosed", "not a regular expression"),
        ("FLOWAUDIT_API_URL", "http://[::1", "invalid value for api_url"),
        ("FLOWAUDIT_API_URL", "ftp://api.integrator.io/v1", "an http(s) URL with a host"),
        ("FLOWAUDIT_CONCURRENCY", "1e8", "invalid value for concurrency"),
        ("FLOWAUDIT_CONCURRENCY", "2000", "must be between 1 and 64"),
        ("FLOWAUDIT_RATE", "nan", "a finite number is needed"),
        ("FLOWAUDIT_RATE", "inf", "a finite number is needed"),
        ("FLOWAUDIT_CLOCK_TOLERANCE_SECONDS", "-1", "must be between 0 and 86400"),
        ("FLOWAUDIT_MAX_RUN_MINUTES", "0", "must be between 1 and 10080"),
        ("FLOWAUDIT_MAX_RESPONSE_MB", "1e12", "must be between 1 and 4096"),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_3(
    tmp_path: Path, variable: str, value: str, words: str
):
    db = tmp_path / "a.duckdb"
    result = flowaudit("extract", "--db", str(db), env={"FLOWAUDIT_TOKEN": TOKEN, variable: value})
    _config_error(result, words)
    assert variable in last_line(result.stderr)
    assert not db.exists()


def test_an_empty_account_label_is_exit_3(tmp_path: Path):
    result = flowaudit("extract", "--db", str(tmp_path / "a.duckdb"), "--account", "",
                       env={"FLOWAUDIT_TOKEN": TOKEN})  # fmt: skip
    _config_error(
        result, "--account: invalid value for account: '' (an account label cannot be empty)"
    )


def test_a_list_where_a_folder_is_expected_is_exit_3_and_makes_no_folder(tmp_path: Path):
    config = tmp_path / "flowaudit.toml"
    config.write_text('out = ["a", "b"]\n')
    result = flowaudit("report", "--config", str(config), "--db", str(tmp_path / "a.duckdb"))
    _config_error(result, "invalid value for out: ['a', 'b'] (a path is needed)")
    assert not list(Path.cwd().glob("*'a'*"))


def test_an_overlap_shorter_than_the_clock_tolerance_is_exit_3(tmp_path: Path):
    result = flowaudit("extract", "--db", str(tmp_path / "a.duckdb"), env={
        "FLOWAUDIT_TOKEN": TOKEN, "FLOWAUDIT_AUDIT_OVERLAP_HOURS": "0",
    })  # fmt: skip
    _config_error(
        result,
        "audit_overlap_hours (0 h, FLOWAUDIT_AUDIT_OVERLAP_HOURS) must cover clock_tolerance_seconds",
    )


def test_concurrency_bounds_the_windows_of_a_full_run(api: ServerHandle, tmp_path: Path):
    db = tmp_path / "a.duckdb"
    result = flowaudit("extract", "--api-url", api.url, "--db", str(db), "--concurrency", "64",
                       env={"FLOWAUDIT_TOKEN": TOKEN})  # fmt: skip
    assert result.returncode == 0, result.stderr
    (requests,) = query(db, "SELECT requests FROM runs")[0]
    (error_requests,) = query(db, "SELECT error_requests FROM job_reads")[0]
    (scripts,) = query(db, "SELECT count(*) FROM scripts")[0]
    # The listings and the recycle bin, each script's code, 2 x 64 audit windows, the older
    # one and the tail; as many windows of jobs, each ended by at most one short page after
    # its first; and the flows with open errors: bounded, not 4,006.
    assert requests <= len(RESOURCE_TYPES) + 1 + scripts + (2 * 64 + 2) + 2 * (2 * 64 + 2) + error_requests


# -- item 5: a token that is not one word of printable ASCII -------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "OLDTOKEN-1234\nNEWTOKEN-5678",
        "OLDTOKEN-1234 NEWTOKEN-5678",
        "TOKEN-\x07-BELL-1234",
        "TÖKEN-ÄÖÜ-1234",
    ],
)
def test_a_malformed_token_is_refused_and_no_part_of_it_is_printed(tmp_path: Path, token: str):
    db = tmp_path / "a.duckdb"
    result = flowaudit(
        "run", "--db", str(db), "--out", str(tmp_path / "r"), env={"FLOWAUDIT_TOKEN": token}
    )
    _config_error(result, "FLOWAUDIT_TOKEN")
    for part in [*token.split(), *token.replace("\x07", " ").split()]:
        if len(part) >= 4:
            assert part not in result.stdout + result.stderr
    assert not db.exists() and not (tmp_path / "r").exists()


def test_a_token_file_with_two_lines_is_refused_without_showing_them(tmp_path: Path):
    token_file = tmp_path / "token"
    token_file.write_text("FIRST-LINE-TOKEN\nSECOND-LINE-TOKEN\n")
    token_file.chmod(0o600)
    result = flowaudit(
        "extract", "--db", str(tmp_path / "a.duckdb"), "--token-file", str(token_file)
    )
    _config_error(result, "must hold exactly one token (it holds 2 words)")
    assert "FIRST-LINE" not in result.stderr and "SECOND-LINE" not in result.stderr


# -- item 17: token files that are not small private text files ----------------------------


def test_a_fifo_as_token_file_is_refused_at_once(tmp_path: Path):
    fifo = tmp_path / "token"
    os.mkfifo(fifo)
    started = time.monotonic()
    result = flowaudit(
        "extract", "--db", str(tmp_path / "a.duckdb"), "--token-file", str(fifo), timeout=30
    )
    assert time.monotonic() - started < 20
    _config_error(result, f"token file {fifo} is not a regular file (a FIFO)")


def test_a_device_as_token_file_is_refused(tmp_path: Path):
    result = flowaudit(
        "extract", "--db", str(tmp_path / "a.duckdb"), "--token-file", "/dev/zero", timeout=30
    )
    _config_error(result, "token file /dev/zero is not a regular file (a device)")


@pytest.mark.parametrize("content", [b"\x00\x01\x02binary\xff", "tökén-with-umlauts".encode()])
def test_binary_or_non_ascii_token_file_content_is_exit_3(tmp_path: Path, content: bytes):
    token_file = tmp_path / "token"
    token_file.write_bytes(content)
    token_file.chmod(0o600)
    result = flowaudit(
        "extract", "--db", str(tmp_path / "a.duckdb"), "--token-file", str(token_file)
    )
    _config_error(result, "holds binary or non-ASCII content, not a token")


def test_a_world_readable_token_file_is_warned_about_and_the_doctor_says_so(
    api: ServerHandle, tmp_path: Path
):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o644)
    result = flowaudit("extract", "--api-url", api.url, "--db", str(tmp_path / "a.duckdb"),
                       "--token-file", str(token_file))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (
        f"WARNING token file {token_file} can be read by every user of this machine (mode 0644)"
        in result.stderr
    )
    doctor = flowaudit("doctor", "--api-url", api.url, "--db", str(tmp_path / "a.duckdb"),
                       "--out", str(tmp_path / "r"), "--token-file", str(token_file))  # fmt: skip
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert any(
        line.startswith("warn  tokenfile") and "chmod 600" in line
        for line in doctor.stdout.splitlines()
    )
    token_file.chmod(0o600)
    quiet = flowaudit("doctor", "--api-url", api.url, "--db", str(tmp_path / "a.duckdb"),
                      "--out", str(tmp_path / "r"), "--token-file", str(token_file))  # fmt: skip
    assert "tokenfile" not in quiet.stdout


# -- item 15: a log file that cannot be written --------------------------------------------


def test_a_log_file_that_is_a_directory_is_exit_3(tmp_path: Path):
    result = flowaudit("extract", "--db", str(tmp_path / "a.duckdb"), "--log-file", str(tmp_path),
                       env={"FLOWAUDIT_TOKEN": TOKEN})  # fmt: skip
    _config_error(result, f"cannot write the log file {tmp_path}: Is a directory")
    assert not (tmp_path / "a.duckdb").exists()


def test_a_log_file_under_a_plain_file_is_exit_3(tmp_path: Path):
    (tmp_path / "plain").write_text("")
    log = tmp_path / "plain" / "flowaudit.log"
    result = flowaudit("extract", "--db", str(tmp_path / "a.duckdb"), "--log-file", str(log),
                       env={"FLOWAUDIT_TOKEN": TOKEN})  # fmt: skip
    _config_error(result, f"cannot write the log file {log}")


def test_a_missing_log_folder_is_created(api: ServerHandle, tmp_path: Path):
    log = tmp_path / "logs" / "nightly" / "flowaudit.log"
    result = flowaudit("extract", "--api-url", api.url, "--db", str(tmp_path / "a.duckdb"),
                       "--log-file", str(log), env={"FLOWAUDIT_TOKEN": TOKEN})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert " INFO run 1 started" in log.read_text()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_log_file_on_a_full_disk_loses_nothing_of_the_run_and_exits_3(
    api: ServerHandle, tmp_path: Path
):
    db = tmp_path / "a.duckdb"
    result = flowaudit("extract", "--api-url", api.url, "--db", str(db), "--log-file", "/dev/full",
                       env={"FLOWAUDIT_TOKEN": TOKEN})  # fmt: skip
    _config_error(result, "cannot write the log file /dev/full: No space left on device (")
    assert "log line(s) lost" in last_line(result.stderr)
    assert "--- Logging error ---" not in result.stderr
    assert query(db, "SELECT status FROM runs") == [("succeeded",)]  # the night's work is kept
