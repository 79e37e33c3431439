"""Many accounts in one run (in-process simulators): fetched at once within one cap on
requests in flight, loaded one after another, and one account's failure never stops the others."""

from __future__ import annotations

from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from flowaudit.accounts.runner import AccountsOutcome, extract_accounts, run_accounts
from flowaudit.errors import AuthError, ExitCode, RunInProgressError
from flowaudit.report.data_blocks import unpacked_page
from flowaudit.runlock import run_lock
from tests.accounts.conftest import ENV, TOKENS, TwoAccounts, make_plan, two_accounts
from tests.notify.conftest import Mailbox
from tests.pipeline.helpers import places_holding, query


def _overview_rows(path: Path) -> dict[str, dict[str, str]]:
    page = LexborHTMLParser(path.read_text(encoding="utf-8"))
    rows = {}
    for row in page.css("#accounts tbody tr"):
        link = row.css_first("a")
        rows[row.attributes["data-account"]] = {
            "state": row.attributes["data-state"],
            "href": link.attributes["href"] if link else "",
            "unexplained": row.css_first("td.unexplained").text(strip=True),
            "text": row.text(separator=" ", strip=True),
        }
    return rows


def test_two_accounts_are_fetched_at_once_and_both_land_in_one_database(tmp_path: Path):
    accounts = two_accounts(latency_ms=20)
    plan = make_plan(tmp_path)
    outcome = run_accounts(plan, transports=accounts.transports(), wall_clock=accounts.clock)

    assert outcome.final_error() is None, [a.summary() for a in outcome.accounts]
    assert accounts.log.both_at_once, "the two accounts' requests never overlapped"
    db = tmp_path / "all.duckdb"
    assert query(db, "SELECT account, status, mode FROM runs ORDER BY account") == [
        ("prod", "succeeded", "full"), ("sandbox", "succeeded", "full"),
    ]  # fmt: skip
    for label, account in (("prod", accounts.prod), ("sandbox", accounts.sandbox)):
        flows = query(db, "SELECT count(*) FROM flows WHERE account = ?", [label])[0][0]
        records = query(db, "SELECT count(*) FROM audit_events WHERE account = ?", [label])[0][0]
        assert flows == len(account.resources("flows"))
        assert records == len(account.audit_records(include_expired=False))
    # Per-account reports, and the overview linking to them.
    for label in ("prod", "sandbox"):
        page = (tmp_path / "reports" / label / "latest" / "index.html").read_text(encoding="utf-8")
        assert f"Account <b>{label}</b>" in page and 'id="stale-banner"' not in page
    rows = _overview_rows(outcome.overview)
    assert outcome.overview == tmp_path / "reports" / "index.html"
    assert {label: (row["state"], row["href"]) for label, row in rows.items()} == {
        "prod": ("healthy", "prod/latest/index.html"),
        "sandbox": ("healthy", "sandbox/latest/index.html"),
    }
    # Neither token reached the database or a page.
    for token in TOKENS.values():
        assert places_holding(db, token) == []
        for page in (tmp_path / "reports").rglob("*.html"):
            assert token not in unpacked_page(page.read_text(encoding="utf-8")), page


def test_every_accounts_requests_together_stay_within_max_in_flight(tmp_path: Path):
    accounts = two_accounts(latency_ms=10)
    plan = make_plan(tmp_path)  # each account: concurrency 4
    outcomes = extract_accounts(
        plan, max_in_flight=3, transports=accounts.transports(), wall_clock=accounts.clock
    )
    assert all(o.error is None for o in outcomes)
    assert accounts.log.max_total == 3 and accounts.log.both_at_once


