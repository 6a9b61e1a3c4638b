"""Reads the bounce mailbox and records what its delivery status notifications say.

Each message the mailbox holds is looked at once (``mailbox_seen``, by its unique id). A report
(domain/bounces.py) of an email of ours is recorded in one transaction with the message's id: a
hard bounce fails the email (status ``bounced``, the report's status and the remote server's words)
and emits notification.failed; a soft one (delayed, 4.x.x) is a note on it. Only after that commits
is the report deleted from the mailbox, so a crash in between reads it again, and the same report
read twice (or delivered twice) records nothing more: ``bounces`` is unique on (report, recipient).
A message that is not a report, or reports on no email of ours, is left in the mailbox for a person
to read, and counted; nothing in a message can stop the reader.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from typing import Protocol, TypeVar

from psycopg_pool import ConnectionPool

from services.notifications.adapters import store
from services.notifications.adapters.pop3 import MessageGone
from services.notifications.domain.bounces import Report, might_be_report, parse_report
from shared import telemetry, topics
from shared.db import UnitOfWork, unit_of_work

log = logging.getLogger(__name__)
T = TypeVar("T")
DELETED = ("bounce", "delay", "duplicate", "other_report")  # recorded (or nothing to record): out of the mailbox


class Mailbox(Protocol):
    """A session on the bounce mailbox. ``headers``, ``fetch`` and ``delete`` raise MessageGone
    when the message is gone (deleted by someone else meanwhile)."""

    def listing(self) -> list[tuple[int, str]]: ...
    def headers(self, number: int) -> bytes: ...
    def fetch(self, number: int) -> bytes: ...
    def delete(self, number: int) -> None: ...




def read_mailbox(pool: ConnectionPool, mailbox: Mailbox, bounce_address: str) -> Counter[str]:
    """Look at every message not looked at before; how many had each outcome."""
    listing = mailbox.listing()
    with pool.connection() as conn:
        seen = store.seen_in_mailbox(conn, [uid for _, uid in listing])
    outcomes: Counter[str] = Counter()
    for number, uid in listing:
        if uid in seen:
            continue
        try:
            report = _report_in(mailbox, number, uid, bounce_address)
        except MessageGone:
            continue  # gone meanwhile: nothing to read
        with unit_of_work(pool, "notifications") as uow:
            outcome = record_report(uow, report) if report else "not_a_report"
            store.mark_seen_in_mailbox(uow, uid, outcome)
        if outcome in DELETED:
            with contextlib.suppress(MessageGone):  # gone already: as good as deleted
                mailbox.delete(number)
        telemetry.BOUNCE_MESSAGES.labels(outcome).inc()
        outcomes[outcome] += 1
    return outcomes


def record_report(uow: UnitOfWork, report: Report) -> str:
    """Record what ``report`` says of an email of ours; the outcome (``DELETED`` or unmatched)."""
    email_id = store.email_named(uow, report.email_id, report.original_message_id)
    if email_id is None:
        log.warning("bounce report of no email of ours", extra={"report_id": report.report_id,
                                                                 "message_id": report.original_message_id})
        return "unmatched"
    outcome = "other_report"
    for recipient in report.recipients:
        if not (recipient.hard or recipient.soft):
            continue  # delivered, relayed, expanded: nothing went wrong
        if not store.record_bounce(uow, report.report_id, email_id, recipient.recipient, recipient.action,
                                   recipient.status, recipient.diagnostic, recipient.hard):
            outcome = "duplicate" if outcome == "other_report" else outcome
            continue
        if recipient.hard:
            _bounced(uow, email_id, recipient.status, recipient.diagnostic)
            outcome = "bounce"
        else:
            store.mark_delayed(uow, email_id, recipient.status, recipient.diagnostic)
            outcome = "delay" if outcome != "bounce" else outcome
    log.info("bounce report read", extra={"report_id": report.report_id, "email_id": email_id, "outcome": outcome})
    return outcome


def _bounced(uow: UnitOfWork, email_id: str, status: str, diagnostic: str) -> None:
    email = store.mark_bounced(uow, email_id, status, diagnostic)
    if email is None:
        return  # bounced before, by another report
    telemetry.EMAILS.labels("bounced").inc()
    uow.emit("notification.failed",
             {"email_id": email_id, "to": email["recipients"], "subject": email["subject"],
              "caused_by": email["caused_by"], "reason": f"bounced: {status} {diagnostic}".strip()},
             topic=topics.NOTIFICATIONS, key=email_id)


def _report_in(mailbox: Mailbox, number: int, uid: str, bounce_address: str) -> Report | None:
    """The report message ``number`` is, fetched in full only when its headers say it may be one;
    None for anything else, including a message the email package cannot make sense of. Raises
    MessageGone when the message is gone."""
    if not _unreadable_as_none(uid, lambda: might_be_report(mailbox.headers(number))):
        return None
    raw = mailbox.fetch(number)
    return _unreadable_as_none(uid, lambda: parse_report(raw, bounce_address))


def _unreadable_as_none(uid: str, read: Callable[[], T]) -> T | None:
    """What ``read`` makes of a message, or None (logged) when the email package cannot read it."""
    try:
        return read()
    except MessageGone:
        raise
    except (ValueError, LookupError, TypeError, AttributeError, UnicodeError) as exc:
        log.warning("unreadable message in the bounce mailbox", extra={"uid": uid, "error": repr(exc)})
        return None
