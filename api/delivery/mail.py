"""Sending mail over SMTP: STARTTLS (port 587), implicit TLS (465), or plain for a local relay.
Certificates are verified against the system's trust store (SSL_CERT_FILE moves it)."""

from __future__ import annotations

import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from papersift.api.delivery.config import SmtpConfig
from papersift.api.delivery.letters import Letter, one_line
from papersift.api.delivery.webhooks import DeliveryError


def message(letter: Letter, sender: str, key: str | None = None) -> EmailMessage:
    """The letter as a MIME message: plain text and HTML alternatives, and, for digests,
    one-click unsubscribe headers (RFC 8058). With `key` (the delivery's idempotency key) the
    Message-ID is the same on every retry, so a repeat is recognisable as one."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = letter.to
    mail["Subject"] = one_line(letter.subject)
    mail["Date"] = formatdate(localtime=False)
    domain = _domain(sender)
    mail["Message-ID"] = f"<{key}@{domain}>" if key else make_msgid(domain=domain)
    if letter.unsubscribe_url:
        mail["List-Unsubscribe"] = f"<{letter.unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(letter.text)
    mail.add_alternative(letter.html, subtype="html")
    return mail


def send(config: SmtpConfig, mail: EmailMessage) -> None:
    """Hand the message to the SMTP server; a DeliveryError says why it could not."""
    context = ssl.create_default_context()
    try:
        if config.security == "tls":
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=context
            )
        else:
            server = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        with server:
            if config.security == "starttls":
                server.starttls(context=context)
            if config.user:
                server.login(config.user, config.password or "")
            server.send_message(mail)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"SMTP: {type(error).__name__}: {error}") from error


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    try:
        return Address(addr_spec=address).domain or "localhost"
    except (ValueError, IndexError):
        return "localhost"
