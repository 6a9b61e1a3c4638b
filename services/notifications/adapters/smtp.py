"""Hands emails to an SMTP relay with the standard library's smtplib: plain (a local catcher),
STARTTLS (port 587, NHSmail's route for applications) or implicit TLS (port 465), with login, a
verified TLS certificate and a timeout on every exchange. Retries and back-off are the mailer's.

The message is multipart/alternative (plain text first, then HTML), with the headers an inbox
expects of an automatic email: ``Date``, a ``Message-ID`` made from the email's id (the same on
every attempt), ``Auto-Submitted: auto-generated``, ``List-Unsubscribe`` and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058).
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

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

    @classmethod
    def from_env(cls, host: str, port: int, mail_from: str) -> SmtpSettings:
        """WTGR_SMTP_SECURITY (none, starttls, tls), WTGR_SMTP_USERNAME, WTGR_SMTP_PASSWORD (or
        WTGR_SMTP_PASSWORD_FILE), WTGR_SMTP_TIMEOUT_SECONDS; host, port and sender as configured."""
        security = os.environ.get("WTGR_SMTP_SECURITY", "none").strip().lower() or "none"
        if security not in SECURITY:
            raise ValueError(f"WTGR_SMTP_SECURITY must be one of {', '.join(SECURITY)}, not {security!r}")
        password = os.environ.get("WTGR_SMTP_PASSWORD", "")
        if not password and os.environ.get("WTGR_SMTP_PASSWORD_FILE"):
            with open(os.environ["WTGR_SMTP_PASSWORD_FILE"], encoding="utf-8") as secret:
                password = secret.read().strip()
        return cls(host, port, mail_from, security, os.environ.get("WTGR_SMTP_USERNAME", "").strip(), password,
                   float(os.environ.get("WTGR_SMTP_TIMEOUT_SECONDS", "") or 10.0))

    @property
    def domain(self) -> str:
        """The sender's domain, which Message-IDs are made under."""
        return parseaddr(self.mail_from)[1].rpartition("@")[2] or "wtgr.local"


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


def build_message(email: Outgoing, mail_from: str, domain: str) -> EmailMessage:
    message = EmailMessage()
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
            smtp.send_message(message)

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
