"""The manager's morning on the command line: `flowaudit digest`, `run --fail-on-attention`
(its own exit code), `run --baseline`, `baseline set --note --by`, and the notification
settings refused with one line and exit 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowaudit.config import resolve_settings
from flowaudit.errors import ConfigError, ExitCode
from flowaudit.simulate import SimulatedAccount
from flowaudit.simulate.server import serve
from tests.ops.cli import flowaudit, last_line
from tests.pipeline.helpers import extract, query

TOKEN = "cli-digest-token-31"


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory) -> Path:
    """A database of two nights, the second with a silent change."""
    account = SimulatedAccount.generate("small", seed=22, token=TOKEN)
    db = tmp_path_factory.mktemp("digest") / "a.duckdb"
    extract(db, account)
    account.advance(hours=24, silent_changes=1)
    extract(db, account)
    return db


def test_digest_prints_the_newest_nights_digest(two_nights: Path, tmp_path: Path):
    (name,) = {n for (n,) in query(two_nights, "SELECT resource_name FROM unexplained_changes")}
    result = flowaudit("digest", "--db", str(two_nights), "--out", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("flowaudit: ") and "need attention" in first
    assert name in result.stdout and "changed with no audit record" in result.stdout
    assert "Report: " + str((tmp_path / "r" / "latest" / "index.html").resolve()) in result.stdout
    html = flowaudit("digest", "--db", str(two_nights), "--html")
    assert html.returncode == 0 and html.stdout.startswith("<!DOCTYPE html>")


def test_digest_lists_the_drift_from_a_named_baseline(two_nights: Path, tmp_path: Path):
    db = tmp_path / "copy.duckdb"
    db.write_bytes(two_nights.read_bytes())
    pinned = flowaudit("baseline", "set", "approved", "--db", str(db), "--note", "CHG-1234", "--by", "Ann Auditor")
    assert pinned.returncode == 0, pinned.stderr
    assert "pinned by Ann Auditor" in pinned.stdout and "approval CHG-1234" in pinned.stdout
    assert query(db, "SELECT name, note, pinned_by FROM baselines") == [("approved", "CHG-1234", "Ann Auditor")]
    listed = flowaudit("baseline", "list", "--db", str(db))
    assert "CHG-1234" in listed.stdout and "by Ann Auditor" in listed.stdout
    # Pinned at the newest run: nothing differs from it yet.
    digest = flowaudit("digest", "--db", str(db), "--baseline", "approved")
    assert "differs from the pinned baseline" not in digest.stdout


@pytest.mark.slow
def test_run_fails_on_attention_with_its_own_exit_code_and_says_the_verdict(tmp_path: Path):
    account = SimulatedAccount.generate("small", seed=23, token=TOKEN)
    env = {"FLOWAUDIT_TOKEN": TOKEN}
    with serve(account) as server:
        args = ["run", "--api-url", server.url, "--db", str(tmp_path / "a.duckdb"), "--out", str(tmp_path / "r")]
        first = flowaudit(*args, env=env)
        assert first.returncode == 0, first.stderr
        assert "flowaudit: The last run is healthy and complete." in first.stderr
        account.advance(hours=24, silent_changes=1)  # the server answers from this account
        failing = flowaudit(*args, "--fail-on-attention", env=env)
    assert failing.returncode == ExitCode.NEEDS_ATTENTION == 16, failing.stderr
    assert "need attention" in last_line(failing.stderr) and Path(failing.stdout.strip()).is_file()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FLOWAUDIT_SMTP_URL", "http://mail.example.com", "smtp://"),
        ("FLOWAUDIT_SMTP_URL", "smtp://user:pw@mail.example.com", "no password in the URL"),
        ("FLOWAUDIT_MAIL_TO", "ops@example.com, not-an-address", "not an e-mail address"),
        ("FLOWAUDIT_DISPLAY_TIMEZONE", "Mars/Olympus", "IANA time zone"),
        ("FLOWAUDIT_WEBHOOK_URL", "ftp://hooks.example.com/x", "http(s) URL"),
    ],
)
def test_bad_notification_settings_are_one_line_config_errors(variable: str, value: str, message: str):
    with pytest.raises(ConfigError, match="invalid value") as raised:
        resolve_settings({}, environ={variable: value})
    assert message in raised.value.message and "\n" not in raised.value.message


def test_an_smtp_url_needs_recipients_and_a_sender():
    with pytest.raises(ConfigError, match="needs mail_to and mail_from"):
        resolve_settings({}, environ={"FLOWAUDIT_SMTP_URL": "smtp://mail.example.com"})


def test_the_smtp_password_comes_only_from_the_environment_or_its_file(tmp_path: Path):
    secret = tmp_path / "smtp-password"
    secret.write_text("from-the-file\n")
    settings = resolve_settings({}, environ={"FLOWAUDIT_SMTP_PASSWORD_FILE": str(secret)})
    assert settings.smtp_password.reveal() == "from-the-file" and "from-the-file" not in repr(settings)
    with pytest.raises(ValueError, match="unknown setting"):
        resolve_settings({"smtp_password": "x"})
    (tmp_path / "flowaudit.toml").write_text('smtp_password = "x"\n')
    with pytest.raises(ConfigError, match="unknown setting"):
        resolve_settings({}, config_file=tmp_path / "flowaudit.toml")
