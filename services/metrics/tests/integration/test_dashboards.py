"""The portal's dashboards on the real database: a unit's KPI matrix, a directorate's matrix across its units,
one chart as JSON, CSV and SVG."""

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
    assert (body["total"], body["total_is_exact"], body["page_size"], body["previous"], body["next"]) == (
        2, True, 50, None, None)


def test_a_matrix_row_shows_the_latest_month_value_and_icons(metrics_client, ward):
    stay = matrix(metrics_client, ward["ward"])["items"][0]
    assert stay["name"] == "Average length of stay"
    assert (stay["chart_type"], stay["latest_period"], stay["latest_value"]) == ("xmr", "2024-02", 9.9)
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
    first = matrix(metrics_client, ward["ward"], page_size=1)
    body = matrix(metrics_client, ward["ward"], cursor=first["next"], page_size=1)
    assert [row["kpi_code"] for row in body["items"]] == [ward["waits"]]
    assert body["total"] == 2
    assert (body["next"], matrix(metrics_client, ward["ward"], cursor=body["previous"], page_size=1)["items"]) == (
        None, first["items"])


def test_the_matrix_of_a_parent_unit_shows_the_rolled_up_charts(metrics_client, ward):
    body = matrix(metrics_client, ward["trust"])
    assert [row["latest_value"] for row in body["items"]] == [9.9, 4.6]


def test_the_matrix_of_an_unknown_unit_is_a_404_problem(metrics_client):
    response = metrics_client.get("/api/v1/dashboards/units/NO-SUCH-UNIT/kpis")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "NO-SUCH-UNIT" in response.get_json()["detail"]


@pytest.fixture
def directorate(metrics_client, bearer):
    """A trust with two directorates. Ours holds a ward and a specialty with a ward of its own; the other
    directorate holds one ward. Length of stay is measured on all three wards, waits on our first ward only.

    The codes sort against the hierarchy (the deepest ward first, the directorate last), so an order by
    depth cannot pass for an order by code.
    """
    suffix = uuid.uuid4().hex[:8].upper()
    admin = bearer("admin")
    codes = {"trust": f"T-{suffix}", "directorate": f"Z-DIR-{suffix}", "ward": f"B-WARD-{suffix}",
             "specialty": f"C-SPEC-{suffix}", "deep_ward": f"A-WARD-{suffix}", "other_directorate": f"Y-DIR-{suffix}",
             "other_ward": f"A-OTHER-{suffix}", "stay": f"A-STAY-{suffix}", "waits": f"B-WAIT-{suffix}"}
    for key, name, level, parent in (("trust", "Trust", "trust", None),
                                     ("directorate", "Surgery", "directorate", "trust"),
                                     ("ward", "Ward 7", "ward", "directorate"),
                                     ("specialty", "Orthopaedics", "specialty", "directorate"),
                                     ("deep_ward", "Ward 9", "ward", "specialty"),
                                     ("other_directorate", "Medicine", "directorate", "trust"),
                                     ("other_ward", "Ward 1", "ward", "other_directorate")):
        assert metrics_client.post("/api/v1/units", headers=admin, json={
            "code": codes[key], "name": name, "level": level,
            "parent_code": codes[parent] if parent else None}).status_code == 201
    for key, name in (("stay", "Average length of stay"), ("waits", "Days waiting")):
        assert metrics_client.post("/api/v1/kpis", json={
            "code": codes[key], "name": name, "unit_of_measure": "days", "improvement_direction": "decrease",
            "owners": ["owner@hospital.example"]}, headers=admin).status_code == 201
    for kpi, unit, value in (("stay", "ward", 5.0), ("stay", "deep_ward", 7.0), ("stay", "other_ward", 9.0),
                             ("waits", "ward", 3.0)):
        for month in MONTHS[:3]:
            record(metrics_client, bearer, codes[kpi], codes[unit], month, value)
    return codes


def across(client, **query):
    return client.get("/api/v1/dashboards/kpis", query_string=query)


def rows_of(response, codes):
    """The page's rows as (KPI, unit) pairs named by the fixture's keys."""
    assert response.status_code == 200, response.get_json()
    keys = {code: key for key, code in codes.items()}
    return [(keys[row["kpi_code"]], keys[row["unit_code"]]) for row in response.get_json()["items"]]


def test_the_directorate_matrix_has_a_row_per_kpi_and_unit_in_it_by_kpi_then_depth_then_code(metrics_client,
                                                                                              directorate):
    response = across(metrics_client, directorate=directorate["directorate"])
    assert rows_of(response, directorate) == [
        ("stay", "directorate"), ("stay", "ward"), ("stay", "specialty"), ("stay", "deep_ward"),
        ("waits", "directorate"), ("waits", "ward")]
    assert response.get_json()["total"] == 6


