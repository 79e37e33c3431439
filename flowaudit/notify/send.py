"""Sending a night's digest where the settings say (SMTP, webhook), retried once, each
outcome logged and recorded in `store.notifications` (shown on the overview). A failure
never fails or undoes the run."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import httpx

from flowaudit.attention import Night
from flowaudit.config import Settings
from flowaudit.logs import get_logger
from flowaudit.notify.digest import Digest, compose
from flowaudit.notify.mail import SendError, send_mail
from flowaudit.notify.webhook import post_webhook
from flowaudit.secrets import scrub

log = get_logger(__name__)
RETRY_AFTER_SECONDS = 5.0


@dataclass(frozen=True)
class Outcome:
    channel: str  # mail | webhook
    target: str  # the recipients, or the webhook's host (its URL is a credential)
    status: str  # sent | failed | skipped
    attempts: int
    error: str | None = None


def wanted(night: Night, settings: Settings) -> bool:
    """Whether this night's digest goes out: a night with a change, something to look at or
    a failed run; a quiet night only with notify_always."""
    failed = night.last_run is not None and night.last_run["status"] == "failed"
    return settings.notify_always or failed or not night.quiet


def send_digest(
    night: Night,
    settings: Settings,
    *,
    webhook_transport: httpx.BaseTransport | None = None,
) -> list[Outcome]:
    """Send night's digest on every configured channel; the outcomes (none when the night
    is quiet or no channel is configured)."""
    channels = []
    if settings.smtp_url:
        channels.append(("mail", ", ".join(settings.mail_to)))
    if settings.webhook_url:
        channels.append(("webhook", httpx.URL(settings.webhook_url).host))
    if not channels:
        return []
    if not wanted(night, settings):
        log.info("a quiet night: no digest sent (notify_always sends one anyway)")
        return [Outcome(channel, target, "skipped", 0) for channel, target in channels]
    digest = compose(night, timezone=settings.display_timezone)
    outcomes = []
    for channel, target in channels:
        outcome = _with_one_retry(channel, target, lambda c=channel: _send(c, digest, settings, webhook_transport))
        outcomes.append(outcome)
        if outcome.status == "sent":
            log.info("digest sent by %s to %s", channel, target)
        else:
            log.error("the digest could not be sent by %s to %s: %s", channel, target, outcome.error)
    return outcomes


def _send(channel: str, digest: Digest, settings: Settings, transport) -> None:
    if channel == "mail":
        assert settings.smtp_url and settings.mail_from
        send_mail(digest, smtp_url=settings.smtp_url, sender=settings.mail_from,
                  recipients=settings.mail_to, password=settings.smtp_password)  # fmt: skip
    else:
        assert settings.webhook_url
        post_webhook(digest, url=settings.webhook_url, transport=transport)


def _with_one_retry(channel: str, target: str, attempt) -> Outcome:
    error = None
    for number in (1, 2):
        try:
            attempt()
            return Outcome(channel, target, "sent", number)
        except SendError as exc:
            error = scrub(str(exc))
            if number == 1:
                log.warning("sending the digest by %s failed (%s); trying once more", channel, error)
                time.sleep(RETRY_AFTER_SECONDS)
    return Outcome(channel, target, "failed", 2, error)


def record_outcomes(con: duckdb.DuckDBPyConnection, run_id: int | None, account: str, subject: str,
                    outcomes: list[Outcome]) -> None:  # fmt: skip
    """Keep what was sent in store.notifications (the overview shows the newest)."""
    now = datetime.now(UTC)
    for outcome in outcomes:
        con.execute(
            "INSERT INTO store.notifications VALUES ($run_id, $account, $at, $channel, $target, $subject, "
            "$status, $attempts, $error)",
            {"run_id": run_id, "account": account, "at": now, "channel": outcome.channel,
             "target": outcome.target, "subject": subject, "status": outcome.status,
             "attempts": outcome.attempts, "error": outcome.error},
        )  # fmt: skip


def report_link(settings: Settings) -> str:
    """Where a person opens the newest report: under report_url when it is served, else the
    path of `latest/index.html` in the report folder."""
    if settings.report_url:
        return str(httpx.URL(settings.report_url.rstrip("/") + "/").join("latest/index.html"))
    return str((settings.out / "latest" / "index.html").resolve())


def notify_after_run(
    settings: Settings, *, webhook_transport: httpx.BaseTransport | None = None
) -> tuple[Night | None, list[Outcome]]:
    """Read the newest night of settings.account, send its digest, record what was sent.
    Reading or recording failures are logged, never raised: the night's data is safe."""
    from flowaudit.attention import read_night
    from flowaudit.errors import FlowauditError
    from flowaudit.load.db import connect

    try:
        con = connect(settings.db, read_only=True, wait_seconds=300)
        try:
            night = read_night(con, settings.account, baseline=settings.baseline, report_link=report_link(settings))
        finally:
            con.close()
    except FlowauditError as exc:
        log.error("the night's digest cannot be made: %s", exc.message)
        return None, []
    outcomes = send_digest(night, settings, webhook_transport=webhook_transport)
    if outcomes:
        run_id = night.last_run["run_id"] if night.last_run else None
        try:
            con = connect(settings.db, wait_seconds=300)
            try:
                record_outcomes(con, run_id, settings.account, night.subject(), outcomes)
            finally:
                con.close()
        except (FlowauditError, duckdb.Error) as exc:
            log.error("what the digest did could not be recorded: %s", getattr(exc, "message", exc))
    return night, outcomes
