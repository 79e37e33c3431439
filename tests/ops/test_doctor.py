"""`flowaudit doctor` says, one line per check, what is wrong with the setup a cron run needs,
and exits with the first failure's code; it shows where every setting came from, never the
token."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flowaudit.errors import ExitCode
from flowaudit.ops import diagnose
from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from flowaudit.simulate.server import serve
from tests.pipeline.helpers import extract

TOKEN = "doc-tok-5e4d3c2b1a09"


def _account(**options) -> SimulatedAccount:
    return SimulatedAccount.generate(
        "small", seed=3, token=TOKEN, options=SimulatorOptions(**options)
    )


def _diagnose(account: SimulatedAccount, tmp_path: Path, *, token: str | None = TOKEN, **flags):
    environ = {"FLOWAUDIT_TOKEN": token} if token else {}
    flags = {"api_url": account.base_url, "db": tmp_path / "a.duckdb",
             "out": tmp_path / "reports", **flags}  # fmt: skip
    return diagnose(flags, environ=environ, transport=account.transport())


def _by_name(report) -> dict[str, object]:
    return {check.name: check for check in report.checks}


@pytest.fixture(scope="module")
def extracted_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("db") / "a.duckdb"
    extract(db, _account())
    return db


def _copy(db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "a.duckdb"
    copy.write_bytes(db.read_bytes())
    return copy


def test_a_healthy_setup_passes_every_check(extracted_db: Path, tmp_path: Path):
    db = _copy(extracted_db, tmp_path)
    report = _diagnose(_account(), tmp_path, db=db)
    assert [(c.name, c.status) for c in report.checks] == [
        ("config", "ok"), ("api", "ok"), ("token", "ok"), ("database", "ok"), ("reports", "ok"),
    ]  # fmt: skip
    assert report.exit_code == ExitCode.OK
    database = _by_name(report)["database"]
    assert "every data check holds" in database.message
    assert any("run 1" in line for line in database.details)
    assert not list(tmp_path.glob("reports*")), "the doctor must not create the report directory"


def test_the_configuration_shows_where_each_setting_came_from_but_not_the_token(tmp_path: Path):
    (tmp_path / "flowaudit.toml").write_text("[flowaudit]\nrate = 42\nregion = 'eu'\n")
    report = diagnose(
        {"db": tmp_path / "flag.duckdb", "out": tmp_path / "r"},
        config_file=tmp_path / "flowaudit.toml",
        environ={"FLOWAUDIT_TOKEN": TOKEN, "FLOWAUDIT_CONCURRENCY": "3"},
        transport=_account().transport(),
    )
    config = _by_name(report)["config"]
    text = "\n".join(report.lines())
    assert str(tmp_path / "flowaudit.toml") in config.message
    details = set(config.details)
    assert f"db = {tmp_path / 'flag.duckdb'}  (--db)" in details
    assert "concurrency = 3  (FLOWAUDIT_CONCURRENCY)" in details
    assert f"rate = 42.0  ({tmp_path / 'flowaudit.toml'})" in details
    assert any(d.startswith("api_url = https://api.eu.integrator.io/v1") and "region eu" in d
               for d in details)  # fmt: skip
    assert "timeout = 30.0  (default)" in details
    assert "token = set (from FLOWAUDIT_TOKEN)" in details
    assert TOKEN not in text


def test_a_token_file_is_named_as_the_token_source(tmp_path: Path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    report = _diagnose(_account(), tmp_path, token=None, token_file=token_file)
    assert f"token = set (from token file {token_file})" in _by_name(report)["config"].details
    assert _by_name(report)["token"].status == "ok"
    assert TOKEN not in "\n".join(report.lines())


def test_a_rejected_token_fails_with_the_auth_code(tmp_path: Path):
    report = _diagnose(_account(), tmp_path, token="doc-wrong-0000")
    checks = _by_name(report)
    assert checks["api"].status == "ok"
    assert checks["token"].status == "FAIL" and "rejected" in checks["token"].message
    assert report.exit_code == ExitCode.AUTH
    assert "doc-wrong-0000" not in "\n".join(report.lines())


def test_a_token_that_may_not_read_connections_is_named(tmp_path: Path):
    report = _diagnose(_account(forbidden_kinds=("connections",)), tmp_path)
    token = _by_name(report)["token"]
    assert token.status == "FAIL" and "/connections (HTTP 403)" in token.message
    assert report.exit_code == ExitCode.AUTH


def test_a_missing_token_is_a_config_failure(tmp_path: Path):
    report = _diagnose(_account(), tmp_path, token=None)
    assert _by_name(report)["api"].status == "ok"  # reachable even without a token
    assert "FLOWAUDIT_TOKEN" in _by_name(report)["token"].message
    assert report.exit_code == ExitCode.CONFIG


def test_an_unreachable_api_fails_with_its_code(tmp_path: Path):
    report = diagnose(
        {"api_url": "http://127.0.0.1:9/v1", "db": tmp_path / "a.duckdb", "timeout": 5},
        environ={"FLOWAUDIT_TOKEN": TOKEN},
    )
    checks = _by_name(report)
    assert (
        checks["api"].status == "FAIL"
        and "cannot reach http://127.0.0.1:9/v1" in checks["api"].message
    )
    assert checks["token"].status == "skip"
    assert report.exit_code == ExitCode.API_UNAVAILABLE


def test_an_api_answering_5xx_fails_as_unavailable(tmp_path: Path):
    report = _diagnose(_account(fault_rate=1.0, fault_kinds=("503",)), tmp_path)
    assert "HTTP 503" in _by_name(report)["api"].message
    assert report.exit_code == ExitCode.API_UNAVAILABLE


def test_a_bad_config_file_fails_and_skips_the_rest(tmp_path: Path):
    (tmp_path / "flowaudit.toml").write_text("rate = 'fast'\n")
    report = diagnose({}, config_file=tmp_path / "flowaudit.toml", environ={})
    assert [c.status for c in report.checks] == ["FAIL", "skip", "skip", "skip", "skip"]
    assert "invalid value for rate" in report.checks[0].message
    assert report.exit_code == ExitCode.CONFIG


def test_a_file_that_is_not_duckdb_fails_the_database_check(tmp_path: Path):
    (tmp_path / "a.duckdb").write_text("this is a spreadsheet, honestly\n")
    report = _diagnose(_account(), tmp_path)
    database = _by_name(report)["database"]
    assert database.status == "FAIL" and "not a DuckDB database file" in database.message
    assert report.exit_code == ExitCode.DATABASE


def test_a_database_from_a_newer_flowaudit_fails_the_database_check(
    extracted_db: Path, tmp_path: Path
):
    db = _copy(extracted_db, tmp_path)
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO store.schema_migrations VALUES ('9999_from_the_future', now())")
    con.close()
    database = _by_name(_diagnose(_account(), tmp_path, db=db))["database"]
    assert database.status == "FAIL" and "newer flowaudit" in database.message
    assert database.exit_code == ExitCode.DATABASE


def test_a_broken_data_rule_is_named(extracted_db: Path, tmp_path: Path):
    db = _copy(extracted_db, tmp_path)
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO store.audit_records SELECT * FROM store.audit_records LIMIT 1")
    con.close()
    database = _by_name(_diagnose(_account(), tmp_path, db=db))["database"]
    assert database.status == "FAIL" and database.exit_code == ExitCode.DATABASE
    assert any(line.startswith("duplicate_audit_records:") for line in database.details)


HOLD_WRITER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("open", flush=True)
time.sleep(60)
"""


