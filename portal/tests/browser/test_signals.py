"""A KPI owner acts on a signal of their KPI in the portal; others read it without the forms."""

from __future__ import annotations

import os
import time
import uuid
from datetime import date

import pytest
import requests
from playwright.sync_api import expect

from shared.month import Month

pytestmark = pytest.mark.e2e

STEADY = [4.6, 4.4, 4.7, 4.5, 4.3, 4.6, 4.5, 4.4, 4.6, 4.5, 4.7, 4.4, 4.5]


def test_a_kpi_owner_acknowledges_and_explains_a_signal_of_their_kpi(page, sign_in, portal_url, issuer):
    kpi, name = _a_special_cause_on_a_kpi_of(issuer, "alice.owner@hospital.example")
    sign_in(page, "alice.owner")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Signals").click()
    expect(page.get_by_role("heading", name="Signals", level=1)).to_be_visible()
    page.goto(portal_url + f"/signals/?kpi={kpi}&state=open")
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("special cause of concern")
    expect(page.get_by_text("No patient-identifiable data").first).to_be_visible()
    page.get_by_label("Note (optional)").fill("Seen; asking the ward manager")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("You acknowledged the signal.")).to_be_visible()
    expect(page.get_by_text("Acknowledged by")).to_be_visible()
    page.get_by_role("button", name="Record the explanation").click()  # no cause given
    expect(page.get_by_role("link", name="Enter the cause")).to_be_visible()
    page.get_by_label("The known cause").fill("Norovirus closed six beds for nine days")
    page.get_by_role("button", name="Record the explanation").click()
    expect(page.get_by_text("The explanation was recorded.")).to_be_visible()
    history = page.get_by_role("table", name="What happened to this signal, oldest first")
    expect(history.get_by_role("row").filter(has_text="Explained")).to_contain_text("Norovirus closed six beds")
    expect(history.get_by_role("row").filter(has_text="Acknowledged")).to_contain_text("alice.owner")
    expect(page.get_by_role("heading", name="Close it")).to_be_visible()


def test_someone_who_does_not_own_the_kpi_reads_the_signal_without_the_forms(page, sign_in, portal_url, issuer):
    kpi, name = _a_special_cause_on_a_kpi_of(issuer, "alice.owner@hospital.example")
    sign_in(page, "sam.nurse")
    page.goto(portal_url + f"/signals/?kpi={kpi}")
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)


def _a_special_cause_on_a_kpi_of(issuer, owner: str) -> tuple[str, str]:
    """A fresh KPI owned by ``owner`` on a fresh ward, with a steady year and a month far above it,
    once metrics has opened the signal; its code and name."""
    suffix = uuid.uuid4().hex[:6].upper()
    kpi, unit, name = f"STAY-{suffix}", f"WARD-S{suffix}", f"Length of stay {suffix}"
    metrics = f"http://127.0.0.1:{os.environ['METRICS_PORT']}/api/v1"
    admin = {"Authorization": f"Bearer {issuer.issue('ada.admin', ['admin'])}"}
    for path, body in (("/units", {"code": unit, "name": f"Ward S{suffix}", "level": "ward"}),
                       ("/kpis", {"code": kpi, "name": name, "unit_of_measure": "days",
                                  "improvement_direction": "decrease", "owners": [owner]})):
        assert requests.post(metrics + path, json=body, headers=admin, timeout=10).status_code == 201
    last = Month.of(date.today()) - 1
    for index, value in enumerate([*STEADY, 9.5]):
        month = last - len(STEADY) + index
        response = requests.post(metrics + "/measures", headers=admin, timeout=10, json={
            "kpi_code": kpi, "unit_code": unit, "period": str(month), "value": value, "source": "warehouse"})
        assert response.status_code == 201, response.text
    deadline = time.monotonic() + 90
    while not requests.get(metrics + f"/signals?kpi={kpi}", headers=admin, timeout=10).json()["items"]:
        assert time.monotonic() < deadline, "metrics opened no signal"
        time.sleep(0.5)
    return kpi, name