def test_the_directorate_matrix_leaves_out_the_units_of_another_directorate(metrics_client, directorate):
    units = {row["unit_code"] for row in across(metrics_client, directorate=directorate["directorate"],
                                                page_size=200).get_json()["items"]}
    assert directorate["other_ward"] not in units
    assert directorate["other_directorate"] not in units
    assert directorate["trust"] not in units


def test_a_directorate_matrix_row_is_the_unit_matrix_row_with_its_unit(metrics_client, directorate):
    rows = across(metrics_client, directorate=directorate["directorate"]).get_json()["items"]
    deep_ward = next(row for row in rows if row["unit_code"] == directorate["deep_ward"])
    assert (deep_ward["unit_name"], deep_ward["unit_level"]) == ("Ward 9", "ward")
    unit_row = {key: value for key, value in deep_ward.items() if key not in ("unit_code", "unit_name", "unit_level")}
    assert unit_row == matrix(metrics_client, directorate["deep_ward"])["items"][0]
    assert [point["value"] for point in deep_ward["sparkline"]] == [7.0, 7.0, 7.0]


def test_the_unit_filter_keeps_one_unit_of_the_directorate(metrics_client, directorate):
    response = across(metrics_client, directorate=directorate["directorate"], unit=directorate["ward"])
    assert rows_of(response, directorate) == [("stay", "ward"), ("waits", "ward")]
    assert response.get_json()["total"] == 2


def test_a_unit_alone_gives_that_units_rows_only(metrics_client, directorate):
    response = across(metrics_client, unit=directorate["specialty"])
    assert rows_of(response, directorate) == [("stay", "specialty")]


def test_the_kpi_filter_keeps_one_kpi(metrics_client, directorate):
    response = across(metrics_client, directorate=directorate["directorate"], kpi=directorate["waits"])
    assert rows_of(response, directorate) == [("waits", "directorate"), ("waits", "ward")]
    assert response.get_json()["total"] == 2


def test_the_directorate_matrix_pages_like_the_other_lists(metrics_client, directorate):
    first = across(metrics_client, directorate=directorate["directorate"], page_size=4).get_json()
    response = across(metrics_client, directorate=directorate["directorate"], cursor=first["next"], page_size=4)
    assert rows_of(response, directorate) == [("waits", "directorate"), ("waits", "ward")]
    assert {key: response.get_json()[key] for key in ("next", "page_size", "total")} == {
        "next": None, "page_size": 4, "total": 6}


@pytest.mark.parametrize("query", [{"directorate": "NO-SUCH-UNIT"}, {"unit": "NO-SUCH-UNIT"},
                                   {"directorate": "{directorate}", "unit": "NO-SUCH-UNIT"},
                                   {"directorate": "{directorate}", "kpi": "NO-SUCH-KPI"}])
def test_an_unknown_directorate_unit_or_kpi_is_a_404_problem(metrics_client, directorate, query):
    response = across(metrics_client, **{name: value.format(**directorate) for name, value in query.items()})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "NO-SUCH" in response.get_json()["detail"]


def test_a_unit_outside_the_directorate_is_a_422_problem(metrics_client, directorate):
    response = across(metrics_client, directorate=directorate["directorate"], unit=directorate["other_ward"])
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == (
        f"unit {directorate['other_ward']} is not in directorate {directorate['directorate']}")


def test_a_matrix_across_units_needs_a_directorate_or_a_unit(metrics_client, directorate):
    response = across(metrics_client, kpi=directorate["stay"])
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "directorate" in response.get_json()["errors"]


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
    across_units = paths["/api/v1/dashboards/kpis"]["get"]
    assert {"directorate", "unit", "kpi", "cursor", "page_size"} <= {p["name"] for p in across_units["parameters"]}
    assert "DirectorateMatrixRowPage" in str(across_units["responses"]["200"])
    for suffix in ("", ".csv", ".svg"):
        assert "get" in paths[f"/api/v1/kpis/{{kpi_code}}/units/{{unit_code}}/chart{suffix}"]
    schemas = metrics_client.get("/openapi.json").get_json()["components"]["schemas"]
    assert {"chart_type", "chart", "run_chart"} <= set(schemas["KpiChart"]["properties"])
    assert schemas["KpiMatrixRow"]["properties"]["chart_type"]["enum"] == ["xmr", "run"]
    assert schemas["KpiMatrixRow"]["properties"]["variation_icon"]["nullable"] is True
