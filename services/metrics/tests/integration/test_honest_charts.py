"""Charts that never mislead: a month not yet over is provisional and never judged, a partial roll-up
is not judged, a rolled-up level is not measured, levels nest in order, notes are not put on months to
come, and values are rounded for display only."""

import csv
import io
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest

from services.metrics.service_layer import aggregator
from shared.db import UnitOfWork, unit_of_work
from shared.month import Month

pytestmark = pytest.mark.integration

SVG = "{http://www.w3.org/2000/svg}"
STEADY = [4.6, 4.4, 4.7, 4.5, 4.3, 4.6, 4.5, 4.4, 4.6, 4.5, 4.7, 4.4, 4.5, 4.6]  # 14 whole months
THIS_MONTH = Month.of(datetime.now(UTC).date())


def months_before_this_one(n):
    """The ``n`` months that ended last, oldest first."""
    return [THIS_MONTH - (n - i) for i in range(n)]


@pytest.fixture
def tree(metrics_client, bearer):
    """A trust with two wards and a length-of-stay KPI (shorter is better), measured on wards."""
    suffix = uuid.uuid4().hex[:8].upper()
    admin = bearer("admin")
    codes = {"trust": f"T-{suffix}", "a": f"WA-{suffix}", "b": f"WB-{suffix}", "kpi": f"LOS-{suffix}"}
    for code, level, parent in ((codes["trust"], "trust", None), (codes["a"], "ward", codes["trust"]),
                                (codes["b"], "ward", codes["trust"])):
        assert metrics_client.post("/api/v1/units", json={"code": code, "name": f"Unit {code}", "level": level,
                                                          "parent_code": parent}, headers=admin).status_code == 201
    assert metrics_client.post("/api/v1/kpis", json={
        "code": codes["kpi"], "name": "Length of stay", "unit_of_measure": "days", "improvement_direction": "decrease",
        "owners": ["owner@hospital.example"]}, headers=admin).status_code == 201
    return codes


def post(client, bearer, kpi, unit, month, value, expect=(200, 201)):
    response = client.post("/api/v1/measures", headers=bearer("feed"), json={
        "kpi_code": kpi, "unit_code": unit, "period": str(month), "value": value, "source": "test"})
    assert response.status_code in expect, response.get_json()
    return response


def alerts(state, kpi, unit):
    with state.pool.connection() as conn:
        return conn.execute("SELECT envelope->'data' AS data FROM outbox WHERE event_type = "
                            "'kpi.special_cause_detected' AND key = %s", (f"{kpi}|{unit}",)).fetchall()


def chart(client, kpi, unit):
    response = client.get(f"/api/v1/kpis/{kpi}/units/{unit}/chart")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_month_not_yet_over_is_shown_provisional_and_never_judged_or_alerted(metrics_client, metrics_state,
                                                                               bearer, tree):
    kpi, ward = tree["kpi"], tree["a"]
    for month, value in zip(months_before_this_one(len(STEADY)), STEADY, strict=True):
        post(metrics_client, bearer, kpi, ward, month, value)
    post(metrics_client, bearer, kpi, ward, THIS_MONTH, 9.5)  # accepted, as provisional

    assert alerts(metrics_state, kpi, ward) == []
    body = chart(metrics_client, kpi, ward)
    assert [p["period"] for p in body["chart"]["points"]][-1] == str(THIS_MONTH - 1)
    assert body["last_period"] == str(THIS_MONTH - 1)
    assert body["provisional"] == [{"period": str(THIS_MONTH), "value": 9.5, "reason": "month_not_over",
                                    "awaiting": []}]
    svg = ET.fromstring(metrics_client.get(f"/api/v1/kpis/{kpi}/units/{ward}/chart.svg").get_data(as_text=True))
    provisional = [c for c in svg.iter(f"{SVG}circle") if "provisional" in c.get("class", "").split()]
    assert len(provisional) == 1
    assert "provisional" in svg.find(f"{SVG}desc").text


def test_a_count_kpis_partial_month_is_not_compared_with_whole_ones(metrics_client, metrics_state, bearer, tree):
    admin = bearer("admin")
    kpi = f"TRAINED-{tree['kpi']}"
    assert metrics_client.post("/api/v1/kpis", json={
        "code": kpi, "name": "Staff trained", "unit_of_measure": "count", "improvement_direction": "increase",
        "measured_levels": ["trust"], "owners": ["owner@hospital.example"]}, headers=admin).status_code == 201
    counts = [40, 42, 39, 41, 40, 43, 38, 41, 40, 42, 39, 41, 40, 42]
    for month, value in zip(months_before_this_one(len(counts)), counts, strict=True):
        post(metrics_client, bearer, kpi, tree["trust"], month, value)
    post(metrics_client, bearer, kpi, tree["trust"], THIS_MONTH, 3)  # three completions on the 1st
    assert alerts(metrics_state, kpi, tree["trust"]) == []
    body = chart(metrics_client, kpi, tree["trust"])
    assert all(point["period"] != str(THIS_MONTH) for point in body["chart"]["points"])
    assert body["chart"]["variation_icon"] == "common_cause"


