"""QI projects in Chromium, each person signed in through the real OIDC provider: staff register a
project, a QI lead approves it, its lead starts it, draws its driver diagram, links a measure,
plans and starts a PDSA cycle and sees the cycle's start marked on the measure's chart, and
completes it; an edit made on a version someone else has changed since is refused and said so."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def patient_expectations():
    """Each step waits for a page the services build from several calls: on a loaded machine that
    takes longer than Playwright's 5 s."""
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)


def signed_in(browser: Browser, sign_in, username: str) -> Page:
    """A browser of its own (its own session) for ``username``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, username)
    return page


def register(page: Page, portal_url: str, title: str) -> str:
    """Registers a project as the signed-in person; the address of its page."""
    page.goto(portal_url + "/projects/")
    page.get_by_role("link", name="Register a project").click()
    expect(page.get_by_text("No patient-identifiable data").first).to_be_visible()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Directorate").select_option("DIR-ACUTE")
    page.get_by_label("Ward or theatre (optional)").select_option("WARD-7")
    page.get_by_label("Safe").check()
    page.get_by_label("Effective").check()
    page.get_by_label("Aim: what will improve").fill("Cut the average length of stay on Ward 7")
    page.get_by_label("Measure: how you will know").fill("days")
    page.get_by_label("Baseline: where it is now").fill("5.6")
    page.get_by_label("Target: where it will be").fill("4.8")
    page.get_by_label("By when").fill("31/03/2027")
    page.get_by_role("button", name="Register the project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("Your project is registered.")).to_be_visible()
    return page.url


def add_node(page: Page, kind: str, title: str, under: str | None = None) -> None:
    page.get_by_text("Add a driver or change idea").click()
    page.get_by_label("What it is").select_option(kind)
    page.get_by_label("Title", exact=True).fill(title)
    if under:
        page.get_by_label("Under").select_option(label=under)
    page.get_by_role("button", name="Add to the diagram").click()
    expect(page.get_by_text("Added to the driver diagram.")).to_be_visible()


def first_of_last_month() -> date:
    return (datetime.now(UTC).date().replace(day=1) - timedelta(days=1)).replace(day=1)


def test_staff_register_a_project_a_qi_lead_approves_it_and_its_lead_runs_a_cycle_and_completes_it(
        browser, demo_data, sign_in, portal_url):
    marker = uuid.uuid4().hex[:6]
    title = f"Criteria-led discharge at weekends {marker}"
    lead = signed_in(browser, sign_in, "sam.nurse")
    address = register(lead, portal_url, title)
    expect(lead.locator(".nhsuk-tag").first).to_have_text("Submitted")
    expect(lead.get_by_role("button", name="Approve the project")).to_have_count(0)

    qi_lead = signed_in(browser, sign_in, "quinn.lead")
    qi_lead.goto(address)
    qi_lead.get_by_label("The QI forum's decision").fill("Approved by the Acute Medicine QI forum")
    qi_lead.get_by_role("button", name="Approve the project").click()
    expect(qi_lead.get_by_text("The project is approved.")).to_be_visible()
    expect(qi_lead.get_by_text("Approved by quinn.lead")).to_be_visible()

    lead.goto(address)
    lead.get_by_role("button", name="Start the project").click()
    expect(lead.get_by_text("The project has started")).to_be_visible()
    add_node(lead, "primary", "Timely decisions to discharge")
    add_node(lead, "secondary", "Weekend senior review", under="Primary driver: Timely decisions to discharge")
    add_node(lead, "change_idea", f"Nurse-led weekend discharge {marker}",
             under="Secondary driver: Weekend senior review")
    diagram = lead.locator(".app-tree__aim")
    expect(diagram).to_contain_text(f"Change idea: Nurse-led weekend discharge {marker}")

    lead.get_by_text("Link a measure").click()
    lead.get_by_label("Kind of measure").select_option("outcome")
    lead.get_by_label("Name", exact=True).fill("Average length of stay on Ward 7")
    lead.get_by_label("The KPI and unit it charts").select_option("ALOS|WARD-7")
    lead.get_by_role("button", name="Link the measure").click()
    expect(lead.get_by_text("The measure is linked.")).to_be_visible()
    expect(lead.get_by_role("img", name=re.compile("Average length of stay — Ward 7"))).to_be_visible()

    lead.get_by_text("Plan a PDSA cycle").click()
    lead.get_by_label("Change idea it tests").select_option(label=f"Nurse-led weekend discharge {marker}")
    lead.get_by_label("Title", exact=True).last.fill(f"Weekend criteria {marker}")
    lead.get_by_label("Question: what do you want to find out").fill("Do nurses discharge at weekends?")
    lead.get_by_label("Prediction: what you think will happen").fill("Five more weekend discharges")
    lead.get_by_label("Who", exact=True).fill("Weekend nurses")
    lead.get_by_label("Where", exact=True).fill("Ward 7")
    started = first_of_last_month()
    lead.get_by_label("Planned start").fill(f"{started:%d/%m/%Y}")
    lead.get_by_role("button", name="Plan the cycle").click()
    expect(lead.get_by_text("The PDSA cycle is planned.")).to_be_visible()
    lead.get_by_text("Start PDSA 1").click()
    lead.get_by_label("Started on").fill(f"{started:%d/%m/%Y}")
    lead.get_by_role("button", name="Start the cycle").click()
    expect(lead.get_by_text("The PDSA cycle is running.")).to_be_visible()

    # the project's own record marks the start in the chart's data at once ...
    lead.get_by_text("The data of Average length of stay on Ward 7").click()
    month = f"{started:%Y-%m}"
    row = lead.get_by_role("row").filter(has=lead.get_by_role("rowheader", name=month, exact=True))
    expect(row).to_contain_text(f"PDSA 1: Weekend criteria {marker}")
    # ... and metrics annotates the chart itself once it has read pdsa.cycle_started from Kafka
    mark = lead.locator("svg g.annotation title", has_text=f"{month}: PDSA 1: Nurse-led weekend discharge {marker}")
    for _ in range(30):
        if mark.count():
            break
        lead.wait_for_timeout(1000)
        lead.reload()
    expect(mark).to_have_count(1)

    lead.get_by_text("Complete the project").first.click()
    lead.get_by_label("Results", exact=True).fill("Weekend discharges rose from 3 to 9.")
    lead.get_by_label("Learning", exact=True).fill("Agreed criteria let nurses discharge when doctors are few.")
    lead.get_by_role("button", name="Complete the project").click()
    expect(lead.get_by_text("The project is completed.")).to_be_visible()
    expect(lead.get_by_text("Edit the project")).to_have_count(0)

    lead.goto(portal_url + "/projects/?stage=completed&directorate=DIR-ACUTE&cqc=safe")
    expect(lead.get_by_role("link", name=title)).to_be_visible()
    lead.goto(portal_url + "/projects/?stage=completed&cqc=caring")
    expect(lead.get_by_role("link", name=title)).to_have_count(0)


def test_an_edit_on_a_version_someone_else_changed_since_is_refused_and_said_so(browser, demo_data, sign_in,
                                                                               portal_url):
    title = f"Quieter nights on Ward 7 {uuid.uuid4().hex[:6]}"
    mine = signed_in(browser, sign_in, "sam.nurse")
    address = register(mine, portal_url, title)
    mine.get_by_role("link", name=re.compile("Edit the project")).click()
    theirs = signed_in(browser, sign_in, "quinn.lead")
    theirs.goto(address)
    theirs.get_by_role("link", name=re.compile("Edit the project")).click()
    theirs.get_by_label("Target: where it will be").fill("4.5")
    theirs.get_by_role("button", name="Save the changes").click()
    expect(theirs.get_by_text("Your changes are saved.")).to_be_visible()

    mine.get_by_label("Title").fill(title + " (renamed)")
    mine.get_by_role("button", name="Save the changes").click()
    expect(mine.get_by_text("Someone else changed this project since you opened it")).to_be_visible()
    mine.goto(address)
    expect(mine.get_by_role("heading", level=1)).to_have_text(title)
    expect(mine.get_by_text("from 5.6 to 4.5")).to_be_visible()
