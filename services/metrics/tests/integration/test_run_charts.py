"""A series too short for process limits is stored as a run chart (median and Anhøj rules, as the SPC
calculator's auto draws it), and listed, exported and drawn as one; from its 13th month it is an XmR chart."""

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from services.metrics.adapters.chart_json import expanded
from services.metrics.domain.runchart import run_chart
from services.metrics.domain.spc import SpcOptions, xmr_chart

pytestmark = pytest.mark.integration

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = [f"{2023 + i // 12}-{i % 12 + 1:02d}" for i in range(14)]  # 2023-01 .. 2024-02
FIVE = [4.5, 4.6, 4.4, 4.5, 9.9]  # the newest far above the rest
STEADY = [4.6, 4.4, 4.7, 4.5, 4.3, 4.6, 4.5, 4.4, 4.6, 4.5, 4.7, 4.4]


def record(client, bearer, catalogue, values, first=0):
    for month, value in zip(MONTHS[first:], values, strict=False):
        response = client.post("/api/v1/measures", headers=bearer("feed"), json={
            "kpi_code": catalogue["kpi"], "unit_code": catalogue["ward"], "period": month, "value": value,
            "source": "test"})
        assert response.status_code in (200, 201), response.get_json()


@pytest.fixture
def five_months(metrics_client, bearer, catalogue):
    """The catalogue's ward with five months of length of stay (shorter is better), the newest far above the rest."""
    record(metrics_client, bearer, catalogue, FIVE)
    return catalogue


def stored(state, kpi, unit):
    with state.pool.connection() as conn:
        return conn.execute("SELECT * FROM spc_charts WHERE kpi_code = %s AND unit_code = %s", (kpi, unit)).fetchone()


def events(state, catalogue, event_type, unit="ward"):
    with state.pool.connection() as conn:
        return [row["data"] for row in conn.execute(
            "SELECT envelope->'data' AS data FROM outbox WHERE event_type = %s AND key = %s ORDER BY position",
            (event_type, f"{catalogue['kpi']}|{catalogue[unit]}")).fetchall()]


def episodes(state, catalogue):
    with state.pool.connection() as conn:
        return conn.execute("SELECT * FROM signal_episodes WHERE kpi_code = %s AND unit_code = %s",
                            (catalogue["kpi"], catalogue["ward"])).fetchall()


def chart_url(catalogue, suffix=""):
    return f"/api/v1/kpis/{catalogue['kpi']}/units/{catalogue['ward']}/chart{suffix}"


def test_a_five_month_series_is_stored_as_a_run_chart_with_no_point_type_or_icons(metrics_state, five_months):
    row = stored(metrics_state, five_months["kpi"], five_months["ward"])
    assert (row["chart_type"], row["last_value"]) == ("run", 9.9)
    assert (row["last_point_type"], row["variation_icon"], row["assurance_icon"]) == (None, None, None)
    assert row["chart"] == {"chart_type": "run", **run_chart(FIVE).to_dict(), "periods_of_points": MONTHS[:5],
                            "provisional": []}
    assert stored(metrics_state, five_months["kpi"], five_months["trust"])["chart_type"] == "run", "rolled up too"


def test_a_run_chart_raises_no_special_cause_alert(metrics_state, five_months):
    assert xmr_chart(FIVE, SpcOptions("decrease")).points[-1].point_type == "special_cause_concern", (
        "the case must be a special cause on an XmR chart")
    assert events(metrics_state, five_months, "kpi.special_cause_detected") == []
    assert episodes(metrics_state, five_months) == []


def test_kpi_updated_of_a_run_chart_gives_its_median_and_no_limits_or_icons(metrics_state, five_months):
    update = events(metrics_state, five_months, "kpi.updated")[-1]
    assert (update["chart_type"], update["latest_value"], update["median"], update["runs_signal"]) == (
        "run", 9.9, 4.5, False)
    assert [update[key] for key in ("mean", "lpl", "upl", "point_type", "variation_icon", "assurance_icon")] == [
        None] * 6


def test_a_run_chart_is_listed_in_the_matrices_with_no_point_type_or_icons(metrics_client, five_months):
    unit_row = metrics_client.get(f"/api/v1/dashboards/units/{five_months['ward']}/kpis").get_json()["items"][0]
    assert (unit_row["chart_type"], unit_row["latest_period"], unit_row["latest_value"]) == ("run", "2023-05", 9.9)
    assert (unit_row["point_type"], unit_row["variation_icon"], unit_row["assurance_icon"]) == (None, None, None)
    assert unit_row["runs_signal"] is False
    across = metrics_client.get("/api/v1/dashboards/kpis", query_string={"unit": five_months["ward"]})
    [row] = across.get_json()["items"]
    assert (row["chart_type"], row["variation_icon"], row["runs_signal"]) == ("run", None, False)


