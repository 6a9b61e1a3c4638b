"""KPIs and the CQC key questions in Chromium: an admin tags a KPI with a key question from the
catalogue, and the KPI pages, filtered by it, show that KPI (with its tags) and no other."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def patient_expectations():
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)


def test_an_admin_tags_a_kpi_and_the_kpi_pages_filter_by_it(page: Page, sign_in, portal_url):
    sign_in(page, "ada.admin")
    page.goto(portal_url + "/admin/kpis")
    page.get_by_role("link", name="STAFF_TRAINED_QI").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff trained in QI")
    page.get_by_label("Well-led").check()
    page.get_by_role("button", name="Save the changes").click()
    expect(page.get_by_text("The CQC key questions of Staff trained in QI are saved.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="STAFF_TRAINED_QI")
    expect(row.locator(".nhsuk-tag")).to_have_text(["Well-led"])

    page.goto(portal_url + "/kpis/?unit=TRUST")
    page.get_by_label("CQC key question").select_option("well-led")
    page.get_by_role("button", name="Show").click()
    matrix = page.locator("table.app-matrix")
    expect(matrix.get_by_role("link", name="Staff trained in QI")).to_be_visible()
    expect(matrix.get_by_role("link", name="Inpatient falls per 1,000 bed days")).to_have_count(0)
    expect(matrix.locator(".nhsuk-tag", has_text="Well-led").first).to_be_visible()


def test_a_wards_matrix_filtered_by_safe_shows_only_the_safety_kpis(page: Page, sign_in, portal_url):
    sign_in(page, "alice.owner")
    page.goto(portal_url + "/kpis/?unit=WARD-12&cqc=safe")
    matrix = page.locator("table.app-matrix")
    expect(matrix.get_by_role("link", name="Inpatient falls per 1,000 bed days")).to_be_visible()
    expect(matrix.get_by_role("link", name="Average length of stay")).to_have_count(0)
    expect(page.get_by_label("CQC key question")).to_have_value("safe")
    page.goto(portal_url + "/kpis/units/DIR-ELDER/compare?cqc=safe")
    header = page.locator("table.app-compare thead")
    expect(header).to_contain_text("Inpatient falls per 1,000 bed days")
    expect(header).not_to_contain_text("Average length of stay")
