"""My notifications, how I hear about things, following a KPI and unsubscribing from an email's
link, in Chromium against the real services."""

from __future__ import annotations

import email
import re
import uuid

import pytest
import requests
from itsdangerous import URLSafeSerializer
from playwright.sync_api import expect

from shared.config import Settings

pytestmark = pytest.mark.e2e
WARD_7_LOS = "Average length of stay, Ward 7 (Acute Medical Unit)"


def test_a_kpi_owner_reads_their_notifications_and_marks_them_read(page, sign_in, portal_url):
    sign_in(page, "alice.owner")
    page.get_by_role("link", name=re.compile("^Notifications")).click()
    expect(page.get_by_role("heading", level=1, name="My notifications")).to_be_visible()
    expect(page.locator(".app-feed li").first).to_be_visible()  # the demo's months of the KPIs she owns
    if page.get_by_role("button", name="Mark all as read").count():
        page.get_by_role("button", name="Mark all as read").click()
        expect(page.get_by_text(re.compile(r"notifications? marked as read"))).to_be_visible()
    expect(page.get_by_text("Unread", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()  # no count left


def test_a_member_of_staff_follows_a_kpi_at_a_ward_and_stops_following_it(page, sign_in, portal_url):
    sign_in(page, "sam.nurse")
    page.goto(portal_url + "/kpis/ALOS/units/WARD-7")
    page.get_by_role("button", name=re.compile("^Follow")).click()
    expect(page.get_by_text(f"You now follow {WARD_7_LOS}.", exact=False)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Stop following"))).to_be_visible()
    page.goto(portal_url + "/me/follows")
    row = page.get_by_role("row").filter(has_text=WARD_7_LOS)
    expect(row.get_by_text("You follow it")).to_be_visible()
    row.get_by_role("button", name=re.compile("^Stop following")).click()
    expect(page.get_by_text(f"You no longer follow {WARD_7_LOS}.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=WARD_7_LOS)).to_have_count(0)


def test_a_person_chooses_a_daily_digest_for_kpi_months_and_it_is_kept(page, sign_in, portal_url):
    sign_in(page, "sam.nurse")
    page.goto(portal_url + "/me/preferences")
    fieldset = page.get_by_role("group", name=re.compile("New and revised monthly values"))
    fieldset.get_by_label("By email").select_option("daily")
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_text("Your choices are saved.")).to_be_visible()
    fieldset = page.get_by_role("group", name=re.compile("New and revised monthly values"))
    expect(fieldset.get_by_label("By email")).to_have_value("daily")
    fieldset.get_by_label("By email").select_option("weekly")  # back to the default for the other tests
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_text("Your choices are saved.")).to_be_visible()


def test_an_emails_unsubscribe_link_asks_then_unsubscribes_without_signing_in(page, portal_url):
    person = f"browser-{uuid.uuid4().hex[:8]}@hospital.example"
    # signed as the notifications service signs the link in its emails (docs/notifications.md)
    signer = URLSafeSerializer(Settings.from_env("notifications").cursor_secret, salt="wtgr.unsubscribe")
    token = signer.dumps({"p": person, "k": "kpi_update"})
    page.goto(f"{portal_url}/unsubscribe/{token}")
    expect(page.get_by_role("heading", level=1, name="Unsubscribe")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Stop emails about new and revised monthly values .* to br\*\*\*@"))
           ).to_be_visible()
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1, name="You are unsubscribed")).to_be_visible()


def test_a_link_that_was_not_sent_says_so(page, portal_url):
    response = requests.get(f"{portal_url}/unsubscribe/forged", timeout=10)
    assert response.status_code == 404
    page.goto(f"{portal_url}/unsubscribe/forged")
    expect(page.get_by_role("heading", level=1, name="This unsubscribe link does not work")).to_be_visible()


def test_an_admin_finds_an_email_that_bounced_later_with_the_servers_words(page, sign_in, portal_url,
                                                                             kafka_bootstrap):
    import os

    from kafka import KafkaProducer

    from devstack.mail import Mailbox
    from shared import topics
    from tests.e2e.test_email_bounces import an_idea_declined, delivery_report, mail_to_the_bounce_mailbox

    run = uuid.uuid4().hex[:8]
    person = f"moved-{run}@hospital.example"
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    producer.send(topics.IDEAS, key=run.encode(), value=an_idea_declined(person, f"Moved on {run}").to_json()) \
        .get(timeout=10)
    producer.close()
    mailbox = Mailbox(os.environ["WTGR_MAIL_HTTP"])
    sent = mailbox.wait_for(person, lambda m: f"Moved on {run}" in m.subject, timeout=90)
    headers = email.message_from_bytes(mailbox.raw(sent.id))
    verp = headers["Return-Path"].strip("<>")
    mail_to_the_bounce_mailbox(verp, delivery_report(verp, person, "failed", "5.1.1", "550 5.1.1 User unknown",
                                                     headers["Message-ID"], f"browser-{run}"))

    sign_in(page, "ada.admin")
    page.goto(portal_url + "/admin/")
    page.get_by_role("link", name="Emails").click()
    page.get_by_label("Show").select_option("bounced")
    page.get_by_role("button", name="Show the emails").click()
    row = page.get_by_role("row").filter(has_text=f"Moved on {run}")
    for _ in range(20):  # the bounces worker reads the mailbox every second
        if row.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(row.get_by_text("Bounced", exact=True)).to_be_visible()
    expect(row.get_by_text("550 5.1.1 User unknown")).to_be_visible()
