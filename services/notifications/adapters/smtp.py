"""Hands emails to an SMTP server (the standard library's smtplib speaks the protocol)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid


class SmtpSender:
    def __init__(self, host: str, port: int, mail_from: str, timeout: float = 10.0):
        self.host = host
        self.port = port
        self.mail_from = mail_from
        self.timeout = timeout

    def send(self, email_id: str, recipients: list[str], subject: str, body: str) -> None:
        """Raises smtplib.SMTPException or OSError when the server does not take the message."""
        message = EmailMessage()
        message["From"] = self.mail_from
        message["To"] = ", ".join(recipients)
        message["Subject"] = subject
        # A stable Message-ID lets a mail client drop the duplicate of a resend after a crash.
        message["Message-ID"] = make_msgid(idstring=email_id, domain="wtgr.local")
        message["X-WTGR-Email-Id"] = email_id
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message)
