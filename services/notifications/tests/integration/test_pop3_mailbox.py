"""The bounce mailbox over POP3: the mail catcher's POP3 server, as devstack runs it."""

import os
import smtplib
import uuid
from dataclasses import replace

import pytest

from services.notifications.adapters.pop3 import MailboxUnreachable, Pop3Settings, pop3_session

pytestmark = pytest.mark.integration


@pytest.fixture
def mailbox_settings():
    settings = Pop3Settings.from_env()
    if settings is None:
        pytest.fail("WTGR_BOUNCE_POP3_HOST is not set: load the env file of a stack devstack started")
    return settings


def test_a_message_in_the_mailbox_is_listed_with_its_headers_and_source_and_nothing_is_deleted_unasked(
        mailbox_settings):
    subject = f"POP3 check {uuid.uuid4().hex[:8]}"
    with smtplib.SMTP(os.environ["WTGR_SMTP_HOST"], int(os.environ["WTGR_SMTP_PORT"]), timeout=10) as smtp:
        smtp.sendmail("<>", ["bounces@hospital.example"], f"Subject: {subject}\r\n\r\nHello.\r\n".encode())
    for _ in range(2):  # read twice: the first session deleted nothing
        with pop3_session(mailbox_settings) as mailbox:
            listing = mailbox.listing()
            found = [number for number, _ in listing if subject.encode() in mailbox.headers(number)]
            assert len(found) == 1 and b"Hello." in mailbox.fetch(found[0])
            assert len({uid for _, uid in listing}) == len(listing)  # unique ids


def test_a_refused_login_is_an_outage_to_ride_out(mailbox_settings):
    with pytest.raises(MailboxUnreachable, match="login refused"), \
            pop3_session(replace(mailbox_settings, password="not-the-password")):
        pass
