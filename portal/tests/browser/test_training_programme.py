"""A whole training session in Chromium: two learners book a one-place session, the first cancels and
the second is promoted from the waiting list, the trainer takes the register once the session has
started, the learner downloads their certificate, and a signed-out visitor checks its code."""

from __future__ import annotations

import io
import os
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from portal.tests.browser.conftest import axe

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)  # a page after a form's redirect, on a machine busy with other suites

SHOTS = Path(__file__).resolve().parents[3] / ".local" / "test" / "training-screenshots"
LEAD_TIME = timedelta(seconds=150)  # long enough to book and cancel (on a busy machine) before it starts


def schedule_soon(issuer, room: str) -> datetime:
    """A one-place session of the demo course starting in ``LEAD_TIME``, in a room no other session has."""
    starts_at = (datetime.now(UTC) + LEAD_TIME).replace(microsecond=0)
    token = issuer.issue("tara.trainer", ["trainer"])
    response = requests.post(f"http://127.0.0.1:{os.environ['TRAINING_PORT']}/api/v1/courses/QI-BRONZE/sessions",
                             json={"starts_at": starts_at.isoformat(), "capacity": 1, "location": room},
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 201, response.text
    return starts_at


def signed_in(browser: Browser, sign_in, username: str) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, username)
    return page


def look(page: Page, name: str) -> None:
    """axe-core finds nothing wrong, and a full-page screenshot is kept to look at."""
    assert axe(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def session_row(page: Page, portal_url: str, room: str):
    page.goto(portal_url + "/training/courses/QI-BRONZE")
    return page.get_by_role("row").filter(has_text=room)


def test_a_session_from_booking_through_the_waitlist_and_register_to_a_verified_certificate(
        browser, demo_data, sign_in, portal_url, issuer):
    room = f"Room {uuid.uuid4().hex[:8]}"
    sam, quinn = signed_in(browser, sign_in, "sam.nurse"), signed_in(browser, sign_in, "quinn.lead")
    tara = signed_in(browser, sign_in, "tara.trainer")
    starts_at = schedule_soon(issuer, room)

    session_row(sam, portal_url, room).get_by_role("button", name=re.compile("^Book")).click()
    expect(sam.get_by_text("You are booked on this session.")).to_be_visible()
    session_row(quinn, portal_url, room).get_by_role("button", name=re.compile("^Join the waiting list")).click()
    expect(quinn.get_by_text("you are number 1 on its waiting list")).to_be_visible()
    expect(quinn.get_by_role("row").filter(has_text=room)).to_contain_text("Waiting list: number 1")
    look(quinn, "course-waitlisted")

    session_row(sam, portal_url, room).get_by_role("button", name=re.compile("^Cancel my booking")).click()
    expect(sam.get_by_text("Your booking is cancelled.")).to_be_visible()
    expect(sam.get_by_role("row").filter(has_text=room).get_by_role(  # full again: quinn took the place
        "button", name=re.compile("^Join the waiting list"))).to_be_visible()
    expect(session_row(quinn, portal_url, room)).to_contain_text("Booked")  # promoted from the waiting list

    time.sleep(max(0.0, (starts_at - datetime.now(UTC)).total_seconds() + 1))  # the register opens at the start
    session_row(tara, portal_url, room).get_by_role("link", name=re.compile("^Register and bookings")).click()
    expect(tara.get_by_role("row").filter(has_text="sam.nurse")).to_contain_text("Cancelled")
    look(tara, "register")
    tara.get_by_role("row").filter(has_text="quinn.lead").get_by_role("checkbox").check()
    tara.get_by_role("button", name="Save the register").click()
    expect(tara.get_by_text("1 learner marked attended")).to_be_visible()
    expect(tara.get_by_role("row").filter(has_text="quinn.lead")).to_contain_text("Attended")

    quinn.goto(portal_url + "/training/record")
    expect(quinn.get_by_role("row").filter(has_text=room)).to_contain_text("Attended")
    look(quinn, "record")
    csv = quinn.context.request.get(portal_url + "/training/record.csv")
    assert csv.ok and csv.text().startswith("course_code,course_title,level_title,")
    quinn.get_by_role("row").filter(has_text=room).get_by_role("link", name=re.compile("^Certificate")).click()
    code = quinn.locator(".nhsuk-summary-list__row", has_text="Verification code").locator("dd").inner_text().strip()
    look(quinn, "certificate")
    with quinn.expect_download() as download:
        quinn.get_by_role("link", name="Download the certificate (PDF)").click()
    text = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes())).pages[0].extract_text()
    assert "Quinn Lead" in text and "WTGR Bronze: the Model for Improvement" in text and code in text

    visitor = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    visitor.goto(portal_url + "/training/verify")
    look(visitor, "verify")
    visitor.get_by_label("Verification code").fill(code.lower())
    visitor.get_by_role("button", name="Check the certificate").click()
    expect(visitor.get_by_role("heading", name="This certificate is genuine")).to_be_visible()
    expect(visitor.locator(".nhsuk-summary-list__row", has_text="Awarded to")).to_contain_text("Quinn Lead")
    look(visitor, "verified")


def test_a_trainer_books_a_place_for_someone_and_a_learner_cannot_open_the_register(
        browser, demo_data, sign_in, portal_url, issuer):
    room = f"Room {uuid.uuid4().hex[:8]}"
    schedule_soon(issuer, room)
    tara = signed_in(browser, sign_in, "tara.trainer")
    session_row(tara, portal_url, room).get_by_role("link", name=re.compile("^Register and bookings")).click()
    register = tara.url
    tara.get_by_label("Their username").fill("pat.partner")
    tara.get_by_label("Their name").fill("Pat Partner")
    tara.get_by_label("Their email address").fill("pat@partner.example")
    tara.get_by_role("button", name="Book the place").click()
    expect(tara.get_by_text("Pat Partner has a place.")).to_be_visible()
    expect(tara.get_by_role("row").filter(has_text="pat.partner")).to_contain_text("Confirmed place")
    sam = signed_in(browser, sign_in, "sam.nurse")
    assert sam.goto(register).status == 403
