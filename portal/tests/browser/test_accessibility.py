"""axe-core finds no violations (WCAG 2.2 A and AA, and best practice) on any main page, with any
form opened; and a journey is done with the keyboard alone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.tests.browser.conftest import USERS, axe
from portal.tests.browser.pages import MAIN_PAGES

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("main", MAIN_PAGES, ids=lambda main: main.name)
def test_axe_finds_no_violations(page, sign_in, portal_url, axe_results, main):
    if main.user:
        sign_in(page, main.user)
    main.open(page, portal_url)
    for summary in page.locator("summary").all():  # the forms inside <details> too
        summary.click()
    violations = axe(page)
    axe_results[main.name] = {"path": main.path, "user": main.user, "violations": violations}
    assert violations == []


def test_axe_finds_no_violations_on_a_form_showing_its_errors(page, sign_in, portal_url, axe_results):
    sign_in(page, "alice.owner")
    page.goto(portal_url + "/kpis/ALOS/units/WARD-7")
    page.get_by_text("Add a note to a month").click()
    page.get_by_role("button", name="Add the note").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    violations = axe(page)
    axe_results["kpi-chart-form-errors"] = {"path": "/kpis/ALOS/units/WARD-7 (POST)", "user": "alice.owner",
                                            "violations": violations}
    assert violations == []


def test_axe_finds_no_violations_on_the_providers_sign_in_page(page, portal_url, axe_results):
    page.goto(portal_url + "/sign-in")
    violations = axe(page)
    axe_results["provider-sign-in"] = {"path": "(provider) /interaction/…", "user": None, "violations": violations}
    assert violations == []


def _tab_to(page: Page, matches: re.Pattern[str], *, limit: int = 80) -> None:
    """Press Tab until the focused element's accessible text matches (fails after ``limit`` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        text = page.evaluate("() => { const e = document.activeElement; return (e.innerText || e.value || "
                             "e.getAttribute('aria-label') || e.id || '').trim(); }")
        if matches.search(text):
            return
    raise AssertionError(f"no focusable element matching {matches.pattern!r} within {limit} Tab presses")


def test_signing_in_and_booking_training_work_with_the_keyboard_alone(page, portal_url):
    page.goto(portal_url + "/")
    _tab_to(page, re.compile("^Skip to main content$"))
    _tab_to(page, re.compile("^Sign in$"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("/interaction/"))
    _tab_to(page, re.compile("^username$"))
    page.keyboard.type("alice.owner")  # not booked by the demo, so a session offers "Book"
    page.keyboard.press("Tab")
    page.keyboard.type(str(USERS["alice.owner"]["password"]))
    page.keyboard.press("Enter")
    page.wait_for_url(portal_url + "/")
    _tab_to(page, re.compile("^Training$"))
    page.keyboard.press("Enter")
    page.wait_for_url(portal_url + "/training/")
    _tab_to(page, re.compile("^WTGR Bronze"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("WTGR Bronze: the Model for Improvement")
    _tab_to(page, re.compile(r"^(Book|Join the waiting list)"), limit=200)
    focused_outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle + ' ' + "
                                    "getComputedStyle(document.activeElement).boxShadow")
    assert focused_outline.strip() not in ("none none", "none")  # the focus is visible
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile("You are booked on this session|on its waiting list|already"))).to_be_visible()


def test_axe_reports_a_violation_when_there_is_one(page):
    """The check above can fail: on a page with an unlabelled field and an image without text, axe speaks."""
    page.set_content('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main>'
                     '<input type="text"><img src="x.png"></main></body></html>')
    assert {"label", "image-alt"} <= {violation["id"] for violation in axe(page)}
