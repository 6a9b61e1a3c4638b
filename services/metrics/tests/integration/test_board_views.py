"""Board views on the real database: a unit's units as the rows of a matrix (paged, a cell per KPI), and a
unit's board report for a month (the chart as it stood then, the month's value and status, the target,
the icons, the signals not closed and the projects measuring each series)."""

import uuid
from datetime import UTC, datetime

import pytest

from services.metrics.tests.integration.test_signals import opened, project  # noqa: F401  (fixtures)
from shared.month import Month

pytestmark = pytest.mark.integration
THIS_MONTH = Month.of(datetime.now(UTC).date())


@pytest.fixture
def directorate(metrics_client, bearer):
    """A directorate with three wards (A, B, C by name): A and B measure length of stay for 13 months, B
    also counts falls; C measures nothing. Falls are shown to no decimal places."""
    suffix = uuid.uuid4().hex[:8].upper()
    admin = bearer("admin")
    codes = {"dir": f"BD-{suffix}", "a": f"BA-{suffix}", "b": f"BB-{suffix}", "c": f"BC-{suffix}",
             "stay": f"BSTAY-{suffix}", "falls": f"BFALL-{suffix}"}
    assert metrics_client.post("/api/v1/units", headers=admin, json={
        "code": codes["dir"], "name": "Directorate", "level": "directorate"}).status_code == 201
    for key, name in (("c", "Ward C"), ("a", "Ward A"), ("b", "Ward B")):
        assert metrics_client.post("/api/v1/units", headers=admin, json={
            "code": codes[key], "name": name, "level": "ward", "parent_code": codes["dir"]}).status_code == 201
    for key, name, measure in (("stay", "Length of stay", "days"), ("falls", "Falls", "count")):
        assert metrics_client.post("/api/v1/kpis", headers=admin, json={
            "code": codes[key], "name": name, "unit_of_measure": measure, "improvement_direction": "decrease",
            "aggregation": "sum"}).status_code == 201
    for index in range(13):
        month = str(Month(2024, 1) + index)
        for ward in ("a", "b"):
            _record(metrics_client, bearer, codes["stay"], codes[ward], month, 4.5 + index % 3 / 10)
        _record(metrics_client, bearer, codes["falls"], codes["b"], month, 3 + index % 2)
    return codes


def _record(client, bearer, kpi, unit, month, value):
    response = client.post("/api/v1/measures", headers=bearer("feed"), json={
        "kpi_code": kpi, "unit_code": unit, "period": month, "value": value, "source": "test"})
    assert response.status_code in (200, 201), response.get_json()


