"""`flowaudit run` is the cron line and `flowaudit demo` the first command a user runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from flowaudit.config import resolve_settings
from flowaudit.errors import ApiUnavailableError, ExitCode
from flowaudit.pipeline import run_nightly
from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from tests.pipeline.helpers import query


def _settings(tmp_path: Path, account: SimulatedAccount, **flags):
    return resolve_settings(
        {"db": tmp_path / "a.duckdb", "out": tmp_path / "reports", "api_url": account.base_url,
         **flags},
        environ={"FLOWAUDIT_TOKEN": account.token},
    )  # fmt: skip


def test_a_good_night_extracts_and_renders(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=1)
    outcome = run_nightly(_settings(tmp_path, account), transport=account.async_transport())
    assert outcome.error is None and outcome.result.status == "succeeded"
    assert outcome.index.is_file()
    assert (tmp_path / "reports" / "latest" / "index.html").is_file()


def test_a_failed_extract_still_renders_reports_that_say_the_data_is_stale(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=1)
    settings = _settings(tmp_path, account)
    run_nightly(settings, transport=account.async_transport())

    broken = SimulatedAccount.generate(
        "small", seed=1, options=SimulatorOptions(fault_rate=1.0, fault_kinds=("503",))
    )
    outcome = run_nightly(
        _settings(tmp_path, broken, max_attempts=2), transport=broken.async_transport()
    )
    assert isinstance(outcome.error, ApiUnavailableError)
    assert outcome.index is not None and outcome.index.is_file()
    page = HTMLParser(outcome.index.read_text(encoding="utf-8"))
    text = page.body.text(separator=" ")
    observed = query(
        tmp_path / "a.duckdb", "SELECT max(observed_at) FROM runs WHERE status = 'succeeded'"
    )[0][0]
    assert "stale" in text.lower()
    assert observed.strftime("%Y-%m-%d %H:%M") in text
    assert query(tmp_path / "a.duckdb", "SELECT status FROM runs ORDER BY run_id") == [
        ("succeeded",),
        ("failed",),
    ]


def test_run_exits_with_the_extract_error_code_after_rendering(tmp_path: Path):
    db = tmp_path / "a.duckdb"
    account = SimulatedAccount.generate("small", seed=1)
    run_nightly(_settings(tmp_path, account), transport=account.async_transport())
    result = subprocess.run(
        [sys.executable, "-m", "flowaudit", "run", "--db", str(db), "--out", str(tmp_path / "r"),
         "--api-url", "http://127.0.0.1:9/v1"],
        env={**os.environ, "FLOWAUDIT_TOKEN": "tok-abcdef123", "FLOWAUDIT_MAX_ATTEMPTS": "1"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == ExitCode.API_UNAVAILABLE, result.stderr
    index = Path(result.stdout.strip())
    assert index.is_file() and index.name == "index.html"
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_the_demo_from_the_readme_produces_the_reports(tmp_path: Path):
    out = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "flowaudit", "demo", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    index = Path(result.stdout.strip().splitlines()[-1])
    assert index == out.resolve() / "reports" / "latest" / "index.html"
    for page in ("index.html", "changes.html", "drift.html"):
        assert (index.parent / page).is_file()
    assert list((index.parent / "flows").glob("*.html"))
    runs = query(out / "demo.duckdb", "SELECT status FROM runs")
    assert len(runs) == 4 and {s for (s,) in runs} == {"succeeded"}
    drift = HTMLParser((index.parent / "drift.html").read_text(encoding="utf-8"))
    assert "unexplained" in drift.body.text().lower()
    # The demo's database answers the other commands as it is, with no extra flags.
    pins = subprocess.run(
        [sys.executable, "-m", "flowaudit", "baseline", "list", "--db", str(out / "demo.duckdb")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert pins.returncode == 0 and pins.stdout.startswith("approved\t"), pins.stderr
    against_pin = subprocess.run(
        [sys.executable, "-m", "flowaudit", "report", "--db", str(out / "demo.duckdb"),
         "--out", str(tmp_path / "pinned"), "--baseline", "approved"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert against_pin.returncode == 0, against_pin.stderr
    pinned_drift = (Path(against_pin.stdout.strip()).parent / "drift.html").read_text()
    assert "approved" in pinned_drift
    # Running it again starts over in the same folder.
    again = subprocess.run(
        [sys.executable, "-m", "flowaudit", "demo", "--out", str(out), "--days", "1"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert len(query(out / "demo.duckdb", "SELECT status FROM runs")) == 2


def test_the_demo_refuses_a_folder_it_did_not_make(tmp_path: Path):
    (tmp_path / "precious.txt").write_text("keep me")
    result = subprocess.run(
        [sys.executable, "-m", "flowaudit", "demo", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == ExitCode.USAGE
    assert "not made by `flowaudit demo`" in result.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"
