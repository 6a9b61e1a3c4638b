"""Delivery status notifications (RFC 3464) as relays send them, read into what the hub records."""

from services.notifications.domain.bounces import (
    email_id_in,
    might_be_report,
    parse_report,
    verp_address,
)

EMAIL_ID = "0d9a7e42-6b1c-4f38-a5e2-91c7b3d8f604"
BOUNCES = "bounces@trust.example"

HARD = f"""\
Return-Path: <>
Received: from relay.nhs.example by mx.trust.example; Wed, 2 Dec 2026 10:02:11 +0000
Date: Wed, 2 Dec 2026 10:02:11 +0000
From: Mail Delivery System <MAILER-DAEMON@relay.nhs.example>
To: bounces+{EMAIL_ID}@trust.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <20261202100211.4F2A1C0@relay.nhs.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4F2A1C0.1764669731/relay.nhs.example"

This is a MIME-encapsulated message.

--4F2A1C0.1764669731/relay.nhs.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<left.the.trust@nhs.example>: host mx.nhs.example said: 550 5.1.1
    <left.the.trust@nhs.example>: Recipient address rejected: User unknown

--4F2A1C0.1764669731/relay.nhs.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.nhs.example
X-Postfix-Queue-ID: 4F2A1C0
X-Postfix-Sender: rfc822; bounces+{EMAIL_ID}@trust.example
Arrival-Date: Wed, 2 Dec 2026 10:02:10 +0000 (UTC)

Final-Recipient: rfc822; left.the.trust@nhs.example
Original-Recipient: rfc822;left.the.trust@nhs.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.nhs.example
Diagnostic-Code: smtp; 550 5.1.1 <left.the.trust@nhs.example>: Recipient address
    rejected: User unknown

--4F2A1C0.1764669731/relay.nhs.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: WTGR <wtgr@trust.example>
To: left.the.trust@nhs.example
Subject: [WTGR] Idea received: Quieter nights on Ward 7
Message-ID: <{EMAIL_ID}@trust.example>

--4F2A1C0.1764669731/relay.nhs.example--
""".replace("\n", "\r\n").encode()

SOFT = f"""\
From: Mail Delivery Subsystem <postmaster@relay.nhs.example>
To: <bounces+{EMAIL_ID}@trust.example>
Subject: Delivery Status Notification (Delay)
Message-ID: <delay-1@relay.nhs.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type="delivery-status"; boundary="b1"

--b1
Content-Type: text/plain

Delivery to the following recipient has been delayed: full.mailbox@nhs.example

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.nhs.example

Final-Recipient: rfc822; full.mailbox@nhs.example
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full
Will-Retry-Until: Fri, 4 Dec 2026 10:02:10 +0000

--b1--
""".encode()

WITHOUT_VERP = b"""\
From: postmaster@exchange.nhs.example
To: wtgr@trust.example
Subject: Undeliverable: [WTGR] Your certificate
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b2"

--b2
Content-Type: text/plain

Your message couldn't be delivered.

--b2
Content-Type: message/delivery-status

Reporting-MTA: dns;exchange.nhs.example

Final-Recipient: rfc822;gone@nhs.example
Action: failed
Status: 5.4.1
Diagnostic-Code: smtp;550 5.4.1 Recipient address rejected: Access denied

--b2
Content-Type: message/rfc822

From: WTGR <wtgr@trust.example>
To: gone@nhs.example
Subject: [WTGR] Your certificate
Message-ID: <7b4a1f0e-2c3d-4e5f-8a9b-0c1d2e3f4a5b@trust.example>
Content-Type: text/plain

Your certificate is ready.

--b2--
"""

OUT_OF_OFFICE = f"""\
From: Alice <alice@nhs.example>
To: bounces+{EMAIL_ID}@trust.example
Subject: Automatic reply: [WTGR] Idea received
Message-ID: <ooo-1@nhs.example>
Auto-Submitted: auto-replied
Content-Type: text/plain

I am out of the office until Monday.
""".encode()


def test_an_email_goes_out_from_its_own_bounce_address_and_the_address_names_it_back():
    address = verp_address(BOUNCES, EMAIL_ID)
    assert address == f"bounces+{EMAIL_ID}@trust.example"
    assert email_id_in(address, BOUNCES) == EMAIL_ID
    assert email_id_in(f"BOUNCES+{EMAIL_ID.upper()}@Trust.Example", BOUNCES) == EMAIL_ID
    assert email_id_in("bounces@trust.example", BOUNCES) is None
    assert email_id_in(f"bounces+{EMAIL_ID}@elsewhere.example", BOUNCES) is None


def test_a_permanent_failure_is_a_hard_bounce_with_its_status_and_the_servers_words():
    report = parse_report(HARD, BOUNCES)
    assert report is not None
    assert report.report_id == "<20261202100211.4F2A1C0@relay.nhs.example>"
    assert report.email_id == EMAIL_ID
    assert report.original_message_id == f"<{EMAIL_ID}@trust.example>"
    [recipient] = report.recipients
    assert recipient.recipient == "left.the.trust@nhs.example"
    assert (recipient.action, recipient.status, recipient.hard, recipient.soft) == ("failed", "5.1.1", True, False)
    assert recipient.diagnostic == ("550 5.1.1 <left.the.trust@nhs.example>: Recipient address rejected: "
                                    "User unknown")


def test_a_delay_is_a_soft_bounce():
    report = parse_report(SOFT, BOUNCES)
    assert report is not None and report.email_id == EMAIL_ID
    [recipient] = report.recipients
    assert (recipient.action, recipient.status, recipient.hard, recipient.soft) == ("delayed", "4.2.2", False, True)
    assert recipient.diagnostic == "452 4.2.2 Mailbox full"


def test_a_report_without_the_verp_address_names_the_email_by_the_message_it_attaches():
    report = parse_report(WITHOUT_VERP, BOUNCES)
    assert report is not None
    assert report.email_id is None
    assert report.original_message_id == "<7b4a1f0e-2c3d-4e5f-8a9b-0c1d2e3f4a5b@trust.example>"
    assert report.report_id.startswith("sha256:")  # it has no Message-ID of its own
    assert report.recipients[0].hard and report.recipients[0].status == "5.4.1"


def test_an_auto_reply_is_not_a_report_and_its_headers_say_so():
    assert parse_report(OUT_OF_OFFICE, BOUNCES) is None
    assert not might_be_report(OUT_OF_OFFICE.split(b"\n\n")[0])
    assert might_be_report(HARD.split(b"\r\n\r\n")[0])


def test_what_is_not_mime_or_not_a_delivery_report_is_not_a_report():
    assert parse_report(b"\x00\xff garbage with no headers", BOUNCES) is None
    feedback = SOFT.replace(b"report-type=\"delivery-status\"", b"report-type=feedback-report")
    assert parse_report(feedback, BOUNCES) is None
    empty = SOFT.replace(b"Final-Recipient: rfc822; full.mailbox@nhs.example\n", b"")
    assert parse_report(empty, BOUNCES) is None
