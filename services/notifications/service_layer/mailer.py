"""Sends queued emails and records what became of each.

At-least-once: an email is marked sent in the same transaction that emits notification.sent,
after the SMTP server accepted it. A crash between the two resends it once, with the same
Message-ID. A refused send is retried with backoff and, after ``max_attempts``, marked failed
and notification.failed is emitted.
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any, Protocol

from psycopg_pool import ConnectionPool

from services.notifications.adapters import store
from shared import telemetry, topics
from shared.db import UnitOfWork

log = logging.getLogger(__name__)


class Sender(Protocol):
    def send(self, email_id: str, recipients: list[str], subject: str, body: str) -> None: ...


class Mailer:
    def __init__(self, pool: ConnectionPool, sender: Sender, *, max_attempts: int = 5, batch_size: int = 50):
        self.pool = pool
        self.sender = sender
        self.max_attempts = max_attempts
        self.batch_size = batch_size

    def send_due(self) -> int:
        """Send one batch of due emails in its own transaction; returns how many were attempted."""
        with self.pool.connection() as conn, conn.transaction():
            return self.send_due_in(UnitOfWork(conn, "notifications"))

    def send_due_in(self, uow: UnitOfWork) -> int:
        """Send the due emails this transaction can claim, recording each outcome in it."""
        due = store.claim_due(uow.conn, self.batch_size)
        for email in due:
            self._send_one(uow, email)
        return len(due)

    def _send_one(self, uow: UnitOfWork, email: dict[str, Any]) -> None:
        try:
            self.sender.send(email["id"], email["recipients"], email["subject"], email["body"])
        except (smtplib.SMTPException, OSError) as exc:
            self._failed(uow, email, f"{type(exc).__name__}: {exc}")
            return
        store.mark_sent(uow.conn, email["id"])
        uow.emit("notification.sent", _event(email), topic=topics.NOTIFICATIONS, key=email["id"])
        telemetry.EMAILS.labels("sent").inc()
        log.info("email sent", extra={"email_id": email["id"], "caused_by": email["caused_by"]})

    def _failed(self, uow: UnitOfWork, email: dict[str, Any], error: str) -> None:
        give_up = email["attempts"] + 1 >= self.max_attempts
        store.mark_attempt_failed(uow.conn, email["id"], error, give_up, retry_in_seconds=2.0 ** email["attempts"])
        telemetry.EMAILS.labels("failed" if give_up else "retrying").inc()
        log.warning("email not sent", extra={"email_id": email["id"], "error": error, "gave_up": give_up})
        if give_up:
            uow.emit("notification.failed", {**_event(email), "reason": error}, topic=topics.NOTIFICATIONS,
                     key=email["id"])


def _event(email: dict[str, Any]) -> dict[str, Any]:
    return {"email_id": email["id"], "to": email["recipients"], "subject": email["subject"],
            "caused_by": email["caused_by"]}
