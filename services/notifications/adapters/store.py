"""SQL for the notifications schema: the outbound email log."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import Connection

from services.notifications.domain.messages import Message
from shared.db import UnitOfWork
from shared.pagination import Listing

EMAIL_COLUMNS = "id::text AS id, caused_by, event_type, recipients, subject, body, status, attempts, last_error, " \
                "created_at, sent_at"
# The email log, newest first; migration 0002 indexes (created_at, id) alone and after status. Its id
# is selected as it is stored: ORDER BY id must mean the indexed uuid, not text.
EMAILS = Listing("emails", "emails", EMAIL_COLUMNS.replace("id::text AS id", "id"), "created_at timestamptz, id uuid",
                 descending=True, filters=("status",))


def queue_email(uow: UnitOfWork, message: Message, caused_by: str, event_type: str) -> str | None:
    """Queue the email for the mailer; None (and nothing queued) when ``caused_by`` already queued
    one to the same recipients (migration 0003)."""
    email_id = str(uuid.uuid4())
    row = uow.one(
        """INSERT INTO emails (id, caused_by, event_type, recipients, subject, body) VALUES (%s, %s, %s, %s, %s, %s)
           ON CONFLICT (caused_by, recipients) DO NOTHING RETURNING id::text AS id""",
        (email_id, caused_by, event_type, list(message.recipients), message.subject, message.body),
    )
    return row["id"] if row else None


def claim_due(conn: Connection[Any], limit: int) -> list[dict[str, Any]]:
    return conn.execute(
        f"""SELECT {EMAIL_COLUMNS} FROM emails
             WHERE status = 'pending' AND next_attempt_at <= now()
             ORDER BY next_attempt_at, created_at LIMIT %s FOR UPDATE SKIP LOCKED""",
        (limit,),
    ).fetchall()


def mark_sent(conn: Connection[Any], email_id: str) -> None:
    conn.execute(
        "UPDATE emails SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL"
        " WHERE id = %s",
        (email_id,),
    )


def mark_attempt_failed(
    conn: Connection[Any], email_id: str, error: str, give_up: bool, retry_in_seconds: float
) -> None:
    conn.execute(
        """UPDATE emails SET attempts = attempts + 1, last_error = %s,
                  status = CASE WHEN %s THEN 'failed' ELSE 'pending' END,
                  next_attempt_at = now() + make_interval(secs => %s)
            WHERE id = %s""",
        (error, give_up, retry_in_seconds, email_id),
    )
