"""The portal's dashboards on the real database: a unit's KPI matrix, one chart as JSON, CSV and SVG."""

import csv
import io
import uuid
import xml.etree.ElementTree as ET

import pytest

pytestmark = pytest.mark.integration

STEADY = [4.6, 4.4, 4.7, 4.5, 4.3, 4.6, 4.5, 4.4, 4.6, 4.5, 4.7, 4.4, 4.5]
MONTHS = [f"{2023 + i // 12}-{i % 12 + 1:02d}" for i in range(14)]  # 2023-01 .. 2024-02


@pytest.fixture
def ward(metrics_client, bearer):
    """A trust and a ward; two length-of-stay KPIs measured for 14 months on the ward, one never measured.

    The stay KPI is steady, then its newest month is far above the limits (a concern: shorter is better);
    the waits KPI is steady throughout and has a target from 2023-06.
    """
    suffix = uuid.uuid4().hex[:8].upper()
    admin = bearer("admin")
    codes = {"trust": f"DT-{suffix}", "ward": f"DW-{suffix}", "stay": f"A-STAY-{suffix}",
             "waits": f"B-WAIT-{suffix}", "unmeasured": f"C-NONE-{suffix}"}
    for code, name, level, parent in ((codes["trust"], "Trust", "trust", None),
                                      (codes["ward"], "Ward 7", "ward", codes["trust"])):
        assert metrics_client.post("/api/v1/units", json={"code": code, "name": name, "level": level,
                                                          "parent_code": parent}, headers=admin).status_code == 201
    for key, name in (("stay", "Average length of stay"), ("waits", "Days waiting"), ("unmeasured", "Unused")):
        assert metrics_client.post("/api/v1/kpis", json={
            "code": codes[key], "name": name, "unit_of_measure": "days", "improvement_direction": "decrease",
            "owners": ["owner@hospital.example"]}, headers=admin).status_code == 201
    for month, value in zip(MONTHS, [*STEADY, 9.9], strict=True):
        record(metrics_client, bearer, codes["stay"], codes["ward"], month, value)
    for month, value in zip(MONTHS, [*STEADY, 4.6], strict=True):
        record(metrics_client, bearer, codes["waits"], codes["ward"], month, value)
    assert metrics_client.post(f"/api/v1/kpis/{codes['waits']}/targets", headers=admin,
                               json={"effective_from": "2023-06", "target": 5.0}).status_code == 201
    return codes


def record(client, bearer, kpi, unit, month, value):
    response = client.post("/api/v1/measures", headers=bearer("feed"), json={
        "kpi_code": kpi, "unit_code": unit, "period": month, "value": value, "source": "test"})
    assert response.status_code in (200, 201), response.get_json()