def test_the_matrix_says_when_a_run_chart_signals_and_says_nothing_of_runs_for_an_xmr_chart(metrics_client, bearer,
                                                                                           catalogue):
    rising = [4.0 + month / 10 for month in range(12)]  # crosses its median once: too few crossings
    assert run_chart(rising).runs_signal
    record(metrics_client, bearer, catalogue, rising)
    matrix = f"/api/v1/dashboards/units/{catalogue['ward']}/kpis"
    [row] = metrics_client.get(matrix).get_json()["items"]
    assert (row["chart_type"], row["runs_signal"]) == ("run", True)
    record(metrics_client, bearer, catalogue, [5.2], first=12)
    [row] = metrics_client.get(matrix).get_json()["items"]
    assert (row["chart_type"], row["runs_signal"]) == ("xmr", None)


def test_the_chart_of_a_short_series_is_its_run_chart(metrics_client, five_months):
    body = metrics_client.get(chart_url(five_months)).get_json()
    assert (body["chart_type"], body["chart"]) == ("run", None)
    run = body["run_chart"]
    assert (run["values"], run["periods_of_points"]) == (FIVE, MONTHS[:5])
    assert (run["cl"], run["n_obs"], run["runs_signal"]) == (4.5, 5, False)


def test_the_csv_of_a_run_chart_gives_the_median_instead_of_mean_and_limits(metrics_client, bearer, five_months):
    response = metrics_client.post(f"/api/v1/kpis/{five_months['kpi']}/units/{five_months['ward']}/annotations",
                                   headers=bearer("admin"), json={"period": "2023-05", "text": "=1+1"})
    assert response.status_code == 201, response.get_json()
    header, *rows = csv.reader(io.StringIO(metrics_client.get(chart_url(five_months, ".csv")).get_data(as_text=True)))
    assert header == ["period", "value", "median", "annotations"]
    assert [row[0] for row in rows] == MONTHS[:5]
    assert [(float(row[1]), float(row[2])) for row in rows] == [(value, 4.5) for value in FIVE]
    assert rows[-1][3] == "'=1+1"


def test_the_svg_of_a_run_chart_draws_its_median_and_no_limits(metrics_client, five_months):
    svg = ET.fromstring(metrics_client.get(chart_url(five_months, ".svg")).get_data())
    assert svg.find(f"{SVG}desc").text.startswith("Run chart of 5 points around a median of 4.5")
    lines = {line.get("class") for line in svg.iter(f"{SVG}line")}
    assert "median" in lines and not {"mean", "limit lpl", "limit upl"} & lines


def test_the_thirteenth_month_turns_the_run_chart_into_an_xmr_chart(metrics_client, metrics_state, bearer, catalogue):
    record(metrics_client, bearer, catalogue, STEADY)
    assert stored(metrics_state, catalogue["kpi"], catalogue["ward"])["chart_type"] == "run"
    record(metrics_client, bearer, catalogue, [4.5], first=len(STEADY))
    row = stored(metrics_state, catalogue["kpi"], catalogue["ward"])
    assert (row["chart_type"], row["last_point_type"], row["variation_icon"]) == ("xmr", "common_cause",
                                                                                  "common_cause")
    assert len(expanded(row["chart"])["points"]) == 13 and row["chart"]["chart_type"] == "xmr"
    update = events(metrics_state, catalogue, "kpi.updated")[-1]
    assert (update["chart_type"], update["median"], update["runs_signal"]) == ("xmr", None, None)
    assert update["lpl"] < update["mean"] < update["upl"]
    body = metrics_client.get(chart_url(catalogue)).get_json()
    assert (body["chart_type"], body["run_chart"], len(body["chart"]["points"])) == ("xmr", None, 13)


def test_a_special_cause_in_the_run_chart_months_is_not_alerted_when_the_chart_becomes_xmr(
    metrics_client, metrics_state, bearer, catalogue
):
    values = [*STEADY[:5], 9.5, *STEADY[6:], 5.0]  # a spike in the sixth month; the thirteenth is ordinary
    xmr = xmr_chart(values, SpcOptions("decrease"))
    assert (xmr.points[5].point_type, xmr.points[-1].point_type) == ("special_cause_concern", "common_cause")
    record(metrics_client, bearer, catalogue, values)
    assert stored(metrics_state, catalogue["kpi"], catalogue["ward"])["chart_type"] == "xmr"
    assert events(metrics_state, catalogue, "kpi.special_cause_detected") == []
    assert episodes(metrics_state, catalogue) == []


def test_a_series_that_becomes_xmr_on_a_special_cause_alerts_once(metrics_client, metrics_state, bearer, catalogue):
    record(metrics_client, bearer, catalogue, [*STEADY, 9.5])  # the thirteenth month far above the limit
    [alert] = events(metrics_state, catalogue, "kpi.special_cause_detected")
    assert (alert["period"], alert["signal_start"], alert["point_type"]) == ("2024-01", "2024-01",
                                                                             "special_cause_concern")
    record(metrics_client, bearer, catalogue, [9.8], first=13)  # the signal goes on
    assert len(events(metrics_state, catalogue, "kpi.special_cause_detected")) == 1
    assert len(episodes(metrics_state, catalogue)) == 1
