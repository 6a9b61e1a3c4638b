"""Hands emails to an SMTP relay with the standard library's smtplib: plain (a local catcher),
STARTTLS (port 587, NHSmail's route for applications) or implicit TLS (port 465), with login, a
verified TLS certificate and a timeout on every exchange. Retries and back-off are the mailer's.

The message is multipart/alternative (plain text first, then HTML), with the headers an inbox
expects of an automatic email: ``Date``, a ``Message-ID`` made from the email's id (the same on
every attempt), ``Auto-Submitted: auto-generated``, ``List-Unsubscribe`` and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058). Its envelope sender (where
bounces go) is the email's own VERP address when a bounce address is configured
(``SmtpSettings.envelope_sender``); the From header stays the configured sender.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from services.notifications.domain.bounces import verp_address

SECURITY = ("none", "starttls", "tls")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    mail_from: str
    security: str = "none"
    username: str = ""
    password: str = ""
    timeout: float = 10.0
    bounce_address: str = ""

    @classmethod
    def from_env(cls, host: str, port: int, mail_from: str) -> SmtpSettings:
        """WTGR_SMTP_SECURITY (none, starttls, tls), WTGR_SMTP_USERNAME, WTGR_SMTP_PASSWORD (or
        WTGR_SMTP_PASSWORD_FILE), WTGR_SMTP_TIMEOUT_SECONDS, WTGR_BOUNCE_ADDRESS (the envelope
        sender's base, e.g. bounces@trust.example; none: the From address); host, port and sender as
        configured."""
        security = os.environ.get("WTGR_SMTP_SECURITY", "none").strip().lower() or "none"
        if security not in SECURITY:
            raise ValueError(f"WTGR_SMTP_SECURITY must be one of {', '.join(SECURITY)}, not {security!r}")
        password = os.environ.get("WTGR_SMTP_PASSWORD", "")
        if not password and os.environ.get("WTGR_SMTP_PASSWORD_FILE"):
            with open(os.environ["WTGR_SMTP_PASSWORD_FILE"], encoding="utf-8") as secret:
                password = secret.read().strip()
        bounce_address = os.environ.get("WTGR_BOUNCE_ADDRESS", "").strip()
        if bounce_address and "@" not in bounce_address:
            raise ValueError(f"WTGR_BOUNCE_ADDRESS must be an address (bounces@trust.example), not {bounce_address!r}")
        return cls(host, port, mail_from, security, os.environ.get("WTGR_SMTP_USERNAME", "").strip(), password,
                   float(os.environ.get("WTGR_SMTP_TIMEOUT_SECONDS", "") or 10.0), bounce_address)

    @property
    def domain(self) -> str:
        """The sender's domain, which Message-IDs are made under."""
        return parseaddr(self.mail_from)[1].rpartition("@")[2] or "wtgr.local"

    def envelope_sender(self, email_id: str) -> str | None:
        """Where bounces of the email go (SMTP MAIL FROM, the Return-Path): its own VERP address of
        the bounce address, so a report names the email; None (the From address) without one."""
        return verp_address(self.bounce_address, email_id) if self.bounce_address else None


@dataclass(frozen=True)
class Outgoing:
    """An email as the mailer hands it over."""

    email_id: str
    recipients: list[str]
    subject: str
    body: str
    html_body: str | None
    message_id: str | None
    unsubscribe_url: str | None


# RFC 5322's line limit rather than the 78-character soft one: a header such as List-Unsubscribe, a
# long URL with no space to fold at, would otherwise be sent as RFC 2047 encoded words, which mail
# clients do not read as an address (so the unsubscribe link would be lost).
HEADER_POLICY = policy.SMTP.clone(max_line_length=998)


def build_message(email: Outgoing, mail_from: str, domain: str) -> EmailMessage:
    message = EmailMessage(policy=HEADER_POLICY)
    message["From"] = mail_from
    message["To"] = ", ".join(email.recipients)
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    # Made from the email's id, so a resend after a crash carries the same one and clients drop it.
    message["Message-ID"] = email.message_id or f"<{email.email_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"  # no out-of-office replies to an unattended sender
    message["X-WTGR-Email-Id"] = email.email_id
    if email.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(email.body)
    if email.html_body:
        message.add_alternative(email.html_body, subtype="html")
    return message


class SmtpSender:
    def __init__(self, settings: SmtpSettings):
        self.settings = settings

    def send(self, email: Outgoing) -> None:
        """Raises smtplib.SMTPException or OSError when the server does not take the message."""
        message = build_message(email, self.settings.mail_from, self.settings.domain)
        with self._connect() as smtp:
            if self.settings.username:
                smtp.login(self.settings.username, self.settings.password)
            smtp.send_message(message, from_addr=self.settings.envelope_sender(email.email_id))

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        if settings.security == "tls":
            return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                    context=ssl.create_default_context())
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        if settings.security == "starttls":
            try:
                smtp.starttls(context=ssl.create_default_context())
            except BaseException:
                smtp.close()
                raise
        return smtp
