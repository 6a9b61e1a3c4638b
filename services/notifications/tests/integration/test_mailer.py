"""Queued emails are sent through the real SMTP server the tests run, and the outcome is kept."""

import os
import smtplib
import uuid
from email import message_from_bytes

import psycopg
import pytest

from devstack.mail import Mailbox
from services.notifications.adapters import store
from services.notifications.adapters.smtp import SmtpSender, SmtpSettings
from services.notifications.service_layer.mailer import Mailer
from shared.db import UnitOfWork, unit_of_work

pytestmark = pytest.mark.integration


def a_test_email(recipient):
    return store.NewEmail(recipient, str(uuid.uuid4()), "kpi.updated", "single", "[WTGR] Test", "Hello.",
                          "<p>Hello.</p>", "token")


def queue(state, recipient):
    with unit_of_work(state.pool, "notifications") as uow:
        return store.queue_email(uow, a_test_email(recipient), "hospital.example")


def smtp(**kwargs):
    return SmtpSender(SmtpSettings(os.environ["WTGR_SMTP_HOST"], int(os.environ["WTGR_SMTP_PORT"]),
                                   "wtgr@hospital.example", **kwargs))


def email(state, email_id):
    with state.pool.connection() as conn:
        return conn.execute("SELECT status, attempts, last_error FROM emails WHERE id = %s", (email_id,)).fetchone()


def events(state, email_id):
    with state.pool.connection() as conn:
        return [row["event_type"] for row in conn.execute(
            "SELECT event_type FROM outbox WHERE key = %s ORDER BY position", (email_id,)).fetchall()]


def queue_first_in_line(uow, recipient):
    """An email, in the caller's transaction, that is due before any other (a mailer with a batch of
    one claims it), so neither the running service's mailer nor this test's touches other mail."""
    email_id = store.queue_email(uow, a_test_email(recipient), "hospital.example")
    uow.execute("UPDATE emails SET next_attempt_at = '2000-01-01' WHERE id = %s", (email_id,))
    return email_id


def test_a_queued_email_reaches_the_smtp_server_and_is_marked_sent(notifications_state):
    recipient = f"mailer-{uuid.uuid4().hex[:8]}@hospital.example"
    sender = smtp()
    with unit_of_work(notifications_state.pool, "notifications") as uow:
        email_id = queue_first_in_line(uow, recipient)
        Mailer(notifications_state.pool, sender, batch_size=1).send_due_in(uow)
    assert email(notifications_state, email_id)["status"] == "sent"
    assert events(notifications_state, email_id) == ["notification.sent"]
    received = Mailbox(os.environ["WTGR_MAIL_HTTP"]).messages(recipient)
    assert [m.subject for m in received] == ["[WTGR] Test"]


class RefusingServer:
    """An SMTP server that answers and refuses every recipient, for now (4xx) or for good (5xx)."""

    def __init__(self, code):
        self.code = code

    def send(self, email):
        raise smtplib.SMTPRecipientsRefused({r: (self.code, b"mailbox unavailable") for r in email.recipients})


def test_an_email_the_server_refuses_for_good_is_failed_at_once_with_its_reply(notifications_state):
    mailer = Mailer(notifications_state.pool, RefusingServer(550), max_attempts=5, batch_size=1)
    with unit_of_work(notifications_state.pool, "notifications") as uow:
        email_id = queue_first_in_line(uow, "refused@hospital.example")
        mailer.send_due_in(uow)
        row = uow.one("SELECT status, attempts, refused, smtp_code, last_error FROM emails WHERE id = %s", (email_id,))
    assert (row["status"], row["attempts"], row["refused"], row["smtp_code"]) == ("failed", 1, True, 550)
    assert "mailbox unavailable" in row["last_error"]
    assert events(notifications_state, email_id) == ["notification.failed"]


def test_an_email_the_server_refuses_for_now_is_retried_then_marked_failed(notifications_state):
    mailer = Mailer(notifications_state.pool, RefusingServer(451), max_attempts=2, batch_size=1)
    with unit_of_work(notifications_state.pool, "notifications") as uow:
        email_id = queue_first_in_line(uow, "refused@hospital.example")
        mailer.send_due_in(uow)
        first = uow.one("SELECT status, attempts FROM emails WHERE id = %s", (email_id,))
        assert (first["status"], first["attempts"]) == ("pending", 1)
        uow.execute("UPDATE emails SET next_attempt_at = '2000-01-01' WHERE id = %s", (email_id,))  # retry due
        mailer.send_due_in(uow)
    final = email(notifications_state, email_id)
    assert (final["status"], final["attempts"]) == ("failed", 2)
    assert final["last_error"]
    assert events(notifications_state, email_id) == ["notification.failed"]


