"""SQL for the notifications schema: subscriptions, preferences, the notifications (feed and digest
queue) and the outbound email log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection

from shared.db import UnitOfWork
from shared.pagination import Listing

EMAIL_COLUMNS = ("id::text AS id, caused_by, event_type, recipients, subject, body, html_body, status, attempts, "
                 "last_error, smtp_code, refused, kind, person, message_id, unsubscribe, created_at, sent_at, "
                 "bounced_at, bounce_status, bounce_diagnostic, delayed_at, delay_status, delay_diagnostic")
# The email log, newest first; migration 0002 indexes (created_at, id) alone and after status. Its id
# is selected as it is stored: ORDER BY id must mean the indexed uuid, not text.
EMAILS = Listing("emails", "emails", EMAIL_COLUMNS.replace("id::text AS id", "id"), "created_at timestamptz, id uuid",
                 descending=True, filters=("status",))
# A person's feed, newest first (migration 0004: notifications_feed, notifications_unread).
FEED = Listing("feed", "feed", "id, event_type, kind, topic, subject, body, link, occurred_at, created_at, read_at, "
               "unread", "created_at timestamptz, id uuid", descending=True, scope=("person",), filters=("unread",))
# A person's subscriptions, newest first (subscriptions_of_person).
SUBSCRIPTIONS = Listing("subscriptions", "subscriptions", "topic, title, path, origin, relation, active, created_at, "
                        "updated_at", "updated_at timestamptz, topic text", descending=True, scope=("person",),
                        filters=("active",))


@dataclass(frozen=True)
class NewNotification:
    """What one person is told of one event."""

    person: str
    name: str | None
    event_id: str
    event_type: str
    kind: str
    topic: str
    because: str
    subject: str
    body: str
    link: str
    occurred_at: datetime
    in_app: bool
    email_cadence: str


@dataclass(frozen=True)
class NewEmail:
    person: str
    caused_by: str
    event_type: str
    kind: str
    subject: str
    body: str
    html_body: str
    unsubscribe: str
    group_key: str | None = None
    hold_seconds: float = 0.0


# -- subscriptions --------------------------------------------------------------------------------

def followers(uow: UnitOfWork, topics: tuple[str, ...]) -> list[str]:
    """The people who actively follow any of ``topics`` (asked to, or subscribed by an event)."""
    return [row["person"] for row in uow.all(
        "SELECT DISTINCT person FROM subscriptions WHERE topic = ANY(%s) AND active ORDER BY person", (list(topics),))]


def left(uow: UnitOfWork, topic: str, people: list[str]) -> set[str]:
    """Who of ``people`` has left ``topic``: events no longer tell them of it."""
    return {row["person"] for row in uow.all(
        "SELECT person FROM subscriptions WHERE topic = %s AND person = ANY(%s) AND NOT active", (topic, people))}


def subscribe(uow: UnitOfWork, person: str, topic: str, title: str, path: str | None, origin: str,
              relation: str) -> None:
    """Subscribe (or, for a follow, re-subscribe) ``person``; an event never re-subscribes someone who left.

    An event's subscription that is already there as it would be written is left alone: no write,
    and so no row lock for the other consumer's transaction to wait on (the alert lane and the
    consumer both subscribe a KPI's owners, and the consumer's transaction spans a whole poll)."""
    if origin != "follow" and uow.one(
            "SELECT 1 AS same FROM subscriptions WHERE person = %s AND topic = %s AND title = %s"
            " AND path IS NOT DISTINCT FROM %s", (person, topic, title, path)):
        return
    uow.execute(
        """INSERT INTO subscriptions (person, topic, title, path, origin, relation) VALUES (%s, %s, %s, %s, %s, %s)
           ON CONFLICT (person, topic) DO UPDATE SET title = EXCLUDED.title, path = EXCLUDED.path,
                  active = subscriptions.active OR EXCLUDED.origin = 'follow',
                  origin = CASE WHEN EXCLUDED.origin = 'follow' THEN 'follow' ELSE subscriptions.origin END,
                  updated_at = CASE WHEN EXCLUDED.origin = 'follow' OR subscriptions.title <> EXCLUDED.title
                                    THEN now() ELSE subscriptions.updated_at END""",
        (person, topic, title, path, origin, relation))


def leave(uow: UnitOfWork, person: str, topic: str) -> bool:
    """``person`` leaves ``topic``; False when they had no subscription to it."""
    row = uow.one("UPDATE subscriptions SET active = false, updated_at = now() WHERE person = %s AND topic = %s "
                  "RETURNING topic", (person, topic))
    return row is not None


def subscription(conn: Any, person: str, topic: str) -> dict[str, Any] | None:
    row: dict[str, Any] | None = conn.execute(
        "SELECT topic, title, path, origin, relation, active, created_at, updated_at FROM subscriptions "
        "WHERE person = %s AND topic = %s", (person, topic)).fetchone()
    return row


# -- preferences ----------------------------------------------------------------------------------

def choices(conn: Any, person: str) -> dict[tuple[str, str], str]:
    return {(row["kind"], row["channel"]): row["cadence"] for row in conn.execute(
        "SELECT kind, channel, cadence FROM preferences WHERE person = %s", (person,)).fetchall()}


def choose(uow: UnitOfWork, person: str, kind: str, channel: str, cadence: str) -> None:
    uow.execute(
        """INSERT INTO preferences (person, kind, channel, cadence) VALUES (%s, %s, %s, %s)
           ON CONFLICT (person, kind, channel) DO UPDATE SET cadence = EXCLUDED.cadence, updated_at = now()""",
        (person, kind, channel, cadence))


# -- notifications --------------------------------------------------------------------------------

def add_notification(uow: UnitOfWork, n: NewNotification) -> str | None:
    """Record what ``n.person`` is told of ``n.event_id``; None (nothing recorded) if they were told
    of it before: a person hears of an event once, however it came again."""
    row = uow.one(
        """INSERT INTO notifications (id, person, name, event_id, event_type, kind, topic, because, subject, body,
                                      link, occurred_at, in_app, email_cadence)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (person, event_id) DO NOTHING RETURNING id::text AS id""",
        (str(uuid.uuid4()), n.person, n.name, n.event_id, n.event_type, n.kind, n.topic, n.because, n.subject, n.body,
         n.link, n.occurred_at, n.in_app, n.email_cadence))
    return row["id"] if row else None


def attach(uow: UnitOfWork, notification_ids: list[str], email_id: str) -> None:
    uow.execute("UPDATE notifications SET email_id = %s WHERE id = ANY(%s::uuid[])", (email_id, notification_ids))


def defer_to_digest(uow: UnitOfWork, notification_id: str, digest: str) -> None:
    uow.execute("UPDATE notifications SET email_cadence = %s WHERE id = %s", (digest, notification_id))


def notifications_of_email(conn: Any, email_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = conn.execute(
        "SELECT id::text AS id, name, kind, topic, because, subject, body, link, occurred_at FROM notifications "
        "WHERE email_id = %s ORDER BY occurred_at, id", (email_id,)).fetchall()
    return rows


def awaiting_digest(conn: Any, digest: str, before: datetime) -> list[str]:
    """The people with notifications for their ``digest`` that happened before ``before``."""
    return [row["person"] for row in conn.execute(
        "SELECT DISTINCT person FROM notifications WHERE email_id IS NULL AND email_cadence = %s "
        "AND occurred_at < %s ORDER BY person", (digest, before)).fetchall()]


def digest_items(uow: UnitOfWork, person: str, digest: str, before: datetime) -> list[dict[str, Any]]:
    """Everything ``person`` awaits in their ``digest`` from before ``before``, oldest first, locked."""
    return uow.all(
        "SELECT id::text AS id, name, kind, topic, because, subject, body, link, occurred_at FROM notifications "
        "WHERE person = %s AND email_id IS NULL AND email_cadence = %s AND occurred_at < %s "
        "ORDER BY occurred_at, id FOR UPDATE", (person, digest, before))


def unread_count(conn: Any, person: str) -> int:
    row = conn.execute("SELECT count(*) AS n FROM notifications WHERE person = %s AND in_app AND read_at IS NULL",
                       (person,)).fetchone()
    return int(row["n"])


def mark_read(uow: UnitOfWork, person: str, notification_id: str) -> dict[str, Any] | None:
    return uow.one(
        "UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = %s AND person = %s AND in_app "
        "RETURNING id, event_type, kind, topic, subject, body, link, occurred_at, created_at, read_at, "
        "read_at IS NULL AS unread", (notification_id, person))


def mark_all_read(uow: UnitOfWork, person: str, seen_until: datetime) -> int:
    return uow.execute("UPDATE notifications SET read_at = now() WHERE person = %s AND in_app AND read_at IS NULL"
                       " AND created_at <= %s", (person, seen_until)).rowcount


# -- emails ---------------------------------------------------------------------------------------

def queue_email(uow: UnitOfWork, email: NewEmail, message_domain: str) -> str | None:
    """Queue the email for the mailer (due after ``hold_seconds``); None, and nothing queued, when
    ``caused_by`` already queued one to the same person (migration 0003)."""
    email_id = str(uuid.uuid4())
    row = uow.one(
        """INSERT INTO emails (id, caused_by, event_type, recipients, subject, body, html_body, person, kind,
                               message_id, group_key, unsubscribe, next_attempt_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now() + make_interval(secs => %s))
           ON CONFLICT (caused_by, recipients) DO NOTHING RETURNING id::text AS id""",
        (email_id, email.caused_by, email.event_type, [email.person], email.subject, email.body, email.html_body,
         email.person, email.kind, f"<{email_id}@{message_domain}>", email.group_key, email.unsubscribe,
         email.hold_seconds))
    return row["id"] if row else None


def open_group(uow: UnitOfWork, person: str, group_key: str) -> str | None:
    """The alert email gathering ``group_key`` for ``person`` that is still waiting to be sent, locked."""
    row = uow.one("SELECT id::text AS id FROM emails WHERE person = %s AND group_key = %s AND status = 'pending' "
                  "FOR UPDATE", (person, group_key))
    return row["id"] if row else None


def rewrite(uow: UnitOfWork, email_id: str, subject: str, body: str, html_body: str) -> None:
    uow.execute("UPDATE emails SET subject = %s, body = %s, html_body = %s WHERE id = %s",
                (subject, body, html_body, email_id))


def emails_today(uow: UnitOfWork, person: str, since: datetime) -> int:
    """How many emails other than alerts ``person`` was sent (or has queued) since ``since``."""
    row = uow.one("SELECT count(*) AS n FROM emails WHERE person = %s AND created_at >= %s AND kind <> 'alert'",
                  (person, since))
    return int(row["n"]) if row else 0


def seconds_until_due(conn: Connection[Any]) -> float | None:
    """Seconds until the next pending email falls due (0 or less: due now); None when none is pending."""
    row = conn.execute("SELECT extract(epoch FROM min(next_attempt_at) - clock_timestamp()) AS wait FROM emails"
                       " WHERE status = 'pending'").fetchone()
    return None if row is None or row["wait"] is None else float(row["wait"])


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
    conn: Connection[Any], email_id: str, error: str, give_up: bool, retry_in_seconds: float,
    smtp_code: int | None = None, refused: bool = False,
) -> None:
    conn.execute(
        """UPDATE emails SET attempts = attempts + 1, last_error = %s, smtp_code = %s, refused = %s,
                  status = CASE WHEN %s THEN 'failed' ELSE 'pending' END,
                  next_attempt_at = now() + make_interval(secs => %s)
            WHERE id = %s""",
        (error, smtp_code, refused, give_up, retry_in_seconds, email_id),
    )


# -- bounces --------------------------------------------------------------------------------------

def email_named(uow: UnitOfWork, email_id: str | None, message_id: str | None) -> str | None:
    """The email a bounce report names: by its id (from the VERP address), else its Message-ID."""
    if email_id and (row := uow.one("SELECT id::text AS id FROM emails WHERE id = %s", (email_id,))):
        return str(row["id"])
    if message_id and (row := uow.one("SELECT id::text AS id FROM emails WHERE message_id = %s LIMIT 1",
                                      (message_id,))):
        return str(row["id"])
    return None


def record_bounce(uow: UnitOfWork, report_id: str, email_id: str, recipient: str, action: str, status: str,
                  diagnostic: str, hard: bool) -> bool:
    """Keep what one report says of one recipient; False (nothing kept) when it was kept before."""
    row = uow.one(
        """INSERT INTO bounces (report_id, recipient, email_id, action, status, diagnostic, hard)
           VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (report_id, recipient) DO NOTHING RETURNING email_id""",
        (report_id, recipient, email_id, action, status, diagnostic, hard))
    return row is not None


def mark_bounced(uow: UnitOfWork, email_id: str, status: str, diagnostic: str) -> dict[str, Any] | None:
    """A hard bounce: a sent email is ``bounced``, with the report's status and words; the email as
    it is now (None when it was bounced before)."""
    return uow.one(
        """UPDATE emails SET status = CASE WHEN status = 'sent' THEN 'bounced' ELSE status END,
                  bounced_at = now(), bounce_status = %s, bounce_diagnostic = %s
            WHERE id = %s AND bounced_at IS NULL
        RETURNING id::text AS id, recipients, subject, caused_by""",
        (status, diagnostic, email_id))


def mark_delayed(uow: UnitOfWork, email_id: str, status: str, diagnostic: str) -> None:
    """A soft bounce: a note on the email (the latest kept); its status stays."""
    uow.execute("UPDATE emails SET delayed_at = now(), delay_status = %s, delay_diagnostic = %s WHERE id = %s",
                (status, diagnostic, email_id))


def seen_in_mailbox(conn: Any, uids: list[str]) -> set[str]:
    """Which of the bounce mailbox's messages were looked at before."""
    return {row["uid"] for row in conn.execute("SELECT uid FROM mailbox_seen WHERE uid = ANY(%s)",
                                               (uids,)).fetchall()}


def mark_seen_in_mailbox(uow: UnitOfWork, uid: str, outcome: str) -> None:
    uow.execute("INSERT INTO mailbox_seen (uid, outcome) VALUES (%s, %s) ON CONFLICT (uid) DO NOTHING", (uid, outcome))
