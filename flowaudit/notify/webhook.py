"""Posting the digest to an incoming webhook (Slack, Microsoft Teams): one JSON body both
accept (flowaudit.notify.digest). The URL is the webhook's credential: messages name only
its host."""

from __future__ import annotations

import httpx

from flowaudit import __version__
from flowaudit.notify.digest import Digest
from flowaudit.notify.mail import SendError

TIMEOUT_SECONDS = 30


def post_webhook(digest: Digest, *, url: str, transport: httpx.BaseTransport | None = None) -> None:
    """POST the digest's webhook message; SendError unless the receiver answers 2xx."""
    host = httpx.URL(url).host
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS, transport=transport, follow_redirects=False) as client:
            answer = client.post(url, json=digest.webhook, headers={"User-Agent": f"flowaudit/{__version__}"})
    except httpx.HTTPError as exc:
        raise SendError(f"cannot reach the webhook at {host}: {exc.__class__.__name__}") from None
    if not answer.is_success:
        raise SendError(f"the webhook at {host} answered HTTP {answer.status_code}")
