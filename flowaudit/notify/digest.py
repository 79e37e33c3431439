"""The digest of a night (flowaudit.attention.Night) as text, HTML and a webhook message:
change-only, short, the verdict first, then one line per item that needs attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flowaudit.attention import Night
from flowaudit.report.environment import make_environment

MAX_ITEMS = 25  # a digest names at most this many items; the report has them all


@dataclass(frozen=True)
class Digest:
    subject: str
    text: str
    html: str
    webhook: dict[str, Any]


@dataclass(frozen=True)
class DigestLine:
    kind: str
    what: str
    subject: str
    sentence: str


def compose(night: Night, *, timezone: str = "UTC") -> Digest:
    """The digest of night; times in `timezone` (with UTC alongside)."""
    zone = ZoneInfo(timezone)

    def when(moment: datetime | None) -> str:
        if moment is None:
            return ""
        local = moment.astimezone(zone)
        shown = f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
        return shown if timezone == "UTC" else f"{shown} ({moment.astimezone(ZoneInfo('UTC')):%H:%M} UTC)"

    lines = [
        DigestLine(item.kind, item.what, item.subject, item.sentence(when(item.changed_at)))
        for item in night.items[:MAX_ITEMS]
    ]
    left_out = max(0, len(night.items) - MAX_ITEMS)
    context = {
        "night": night, "verdict": night.verdict(), "lines": lines, "left_out": left_out,
        "period": (when(night.period_from), when(night.period_to)), "link": night.report_link,
    }  # fmt: skip
    env = make_environment()
    text = env.get_template("digest.txt").render(**context)
    html = env.get_template("digest_mail.html").render(**context)
    return Digest(night.subject(), text, html, _webhook_message(night, lines, left_out))


def _webhook_message(night: Night, lines: list[DigestLine], left_out: int) -> dict[str, Any]:
    """One JSON body both Slack and Teams incoming webhooks accept: `text` (and Slack's
    `blocks`), and a Teams MessageCard's summary, title and facts; each ignores the other's."""
    items = [f"• {line.sentence}" for line in lines] + ([f"… and {left_out} more"] if left_out else [])
    link = f"\nReport: {night.report_link}" if night.report_link else ""
    text = "\n".join([night.subject(), night.verdict(), *items]) + link
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": night.subject()[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(night.verdict())}},
    ]
    if items:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape("\n".join(items))[:2900]}})
    if night.report_link:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _slack_escape(night.report_link)}]})
    return {
        "text": text,
        "blocks": blocks,
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": night.subject(),
        "title": night.subject(),
        "sections": [{
            "text": night.verdict(),
            "facts": [{"name": line.what, "value": line.sentence} for line in lines],
        }],
        "flowaudit": {
            "account": night.account, "needs_attention": night.attention, "changes": night.changes,
            "people": night.people, "healthy": night.healthy,
            "items": [{"kind": line.kind, "subject": line.subject, "text": line.sentence} for line in lines],
        },
    }  # fmt: skip


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn: &, < and > are control characters; everything else shows as typed.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
