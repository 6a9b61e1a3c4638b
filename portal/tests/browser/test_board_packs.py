"""Before the board pack, in Chromium: anyone signed in sees each month's board pack date and the
feeds it is still missing; an admin moves a month's date and sets who owns a data source; a KPI
owner sees the rows the feeds sent that were not accepted."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def patient_expectations():
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)


def test_an_admin_moves_a_board_pack_and_gives_it_back_to_the_rule(page: Page, sign_in, portal_url):
    sign_in(page, "ada.admin")
    page.goto(portal_url + "/kpis/")
    page.get_by_role("link", name="Board packs: their dates and the feeds each is missing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Board packs")
    page.goto(portal_url + "/kpis/board-packs/2026-01")
    expect(page.get_by_role("heading", level=1)).to_have_text("Board pack for January 2026")
    page.get_by_text("Change the board pack's date").click()
    page.get_by_label("Board pack date").fill("20/01/2026")  # before January has ended
    page.get_by_role("button", name="Save the date").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    page.get_by_label("Board pack date").fill("20/02/2026")
    page.get_by_role("button", name="Save the date").click()
    expect(page.get_by_text("The board pack's date is saved.")).to_be_visible()
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("Friday 20 February 2026")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("Set by an admin")
    page.get_by_text("Change the board pack's date").click()
    page.get_by_role("button", name="Save the date").click()
    expect(page.get_by_text("The board pack's date follows the rule again.")).to_be_visible()
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("the rule's date")


def test_an_admin_sets_a_data_sources_owners(page: Page, sign_in, portal_url):
    sign_in(page, "ada.admin")
    page.goto(portal_url + "/admin/")
    page.get_by_role("link", name="Data sources and their owners").click()
    page.get_by_role("link", name="hospital data warehouse (demo)").click()
    page.get_by_label("Owners' email addresses").fill("dw.team@hospital.example\nnot an address")
    page.get_by_role("button", name="Save the owners").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    page.get_by_label("Owners' email addresses").fill("dw.team@hospital.example")
    page.get_by_role("button", name="Save the owners").click()
    expect(page.get_by_text("The owners of hospital data warehouse (demo) are saved.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="hospital data warehouse (demo)")
    expect(row).to_contain_text("dw.team@hospital.example")


def test_a_kpi_owner_sees_the_months_missing_feeds_and_the_rows_not_accepted(page: Page, sign_in, portal_url):
    sign_in(page, "alice.owner")
    page.goto(portal_url + "/kpis/board-packs/")
    newest = page.locator("table tbody a").first
    month = newest.inner_text()
    newest.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Board pack for {month}")
    expect(page.get_by_role("heading", name=f"Feeds still missing for {month}")).to_be_visible()
    expect(page.get_by_role("heading", name="Rows the feeds sent that were not accepted")).to_be_visible()
    expect(page.get_by_text("Change the board pack's date")).to_have_count(0)  # admins only