def test_a_month_just_ended_is_judged_when_the_charts_behind_are_brought_up_to_date(metrics_state, bearer,
                                                                                    metrics_client, tree):
    kpi, ward = tree["kpi"], tree["a"]
    for month, value in zip(months_before_this_one(len(STEADY)), STEADY, strict=True):
        post(metrics_client, bearer, kpi, ward, month, value)
    post(metrics_client, bearer, kpi, ward, THIS_MONTH, 9.5)
    next_month = (THIS_MONTH + 1).first_day
    with metrics_state.pool.connection() as conn, conn.transaction(force_rollback=True):
        assert (kpi, ward) in aggregator.queue_charts_whose_month_ended(UnitOfWork(conn, "metrics"), next_month)
    with unit_of_work(metrics_state.pool, "metrics") as uow:  # as the worker's pass next month will
        work = aggregator.Work()
        work.chart(kpi, ward, aggregator.Change("month_ended"))
        aggregator.refresh(uow, work, today=next_month)
    body = chart(metrics_client, kpi, ward)
    assert body["last_period"] == str(THIS_MONTH) and body["provisional"] == []
    [alert] = alerts(metrics_state, kpi, ward)
    assert alert["data"]["period"] == str(THIS_MONTH)


def test_a_partial_roll_up_waits_for_every_unit_expected_that_month_and_raises_no_alert(metrics_client,
                                                                                        metrics_state, bearer, tree):
    kpi, trust = tree["kpi"], tree["trust"]
    months = months_before_this_one(len(STEADY) + 2)
    for month, value in zip(months, STEADY, strict=False):
        post(metrics_client, bearer, kpi, tree["a"], month, value)
        post(metrics_client, bearer, kpi, tree["b"], month, value)
    post(metrics_client, bearer, kpi, tree["a"], months[-2], 4.5)  # ward B is late with this month
    post(metrics_client, bearer, kpi, tree["a"], months[-1], 12.0)  # and the next: only ward A's spike

    assert alerts(metrics_state, kpi, trust) == [], "judged on ward A alone"
    body = chart(metrics_client, kpi, trust)
    assert body["last_period"] == str(months[-3])
    assert [(p["period"], p["reason"], p["awaiting"]) for p in body["provisional"]] == [
        (str(months[-2]), "awaiting_units", [tree["b"]]), (str(months[-1]), "awaiting_units", [tree["b"]])]


def test_a_unit_closed_for_good_no_longer_holds_its_parents_back(metrics_client, metrics_state, bearer, tree):
    kpi, trust = tree["kpi"], tree["trust"]
    months = months_before_this_one(len(STEADY) + 2)
    for month, value in zip(months, STEADY, strict=False):
        post(metrics_client, bearer, kpi, tree["a"], month, value)
        post(metrics_client, bearer, kpi, tree["b"], month, value)
    post(metrics_client, bearer, kpi, tree["a"], months[-2], 4.5)
    post(metrics_client, bearer, kpi, tree["a"], months[-1], 4.6)
    closed_on = date.fromordinal(months[-2].first_day.toordinal() - 1)  # the last day B reported
    response = metrics_client.patch(f"/api/v1/units/{tree['b']}", json={"closed_on": closed_on.isoformat()},
                                    headers=bearer("admin"))
    assert response.status_code == 200, response.get_json()
    body = chart(metrics_client, kpi, trust)
    assert body["last_period"] == str(months[-1])
    assert body["provisional"] == []


def test_a_value_posted_to_a_rolled_up_level_is_refused_with_a_422(metrics_client, bearer, tree):
    response = post(metrics_client, bearer, tree["kpi"], tree["trust"], THIS_MONTH - 1, 4.8, expect=(422,))
    problem = response.get_json()
    assert "unit_code" in problem["errors"]
    assert "rolled up" in problem["errors"]["unit_code"][0]
    kpi = metrics_client.get(f"/api/v1/kpis/{tree['kpi']}").get_json()
    assert "trust" not in kpi["measured_levels"] and "ward" in kpi["measured_levels"]


