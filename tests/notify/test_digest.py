"""The digest after every run, received by a real SMTP server and a real HTTP receiver: it
names what needs attention (the night's unexplained change), a quiet night sends nothing, a
failed send is retried once, recorded and never fails the run, and no secret is in it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from markupsafe import escape

from flowaudit.attention import Night
from flowaudit.config import resolve_settings
from flowaudit.notify.digest import compose
from flowaudit.notify.send import send_digest
from flowaudit.pipeline import run_nightly
from flowaudit.simulate import SimulatedAccount
from tests.notify.conftest import Hook, Mailbox, free_port
from tests.pipeline.helpers import query

TOKEN = "digest-token-5b3c9d"
PASSWORD = "smtp-pass-77aa"


def _settings(tmp_path: Path, account: SimulatedAccount, **values):
    environ = {
        "FLOWAUDIT_TOKEN": TOKEN, "FLOWAUDIT_DB": str(tmp_path / "a.duckdb"),
        "FLOWAUDIT_OUT": str(tmp_path / "reports"), "FLOWAUDIT_API_URL": account.base_url,
        "FLOWAUDIT_RATE": "100000",
        **{f"FLOWAUDIT_{key.upper()}": value for key, value in values.items()},
    }  # fmt: skip
    return resolve_settings({}, environ=environ)


def _night(settings, account):
    return run_nightly(settings, transport=account.async_transport())


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> SimulatedAccount:
    monkeypatch.setattr("flowaudit.notify.send.RETRY_AFTER_SECONDS", 0.0)  # no waiting in tests
    return SimulatedAccount.generate("small", seed=21, token=TOKEN)


@pytest.mark.slow
def test_a_night_with_a_silent_change_mails_and_posts_a_digest_naming_it(
    tmp_path: Path, account: SimulatedAccount, mailbox: Mailbox, hook: Hook
):
    settings = _settings(tmp_path, account, smtp_url=mailbox.url, mail_to="ops@example.com, audit@example.com",
                         mail_from="flowaudit@example.com", webhook_url=hook.url)  # fmt: skip
    _night(settings, account)  # the first night (its digest covers the day before it)
    first_mails, first_posts = len(mailbox.deliveries), len(hook.bodies)
    account.advance(hours=24, silent_changes=1)
    outcome = _night(settings, account)
    assert outcome.error is None
    ((silent,),) = [[c["_resourceId"] for c in account.silent_change_log]]
    (name,) = {n for (n,) in query(settings.db, "SELECT resource_name FROM unexplained_changes")}

    assert len(mailbox.deliveries) == first_mails + 1
    recipients, message = mailbox.deliveries[-1]
    assert sorted(recipients) == ["audit@example.com", "ops@example.com"]
    assert message["Subject"].startswith("flowaudit: ") and "need attention" in message["Subject"]
    assert "account default" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert name in text and "changed with no audit record" in text
    assert outcome.night.verdict() in text and "latest/index.html" in text
    assert str(escape(name)) in html

    assert len(hook.bodies) == first_posts + 1
    body = hook.bodies[-1]
    assert name in body["text"] and body["@type"] == "MessageCard"
    assert any(item["kind"] == "unexplained" and name in item["subject"] for item in body["flowaudit"]["items"])
    assert silent in {r[0] for r in query(settings.db, "SELECT resource_id FROM unexplained_changes")}
    # Both sends are recorded, and shown to whoever reads the database.
    sent = query(settings.db, "SELECT channel, status, attempts FROM notifications WHERE run_id = "
                              "(SELECT max(run_id) FROM runs) ORDER BY channel")
    assert sent == [("mail", "sent", 1), ("webhook", "sent", 1)]


@pytest.mark.slow
def test_a_quiet_night_sends_nothing_unless_notify_always(
    tmp_path: Path, account: SimulatedAccount, mailbox: Mailbox, hook: Hook
):
    settings = _settings(tmp_path, account, smtp_url=mailbox.url, mail_to="ops@example.com",
                         mail_from="flowaudit@example.com", webhook_url=hook.url)  # fmt: skip
    _night(settings, account)
    before = (len(mailbox.deliveries), len(hook.bodies))
    outcome = _night(settings, account)  # nothing happened in between
    assert outcome.night.quiet and outcome.night.changes == 0
    assert (len(mailbox.deliveries), len(hook.bodies)) == before
    assert [n.status for n in outcome.notices] == ["skipped", "skipped"]
    again = _night(replace(settings, notify_always=True), account)
    assert len(mailbox.deliveries) == before[0] + 1 and len(hook.bodies) == before[1] + 1
    assert "nothing needs attention" in mailbox.deliveries[-1][1]["Subject"]
    assert again.night.changes == 0


def test_a_failed_send_is_retried_once_recorded_and_the_run_still_succeeds(
    tmp_path: Path, account: SimulatedAccount, hook: Hook
):
    hook.status = 500
    nowhere = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    settings = _settings(tmp_path, account, smtp_url=nowhere, mail_to="ops@example.com",
                         mail_from="flowaudit@example.com", webhook_url=hook.url)  # fmt: skip
    outcome = run_nightly(settings, transport=account.async_transport())
    assert outcome.error is None and outcome.index is not None
    assert len(hook.bodies) == 2  # tried twice
    rows = query(settings.db, "SELECT channel, status, attempts, error FROM notifications ORDER BY channel")
    assert [(c, s, a) for c, s, a, _ in rows] == [("mail", "failed", 2), ("webhook", "failed", 2)]
    assert "cannot reach the mail server" in rows[0][3] and "HTTP 500" in rows[1][3]
    assert "secret-part" not in rows[1][3]  # the webhook URL is a credential


def test_starttls_is_required_by_smtp_starttls_urls(tmp_path: Path, account: SimulatedAccount, mailbox: Mailbox):
    settings = _settings(tmp_path, account, smtp_url=f"smtp+starttls://127.0.0.1:{mailbox.port}",
                         mail_to="ops@example.com", mail_from="flowaudit@example.com")  # fmt: skip
    outcome = _night(settings, account)
    (notice,) = outcome.notices
    assert notice.status == "failed" and "does not offer STARTTLS" in notice.error
    assert mailbox.deliveries == []


def test_no_secret_reaches_a_message_or_a_log(tmp_path: Path, account: SimulatedAccount, mailbox: Mailbox,
                                              hook: Hook, caplog: pytest.LogCaptureFixture):  # fmt: skip
    settings = _settings(tmp_path, account, smtp_url=f"smtp://user@127.0.0.1:{mailbox.port}",
                         mail_to="ops@example.com", mail_from="flowaudit@example.com", webhook_url=hook.url,
                         smtp_password=PASSWORD)  # fmt: skip
    caplog.set_level("DEBUG")
    _night(settings, account)
    # flowaudit's own log lines (the HTTP library's debug lines are not flowaudit's output).
    logged = [caplog.handler.format(r) for r in caplog.records if r.name.startswith("flowaudit")]
    everything = [m.as_string() for _, m in mailbox.deliveries] + [str(b) for b in hook.bodies] + logged
    assert any("digest sent by webhook" in line for line in logged)
    for text in everything:
        assert TOKEN not in text and PASSWORD not in text and "secret-part" not in text


def test_the_digest_names_at_most_25_items_and_says_how_many_more(account: SimulatedAccount):
    from flowaudit.attention import AttentionItem

    items = tuple(AttentionItem("api", 4, "flow", f"f{i}", f"Flow {i}", None, None, None, None, "Ann", "api", f"e{i}")
                  for i in range(30))  # fmt: skip
    night = Night("prod", {"run_id": 1, "status": "succeeded", "audit_complete": True}, None, None, 30, 1, items)
    digest = compose(night)
    assert digest.subject == "flowaudit: 30 need attention, 30 changes, account prod"
    assert digest.text.count("changed through the API") == 25 and "and 5 more" in digest.text
    assert len(digest.webhook["flowaudit"]["items"]) == 25


def test_nothing_is_sent_without_a_channel(account: SimulatedAccount, tmp_path: Path):
    night = Night("prod", None, None, None, 3, 1)
    assert send_digest(night, _settings(tmp_path, account)) == []
