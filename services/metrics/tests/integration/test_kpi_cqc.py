"""KPIs tagged with the CQC key questions they serve: set on create and edit (with history and
ETags), and the catalogue and the dashboard matrices filtered by one."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def _kpi(metrics_client, bearer, code, **fields):
    body = {"code": code, "name": code, "unit_of_measure": "count", "improvement_direction": "decrease", **fields}
    return metrics_client.post("/api/v1/kpis", json=body, headers=bearer("admin"))


def test_a_kpi_is_created_with_its_key_questions_once_each_in_the_cqcs_order(metrics_client, catalogue, bearer):
    created = _kpi(metrics_client, bearer, f"{catalogue['kpi']}-F", cqc=["well-led", "safe", "safe"])
    assert created.status_code == 201
    assert created.get_json()["cqc"] == ["safe", "well-led"]
    assert metrics_client.get(f"/api/v1/kpis/{catalogue['kpi']}").get_json()["cqc"] == []


def test_a_key_question_the_cqc_does_not_ask_is_refused(metrics_client, catalogue, bearer):
    refused = _kpi(metrics_client, bearer, f"{catalogue['kpi']}-X", cqc=["kind"])
    assert refused.status_code == 422
    assert "cqc" in refused.get_json()["errors"]
    url = f"/api/v1/kpis/{catalogue['kpi']}"
    assert metrics_client.patch(url, json={"cqc": ["fast"]}, headers=bearer("admin")).status_code == 422
    assert metrics_client.get(url).get_json()["cqc"] == []


def test_a_kpis_key_questions_change_with_its_etag_and_history(metrics_client, catalogue, bearer):
    url = f"/api/v1/kpis/{catalogue['kpi']}"
    read = metrics_client.get(url)
    changed = metrics_client.patch(url, json={"cqc": ["responsive", "safe"]},
                                   headers={**bearer("admin"), "If-Match": read.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.get_json()["cqc"] == ["safe", "responsive"]
    stale = metrics_client.patch(url, json={"cqc": ["caring"]},
                                 headers={**bearer("admin"), "If-Match": read.headers["ETag"]})
    assert stale.status_code == 412
    [change] = metrics_client.get(f"{url}/history").get_json()["items"]
    assert (change["before"]["cqc"], change["after"]["cqc"]) == ([], ["safe", "responsive"])


def test_the_catalogue_is_filtered_by_a_key_question(metrics_client, catalogue, bearer):
    safe, caring = f"{catalogue['kpi']}-S", f"{catalogue['kpi']}-C"
    _kpi(metrics_client, bearer, safe, cqc=["safe", "effective"])
    _kpi(metrics_client, bearer, caring, cqc=["caring"])
    codes = _all_codes(metrics_client, {"cqc": "safe"})
    assert safe in codes and caring not in codes and catalogue["kpi"] not in codes
    assert all("safe" in kpi["cqc"] for kpi in _all_items(metrics_client, {"cqc": "safe"}))
    assert metrics_client.get("/api/v1/kpis", query_string={"cqc": "nice"}).status_code == 422


def test_the_matrices_keep_the_kpis_serving_a_key_question(metrics_client, catalogue, bearer):
    safe = f"{catalogue['kpi']}-M"
    _kpi(metrics_client, bearer, safe, cqc=["safe"])
    for kpi in (safe, catalogue["kpi"]):
        posted = metrics_client.post("/api/v1/measures", headers=bearer("feed"), json={
            "kpi_code": kpi, "unit_code": catalogue["ward"], "period": "2025-01", "value": 3, "source": "test"})
        assert posted.status_code == 201
    unit_matrix = f"/api/v1/dashboards/units/{catalogue['ward']}/kpis"
    assert {row["kpi_code"] for row in metrics_client.get(unit_matrix).get_json()["items"]} == {safe, catalogue["kpi"]}
    [row] = metrics_client.get(unit_matrix, query_string={"cqc": "safe"}).get_json()["items"]
    assert (row["kpi_code"], row["cqc"]) == (safe, ["safe"])
    assert metrics_client.get(unit_matrix, query_string={"cqc": "safe"}).get_json()["total"] == 1
    across = metrics_client.get("/api/v1/dashboards/kpis", query_string={
        "directorate": catalogue["trust"], "cqc": "safe"}).get_json()
    assert {row["kpi_code"] for row in across["items"]} == {safe} and across["total"] >= 1
    none = metrics_client.get("/api/v1/dashboards/kpis", query_string={
        "directorate": catalogue["trust"], "cqc": "caring"}).get_json()
    assert (none["items"], none["total"]) == ([], 0)


def _all_items(client, query):
    items, cursor = [], None
    while True:
        page = client.get("/api/v1/kpis", query_string={**query, "page_size": 200,
                                                        **({"cursor": cursor} if cursor else {})}).get_json()
        items += page["items"]
        cursor = page["next"]
        if not cursor:
            return items


def _all_codes(client, query):
    return {kpi["code"] for kpi in _all_items(client, query)}