def test_a_kpi_measured_at_the_trust_refuses_a_wards_value(metrics_client, bearer, tree):
    kpi = f"T{tree['kpi']}"
    assert metrics_client.post("/api/v1/kpis", json={
        "code": kpi, "name": "Trust-wide survey", "unit_of_measure": "score", "improvement_direction": "increase",
        "measured_levels": ["trust"]}, headers=bearer("admin")).status_code == 201
    post(metrics_client, bearer, kpi, tree["trust"], THIS_MONTH - 1, 7.1)
    post(metrics_client, bearer, kpi, tree["a"], THIS_MONTH - 1, 7.1, expect=(422,))


def test_a_unit_must_sit_below_a_unit_of_a_higher_level(metrics_client, bearer, tree):
    admin = bearer("admin")
    response = metrics_client.post("/api/v1/units", json={"code": f"X{tree['trust']}", "name": "Another trust",
                                                          "level": "trust", "parent_code": tree["a"]}, headers=admin)
    assert response.status_code == 422
    assert "parent_code" in response.get_json()["errors"]
    directorate = f"D{tree['trust']}"
    assert metrics_client.post("/api/v1/units", json={"code": directorate, "name": "Medicine", "level": "directorate",
                                                      "parent_code": tree["trust"]}, headers=admin).status_code == 201
    moved = metrics_client.patch(f"/api/v1/units/{directorate}", json={"parent_code": tree["a"]}, headers=admin)
    assert moved.status_code == 422
    assert "parent_code" in moved.get_json()["errors"]


def test_an_annotation_for_a_month_to_come_is_refused(metrics_client, bearer, tree):
    url = f"/api/v1/kpis/{tree['kpi']}/units/{tree['a']}/annotations"
    response = metrics_client.post(url, json={"period": "2030-01", "text": "Far ahead"}, headers=bearer("admin"))
    assert response.status_code == 422
    assert "period" in response.get_json()["errors"]
    this_month = metrics_client.post(url, json={"period": str(THIS_MONTH), "text": "Ward refurbished"},
                                     headers=bearer("admin"))
    assert this_month.status_code == 201


def test_values_are_rounded_for_display_per_kpi_and_kept_whole_in_storage_and_csv(metrics_client, metrics_state,
                                                                                  bearer, tree):
    admin = bearer("admin")
    changed = metrics_client.patch(f"/api/v1/kpis/{tree['kpi']}", json={"decimal_places": 2}, headers=admin)
    assert changed.status_code == 200 and changed.get_json()["decimal_places"] == 2
    post(metrics_client, bearer, tree["kpi"], tree["a"], THIS_MONTH - 2, 4.87)
    post(metrics_client, bearer, tree["kpi"], tree["a"], THIS_MONTH - 1, 4.869999999999999)
    matrix = metrics_client.get(f"/api/v1/dashboards/units/{tree['a']}/kpis").get_json()
    [row] = matrix["items"]
    assert row["latest_value"] == 4.869999999999999 and row["decimal_places"] == 2
    text = metrics_client.get(f"/api/v1/kpis/{tree['kpi']}/units/{tree['a']}/chart.csv").get_data(as_text=True)
    assert [line["value"] for line in csv.DictReader(io.StringIO(text))][-1] == "4.869999999999999"
    svg = metrics_client.get(f"/api/v1/kpis/{tree['kpi']}/units/{tree['a']}/chart.svg").get_data(as_text=True)
    assert "4.869999" not in svg and "4.87" in svg
    with metrics_state.pool.connection() as conn:
        row = conn.execute("SELECT value FROM kpi_values WHERE kpi_code = %s AND unit_code = %s ORDER BY period DESC",
                           (tree["kpi"], tree["a"])).fetchone()
    assert row["value"] == 4.869999999999999


def test_a_stored_run_chart_freezes_its_median_and_takes_a_given_centre_line(metrics_client, bearer, tree):
    admin = bearer("admin")
    values = [5.0, 5.2, 4.8, 5.1, 4.9, 3.0, 3.1, 2.9, 3.2]  # a fall after the first five months
    for month, value in zip(months_before_this_one(len(values)), values, strict=True):
        post(metrics_client, bearer, tree["kpi"], tree["a"], month, value)
    assert chart(metrics_client, tree["kpi"], tree["a"])["run_chart"]["cl"] == 4.8
    changed = metrics_client.patch(f"/api/v1/kpis/{tree['kpi']}", json={"run_freeze": 5}, headers=admin)
    assert changed.status_code == 200, changed.get_json()
    run = chart(metrics_client, tree["kpi"], tree["a"])["run_chart"]
    assert (run["cl"], run["freeze"], run["longest_run"]) == (5.0, 5, 5)
    changed = metrics_client.patch(f"/api/v1/kpis/{tree['kpi']}", json={"run_centre_line": 4.0}, headers=admin)
    assert changed.status_code == 200, changed.get_json()
    assert chart(metrics_client, tree["kpi"], tree["a"])["run_chart"]["cl"] == 4.0
