"""A bounce that comes back later, by email: an email goes out through the real SMTP server with
its own envelope sender (VERP), a relay's delivery status notification (RFC 3464) for it is mailed
to the bounce mailbox, the notifications service's bounces worker reads it over POP3 and admins see
the bounce in the email log. A delay reported for another email, which names it only by its
Message-ID, is a note on that email."""

from __future__ import annotations

import os
import smtplib
import time
import uuid
from email import message_from_bytes, policy

import pytest
import requests

from shared import topics
from shared.events import new_event

pytestmark = pytest.mark.e2e
WAIT = 90


@pytest.fixture
def publish(kafka_bootstrap):
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    yield lambda topic, key, event: producer.send(topic, key=key.encode(), value=event.to_json()).get(timeout=10)
    producer.close()


def an_idea_declined(person, title):
    idea_id = str(uuid.uuid4())
    return new_event("idea.stage_changed", {
        "idea_id": idea_id, "title": title, "from_stage": "under_review", "to_stage": "declined",
        "reason": "Already done", "changed_by": "qi-lead-1", "path": f"/ideas/{idea_id}",
        "audience": [{"email": person, "name": "Pat", "relation": "submitter"}]}, source="urn:wtgr:ideas",
        subject=idea_id)


def delivery_report(to, recipient, action, status, diagnostic, original_message_id, report_id):
    """A delivery status notification as a relay writes it, with the original message's headers."""
    return f"""\
From: Mail Delivery System <MAILER-DAEMON@relay.nhs.example>
To: {to}
Subject: Undelivered Mail Returned to Sender
Message-ID: <{report_id}@relay.nhs.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="r-{report_id}"

--r-{report_id}
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered to {recipient}.

--r-{report_id}
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.nhs.example

Final-Recipient: rfc822; {recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diagnostic}

--r-{report_id}
Content-Type: text/rfc822-headers

From: WTGR Platform <wtgr-noreply@hospital.example>
To: {recipient}
Message-ID: {original_message_id}

--r-{report_id}--
""".replace("\n", "\r\n")


def mail_to_the_bounce_mailbox(envelope_to, report):
    """What a relay does: mail the report from the null sender to the email's envelope sender."""
    with smtplib.SMTP(os.environ["WTGR_SMTP_HOST"], int(os.environ["WTGR_SMTP_PORT"]), timeout=10) as smtp:
        smtp.sendmail("<>", [envelope_to], report.encode())


def sent_email(mailbox, person, title):
    found = mailbox.wait_for(person, lambda m: title in m.subject, timeout=WAIT)
    return message_from_bytes(mailbox.raw(found.id), policy=policy.default)


def logged(service_url, admin, status, email_id, until):
    """The email as the admins' log shows it under ``status``, once ``until`` holds of it."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        page = requests.get(f"{service_url('notifications')}/api/v1/emails",
                            params={"status": status, "page_size": 100}, headers=admin, timeout=30).json()
        found = next((item for item in page["items"] if item["id"] == email_id), None)
        if found is not None and until(found):
            return found
        time.sleep(0.5)
    raise AssertionError(f"email {email_id} did not show as {status} within {WAIT} s")


def test_a_hard_bounce_mailed_back_later_shows_in_the_admins_email_log_once(publish, mailbox, service_url, issuer):
    run = uuid.uuid4().hex[:8]
    person = f"left-{run}@hospital.example"
    publish(topics.IDEAS, run, an_idea_declined(person, f"Bounced idea {run}"))
    message = sent_email(mailbox, person, f"Bounced idea {run}")
    email_id = message["X-WTGR-Email-Id"]
    verp = f"bounces+{email_id}@hospital.example"
    assert message["Return-Path"].strip("<>") == verp  # the envelope sender; the From stays the platform's
    assert "wtgr-noreply@hospital.example" in message["From"]

    report = delivery_report(verp, person, "failed", "5.1.1", f"550 5.1.1 <{person}>: Recipient address rejected: "
                             "User unknown", message["Message-ID"], f"hard-{run}")
    mail_to_the_bounce_mailbox(verp, report)
    admin = {"Authorization": f"Bearer {issuer.issue('e2e-admin', ['admin'])}"}
    bounced = logged(service_url, admin, "bounced", email_id, lambda email: True)
    assert bounced["recipients"] == [person]
    assert bounced["bounce_status"] == "5.1.1"
    assert bounced["bounce_diagnostic"] == f"550 5.1.1 <{person}>: Recipient address rejected: User unknown"
    assert bounced["sent_at"] and bounced["bounced_at"]

    # the worker deleted the report it recorded; the same report mailed again records nothing more
    wait_until_read(mailbox, verp)
    mail_to_the_bounce_mailbox(verp, report)
    wait_until_read(mailbox, verp)
    again = logged(service_url, admin, "bounced", email_id, lambda email: True)
    assert again["bounced_at"] == bounced["bounced_at"]


def test_a_delay_reported_by_message_id_alone_is_a_note_on_the_sent_email(publish, mailbox, service_url, issuer):
    run = uuid.uuid4().hex[:8]
    person = f"full-{run}@hospital.example"
    publish(topics.IDEAS, run, an_idea_declined(person, f"Delayed idea {run}"))
    message = sent_email(mailbox, person, f"Delayed idea {run}")
    email_id = message["X-WTGR-Email-Id"]

    report = delivery_report("bounces@hospital.example", person, "delayed", "4.2.2", "452 4.2.2 Mailbox full",
                             message["Message-ID"], f"soft-{run}")
    mail_to_the_bounce_mailbox("bounces@hospital.example", report)
    admin = {"Authorization": f"Bearer {issuer.issue('e2e-admin', ['admin'])}"}
    noted = logged(service_url, admin, "sent", email_id, lambda email: email["delay_status"] is not None)
    assert (noted["delay_status"], noted["delay_diagnostic"]) == ("4.2.2", "452 4.2.2 Mailbox full")
    assert noted["bounced_at"] is None


def wait_until_read(mailbox, address):
    deadline = time.monotonic() + WAIT
    while mailbox.messages(address):
        assert time.monotonic() < deadline, f"the report to {address} was not read within {WAIT} s"
        time.sleep(0.5)
