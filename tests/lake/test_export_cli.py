"""`flowaudit export` and `run --export` on the command line: what they print, and the exit
code of each thing that can go wrong."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from flowaudit.config import resolve_settings
from flowaudit.errors import ExitCode
from flowaudit.pipeline import run_nightly
from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from tests.lake.conftest import Exported
from tests.lake.test_export import duckdb_counts, view_counts
from tests.ops.cli import flowaudit, last_line


def test_export_prints_the_manifest_path_and_a_summary(exported: Exported, tmp_path: Path):
    db = tmp_path / "all.duckdb"
    shutil.copyfile(exported.db, db)
    result = flowaudit("export", "--format", "parquet", "--out", str(tmp_path / "lake"), "--db", str(db),
                       "--account", "sandbox")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "lake" / "_manifest.json")
    assert "exported 1 account(s) into" in last_line(result.stderr)
    manifest = json.loads((tmp_path / "lake" / "_manifest.json").read_text())
    assert list(manifest["accounts"]) == ["sandbox"]
    assert duckdb_counts(tmp_path / "lake", "audit_events") == {
        "sandbox": view_counts(db, "audit_events")["sandbox"]
    }


def test_an_export_directory_that_cannot_be_written_is_exit_11(exported: Exported, tmp_path: Path):
    (tmp_path / "plain-file").write_text("")
    result = flowaudit(
        "export", "--out", str(tmp_path / "plain-file" / "lake"), "--db", str(exported.db)
    )
    assert result.returncode == ExitCode.REPORT_OUTPUT, result.stderr
    assert "plain-file" in last_line(result.stderr) and "Traceback" not in result.stderr


def test_an_account_the_database_does_not_hold_is_a_usage_error(exported: Exported, tmp_path: Path):
    result = flowaudit(
        "export", "--out", str(tmp_path / "lake"), "--db", str(exported.db), "--account", "nope"
    )
    assert result.returncode == ExitCode.USAGE
    assert "no account 'nope'" in last_line(result.stderr) and "prod, sandbox" in last_line(
        result.stderr
    )
    assert not (tmp_path / "lake").exists()


def test_a_missing_database_is_exit_7(tmp_path: Path):
    result = flowaudit(
        "export", "--out", str(tmp_path / "lake"), "--db", str(tmp_path / "none.duckdb")
    )
    assert result.returncode == ExitCode.DATABASE and "database not found" in last_line(
        result.stderr
    )


def test_run_with_export_writes_the_lake_after_a_successful_extract(tmp_path: Path):
    account = SimulatedAccount.generate(
        "small", seed=3, token="one-tok-77778888", options=SimulatorOptions(history_days=20)
    )
    settings = resolve_settings(
        {"db": tmp_path / "a.duckdb", "out": tmp_path / "reports", "api_url": account.base_url},
        environ={"FLOWAUDIT_TOKEN": account.token},
    )
    outcome = run_nightly(
        settings, transport=account.async_transport(), export_dir=tmp_path / "lake"
    )
    assert outcome.error is None and outcome.index is not None
    for view in ("audit_events", "flows", "runs"):
        assert duckdb_counts(tmp_path / "lake", view) == view_counts(tmp_path / "a.duckdb", view)
