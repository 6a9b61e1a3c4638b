"""A trainer moves and cancels training sessions in Chromium, and the learners booked on them are told:
the email reaches the real SMTP server (Mailpit) through the training relay, Kafka and the
notifications service, and the learner's bookings show what happened. A change made by someone
else meanwhile, and a date in the past, are shown beside the form without losing what was typed;
learners see none of the controls."""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from conftest import required_env
from devstack.mail import Mailbox
from portal.tests.browser.test_training_programme import look, signed_in

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)

TRUST_DAY = "%d/%m/%Y"


@pytest.fixture(scope="module")
def mailbox() -> Mailbox:
    return Mailbox(required_env("WTGR_MAIL_HTTP"))


def training_api(path: str) -> str:
    return f"http://127.0.0.1:{os.environ['TRAINING_PORT']}/api/v1{path}"


def schedule(issuer, room: str) -> str:
    """A session of the demo course in a room no other session has, weeks ahead; its id."""
    starts_at = (datetime.now(UTC) + timedelta(days=30)).replace(hour=9, minute=0, second=0, microsecond=0)
    response = requests.post(training_api("/courses/QI-BRONZE/sessions"), timeout=10, json={
        "starts_at": starts_at.isoformat(), "capacity": 5, "location": room},
        headers={"Authorization": f"Bearer {issuer.issue('tara.trainer', ['trainer'])}"})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def book_sam(tara: Page, portal_url: str, room: str) -> str:
    """Tara books Sam Nurse a place with an address of this test's own (so the emails are told apart
    from every other test's and no daily cap holds them back); the address."""
    email = f"sam.nurse+{uuid.uuid4().hex[:8]}@hospital.example"
    session_row(tara, portal_url, room).get_by_role("link", name=re.compile("^Register and bookings")).click()
    tara.get_by_label("Their username").fill("sam.nurse")
    tara.get_by_label("Their name").fill("Sam Nurse")
    tara.get_by_label("Their email address").fill(email)
    tara.get_by_role("button", name="Book the place").click()
    expect(tara.get_by_text("Sam Nurse has a place.")).to_be_visible()
    return email


def session_row(page: Page, portal_url: str, room: str):
    page.goto(portal_url + "/training/courses/QI-BRONZE")
    return page.get_by_role("row").filter(has_text=room)


def test_a_trainer_moves_a_session_and_the_booked_learner_is_emailed_the_new_date(
        browser: Browser, demo_data, sign_in, portal_url, issuer, mailbox):
    room = f"Room {uuid.uuid4().hex[:8]}"
    session_id = schedule(issuer, room)
    tara = signed_in(browser, sign_in, "tara.trainer")
    email = book_sam(tara, portal_url, room)

    session_row(tara, portal_url, room).get_by_role("link", name=re.compile("^Change date, time or venue")).click()
    expect(tara.get_by_role("heading", level=1)).to_have_text("Change the date, time or venue")
    look(tara, "session-move")
    tara.get_by_label("Date").fill("01/02/2021")
    tara.get_by_role("button", name="Save and tell everyone booked").click()
    expect(tara.locator(".nhsuk-error-summary")).to_be_visible()  # the service's 422, beside the date
    expect(tara.locator("#day-error")).to_contain_text("Enter a date and start time in the future")
    look(tara, "session-move-in-the-past")

    new_day = (datetime.now(UTC) + timedelta(days=45)).date()
    new_room = f"Room {uuid.uuid4().hex[:8]}"
    tara.get_by_label("Date").fill(f"{new_day:{TRUST_DAY}}")
    tara.get_by_label("Start time").fill("13:45")
    tara.get_by_label("Where").fill(new_room)
    changed_elsewhere = requests.patch(  # someone else moves the venue while Tara's form is open
        training_api(f"/sessions/{session_id}"), json={"location": f"{room} (annexe)"}, timeout=10,
        headers={"Authorization": f"Bearer {issuer.issue('ada.admin', ['admin'])}", "If-Match": '"1"'})
    assert changed_elsewhere.status_code == 200, changed_elsewhere.text
    tara.get_by_role("button", name="Save and tell everyone booked").click()
    expect(tara.locator(".nhsuk-error-summary")).to_contain_text("Someone else changed this session")
    expect(tara.locator("#session-now")).to_contain_text(f"{room} (annexe)")  # the session as it is now
    expect(tara.get_by_label("Where")).to_have_value(new_room)  # and what Tara typed, kept
    expect(tara.get_by_label("Start time")).to_have_value("13:45")
    look(tara, "session-move-changed-elsewhere")
    tara.get_by_role("button", name="Save and tell everyone booked").click()  # having seen it, Tara sends again
    expect(tara.get_by_text(re.compile(r"^The session is moved to .* Everyone booked is emailed"))).to_be_visible()
    look(tara, "session-moved")

    new_when = f"{new_day:%A} {new_day.day} {new_day:%B %Y} at 13:45"
    moved = mailbox.wait_for(email, lambda m: m.subject.startswith("[WTGR] Training moved") and new_when in m.subject,
                             timeout=90)  # Ada's move of the venue was emailed first
    assert moved.subject == f"[WTGR] Training moved: WTGR Bronze: the Model for Improvement, now {new_when}"
    assert f"Now: {new_when}" in moved.body_text and f"Where: {new_room}" in moved.body_text

    sam = signed_in(browser, sign_in, "sam.nurse")
    sam.goto(portal_url + "/training/")
    mine = sam.get_by_role("row").filter(has_text=new_room)
    expect(mine).to_contain_text("Booked")
    expect(mine).to_contain_text("Moved")
    look(sam, "bookings-moved")