def test_a_wrong_token_fails_that_account_alone_and_its_reports_are_marked_stale(
    accounts: TwoAccounts, tmp_path: Path
):
    first = run_accounts(
        make_plan(tmp_path), transports=accounts.transports(), wall_clock=accounts.clock
    )
    assert first.final_error() is None
    accounts.advance(hours=24, silent=1)

    wrong = {**ENV, "SANDBOX_TOKEN": "sandbox-wrong-9999zzzz"}
    outcome = run_accounts(
        make_plan(tmp_path, env=wrong), transports=accounts.transports(), wall_clock=accounts.clock
    )

    prod, sandbox = outcome.accounts
    assert (
        prod.error is None
        and prod.result.mode == "incremental"
        and prod.result.counts["new_audit_records"] > 0
    )
    assert isinstance(sandbox.error, AuthError)
    error = outcome.final_error()
    assert error.exit_code == ExitCode.SOME_ACCOUNTS_FAILED
    assert error.message.startswith("1 of 2 accounts failed: sandbox (the API rejected the token")
    assert "prod" not in error.message and "wrong-9999" not in error.message
    assert "\n" not in error.message
    db = tmp_path / "all.duckdb"
    assert query(db, "SELECT account, status FROM runs WHERE run_id > 2 ORDER BY account") == [
        ("prod", "succeeded"), ("sandbox", "failed"),
    ]  # fmt: skip
    sandbox_page = (tmp_path / "reports/sandbox/latest/index.html").read_text(encoding="utf-8")
    prod_page = (tmp_path / "reports/prod/latest/index.html").read_text(encoding="utf-8")
    assert 'id="stale-banner"' in sandbox_page and "rejected the token" in sandbox_page
    assert 'id="stale-banner"' not in prod_page
    rows = _overview_rows(outcome.overview)
    assert (rows["prod"]["state"], rows["sandbox"]["state"]) == ("healthy", "failed")
    assert "rejected the token" in rows["sandbox"]["text"]
    assert rows["prod"]["unexplained"] == str(
        query(db, "SELECT count(*) FROM unexplained_changes WHERE account = 'prod'")[0][0]
    )
    assert int(rows["prod"]["unexplained"]) >= 1  # the silent change of the simulated day


def test_every_account_failing_for_the_same_reason_exits_with_that_reason(
    accounts: TwoAccounts, tmp_path: Path
):
    wrong = {"PROD_TOKEN": "prod-wrong-00001111", "SANDBOX_TOKEN": "sandbox-wrong-22223333"}
    outcomes = extract_accounts(make_plan(tmp_path, env=wrong), transports=accounts.transports(),
                                wall_clock=accounts.clock)  # fmt: skip
    error = AccountsOutcome(outcomes).final_error()
    assert error.exit_code == ExitCode.AUTH
    assert error.message.startswith("every account failed: prod (the API rejected the token")


def test_db_per_account_keeps_each_account_in_a_file_of_its_own(
    accounts: TwoAccounts, tmp_path: Path
):
    plan = make_plan(tmp_path, db_per_account=tmp_path / "dbs")
    outcomes = extract_accounts(plan, transports=accounts.transports(), wall_clock=accounts.clock)
    assert all(o.error is None for o in outcomes)
    for label in ("prod", "sandbox"):
        assert query(tmp_path / "dbs" / f"{label}.duckdb", "SELECT DISTINCT account FROM runs") == [
            (label,)
        ]
    assert not (tmp_path / "all.duckdb").exists()


def test_an_account_whose_database_another_run_holds_fails_alone(
    accounts: TwoAccounts, tmp_path: Path
):
    plan = make_plan(tmp_path, db_per_account=tmp_path / "dbs")
    (tmp_path / "dbs").mkdir()
    with run_lock(tmp_path / "dbs" / "sandbox.duckdb"):
        outcomes = extract_accounts(
            plan, transports=accounts.transports(), wall_clock=accounts.clock
        )
    prod, sandbox = outcomes
    assert prod.error is None and isinstance(sandbox.error, RunInProgressError)
    assert AccountsOutcome(outcomes).final_error().exit_code == ExitCode.SOME_ACCOUNTS_FAILED


def test_each_account_of_a_run_sends_its_own_digest_linking_to_its_own_reports(
    tmp_path: Path, mailbox: Mailbox
):
    accounts = two_accounts()
    plan = make_plan(tmp_path, settings={
        "smtp_url": mailbox.url, "mail_to": ["ops@example.com"], "mail_from": "flowaudit@example.com",
        "report_url": "https://reports.example.com/flowaudit", "notify_always": True,
    })  # fmt: skip
    outcome = run_accounts(plan, transports=accounts.transports(), wall_clock=accounts.clock)

    assert outcome.final_error() is None
    by_account = {}
    for _recipients, message in mailbox.deliveries:
        (label,) = [label for label in ("prod", "sandbox") if f"account {label}" in message["Subject"]]
        by_account[label] = message.get_body(("plain",)).get_content()
    assert sorted(by_account) == ["prod", "sandbox"]
    for label, text in by_account.items():
        assert f"https://reports.example.com/flowaudit/{label}/latest/index.html" in text
        for token in TOKENS.values():
            assert token not in text
    # What was sent is recorded for each account (the overview shows it).
    sent = query(tmp_path / "all.duckdb", "SELECT account, channel, status FROM notifications ORDER BY account")
    assert sent == [("prod", "mail", "sent"), ("sandbox", "mail", "sent")]
