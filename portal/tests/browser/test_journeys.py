"""Each demo role signs in through the real OIDC provider and completes its main journey in Chromium."""

from __future__ import annotations

import os
import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from portal.tests.browser.conftest import USERS

pytestmark = pytest.mark.e2e
LONDON = ZoneInfo("Europe/London")  # sessions are planned on the trust's clock, as pages show them


@pytest.mark.parametrize("username", sorted(USERS))
def test_every_demo_user_signs_in_through_the_provider_and_sees_their_sections(page, sign_in, portal_url, username):
    sign_in(page, username)
    menu = page.get_by_role("navigation", name="Menu")
    for section in ("Home", "KPIs", "Training", "Me"):
        expect(menu.get_by_role("link", name=section, exact=True)).to_be_visible()
    is_admin = "admin" in USERS[username]["roles"]
    expect(menu.get_by_role("link", name="Admin", exact=True)).to_have_count(1 if is_admin else 0)
    page.goto(portal_url + "/me/")
    for role in USERS[username]["roles"]:
        expect(page.get_by_text(re.compile(rf"\b{role}\b")).first).to_be_visible()


def test_the_home_page_highlights_the_demo_special_causes_with_their_icons(page, sign_in):
    sign_in(page, "sam.nurse")
    highlights = page.get_by_role("table", name="KPIs whose latest point is a special cause")
    row = highlights.get_by_role("row").filter(has_text="Inpatient falls per 1,000 bed days").filter(
        has_text="Ward 12 (Frailty)")
    expect(row.get_by_role("img", name="Special cause variation: concern, higher")).to_be_visible()


def test_a_kpi_owner_annotates_the_chart_of_the_kpi_they_own(page, sign_in, portal_url):
    sign_in(page, "alice.owner")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="KPIs").click()
    page.get_by_label("Unit").select_option("WARD-7")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name="Average length of stay").click()
    expect(page.get_by_role("img", name=re.compile("Average length of stay — Ward 7"))).to_be_visible()
    latest = page.get_by_role("table").last.get_by_role("rowheader").first.inner_text()
    note = f"Extra discharge coordinator at weekends ({uuid.uuid4().hex[:6]})"
    page.get_by_text("Add a note to a month").click()
    expect(page.get_by_text("No patient-identifiable data").first).to_be_visible()
    page.get_by_label("Month").first.fill(latest)
    page.get_by_label("What happened").fill(note)
    page.get_by_role("button", name="Add the note").click()
    expect(page.get_by_text("Your note was added to the chart.")).to_be_visible()
    # the chart's SVG carries the note too (cut short in its label, whole in its hidden description)
    expect(page.get_by_text(note).filter(visible=True).first).to_be_visible()
    csv = page.context.request.get(portal_url + "/kpis/ALOS/units/WARD-7/chart.csv")
    assert csv.ok and note in csv.text()


def test_a_kpi_owner_is_told_what_is_wrong_with_a_note_and_nothing_is_added(page, sign_in):
    sign_in(page, "alice.owner")
    page.goto(page.url + "kpis/ALOS/units/WARD-7")
    page.get_by_text("Add a note to a month").click()
    page.get_by_label("Month").first.fill("March")
    page.get_by_role("button", name="Add the note").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter the month as YYYY-MM")
    expect(summary).to_contain_text("Enter what happened")


def test_someone_who_does_not_own_the_kpi_sees_its_chart_but_no_forms(page, sign_in, portal_url):
    sign_in(page, "sam.nurse")
    page.goto(portal_url + "/kpis/ALOS/units/WARD-7")
    expect(page.get_by_role("heading", name="Average length of stay")).to_be_visible()
    expect(page.get_by_text("Add a note to a month")).to_have_count(0)


