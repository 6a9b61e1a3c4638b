"""Sends queued emails and records what became of each.

At-least-once: an email is marked sent in the same transaction that emits notification.sent,
after the SMTP server accepted it. A crash between the two resends it once, with the same
Message-ID (made from the email's id). A send the server refuses for now (a 4xx reply, or a
connection dropped mid-message) is retried with exponential back-off and, after ``max_attempts``,
marked failed; a permanent refusal (a 5xx reply: no such mailbox, relay denied) is marked failed at
once, ``refused``, with the server's code and words, for the admins' list. Both emit
notification.failed. An SMTP server that cannot be reached, or that refuses our login or TLS, is an outage, not a
refusal: no email is charged an attempt, the batch stops, what was sent before commits, and
``send_due`` raises ``SmtpUnreachable`` for the worker to back off (shared.outages).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from typing import Any, Protocol

from psycopg_pool import ConnectionPool

from services.notifications.adapters import store
from services.notifications.adapters.smtp import Outgoing
from shared import telemetry, topics
from shared.db import UnitOfWork

log = logging.getLogger(__name__)


# The relay cannot take any email: unreachable, or refusing us (our login, its TLS) rather than the email.
SMTP_UNREACHABLE = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, smtplib.SMTPAuthenticationError,
                    smtplib.SMTPNotSupportedError, ssl.SSLError, ConnectionError, TimeoutError)


class SmtpUnreachable(ConnectionError):
    """The SMTP server did not answer; the emails in hand stay due, with no attempt charged."""


@dataclass(frozen=True)
class Batch:
    """What one batch did: how many emails it attempted, and why it stopped if SMTP was unreachable."""

    attempted: int
    unreachable: str | None = None


class Sender(Protocol):
    def send(self, email: Outgoing) -> None: ...


class Mailer:
    def __init__(self, pool: ConnectionPool, sender: Sender, *, max_attempts: int = 5, batch_size: int = 50,
                 portal_url: str = "http://localhost:8000"):
        self.pool = pool
        self.portal_url = portal_url
        self.sender = sender
        self.max_attempts = max_attempts
        self.batch_size = batch_size

    def send_due(self) -> int:
        """Send one batch of due emails in its own transaction; returns how many were attempted.
        Raises ``SmtpUnreachable`` after committing the batch when the server stopped answering."""
        with self.pool.connection() as conn, conn.transaction():
            batch = self.send_due_in(UnitOfWork(conn, "notifications"))
        if batch.unreachable:
            raise SmtpUnreachable(batch.unreachable)
        return batch.attempted

    def seconds_until_due(self) -> float | None:
        """When the next pending email falls due (an alert held for others to join it, a retry):
        the mailer wakes then, not at its next idle check."""
        with self.pool.connection() as conn:
            return store.seconds_until_due(conn)

    def send_due_in(self, uow: UnitOfWork) -> Batch:
        """Send the due emails this transaction can claim, recording each outcome in it; stops at
        the first email the server could not be reached for."""
        due = store.claim_due(uow.conn, self.batch_size)
        for attempted, email in enumerate(due):
            if (unreachable := self._send_one(uow, email)) is not None:
                return Batch(attempted, unreachable)
        return Batch(len(due))

    def _send_one(self, uow: UnitOfWork, email: dict[str, Any]) -> str | None:
        """Send one email and record the outcome; returns why the server could not be reached, if so."""
        try:
            self.sender.send(Outgoing(email["id"], email["recipients"], email["subject"], email["body"],
                                      email["html_body"], email["message_id"], self._unsubscribe_url(email)))
        except SMTP_UNREACHABLE as exc:
            log.warning("smtp server unreachable", extra={"email_id": email["id"], "error": repr(exc)})
            return f"{type(exc).__name__}: {exc}"
        except (smtplib.SMTPException, OSError) as exc:
            self._failed(uow, email, f"{type(exc).__name__}: {exc}", smtp_code(exc))
            return None
        store.mark_sent(uow.conn, email["id"])
        uow.emit("notification.sent", _event(email), topic=topics.NOTIFICATIONS, key=email["id"])
        telemetry.EMAILS.labels("sent").inc()
        log.info("email sent", extra={"email_id": email["id"], "caused_by": email["caused_by"]})
        return None

    def _unsubscribe_url(self, email: dict[str, Any]) -> str | None:
        return f"{self.portal_url.rstrip('/')}/unsubscribe/{email['unsubscribe']}" if email["unsubscribe"] else None

    def _failed(self, uow: UnitOfWork, email: dict[str, Any], error: str, code: int | None) -> None:
        refused = code is not None and 500 <= code < 600
        give_up = refused or email["attempts"] + 1 >= self.max_attempts
        store.mark_attempt_failed(uow.conn, email["id"], error, give_up, retry_in_seconds=2.0 ** email["attempts"],
                                  smtp_code=code, refused=refused)
        telemetry.EMAILS.labels("failed" if give_up else "retrying").inc()
        log.warning("email not sent", extra={"email_id": email["id"], "error": error, "gave_up": give_up})
        if give_up:
            uow.emit("notification.failed", {**_event(email), "reason": error}, topic=topics.NOTIFICATIONS,
                     key=email["id"])


def smtp_code(exc: BaseException) -> int | None:
    """The SMTP reply code of a refusal: the server's, or for refused recipients the first one's."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        return int(next(iter(exc.recipients.values()))[0])
    code = getattr(exc, "smtp_code", None)
    return int(code) if isinstance(code, int) and code > 0 else None


def _event(email: dict[str, Any]) -> dict[str, Any]:
    return {"email_id": email["id"], "to": email["recipients"], "subject": email["subject"],
            "caused_by": email["caused_by"]}
