"""The bounce reader on the real database: a report is recorded once however often it is read, and
is then deleted from the mailbox; anything else stays there, counted once."""

import uuid

import pytest

from services.notifications.adapters import store
from services.notifications.adapters.pop3 import MessageGone
from services.notifications.service_layer.bounces import read_mailbox
from services.notifications.tests.unit.test_bounce_reports import EMAIL_ID, HARD, OUT_OF_OFFICE, SOFT, WITHOUT_VERP
from shared.db import unit_of_work

pytestmark = pytest.mark.integration
BOUNCES = "bounces@trust.example"


class FakeMailbox:
    """A POP3 mailbox in memory: messages by unique id; deletes are what the session marked."""

    def __init__(self, messages):
        self.messages = dict(messages)
        self.deleted = []

    def listing(self):
        return [(number, uid) for number, uid in enumerate(self.messages, start=1)]

    def _raw(self, number):
        return list(self.messages.values())[number - 1]

    def headers(self, number):
        return self._raw(number).replace(b"\r\n", b"\n").split(b"\n\n")[0]

    def fetch(self, number):
        return self._raw(number)

    def delete(self, number):
        self.deleted.append(list(self.messages)[number - 1])


def a_sent_email(state, recipient):
    with unit_of_work(state.pool, "notifications") as uow:
        email_id = store.queue_email(uow, store.NewEmail(recipient, str(uuid.uuid4()), "idea.submitted", "single",
                                                         "[WTGR] Idea received", "Hello.", "<p>Hello.</p>", "t"),
                                     "trust.example")
        store.mark_sent(uow.conn, email_id)
    return email_id


def about(state, email_id):
    with state.pool.connection() as conn:
        return conn.execute("SELECT status, bounce_status, bounce_diagnostic, delay_status, bounced_at "
                            "FROM emails WHERE id = %s", (email_id,)).fetchone()


def bounces_of(state, email_id):
    with state.pool.connection() as conn:
        return conn.execute("SELECT count(*) AS n FROM bounces WHERE email_id = %s", (email_id,)).fetchone()["n"]


def for_email(raw, email_id, report_id):
    return raw.replace(EMAIL_ID.encode(), email_id.encode()).replace(
        b"<20261202100211.4F2A1C0@relay.nhs.example>", f"<{report_id}@relay.nhs.example>".encode())


def test_a_hard_bounce_fails_the_email_once_and_leaves_the_mailbox(notifications_state):
    email_id = a_sent_email(notifications_state, "left.the.trust@nhs.example")
    report = for_email(HARD, email_id, uuid.uuid4().hex)
    first, again = f"u-{uuid.uuid4().hex}", f"u-{uuid.uuid4().hex}"
    mailbox = FakeMailbox({first: report, again: report})  # the same report delivered twice
    outcomes = read_mailbox(notifications_state.pool, mailbox, BOUNCES)
    assert outcomes == {"bounce": 1, "duplicate": 1}
    assert mailbox.deleted == [first, again]
    row = about(notifications_state, email_id)
    assert (row["status"], row["bounce_status"]) == ("bounced", "5.1.1")
    assert "User unknown" in row["bounce_diagnostic"]
    assert bounces_of(notifications_state, email_id) == 1
    with notifications_state.pool.connection() as conn:
        assert [r["event_type"] for r in conn.execute(
            "SELECT event_type FROM outbox WHERE key = %s ORDER BY position", (email_id,)).fetchall()] == [
            "notification.failed"]

    # read again (the session that deleted them broke off): nothing more is recorded or emitted
    assert read_mailbox(notifications_state.pool, FakeMailbox({first: report}), BOUNCES) == {}
    assert about(notifications_state, email_id)["bounced_at"] == row["bounced_at"]


def test_a_delay_is_a_note_and_the_email_stays_sent(notifications_state):
    email_id = a_sent_email(notifications_state, "full.mailbox@nhs.example")
    mailbox = FakeMailbox({f"u-{uuid.uuid4().hex}": SOFT.replace(EMAIL_ID.encode(), email_id.encode())
                          .replace(b"<delay-1@", f"<delay-{uuid.uuid4().hex}@".encode())})
    assert read_mailbox(notifications_state.pool, mailbox, BOUNCES) == {"delay": 1}
    row = about(notifications_state, email_id)
    assert (row["status"], row["delay_status"], row["bounce_status"]) == ("sent", "4.2.2", None)


def test_a_report_without_its_verp_address_finds_the_email_by_message_id(notifications_state):
    email_id = a_sent_email(notifications_state, "gone@nhs.example")
    raw = WITHOUT_VERP.replace(b"7b4a1f0e-2c3d-4e5f-8a9b-0c1d2e3f4a5b", email_id.encode())
    assert read_mailbox(notifications_state.pool, FakeMailbox({f"u-{uuid.uuid4().hex}": raw}), BOUNCES) == {
        "bounce": 1}
    assert about(notifications_state, email_id)["bounce_status"] == "5.4.1"


def test_what_is_not_a_report_of_ours_stays_in_the_mailbox_and_is_counted_once(notifications_state):
    stranger = HARD.replace(EMAIL_ID.encode(), str(uuid.uuid4()).encode())  # a report of no email of ours
    mailbox = FakeMailbox(zip((f"u-{uuid.uuid4().hex}" for _ in range(3)),
                              (OUT_OF_OFFICE, stranger, b"\x00\xff not even headers"), strict=True))
    assert read_mailbox(notifications_state.pool, mailbox, BOUNCES) == {"not_a_report": 2, "unmatched": 1}
    assert mailbox.deleted == []
    assert read_mailbox(notifications_state.pool, mailbox, BOUNCES) == {}


class EmptiedMailbox(FakeMailbox):
    """A mailbox someone else empties while it is read: every message is gone when asked for."""

    def headers(self, number):
        raise MessageGone("-ERR no such message")


def test_a_message_gone_while_the_mailbox_is_read_is_skipped_and_read_if_it_comes_back(notifications_state):
    uid = f"u-{uuid.uuid4().hex}"
    assert read_mailbox(notifications_state.pool, EmptiedMailbox({uid: OUT_OF_OFFICE}), BOUNCES) == {}
    assert read_mailbox(notifications_state.pool, FakeMailbox({uid: OUT_OF_OFFICE}), BOUNCES) == {"not_a_report": 1}
