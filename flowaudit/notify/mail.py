"""Sending the digest by e-mail: one message with a plain-text and an HTML part, over SMTP
(`smtp://` upgraded with STARTTLS when the server offers it, `smtp+starttls://` requiring it,
`smtps://` implicit TLS; a user in the URL logs in with the password setting)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from flowaudit.notify.digest import Digest
from flowaudit.secrets import Secret

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TIMEOUT_SECONDS = 30


class SendError(Exception):
    """The message could not be handed over; the text names why (never a secret)."""


def build_message(digest: Digest, *, sender: str, recipients: tuple[str, ...]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    message.set_content(digest.text)
    message.add_alternative(digest.html, subtype="html")
    return message


def send_mail(
    digest: Digest, *, smtp_url: str, sender: str, recipients: tuple[str, ...], password: Secret | None
) -> None:
    """Hand the digest to the SMTP server; SendError if it cannot be delivered."""
    url = urlsplit(smtp_url)
    scheme = url.scheme
    host, port = url.hostname or "", url.port or DEFAULT_PORTS[scheme]
    user = unquote(url.username) if url.username else None
    message = build_message(digest, sender=sender, recipients=recipients)
    context = ssl.create_default_context()
    try:
        if scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
        with client:
            client.ehlo()
            if scheme != "smtps":
                if client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
                elif scheme == "smtp+starttls":
                    raise SendError(f"the mail server {host}:{port} does not offer STARTTLS, which smtp+starttls:// requires")
            if user:
                if password is None:
                    raise SendError("the SMTP URL names a user but no password is set (FLOWAUDIT_SMTP_PASSWORD or smtp_password_file)")
                client.login(user, password.reveal())
            refused = client.send_message(message, from_addr=sender, to_addrs=list(recipients))
    except SendError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(f"the mail server {host}:{port} refused the login ({exc.smtp_code})") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendError(f"the mail server refused every recipient ({', '.join(sorted(exc.recipients))})") from None
    except smtplib.SMTPException as exc:
        raise SendError(f"the mail server {host}:{port} refused the message: {_first_line(exc)}") from None
    except (OSError, ssl.SSLError) as exc:
        raise SendError(f"cannot reach the mail server {host}:{port}: {exc.strerror or _first_line(exc)}") from None
    if refused:
        raise SendError(f"the mail server refused {', '.join(sorted(refused))}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else exc.__class__.__name__
