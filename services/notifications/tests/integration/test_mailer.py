"""Queued emails are sent through the real SMTP server the tests run, and the outcome is kept."""

import os
import smtplib
import uuid

import psycopg
import pytest

from devstack.mail import Mailbox
from services.notifications.adapters import store
from services.notifications.adapters.smtp import SmtpSender
from services.notifications.domain.messages import Message
from services.notifications.service_layer.mailer import Mailer
from shared.db import unit_of_work

pytestmark = pytest.mark.integration


def queue(state, recipient):
    with unit_of_work(state.pool, "notifications") as uow:
        return store.queue_email(uow, Message((recipient,), "[WTGR] Test", "Hello."), caused_by=str(uuid.uuid4()),
                                 event_type="kpi.updated")


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
    email_id = store.queue_email(uow, Message((recipient,), "[WTGR] Test", "Hello."), caused_by=str(uuid.uuid4()),
                                 event_type="kpi.updated")
    uow.execute("UPDATE emails SET next_attempt_at = '2000-01-01' WHERE id = %s", (email_id,))
    return email_id


def test_a_queued_email_reaches_the_smtp_server_and_is_marked_sent(notifications_state):
    recipient = f"mailer-{uuid.uuid4().hex[:8]}@hospital.example"
    sender = SmtpSender(os.environ["WTGR_SMTP_HOST"], int(os.environ["WTGR_SMTP_PORT"]), "wtgr@hospital.example")
    with unit_of_work(notifications_state.pool, "notifications") as uow:
        email_id = queue_first_in_line(uow, recipient)
        Mailer(notifications_state.pool, sender, batch_size=1).send_due_in(uow)
    assert email(notifications_state, email_id)["status"] == "sent"
    assert events(notifications_state, email_id) == ["notification.sent"]
    received = Mailbox(os.environ["WTGR_MAIL_HTTP"]).messages(recipient)
    assert [m.subject for m in received] == ["[WTGR] Test"]


class RefusingServer:
    """An SMTP server that answers and refuses every recipient."""

    def send(self, email_id, recipients, subject, body):
        raise smtplib.SMTPRecipientsRefused({r: (550, b"no such mailbox") for r in recipients})


def test_an_email_the_server_refuses_is_retried_then_marked_failed(notifications_state):
    mailer = Mailer(notifications_state.pool, RefusingServer(), max_attempts=2, batch_size=1)
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


def test_an_smtp_server_that_cannot_be_reached_charges_no_attempt_and_stops_the_batch(notifications_state):
    nobody_listens = SmtpSender("127.0.0.1", 1, "wtgr@hospital.example", timeout=2)
    with unit_of_work(notifications_state.pool, "notifications") as uow:  # unseen by a running mailer
        email_id = queue_first_in_line(uow, "unreachable@hospital.example")
        batch = Mailer(notifications_state.pool, nobody_listens, batch_size=1).send_due_in(uow)
        assert (batch.attempted, bool(batch.unreachable)) == (0, True)
        stays = uow.one("SELECT status, attempts FROM emails WHERE id = %s", (email_id,))
        assert (stays["status"], stays["attempts"]) == ("pending", 0)
        uow.execute("UPDATE emails SET next_attempt_at = now() + interval '1 day' WHERE id = %s", (email_id,))
    assert events(notifications_state, email_id) == []
