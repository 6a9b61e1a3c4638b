"""Board views: a directorate's wards as rows of a matrix, a unit's Making Data Count summary matrix and a
unit's board report for a month, on screen, on paper and as a PDF."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from shared.month import Month

pytestmark = pytest.mark.e2e
LAST_MONTH = Month.of(datetime.now(UTC).date()) - 1
THIS_MONTH = LAST_MONTH + 1


def test_a_directorate_matrix_has_a_row_per_ward_and_a_cell_links_to_its_chart(page, sign_in, portal_url):
    sign_in(page, "sam.nurse")
    page.goto(portal_url + "/kpis/units/DIR-ELDER/compare")
    table = page.get_by_role("table", name=re.compile("a row per unit"))
    expect(table.get_by_role("rowheader")).to_have_count(2)  # Ward 9 and Ward 12, not the directorate
    expect(table.get_by_role("columnheader", name=re.compile("Inpatient falls"))).to_be_visible()
    ward_12 = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=re.compile("Ward 12")))
    expect(ward_12.get_by_role("img", name=re.compile("concern"))).not_to_have_count(0)
    ward_12.get_by_role("link", name=re.compile("Inpatient falls per 1,000 bed days in Ward 12")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inpatient falls per 1,000 bed days")


def test_a_division_matrix_pages_its_directorates(page, sign_in, portal_url):
    sign_in(page, "sam.nurse")
    page.goto(portal_url + "/kpis/units/DIV-MED/compare")
    table = page.get_by_role("table", name=re.compile("a row per unit"))
    expect(table.get_by_role("rowheader", name=re.compile("Acute Medicine"))).to_be_visible()
    expect(table.get_by_role("rowheader", name=re.compile("Elderly Care"))).to_be_visible()


def test_the_summary_matrix_places_each_kpi_by_variation_and_assurance(page, sign_in, portal_url):
    sign_in(page, "alice.owner")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Board").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Making Data Count summary")
    page.get_by_label("Unit").select_option("WARD-12")
    page.get_by_role("button", name="Show").click()
    table = page.get_by_role("table", name="KPIs of Ward 12 (Frailty) by variation and assurance")
    concern = table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile("Special cause concern")))
    # Ward 12's falls spike in the latest month: special cause concern, hitting and missing its target.
    expect(concern.get_by_role("cell").nth(1)).to_contain_text("Inpatient falls per 1,000 bed days")


def test_the_board_report_shows_each_kpi_with_its_chart_signals_and_projects(page, sign_in, portal_url):
    sign_in(page, "alice.owner")
    page.goto(portal_url + "/kpis/?unit=WARD-12")
    page.get_by_role("link", name="Board report", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Board report: {_month_name(LAST_MONTH)}")
    falls = page.locator("section").filter(has=page.get_by_role("heading", name="Inpatient falls per 1,000 bed days"))
    expect(falls.get_by_role("img", name=re.compile("Inpatient falls per 1,000 bed days — Ward 12"))).to_be_visible()
    expect(falls).to_contain_text("Judged")
    expect(falls.get_by_role("link", name="Fewer falls at night on Ward 12")).to_be_visible()
    expect(falls.get_by_role("link", name=re.compile("Special cause of concern"))).to_be_visible()
    expect(falls.get_by_text("Open", exact=True)).to_be_visible()


def test_the_board_report_of_this_month_is_provisional_and_never_judged(page, sign_in, portal_url):
    sign_in(page, "alice.owner")
    page.goto(portal_url + f"/board/units/WARD-12/report?month={THIS_MONTH}")
    expect(page.get_by_text(f"{_month_name(THIS_MONTH)} is not over")).to_be_visible()
    expect(page.locator("section").get_by_text("Judged", exact=True)).to_have_count(0)


def test_a_month_not_yet_begun_shows_last_month_instead(page, sign_in, portal_url):
    sign_in(page, "alice.owner")
    page.goto(portal_url + f"/board/units/WARD-12/report?month={THIS_MONTH + 2}")
    expect(page.get_by_text(f"There is no report for {THIS_MONTH + 2}")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Board report: {_month_name(LAST_MONTH)}")


def test_the_printed_board_report_leaves_out_the_menus_and_starts_each_kpi_on_a_page(page, sign_in, portal_url):
    sign_in(page, "alice.owner")
    page.goto(portal_url + "/board/units/WARD-12/report")
    page.emulate_media(media="print")
    try:
        expect(page.get_by_role("navigation", name="Menu")).to_be_hidden()
        expect(page.get_by_role("button", name="Show")).to_be_hidden()
        breaks = page.locator("section.app-report-section").evaluate_all(
            "sections => sections.map(s => getComputedStyle(s).breakBefore)")
        assert breaks and set(breaks) == {"page"}
    finally:
        page.emulate_media(media="screen")


def test_the_board_report_downloads_as_a_pdf_with_a_page_per_kpi(page, sign_in, portal_url):
    sign_in(page, "alice.owner")
    page.goto(portal_url + "/board/units/WARD-12/report")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the report as a PDF").click()
    assert download.value.suggested_filename == f"board-report-WARD-12-{LAST_MONTH}.pdf"
    pdf = PdfReader(BytesIO(Path(download.value.path()).read_bytes()))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert f"Board report: {_month_name(LAST_MONTH)}" in text
    assert "Fewer falls at night on Ward 12" in text
    assert "Sign out" not in text  # no header or menus on paper
    assert len(pdf.pages) >= 4  # the summary, then a page for each of Ward 12's three KPIs


def _month_name(month: Month) -> str:
    return f"{month.first_day:%B %Y}"
