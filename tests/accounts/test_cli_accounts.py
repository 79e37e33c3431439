"""The cron path of `run --accounts` / `extract --accounts` / `export`, as real subprocesses
against two simulated accounts served on loopback: exit codes, the one last line naming the
accounts that failed, and no token anywhere in the output."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flowaudit.errors import ExitCode
from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from flowaudit.simulate.server import ServerHandle, serve
from tests.accounts.conftest import ENV, TOKENS
from tests.ops.cli import flowaudit, last_line, start_flowaudit
from tests.pipeline.helpers import query


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, ServerHandle]]:
    options = SimulatorOptions(history_days=30, latency_ms=5)
    prod = serve(SimulatedAccount.generate("small", seed=1, token=TOKENS["prod"], options=options))
    sandbox = serve(
        SimulatedAccount.generate("small", seed=2, token=TOKENS["sandbox"], options=options)
    )
    yield {"prod": prod, "sandbox": sandbox}
    prod.shutdown()
    sandbox.shutdown()


def _accounts_file(folder: Path, servers: dict[str, ServerHandle]) -> Path:
    path = folder / "accounts.toml"
    path.write_text(
        f'[accounts.prod]\napi_url = "{servers["prod"].url}"\ntoken_env = "PROD_TOKEN"\n\n'
        f'[accounts.sandbox]\napi_url = "{servers["sandbox"].url}"\ntoken_env = "SANDBOX_TOKEN"\n'
    )
    return path


def _no_token(result) -> None:
    for token in [*TOKENS.values(), "sandbox-wrong-5555eeee"]:
        assert token not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_run_accounts_exits_0_then_15_naming_the_account_whose_token_is_wrong(
    servers: dict[str, ServerHandle], tmp_path: Path
):
    accounts = _accounts_file(tmp_path, servers)
    args = ("run", "--accounts", str(accounts), "--db", str(tmp_path / "all.duckdb"),
            "--out", str(tmp_path / "reports"), "--export", str(tmp_path / "lake"))  # fmt: skip
    good = flowaudit(*args, env=ENV)
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == str(tmp_path / "reports" / "index.html")
    summaries = [
        line for line in good.stderr.splitlines() if line.startswith("flowaudit: account ")
    ]
    assert [line.split()[2].rstrip(":") for line in summaries] == ["prod", "sandbox"]
    assert (tmp_path / "lake" / "_manifest.json").is_file()
    _no_token(good)

    bad = flowaudit(*args, env={**ENV, "SANDBOX_TOKEN": "sandbox-wrong-5555eeee"})
    assert bad.returncode == ExitCode.SOME_ACCOUNTS_FAILED, bad.stderr
    assert last_line(bad.stderr).startswith(
        "flowaudit: error: 1 of 2 accounts failed: sandbox (the API rejected the token"
    )
    assert bad.stdout.strip() == str(
        tmp_path / "reports" / "index.html"
    )  # the overview still renders
    _no_token(bad)
    assert query(tmp_path / "all.duckdb", "SELECT account, status FROM runs ORDER BY run_id") == [
        ("prod", "succeeded"), ("sandbox", "succeeded"), ("prod", "succeeded"), ("sandbox", "failed"),
    ]  # fmt: skip


@pytest.mark.slow
def test_extract_accounts_with_a_database_per_account_and_quiet_prints_nothing(
    servers: dict[str, ServerHandle], tmp_path: Path
):
    accounts = _accounts_file(tmp_path, servers)
    result = flowaudit("extract", "--accounts", str(accounts), "--db-per-account", str(tmp_path / "dbs"),
                       "--quiet", env=ENV)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    assert sorted(p.name for p in (tmp_path / "dbs").glob("*.duckdb")) == [
        "prod.duckdb",
        "sandbox.duckdb",
    ]


@pytest.mark.parametrize(
    "args, words",
    [
        (("run", "--accounts", "A", "--account", "x"), "--account cannot be used with --accounts"),
        (
            ("extract", "--accounts", "A", "--api-url", "http://x/v1"),
            "--api-url cannot be used with --accounts",
        ),
        (
            ("run", "--accounts", "A", "--token-file", "t"),
            "--token-file cannot be used with --accounts",
        ),
        (
            ("run", "--accounts", "A", "--db", "a.duckdb", "--db-per-account", "d"),
            "cannot be used together",
        ),
        (("run", "--db-per-account", "d"), "--db-per-account needs --accounts"),
        (("export", "--out", "lake", "--format", "csv"), "--format must be one of: parquet"),
        (("export", "--out", "lake", "--since", "last week"), "--since must be a date"),
    ],
)
def test_flags_that_cannot_go_together_are_usage_errors(args: tuple[str, ...], words: str):
    result = flowaudit(*args)
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert words in last_line(result.stderr) and "Traceback" not in result.stderr


def test_a_bad_accounts_file_is_a_configuration_error_that_never_shows_the_token(tmp_path: Path):
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(f'[accounts.prod]\ntoken_env = "{TOKENS["prod"]}"\n')
    result = flowaudit("run", "--accounts", str(accounts), "--db", str(tmp_path / "a.duckdb"))
    assert result.returncode == ExitCode.CONFIG
    assert "token_env must be the name of an environment variable" in last_line(result.stderr)
    _no_token(result)


@pytest.mark.slow
def test_sigterm_ends_every_accounts_run_recorded_as_failed_with_exit_130(tmp_path: Path):
    slow = SimulatorOptions(history_days=30, latency_ms=400)
    with serve(SimulatedAccount.generate("small", seed=1, token=TOKENS["prod"], options=slow)) as prod, \
         serve(SimulatedAccount.generate("small", seed=2, token=TOKENS["sandbox"], options=slow)) as sandbox:  # fmt: skip
        accounts = _accounts_file(tmp_path, {"prod": prod, "sandbox": sandbox})
        db = tmp_path / "all.duckdb"
        process = start_flowaudit("run", "--accounts", str(accounts), "--db", str(db),
                                  "--out", str(tmp_path / "reports"), "--concurrency", "2", env=ENV)  # fmt: skip
        deadline = time.monotonic() + 60
        while (
            not list(tmp_path.glob(".flowaudit-staging-all.duckdb-*"))
            and time.monotonic() < deadline
        ):
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        time.sleep(0.5)  # both fetches under way
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == ExitCode.INTERRUPTED, stderr
    assert last_line(stderr) == "flowaudit: error: interrupted"
    assert query(db, "SELECT account, status, error FROM runs ORDER BY account") == [
        ("prod", "failed", "terminated (SIGTERM)"), ("sandbox", "failed", "terminated (SIGTERM)"),
    ]  # fmt: skip
    assert not list(tmp_path.glob(".flowaudit-staging-*")), "the staging folders are removed"
