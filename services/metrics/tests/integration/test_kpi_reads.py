"""Reading KPIs and units: for signed-in users, with a version to update from, and owners' email
addresses for admins and the owners only."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

OWNER = "owner@hospital.example"  # the catalogue fixture's KPI owner


def test_reading_kpis_needs_a_signed_in_user(anonymous_metrics_client, catalogue):
    for path in ("/api/v1/kpis", f"/api/v1/kpis/{catalogue['kpi']}", f"/api/v1/units/{catalogue['ward']}"):
        response = anonymous_metrics_client.get(path)
        assert response.status_code == 401, path
        assert response.mimetype == "application/problem+json"


def test_a_kpi_is_read_with_its_version_and_etag_and_updated_from_it(metrics_client, catalogue, bearer):
    url = f"/api/v1/kpis/{catalogue['kpi']}"
    read = metrics_client.get(url)
    assert read.headers["ETag"] == f'"{read.get_json()["version"]}"'
    admin = bearer("admin")
    changed = metrics_client.patch(url, json={"name": "Mean stay"}, headers={**admin, "If-Match": read.headers["ETag"]})
    assert changed.status_code == 200
    assert metrics_client.get(url).headers["ETag"] == changed.headers["ETag"] != read.headers["ETag"]
    stale = metrics_client.patch(url, json={"name": "Stay"}, headers={**admin, "If-Match": read.headers["ETag"]})
    assert stale.status_code == 412


def test_a_unit_is_read_with_its_version_and_etag(metrics_client, catalogue):
    read = metrics_client.get(f"/api/v1/units/{catalogue['ward']}")
    assert read.status_code == 200
    assert read.get_json()["parent_code"] == catalogue["trust"]
    assert read.headers["ETag"] == f'"{read.get_json()["version"]}"'
    assert metrics_client.get("/api/v1/units/NO-SUCH-UNIT").status_code == 404


def test_a_created_kpi_or_unit_says_where_to_read_it(metrics_client, catalogue, bearer):
    code = f"{catalogue['kpi']}-B"
    response = metrics_client.post("/api/v1/kpis", json={"code": code, "name": "Beds", "unit_of_measure": "count",
                                                         "improvement_direction": "increase"}, headers=bearer("admin"))
    assert response.status_code == 201
    assert metrics_client.get(response.headers["Location"]).get_json()["code"] == code


def test_owners_addresses_are_shown_to_admins_and_owners_only(metrics_client, catalogue, bearer):
    url = f"/api/v1/kpis/{catalogue['kpi']}"
    assert "owners" not in metrics_client.get(url).get_json()
    assert "owners" not in metrics_client.get(url, headers=bearer("kpi_owner", user="someone")).get_json()
    assert metrics_client.get(url, headers=bearer("admin")).get_json()["owners"] == [OWNER]
    assert metrics_client.get(url, headers=bearer("kpi_owner", user="owner")).get_json()["owners"] == [OWNER]
    listed = metrics_client.get("/api/v1/kpis", query_string={"page_size": 200}).get_json()["items"]
    assert all("owners" not in kpi for kpi in listed)


def test_a_kpis_history_hides_its_owners_from_others(metrics_client, catalogue, bearer):
    url = f"/api/v1/kpis/{catalogue['kpi']}"
    assert metrics_client.patch(url, json={"owners": [OWNER, "deputy@hospital.example"]},
                                headers=bearer("admin")).status_code == 200
    [change] = metrics_client.get(f"{url}/history").get_json()["items"]
    assert "owners" not in change["before"] and "owners" not in change["after"]
    [change] = metrics_client.get(f"{url}/history", headers=bearer("kpi_owner", user="deputy")).get_json()["items"]
    assert change["after"]["owners"] == [OWNER, "deputy@hospital.example"]