def _get(client, path, **query):
    response = client.get(path, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_directorates_matrix_has_a_row_per_ward_paged_and_the_same_columns_on_every_page(
        metrics_client, directorate):
    path = f"/api/v1/dashboards/units/{directorate['dir']}/units"
    first = _get(metrics_client, path, page_size=2)
    assert [row["name"] for row in first["items"]] == ["Ward A", "Ward B"]
    assert first["total"] == 3 and first["unit"]["code"] == directorate["dir"]
    assert [kpi["code"] for kpi in first["kpis"]] == [directorate["falls"], directorate["stay"]]
    assert [kpi["decimal_places"] for kpi in first["kpis"]] == [0, 1]
    ward_b = first["items"][1]
    assert [cell["kpi_code"] for cell in ward_b["cells"]] == [directorate["falls"], directorate["stay"]]
    stay = ward_b["cells"][1]
    assert stay["latest_period"] == "2025-01" and stay["chart_type"] == "xmr" and stay["variation_icon"]
    assert stay["decimal_places"] == 1 and len(stay["sparkline"]) == 12
    second = _get(metrics_client, path, page_size=2, cursor=first["next"])
    assert [row["name"] for row in second["items"]] == ["Ward C"] and second["items"][0]["cells"] == []
    assert second["kpis"] == first["kpis"] and second["next"] is None


def test_a_unit_with_no_units_below_has_an_empty_matrix_and_an_unknown_unit_is_a_404(metrics_client, directorate):
    empty = _get(metrics_client, f"/api/v1/dashboards/units/{directorate['c']}/units")
    assert empty["items"] == [] and empty["kpis"] == [] and empty["total"] == 0
    assert metrics_client.get("/api/v1/dashboards/units/NO-SUCH-UNIT/units").status_code == 404


def test_a_cursor_of_another_units_matrix_is_refused(metrics_client, directorate):
    first = _get(metrics_client, f"/api/v1/dashboards/units/{directorate['dir']}/units", page_size=1)
    response = metrics_client.get(f"/api/v1/dashboards/units/{directorate['a']}/units",
                                  query_string={"page_size": 1, "cursor": first["next"]})
    assert response.status_code == 400


def test_the_board_report_of_a_past_month_shows_the_chart_as_it_stood_then(metrics_client, directorate):
    report = _get(metrics_client, f"/api/v1/dashboards/units/{directorate['b']}/board-report", month="2024-06")
    assert report["month"] == "2024-06" and report["month_is_over"] is True and report["total"] == 2
    falls, stay = report["items"]
    assert stay["kpi"]["code"] == directorate["stay"] and stay["status"] == "judged"
    assert stay["value"] == pytest.approx(4.5 + 5 % 3 / 10)
    # Six months then: a run chart (no icons), drawn to June only, however long the series is now.
    assert stay["chart_type"] == "run" and stay["charted_to"] == "2024-06" and stay["variation_icon"] is None
    assert "2024-06" in stay["svg"] and "2025-01" not in stay["svg"]
    assert f'aria-labelledby="chart-{directorate["stay"]}-title chart-{directorate["stay"]}-desc"' in stay["svg"]
    assert falls["kpi"]["decimal_places"] == 0 and falls["open_signals"] == [] and falls["projects"] == []


def test_the_board_report_of_the_newest_month_is_the_stored_chart_with_its_icons(metrics_client, directorate):
    report = _get(metrics_client, f"/api/v1/dashboards/units/{directorate['b']}/board-report", month="2025-01")
    stay = report["items"][1]
    assert stay["status"] == "judged" and stay["chart_type"] == "xmr" and stay["charted_to"] == "2025-01"
    assert stay["variation_icon"] and stay["point_type"]


def test_a_month_before_the_chart_or_after_the_newest_is_said_so(metrics_client, directorate):
    path = f"/api/v1/dashboards/units/{directorate['b']}/board-report"
    before = _get(metrics_client, path, month="2023-12")["items"][1]
    assert before["status"] == "not_charted" and before["svg"] is None and before["chart_type"] is None
    after = _get(metrics_client, path, month="2025-03")["items"][1]
    assert after["status"] == "not_reported" and after["value"] is None and after["charted_to"] == "2025-01"


def test_this_months_report_is_provisional_and_never_judged(metrics_client, bearer, directorate):
    _record(metrics_client, bearer, directorate["falls"], directorate["b"], str(THIS_MONTH), 1)
    report = _get(metrics_client, f"/api/v1/dashboards/units/{directorate['b']}/board-report", month=str(THIS_MONTH))
    assert report["month_is_over"] is False
    falls = report["items"][0]
    assert falls["status"] == "provisional" and falls["value"] == 1
    assert falls["provisional_reason"] == "month_not_over" and falls["point_type"] is None


def test_a_month_not_yet_begun_is_a_422_and_the_default_is_last_month(metrics_client, directorate):
    path = f"/api/v1/dashboards/units/{directorate['b']}/board-report"
    response = metrics_client.get(path, query_string={"month": str(THIS_MONTH + 1)})
    assert response.status_code == 422 and "month" in response.get_json()["errors"]
    assert _get(metrics_client, path)["month"] == str(THIS_MONTH - 1)
    assert metrics_client.get(path, query_string={"month": "2024-13"}).status_code == 422
    assert metrics_client.get("/api/v1/dashboards/units/NO-SUCH-UNIT/board-report").status_code == 404


def test_the_board_report_lists_the_series_open_signals_and_the_projects_measuring_it(
        metrics_client, catalogue, opened, project):  # noqa: F811
    report = _get(metrics_client, f"/api/v1/dashboards/units/{catalogue['ward']}/board-report",
                  month=opened["period"])
    [section] = report["items"]
    assert section["status"] == "judged" and section["point_type"] == "special_cause_concern"
    special = [signal for signal in section["open_signals"] if signal["kind"] == "special_cause"]
    assert [(signal["id"], signal["state"]) for signal in special] == [(opened["id"], "open")]
    assert section["projects"] == [{"project_id": project["id"], "title": "Home for lunch", "stage": "active"}]


def test_the_board_views_need_a_sign_in(anonymous_metrics_client, directorate):
    for path in (f"/api/v1/dashboards/units/{directorate['dir']}/units",
                 f"/api/v1/dashboards/units/{directorate['dir']}/board-report"):
        assert anonymous_metrics_client.get(path).status_code == 401
