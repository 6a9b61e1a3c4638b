"""KPI charts in the portal as Making Data Count draws them: a month not yet over is shown as provisional
(never judged), values read to the KPI's decimal places, and the chart names its icons and rebases."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest
import requests
from playwright.sync_api import expect

from shared.month import Month

pytestmark = pytest.mark.e2e
THIS_MONTH = Month.of(datetime.now(UTC).date())


def _metrics(issuer, method: str, path: str, body: dict, roles: list[str]) -> requests.Response:
    token = issuer.issue("chart-test", roles)
    return requests.request(method, f"http://127.0.0.1:{os.environ['METRICS_PORT']}/api/v1{path}", json=body,
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)


@pytest.fixture
def ward_series(issuer) -> tuple[str, str]:
    """A fresh KPI shown to two decimal places on the demo's Ward 7: fourteen whole months, then the
    month under way, posted as a feed would."""
    kpi = f"BEDS-{uuid.uuid4().hex[:6].upper()}"
    assert _metrics(issuer, "POST", "/kpis", {
        "code": kpi, "name": f"Bed occupancy {kpi}", "unit_of_measure": "percent", "improvement_direction": "neutral",
        "decimal_places": 2}, ["admin"]).status_code == 201
    values = [91.2, 90.87, 92.13, 91.6, 90.4, 91.9, 92.4, 91.1, 90.9, 91.5, 92.0, 91.3, 90.8, 4.869999999999999 + 87]
    for i, value in enumerate(values):
        month = THIS_MONTH - (len(values) - i)
        response = _metrics(issuer, "POST", "/measures", {"kpi_code": kpi, "unit_code": "WARD-7", "period": str(month),
                                                           "value": value, "source": "test"}, ["feed"])
        assert response.status_code == 201, response.text
    response = _metrics(issuer, "POST", "/measures", {"kpi_code": kpi, "unit_code": "WARD-7",
                                                       "period": str(THIS_MONTH), "value": 12.5, "source": "test"},
                        ["feed"])
    assert response.status_code == 201, response.text
    return kpi, "WARD-7"


def test_a_month_under_way_is_shown_provisional_and_values_read_to_the_kpis_places(page, sign_in, portal_url,
                                                                                   ward_series):
    kpi, ward = ward_series
    sign_in(page, "sam.nurse")
    page.goto(f"{portal_url}/kpis/{kpi}/units/{ward}")
    expect(page.get_by_text("Not yet judged:")).to_contain_text(f"{THIS_MONTH} (12.50, the month has not ended)")
    row = page.get_by_role("row").filter(has_text=str(THIS_MONTH))
    expect(row).to_contain_text("Provisional")
    expect(row).to_contain_text("Not yet judged")
    last_month = page.get_by_role("row").filter(has_text=str(THIS_MONTH - 1))
    expect(last_month).to_contain_text("91.87")
    expect(page.locator("body")).not_to_contain_text("91.869999")
    chart = page.get_by_role("img", name=f"Bed occupancy {kpi} — Ward 7 (Acute Medical Unit)")
    expect(chart).to_be_visible()
    expect(page.locator("svg circle.provisional")).to_have_count(1)
    expect(page.locator("svg g.icon.variation")).to_have_count(1)
    page.screenshot(path=os.environ.get("WTGR_CHART_SCREENSHOT", "/tmp/wtgr-chart-provisional.png"), full_page=True)


def test_the_matrix_reads_values_to_each_kpis_places(page, sign_in, portal_url, ward_series):
    kpi, ward = ward_series
    sign_in(page, "sam.nurse")
    page.goto(f"{portal_url}/kpis/?unit={ward}")
    row = page.get_by_role("row").filter(has_text=f"Bed occupancy {kpi}")
    expect(row).to_contain_text("91.87")
    expect(row).not_to_contain_text("91.869999")