def test_staff_book_a_training_session_and_its_places_left_go_down(page, sign_in, portal_url, issuer):
    room = _new_session(issuer, capacity=3)
    sign_in(page, "sam.nurse")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Training").click()
    page.get_by_role("link", name="WTGR Bronze: the Model for Improvement").first.click()
    row = page.get_by_role("row").filter(has_text=room)
    expect(row).to_contain_text("Friday 15 October 2032, 09:30")
    expect(row).to_contain_text("3 of 3")
    row.get_by_role("button", name=re.compile("^Book")).click()
    expect(page.get_by_text("You are booked on this session.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=room)).to_contain_text("2 of 3")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Training").click()
    mine = page.get_by_role("table", name="My bookings, newest first")
    expect(mine.get_by_role("row").filter(has_text=room)).to_contain_text("Booked")


def test_a_trainer_schedules_a_session_and_staff_see_its_places(page, sign_in, portal_url):
    room = f"Seminar room {uuid.uuid4().hex[:8]}"
    sign_in(page, "tara.trainer")
    page.goto(portal_url + "/training/courses/QI-BRONZE")
    page.get_by_label("Date").fill("31/02/2031")
    page.get_by_role("button", name="Schedule the session").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter a real date")
    page.get_by_label("Date").fill("14/03/2031")
    page.get_by_label("Start time").fill("13:45")
    page.get_by_label("Places").fill("8")
    page.get_by_label("Where").fill(room)
    page.get_by_role("button", name="Schedule the session").click()
    expect(page.get_by_text("The session is scheduled.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=room)
    expect(row).to_contain_text("Friday 14 March 2031, 13:45")
    expect(row).to_contain_text("8 of 8")


def test_staff_cannot_schedule_sessions(page, sign_in, portal_url):
    sign_in(page, "sam.nurse")
    page.goto(portal_url + "/training/courses/QI-BRONZE")
    expect(page.get_by_role("heading", name="Schedule a session")).to_have_count(0)


def test_the_kpi_matrix_of_a_directorate_compares_its_wards(page, sign_in, portal_url):
    sign_in(page, "sam.nurse")
    page.goto(portal_url + "/kpis/?unit=DIR-ELDER")
    page.get_by_role("link", name="Compare the units in Elderly Care").click()
    table = page.get_by_role("table", name=re.compile("a row per unit"))
    expect(table.get_by_role("rowheader", name=re.compile("Ward 9"))).to_be_visible()
    expect(table.get_by_role("rowheader", name=re.compile("Ward 12"))).to_be_visible()


def test_an_admin_reads_the_kpi_catalogue_and_the_units(page, sign_in):
    sign_in(page, "ada.admin")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="The KPI catalogue").click()
    alos = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="ALOS", exact=True))
    expect(alos).to_contain_text("alice.owner@hospital.example")
    page.go_back()
    page.get_by_role("link", name="The organisation's units").click()
    expect(page.get_by_role("rowheader", name="Ward 12 (Frailty)")).to_be_visible()


def test_staff_are_refused_the_admin_pages(page, sign_in, portal_url):
    sign_in(page, "sam.nurse")
    response = page.goto(portal_url + "/admin/kpis")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to this page")


def test_signing_out_ends_the_portal_session_and_the_provider_session(page, sign_in, portal_url):
    sign_in(page, "quinn.lead")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(portal_url + "/signed-out")
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    page.goto(portal_url + "/kpis/")
    expect(page.get_by_label("Username")).to_be_visible()  # the provider asks again


def test_the_pages_work_without_javascript(browser, demo_data, portal_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(portal_url + "/sign-in")
        page.get_by_label("Username").fill("alice.owner")
        page.get_by_label("Password").fill(str(USERS["alice.owner"]["password"]))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(portal_url + "/")
        page.goto(portal_url + "/kpis/ALOS/units/WARD-7")
        page.get_by_text("Rebase the chart").click()  # <details> opens without script
        expect(page.get_by_label("Why the process changed")).to_be_visible()
    finally:
        context.close()


def _new_session(issuer, *, capacity: int) -> str:
    """A fresh session of the demo course far in the future, scheduled through the training API; its
    room, which no other session has."""
    token = issuer.issue("tara.trainer", ["trainer"])
    room = f"Room {uuid.uuid4().hex[:8]}"
    response = requests.post(f"http://127.0.0.1:{os.environ['TRAINING_PORT']}/api/v1/courses/QI-BRONZE/sessions",
                             json={"starts_at": datetime(2032, 10, 15, 9, 30, tzinfo=LONDON).isoformat(),
                                   "capacity": capacity, "location": room},
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 201, response.text
    return room