def matrix(client, unit, **query):
    response = client.get(f"/api/v1/dashboards/units/{unit}/kpis", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def annotate(client, bearer, ward, month, text):
    response = client.post(f"/api/v1/kpis/{ward['stay']}/units/{ward['ward']}/annotations", headers=bearer("admin"),
                           json={"period": month, "text": text, "pdsa_ref": "PDSA-7"})
    assert response.status_code == 201, response.get_json()


def test_the_matrix_has_one_row_per_kpi_charted_for_the_unit_in_code_order(metrics_client, ward):
    body = matrix(metrics_client, ward["ward"])
    assert [row["kpi_code"] for row in body["items"]] == [ward["stay"], ward["waits"]]
    assert body["unit"] == {"code": ward["ward"], "name": "Ward 7", "level": "ward"}
    assert (body["total"], body["page"], body["page_size"]) == (2, 1, 50)


def test_a_matrix_row_shows_the_latest_month_value_and_icons(metrics_client, ward):
    stay = matrix(metrics_client, ward["ward"])["items"][0]
    assert stay["name"] == "Average length of stay"
    assert (stay["latest_period"], stay["latest_value"]) == ("2024-02", 9.9)
    assert (stay["point_type"], stay["variation_icon"]) == ("special_cause_concern", "concern_high")
    assert (stay["unit_of_measure"], stay["improvement_direction"]) == ("days", "decrease")


def test_a_matrix_row_shows_the_target_in_force_and_its_assurance_or_null_without_one(metrics_client, ward):
    stay, waits = matrix(metrics_client, ward["ward"])["items"]
    assert (stay["target"], stay["assurance_icon"]) == (None, None)
    assert (waits["target"], waits["assurance_icon"]) == (5.0, "inconsistent")


def test_the_sparkline_is_the_last_twelve_months_oldest_first(metrics_client, ward):
    stay = matrix(metrics_client, ward["ward"])["items"][0]
    assert [point["period"] for point in stay["sparkline"]] == MONTHS[-12:]
    assert [point["value"] for point in stay["sparkline"]] == [*STEADY[-11:], 9.9]


def test_the_matrix_pages_like_the_other_lists(metrics_client, ward):
    body = matrix(metrics_client, ward["ward"], page=2, page_size=1)
    assert [row["kpi_code"] for row in body["items"]] == [ward["waits"]]
    assert body["total"] == 2


def test_the_matrix_of_a_parent_unit_shows_the_rolled_up_charts(metrics_client, ward):
    body = matrix(metrics_client, ward["trust"])
    assert [row["latest_value"] for row in body["items"]] == [9.9, 4.6]


def test_the_matrix_of_an_unknown_unit_is_a_404_problem(metrics_client):
    response = metrics_client.get("/api/v1/dashboards/units/NO-SUCH-UNIT/kpis")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "NO-SUCH-UNIT" in response.get_json()["detail"]


def test_the_chart_has_a_point_for_every_month_posted(metrics_client, ward):
    response = metrics_client.get(f"/api/v1/kpis/{ward['stay']}/units/{ward['ward']}/chart")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [point["period"] for point in body["chart"]["points"]] == MONTHS
    assert [point["y"] for point in body["chart"]["points"]] == [*STEADY, 9.9]
    assert body["chart"]["periods"][0]["start_period"] == "2023-01"
    assert (body["first_period"], body["last_period"]) == ("2023-01", "2024-02")
    assert body["chart"]["variation_icon"] == "concern_high"


def test_the_chart_carries_the_kpi_definition_and_unit(metrics_client, ward):
    body = metrics_client.get(f"/api/v1/kpis/{ward['stay']}/units/{ward['ward']}/chart").get_json()
    assert body["kpi"]["code"] == ward["stay"]
    assert body["kpi"]["improvement_direction"] == "decrease"
    assert "owners" not in body["kpi"]
    assert body["unit"]["name"] == "Ward 7"


def test_the_chart_lists_its_annotations_and_every_rebase_withdrawn_ones_included(metrics_client, bearer, ward):
    annotate(metrics_client, bearer, ward, "2023-08", "New discharge lounge")
    rebases = f"/api/v1/kpis/{ward['stay']}/units/{ward['ward']}/rebases"
    first = metrics_client.post(rebases, headers=bearer("admin"), json={"period": "2023-05", "reason": "New ward"})
    assert first.status_code == 201, first.get_json()
    withdrawn = metrics_client.post(f"{rebases}/{first.get_json()['id']}/withdraw", headers=bearer("admin"))
    assert withdrawn.status_code == 200, withdrawn.get_json()
    assert metrics_client.post(rebases, headers=bearer("admin"),
                               json={"period": "2023-07", "reason": "Extra beds"}).status_code == 201

    body = metrics_client.get(f"/api/v1/kpis/{ward['stay']}/units/{ward['ward']}/chart").get_json()
    [note] = body["annotations"]
    assert (note["period"], note["text"], note["pdsa_ref"], note["created_by"]) == (
        "2023-08", "New discharge lounge", "PDSA-7", "tester")
    assert [(r["period"], r["reason"], r["withdrawn_at"] is not None) for r in body["rebases"]] == [
        ("2023-05", "New ward", True), ("2023-07", "Extra beds", False)]
    assert [period["start_period"] for period in body["chart"]["periods"]] == ["2023-01", "2023-07"]


@pytest.mark.parametrize("suffix", ["", ".csv", ".svg"])
def test_a_kpi_never_measured_for_the_unit_has_no_chart(metrics_client, ward, suffix):
    response = metrics_client.get(f"/api/v1/kpis/{ward['unmeasured']}/units/{ward['ward']}/chart{suffix}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", ["/api/v1/kpis/NO-SUCH-KPI/units/{ward}/chart",
                                  "/api/v1/kpis/{stay}/units/NO-SUCH-UNIT/chart"])
def test_an_unknown_kpi_or_unit_has_no_chart(metrics_client, ward, path):
    response = metrics_client.get(path.format(**ward))
    assert response.status_code == 404
    assert "NO-SUCH" in response.get_json()["detail"]


def test_the_csv_has_a_header_and_one_row_per_month(metrics_client, ward):
    response = metrics_client.get(f"/api/v1/kpis/{ward['stay']}/units/{ward['ward']}/chart.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{ward["stay"]}-{ward["ward"]}-chart.csv"'
    header, *rows = csv.reader(io.StringIO(response.get_data(as_text=True)))
    assert header == ["period", "value", "mean", "lpl", "upl", "point_type", "special_cause_type", "target",
                      "annotations"]
    assert [row[0] for row in rows] == MONTHS
    assert [float(row[1]) for row in rows] == [*STEADY, 9.9]
    assert rows[-1][5] == "special_cause_concern"


def test_the_csv_joins_a_months_annotations_and_neutralises_formulas(metrics_client, bearer, ward):
    annotate(metrics_client, bearer, ward, "2023-03", "Winter, pressures")
    annotate(metrics_client, bearer, ward, "2023-03", 'Escalation "OPEL 3"')
    annotate(metrics_client, bearer, ward, "2023-04", '=HYPERLINK("http://evil.example","click")')
    response = metrics_client.get(f"/api/v1/kpis/{ward['stay']}/units/{ward['ward']}/chart.csv")
    rows = {row[0]: row for row in csv.reader(io.StringIO(response.get_data(as_text=True)))}
    assert rows["2023-03"][8] == 'Winter, pressures; Escalation "OPEL 3"'
    assert rows["2023-04"][8] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows["2023-05"][8] == ""


def test_the_svg_is_xml_titled_with_the_kpi_and_unit(metrics_client, ward):
    response = metrics_client.get(f"/api/v1/kpis/{ward['stay']}/units/{ward['ward']}/chart.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "no-cache"
    svg = ET.fromstring(response.get_data())
    titles = [element.text for element in svg.iter("{http://www.w3.org/2000/svg}title")]
    assert "Average length of stay — Ward 7" in titles


def test_the_svg_is_not_sent_again_while_its_etag_is_current(metrics_client, bearer, ward):
    url = f"/api/v1/kpis/{ward['stay']}/units/{ward['ward']}/chart.svg"
    etag = metrics_client.get(url).headers["ETag"]
    assert metrics_client.get(url, headers={"If-None-Match": etag}).status_code == 304
    record(metrics_client, bearer, ward["stay"], ward["ward"], "2024-03", 4.5)
    assert metrics_client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_the_openapi_document_describes_the_dashboards(metrics_client):
    paths = metrics_client.get("/openapi.json").get_json()["paths"]
    assert "/api/v1/dashboards/units/{unit_code}/kpis" in paths
    for suffix in ("", ".csv", ".svg"):
        assert "get" in paths[f"/api/v1/kpis/{{kpi_code}}/units/{{unit_code}}/chart{suffix}"]