def test_a_trainer_cancels_a_session_and_the_booked_learner_is_emailed_and_sees_it_cancelled(
        browser: Browser, demo_data, sign_in, portal_url, issuer, mailbox):
    room = f"Room {uuid.uuid4().hex[:8]}"
    schedule(issuer, room)
    tara = signed_in(browser, sign_in, "tara.trainer")
    email = book_sam(tara, portal_url, room)

    session_row(tara, portal_url, room).get_by_role("link", name=re.compile("^Cancel this session")).click()
    expect(tara.get_by_role("heading", level=1)).to_have_text("Cancel this session")
    tara.get_by_role("button", name="Cancel the session").click()
    expect(tara.locator("#reason-error")).to_contain_text("Enter why the session is cancelled")
    look(tara, "session-cancel-without-a-reason")
    reason = f"The trainer is unwell ({uuid.uuid4().hex[:6]}); please book another date."
    tara.get_by_label("Why is the session cancelled?").fill(reason)
    tara.get_by_role("button", name="Cancel the session").click()
    expect(tara.get_by_text(re.compile(r"is cancelled\. Everyone who was booked is emailed the reason"))
           ).to_be_visible()
    expect(tara.get_by_text("Session cancelled")).to_be_visible()
    expect(tara.get_by_role("row").filter(has_text="sam.nurse")).to_contain_text("Cancelled")
    look(tara, "session-cancelled")
    row = session_row(tara, portal_url, room)
    expect(row).to_contain_text("Cancelled")
    expect(row.get_by_role("link", name=re.compile("^(Change date|Cancel this session)"))).to_have_count(0)

    cancelled = mailbox.wait_for(email, lambda m: m.subject.startswith("[WTGR] Training cancelled"), timeout=90)
    assert f"Reason: {reason}" in cancelled.body_text

    sam = signed_in(browser, sign_in, "sam.nurse")
    sam.goto(portal_url + "/training/")
    mine = sam.get_by_role("row").filter(has_text=room)
    expect(mine).to_contain_text("Session cancelled")
    expect(mine).to_contain_text(reason)
    look(sam, "bookings-cancelled")
    sam.goto(portal_url + "/training/record")
    expect(sam.get_by_role("row").filter(has_text=room)).to_contain_text("Session cancelled")


def test_a_learner_sees_no_controls_to_move_or_cancel_a_session_and_cannot_open_them(
        browser: Browser, demo_data, sign_in, portal_url, issuer):
    room = f"Room {uuid.uuid4().hex[:8]}"
    session_id = schedule(issuer, room)
    sam = signed_in(browser, sign_in, "sam.nurse")
    row = session_row(sam, portal_url, room)
    expect(row).to_be_visible()
    expect(row.get_by_role("link", name=re.compile("^(Change date|Cancel this session)"))).to_have_count(0)
    for path in ("move", "cancellation"):
        response = sam.goto(f"{portal_url}/training/sessions/{session_id}/{path}")
        assert response is not None and response.status == 403
    ada = signed_in(browser, sign_in, "ada.admin")  # an admin manages every session
    row = session_row(ada, portal_url, room)
    expect(row.get_by_role("link", name=re.compile("^Cancel this session"))).to_be_visible()