def test_queueing_an_email_wakes_the_mailer_at_once(notifications_state):
    with psycopg.connect(notifications_state.settings.database_url, autocommit=True) as listener:
        listener.execute("LISTEN mail_notifications")
        queue(notifications_state, "wake@hospital.example")
        woken = [note.channel for note in listener.notifies(timeout=2.0, stop_after=1)]
    assert woken == ["mail_notifications"]


def test_the_next_pending_email_says_when_it_falls_due(notifications_state):
    with notifications_state.pool.connection() as conn, conn.transaction(force_rollback=True):
        uow = UnitOfWork(conn, "notifications")  # nothing of this is kept: the running mailer's mail is left as it was
        queue_first_in_line(uow, "due@hospital.example")
        overdue = store.seconds_until_due(conn)
        uow.execute("UPDATE emails SET next_attempt_at = clock_timestamp() + interval '1 day' WHERE status = 'pending'")
        held = store.seconds_until_due(conn)
        uow.execute("UPDATE emails SET status = 'sent' WHERE status = 'pending'")
        none_pending = store.seconds_until_due(conn)
    assert overdue is not None and overdue < -365 * 86400
    assert held is not None and 86_000 < held <= 86_400
    assert none_pending is None


def test_a_drain_waits_no_longer_than_until_work_falls_due(notifications_state):
    """With nothing notified, the next drain comes when ``due_in`` says, not after the idle wait."""
    import threading
    import time

    from shared.wakeup import drain_on_notify

    drains: list[float] = []
    stop = threading.Event()

    def drain_once() -> int:
        drains.append(time.monotonic())
        if len(drains) == 2:
            stop.set()
        return 0

    started = time.monotonic()
    waiting = threading.Thread(target=drain_on_notify, args=(
        notifications_state.settings.database_url, f"quiet_{uuid.uuid4().hex[:8]}", drain_once, stop),
        kwargs={"idle_wait": 60.0, "due_in": lambda: 0.2}, daemon=True)
    waiting.start()
    waiting.join(timeout=30)
    stop.set()
    assert len(drains) == 2 and drains[1] - started < 30  # the idle wait alone would be 60 s


def test_an_smtp_server_that_cannot_be_reached_charges_no_attempt_and_stops_the_batch(notifications_state):
    nobody_listens = SmtpSender(SmtpSettings("127.0.0.1", 1, "wtgr@hospital.example", timeout=2))
    with unit_of_work(notifications_state.pool, "notifications") as uow:  # unseen by a running mailer
        email_id = queue_first_in_line(uow, "unreachable@hospital.example")
        batch = Mailer(notifications_state.pool, nobody_listens, batch_size=1).send_due_in(uow)
        assert (batch.attempted, bool(batch.unreachable)) == (0, True)
        stays = uow.one("SELECT status, attempts FROM emails WHERE id = %s", (email_id,))
        assert (stays["status"], stays["attempts"]) == ("pending", 0)
        uow.execute("UPDATE emails SET next_attempt_at = now() + interval '1 day' WHERE id = %s", (email_id,))
    assert events(notifications_state, email_id) == []


class CrashAfterSending(Exception):
    """The mailer's process dies after the server took the email, before its transaction commits."""


def test_a_mailer_crash_after_sending_resends_once_with_the_same_message_id(notifications_state):
    recipient = f"crash-{uuid.uuid4().hex[:8]}@hospital.example"
    mailer = Mailer(notifications_state.pool, smtp(), batch_size=1)
    with unit_of_work(notifications_state.pool, "notifications") as uow:  # unseen by a running mailer
        email_id = queue_first_in_line(uow, recipient)
        try:
            with uow.savepoint():  # the process dies after the server took the email, before it recorded it
                mailer.send_due_in(uow)
                raise CrashAfterSending
        except CrashAfterSending:
            pass
        assert uow.one("SELECT status FROM emails WHERE id = %s", (email_id,))["status"] == "pending"
        mailer.send_due_in(uow)  # the restarted mailer
    assert email(notifications_state, email_id)["status"] == "sent"
    assert events(notifications_state, email_id) == ["notification.sent"]
    mailbox = Mailbox(os.environ["WTGR_MAIL_HTTP"])
    received = mailbox.messages(recipient)
    ids = {message_from_bytes(mailbox.raw(m.id))["Message-ID"] for m in received}
    assert len(received) == 2 and ids == {f"<{email_id}@hospital.example>"}  # a mail client shows it once
