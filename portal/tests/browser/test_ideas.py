"""The ideas pages in Chromium, signed in through the real OIDC provider (or not signed in at all):
staff submit an idea and are shown the similar one while typing, a patient shares one without an
account, staff vote, comment and follow, a moderator lets a public idea through, a QI lead moves an
idea on and its history shows it."""

from __future__ import annotations

import os
import re
import time
import uuid
from datetime import date
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from portal.tests.browser.conftest import USERS

pytestmark = pytest.mark.e2e
WATER = "Water jugs refilled at every drug round"  # a demo idea that stays submitted


@pytest.fixture(autouse=True)
def patient_expectations():
    """A form post goes through the portal to a service and back: on a loaded machine that takes more
    than the 5 s Playwright waits by default."""
    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


def _new_idea(page: Page, portal_url: str, title: str, description: str) -> None:
    page.goto(portal_url + "/ideas/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Your idea").fill(description)
    page.get_by_role("button", name="Submit the idea").click()


def test_staff_submit_an_idea_and_are_shown_the_similar_one_while_typing(page, sign_in, portal_url):
    sign_in(page, "sam.nurse")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Ideas").click()
    page.get_by_role("link", name="Submit an idea").click()
    expect(page.get_by_text("No patient-identifiable data").first).to_be_visible()
    page.get_by_label("Title").press_sequentially("Fresh water jugs on the drug round", delay=20)
    suggestions = page.locator("#similar-ideas")
    expect(suggestions.get_by_role("link", name=WATER)).to_be_visible()  # fetched while typing, no button pressed
    page.get_by_label("Your idea").fill("Mr Smith, NHS 943 476 5919, waited for water")
    page.get_by_role("button", name="Submit the idea").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Appears to contain an NHS number")  # the service's problem, beside the field
    expect(page.locator("#description-error")).to_contain_text("NHS number")
    title = f"Fresh water jugs on the drug round {uuid.uuid4().hex[:6]}"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Your idea").fill("Patients wait for fresh water; the drug round passes every bed.")
    page.get_by_label("Category (optional)").select_option(label="Patient experience")
    page.get_by_role("button", name="Submit the idea").click()
    expect(page.get_by_role("heading", name="Your idea is submitted")).to_be_visible()
    expect(page.get_by_role("link", name=WATER)).to_be_visible()  # the similar ideas, on the confirmation too
    page.get_by_role("link", name="Go to your idea’s page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("table", name=re.compile("Every stage of the idea"))).to_contain_text("sam.nurse")


def test_without_javascript_staff_check_for_similar_ideas_with_a_button(browser, demo_data, portal_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(portal_url + "/sign-in")
        page.get_by_label("Username").fill("sam.nurse")
        page.get_by_label("Password").fill(str(USERS["sam.nurse"]["password"]))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(portal_url + "/")
        page.goto(portal_url + "/ideas/new")
        page.get_by_label("Title").fill("Water jugs at the drug round")
        page.get_by_role("button", name="Check for similar ideas").click()
        expect(page.locator("#similar-ideas").get_by_role("link", name=WATER)).to_be_visible()
        expect(page.get_by_label("Title")).to_have_value("Water jugs at the drug round")  # nothing was submitted
    finally:
        context.close()


def test_a_patient_shares_an_idea_without_an_account_and_follows_it_by_its_private_link(page, portal_url):
    page.goto(portal_url + "/")
    page.get_by_role("link", name="share an idea with the trust").click()
    expect(page.get_by_text("No patient-identifiable data").first).to_be_visible()
    title = f"Quieter trolleys at night {uuid.uuid4().hex[:6]}"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Your idea").fill("The meal trolleys wake everyone on the ward at 6am.")
    page.get_by_label("Email address (optional)").fill("a.carer@example.org")
    page.get_by_role("button", name="Send the idea").click()
    expect(page.locator("#consent-error")).to_contain_text("only with your consent")  # the service's own rule
    page.get_by_label(re.compile("I agree that the trust keeps my name")).check()
    page.get_by_role("button", name="Send the idea").click()
    expect(page.get_by_role("heading", name="Thank you: your idea has arrived")).to_be_visible()
    page.locator("a[href*='/ideas/followed/']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("Waiting for moderation").first).to_be_visible()
    expect(page.get_by_text("a.carer@example.org")).to_have_count(0)


def test_staff_vote_comment_and_follow_and_withdraw_the_vote(page, sign_in, portal_url):
    sign_in(page, "quinn.lead")  # a fresh idea, so the journey starts with no vote of sam.nurse's
    title = f"Label the linen cupboards {uuid.uuid4().hex[:6]}"
    _new_idea(page, portal_url, title, "Staff lose minutes every shift looking for sheets.")
    page.get_by_role("link", name="Go to your idea’s page").click()
    idea_url = page.url
    page.context.clear_cookies()
    sign_in(page, "sam.nurse")
    page.goto(idea_url)
    page.get_by_role("button", name="Vote for this idea").click()
    expect(page.get_by_text("Your vote is counted.")).to_be_visible()
    expect(page.locator("#votes")).to_have_text("1")
    page.get_by_role("button", name="Follow this idea").click()
    expect(page.get_by_text("You follow this idea")).to_be_visible()
    expect(page.get_by_role("button", name="Stop following")).to_be_visible()
    page.get_by_role("button", name="Add the comment").click()
    expect(page.locator("#comment-body-error")).to_contain_text("Enter your comment")
    comment = f"Ward 9 did this with coloured labels ({uuid.uuid4().hex[:6]})"
    page.get_by_label("Your comment").fill(comment)
    page.get_by_role("button", name="Add the comment").click()
    expect(page.get_by_text("Your comment is added.")).to_be_visible()
    expect(page.get_by_text(comment)).to_be_visible()
    page.get_by_role("button", name="Withdraw my vote").click()
    expect(page.locator("#votes")).to_have_text("0")


def test_a_moderator_lets_a_public_idea_through_and_staff_then_see_it(browser, demo_data, page, sign_in,
                                                                      portal_url):
    title = f"Hearing loops at reception {uuid.uuid4().hex[:6]}"
    public = browser.new_context()
    shared = public.new_page()
    shared.goto(portal_url + "/ideas/share")
    shared.get_by_label("Title").fill(title)
    shared.get_by_label("Your idea").fill("People with hearing aids miss their name being called.")
    shared.get_by_role("button", name="Send the idea").click()
    expect(shared.get_by_role("heading", name="Thank you: your idea has arrived")).to_be_visible()
    public.close()
    sign_in(page, "mo.moderator")
    page.goto(portal_url + "/ideas/")
    page.get_by_role("link", name="Ideas waiting for moderation").click()
    card = page.locator(".nhsuk-card").filter(has_text=title)
    card.get_by_role("button", name=re.compile("^Let it through")).click()
    expect(page.get_by_text("The idea is now submitted.")).to_be_visible()
    expect(page.locator(".nhsuk-card").filter(has_text=title)).to_have_count(0)
    page.context.clear_cookies()
    sign_in(page, "sam.nurse")
    page.goto(portal_url + "/ideas/?q=" + title.split()[-1])
    page.get_by_role("link", name=title).click()
    expect(page.get_by_text("by a patient, carer or partner")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("Every stage"))).to_contain_text("mo.moderator")


def test_a_qi_lead_moves_an_idea_on_with_a_reason_and_its_history_shows_it(page, sign_in, portal_url):
    sign_in(page, "quinn.lead")
    title = f"Discharge letters sent by email {uuid.uuid4().hex[:6]}"
    _new_idea(page, portal_url, title, "Letters reach the GP days late by post.")
    page.get_by_role("link", name="Go to your idea’s page").click()
    page.get_by_label("Decline it (say why)").check()
    page.get_by_role("button", name="Move the idea").click()
    expect(page.locator("#stage-reason-error")).to_be_visible()  # declining needs a reason, the service says
    page.get_by_label("Start the review (under review)").check()
    page.get_by_label(re.compile("^Why")).fill("Fits the discharge programme")
    page.get_by_role("button", name="Move the idea").click()
    expect(page.get_by_text("The idea is now under review.")).to_be_visible()
    history = page.get_by_role("table", name=re.compile("Every stage"))
    row = history.get_by_role("row").filter(has_text="Under review")
    expect(row).to_contain_text("quinn.lead")
    expect(row).to_contain_text("Fits the discharge programme")
    expect(page.get_by_label("Accept it")).to_be_visible()  # the next moves the service offers


def test_staff_see_no_stage_form_and_are_refused_the_moderation_queue(page, sign_in, portal_url):
    sign_in(page, "sam.nurse")
    page.goto(portal_url + "/ideas/?q=" + "water")
    page.get_by_role("link", name=WATER).click()
    expect(page.get_by_role("heading", name="Move the idea on")).to_have_count(0)
    response = page.goto(portal_url + "/ideas/moderation")
    assert response is not None and response.status == 403


def test_an_idea_shows_the_project_it_became_with_a_link_to_it(page, sign_in, portal_url, issuer):
    """An accepted idea is taken on by a project registered in the projects service; the ideas service
    hears of it from the project's event and the idea's page says what it became."""
    title = f"Bedside whiteboards {uuid.uuid4().hex[:6]}"
    lead = _api(issuer, "quinn.lead", ["qi_lead"])
    idea = lead("POST", "ideas", "/api/v1/ideas", {"title": title, "description": "Names of today's team."}, 201)
    for stage in ("under_review", "accepted"):
        lead("POST", "ideas", f"/api/v1/ideas/{idea['id']}/stage", {"stage": stage, "reason": None}, 200)
    project = _register_project(lead, f"Whiteboards on Ward 9 {uuid.uuid4().hex[:6]}", idea["id"])
    sign_in(page, "sam.nurse")
    page.goto(f"{portal_url}/ideas/{idea['id']}")
    became = page.get_by_text(f"Project: {project}")
    for _ in range(60):  # the ideas service hears of the project from the projects service's event
        if became.count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(became).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("Every stage"))).to_contain_text("In progress")


def _api(issuer, user: str, roles: list[str]):
    token = issuer.issue(user, roles, email=f"{user}@hospital.example")

    def call(method: str, service: str, path: str, body: Any, expect_status: int) -> Any:
        answer = requests.request(method, f"http://127.0.0.1:{os.environ[f'{service.upper()}_PORT']}{path}",
                                  json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert answer.status_code == expect_status, answer.text
        return answer.json()

    return call


def _register_project(lead, title: str, idea_id: str) -> str:
    """Registers a project made from the idea, once the projects service has heard the idea was accepted."""
    body = {"title": title, "directorate": "DIR-ELDER", "unit_code": "WARD-9", "cqc": ["responsive"],
            "team": [{"subject": "quinn.lead", "name": "Quinn Lead", "email": "quinn.lead@hospital.example",
                      "role": "lead"}],
            "aim": {"statement": "Every bed has today's team on its board", "measure": "% of beds", "baseline": 10,
                    "target": 90, "by": f"{date.today().year + 1}-03-31"},
            "idea_id": idea_id}
    deadline = time.monotonic() + 60
    while True:
        try:
            lead("POST", "projects", "/api/v1/projects", body, 201)
            return title
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