def test_a_database_held_by_a_writer_fails_as_locked(extracted_db: Path, tmp_path: Path):
    db = _copy(extracted_db, tmp_path)
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITER, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "open"
        database = _by_name(_diagnose(_account(), tmp_path, db=db))["database"]
    finally:
        writer.kill()
        writer.wait()
    assert database.status == "FAIL" and "locked" in database.message
    assert database.exit_code == ExitCode.DATABASE_LOCKED


def test_a_database_in_a_missing_directory_fails(tmp_path: Path):
    report = _diagnose(_account(), tmp_path, db=tmp_path / "nowhere" / "a.duckdb")
    assert "does not exist" in _by_name(report)["database"].message
    assert report.exit_code == ExitCode.DATABASE


def test_a_report_directory_that_cannot_be_written_fails(tmp_path: Path):
    (tmp_path / "plain-file").write_text("")
    report = _diagnose(_account(), tmp_path, out=tmp_path / "plain-file" / "reports")
    reports = _by_name(report)["reports"]
    assert reports.status == "FAIL" and "is a file" in reports.message
    assert report.exit_code == ExitCode.REPORT_OUTPUT


def test_the_exit_code_is_the_first_failures(tmp_path: Path):
    (tmp_path / "a.duckdb").write_text("not duckdb")
    (tmp_path / "plain-file").write_text("")
    report = _diagnose(_account(), tmp_path, token="doc-wrong-0000", out=tmp_path / "plain-file")
    assert [c.status for c in report.checks] == ["ok", "ok", "FAIL", "FAIL", "FAIL"]
    assert report.exit_code == ExitCode.AUTH


def test_the_doctor_command_prints_a_line_per_check_and_exits_with_the_failure(
    extracted_db: Path, tmp_path: Path
):
    db = _copy(extracted_db, tmp_path)
    account = _account()
    with serve(account) as handle:
        good = _doctor_cli(handle.url, db, tmp_path, TOKEN)
        bad = _doctor_cli(handle.url, db, tmp_path, "doc-wrong-0000")
    assert good.returncode == 0, good.stdout + good.stderr
    statuses = [line.split()[0] for line in good.stdout.splitlines() if not line.startswith(" ")]
    assert statuses == ["ok"] * 5
    assert good.stderr == ""
    assert bad.returncode == ExitCode.AUTH
    assert bad.stderr.startswith("flowaudit: error: doctor: token: the API rejected the token")
    for result in (good, bad):
        assert TOKEN not in result.stdout + result.stderr
        assert "doc-wrong-0000" not in result.stdout + result.stderr


def _doctor_cli(url: str, db: Path, tmp_path: Path, token: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flowaudit", "doctor", "--api-url", url, "--db", str(db),
         "--out", str(tmp_path / "reports")],
        env={"PATH": "/usr/bin:/bin", "FLOWAUDIT_TOKEN": token},
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
