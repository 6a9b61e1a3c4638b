"""The unit KPI matrix served from its per-process cache (entrypoints/matrix_cache.py, migration 0038):
kept while nothing it shows changes, never served stale after any write that changes it, whoever writes
(the API, or the consumer and aggregator processes writing the same tables)."""

import uuid

import pytest

from services.metrics.adapters import dashboard_store
from services.metrics.entrypoints.dashboard_api import MATRIX_CACHE
from services.metrics.tests.integration.test_dashboards import matrix, record
from shared.db import unit_of_work

pytestmark = pytest.mark.integration

MONTHS = ["2024-01", "2024-02", "2024-03"]


@pytest.fixture
def ward(metrics_client, bearer):
    """A trust and a ward with two KPIs measured for three months (run charts), and a second ward."""
    suffix = uuid.uuid4().hex[:8].upper()
    admin = bearer("admin")
    codes = {"trust": f"CT-{suffix}", "ward": f"CW-{suffix}", "other": f"CO-{suffix}", "stay": f"A-CSTAY-{suffix}",
             "waits": f"B-CWAIT-{suffix}"}
    for code, name, level, parent in ((codes["trust"], "Trust", "trust", None),
                                      (codes["ward"], "Ward 7", "ward", codes["trust"]),
                                      (codes["other"], "Ward 8", "ward", codes["trust"])):
        assert metrics_client.post("/api/v1/units", json={"code": code, "name": name, "level": level,
                                                          "parent_code": parent}, headers=admin).status_code == 201
    for key, name in (("stay", "Average length of stay"), ("waits", "Days waiting")):
        assert metrics_client.post("/api/v1/kpis", json={
            "code": codes[key], "name": name, "unit_of_measure": "days", "improvement_direction": "decrease",
            "owners": ["owner@hospital.example"]}, headers=admin).status_code == 201
        for month, value in zip(MONTHS, (4.5, 4.6, 4.4), strict=True):
            record(metrics_client, bearer, codes[key], codes["ward"], month, value)
    return codes


def rows(client, unit, **query):
    return {row["kpi_code"]: row for row in matrix(client, unit, **query)["items"]}


@pytest.fixture
def reads(monkeypatch):
    """How many times the matrix's rows were read from the database (not from the cache)."""
    counted = []
    read = dashboard_store.kpi_matrix

    def counting(*args, **kwargs):
        counted.append(args[1])
        return read(*args, **kwargs)

    monkeypatch.setattr(dashboard_store, "kpi_matrix", counting)
    return counted


def write(metrics_state, sql, params):
    """A write made outside the API, as the consumer and the aggregator worker make theirs."""
    with unit_of_work(metrics_state.pool, "metrics") as uow:
        assert uow.execute(sql, params).rowcount >= 1


def test_an_unchanged_matrix_is_read_once_and_then_served_from_the_cache(metrics_client, ward, reads):
    first = matrix(metrics_client, ward["ward"])
    assert matrix(metrics_client, ward["ward"]) == first
    assert matrix(metrics_client, ward["ward"], page_size=1)["items"] == first["items"][:1]
    assert reads == [ward["ward"], ward["ward"]]  # once per query: the default page, then page_size=1
    assert len(metrics_client.application.extensions[MATRIX_CACHE]) >= 2


def test_a_write_to_another_unit_leaves_the_matrix_in_the_cache(metrics_client, bearer, ward, reads):
    matrix(metrics_client, ward["ward"])
    record(metrics_client, bearer, ward["stay"], ward["other"], "2024-01", 7.0)
    matrix(metrics_client, ward["ward"])
    assert reads == [ward["ward"]]


def test_a_newly_charted_month_shows_at_once(metrics_client, bearer, ward, reads):
    assert rows(metrics_client, ward["ward"])[ward["stay"]]["latest_period"] == "2024-03"
    record(metrics_client, bearer, ward["stay"], ward["ward"], "2024-04", 6.1)
    stay = rows(metrics_client, ward["ward"])[ward["stay"]]
    assert (stay["latest_period"], stay["latest_value"]) == ("2024-04", 6.1)
    assert stay["sparkline"][-1] == {"period": "2024-04", "value": 6.1}
    assert len(reads) == 2


def test_a_revised_month_shows_at_once(metrics_client, bearer, ward):
    rows(metrics_client, ward["ward"])
    record(metrics_client, bearer, ward["waits"], ward["ward"], "2024-03", 3.3)
    assert rows(metrics_client, ward["ward"])[ward["waits"]]["sparkline"][-1]["value"] == 3.3


def test_a_renamed_kpi_shows_at_once(metrics_client, bearer, ward):
    assert rows(metrics_client, ward["ward"])[ward["stay"]]["name"] == "Average length of stay"
    renamed = metrics_client.patch(f"/api/v1/kpis/{ward['stay']}", json={"name": "Mean stay"}, headers=bearer("admin"))
    assert renamed.status_code == 200, renamed.get_json()
    assert rows(metrics_client, ward["ward"])[ward["stay"]]["name"] == "Mean stay"


def test_a_kpis_new_key_question_shows_in_the_filtered_matrix_at_once(metrics_client, bearer, ward):
    assert rows(metrics_client, ward["ward"], cqc="safe") == {}
    changed = metrics_client.patch(f"/api/v1/kpis/{ward['waits']}", json={"cqc": ["safe"]}, headers=bearer("admin"))
    assert changed.status_code == 200, changed.get_json()
    assert list(rows(metrics_client, ward["ward"], cqc="safe")) == [ward["waits"]]


def test_a_target_set_shows_at_once(metrics_client, bearer, ward):
    assert rows(metrics_client, ward["ward"])[ward["waits"]]["target"] is None
    set_target = metrics_client.post(f"/api/v1/kpis/{ward['waits']}/targets", headers=bearer("admin"),
                                     json={"effective_from": "2024-01", "target": 5.0})
    assert set_target.status_code == 201, set_target.get_json()
    assert rows(metrics_client, ward["ward"])[ward["waits"]]["target"] == 5.0


def test_a_renamed_unit_shows_at_once(metrics_client, bearer, ward):
    assert matrix(metrics_client, ward["ward"])["unit"]["name"] == "Ward 7"
    renamed = metrics_client.patch(f"/api/v1/units/{ward['ward']}", json={"name": "Ward 7 (acute)"},
                                   headers=bearer("admin"))
    assert renamed.status_code == 200, renamed.get_json()
    assert matrix(metrics_client, ward["ward"])["unit"]["name"] == "Ward 7 (acute)"


# One per table the matrix reads, written outside the API (the aggregator storing a chart, the consumer a
# month's value): each must move the version on its own.
OUTSIDE_WRITES = {
    "chart stored": ("UPDATE spc_charts SET last_value = 42 WHERE kpi_code = %(stay)s AND unit_code = %(ward)s",
                     lambda found, ward: found["items"][0]["latest_value"] == 42),
    "value stored": ("UPDATE kpi_values SET value = 42 WHERE kpi_code = %(stay)s AND unit_code = %(ward)s"
                     " AND period = '2024-03-01'",
                     lambda found, ward: found["items"][0]["sparkline"][-1]["value"] == 42),
    "value removed": ("DELETE FROM kpi_values WHERE kpi_code = %(stay)s AND unit_code = %(ward)s"
                      " AND period = '2024-01-01'",
                      lambda found, ward: len(found["items"][0]["sparkline"]) == 2),
    "chart removed": ("DELETE FROM spc_charts WHERE kpi_code = %(stay)s AND unit_code = %(ward)s",
                      lambda found, ward: [row["kpi_code"] for row in found["items"]] == [ward["waits"]]),
    "kpi changed": ("UPDATE kpis SET decimal_places = 3 WHERE code = %(stay)s",
                    lambda found, ward: found["items"][0]["decimal_places"] == 3),
    "target set": ("INSERT INTO kpi_targets (kpi_code, effective_from, target, set_by)"
                   " VALUES (%(stay)s, '2024-01-01', 4.0, 'test')",
                   lambda found, ward: found["items"][0]["target"] == 4.0),
    "unit changed": ("UPDATE units SET level = 'theatre' WHERE code = %(ward)s",
                     lambda found, ward: found["unit"]["level"] == "theatre"),
}


@pytest.mark.parametrize("what", OUTSIDE_WRITES)
def test_a_write_by_another_process_shows_at_once(metrics_client, metrics_state, ward, what):
    sql, shows = OUTSIDE_WRITES[what]
    assert not shows(matrix(metrics_client, ward["ward"]), ward)
    write(metrics_state, sql, ward)
    assert shows(matrix(metrics_client, ward["ward"]), ward)


def test_a_rolled_back_write_leaves_the_matrix_in_the_cache(metrics_client, metrics_state, ward, reads):
    matrix(metrics_client, ward["ward"])
    with pytest.raises(RuntimeError), unit_of_work(metrics_state.pool, "metrics") as uow:
        uow.execute("UPDATE spc_charts SET last_value = 42 WHERE unit_code = %s", (ward["ward"],))
        raise RuntimeError("rolled back")
    assert matrix(metrics_client, ward["ward"])["items"][0]["latest_value"] == 4.4
    assert reads == [ward["ward"]]


def test_the_etag_answers_if_none_match_with_a_304_until_the_matrix_changes(metrics_client, bearer, ward):
    url = f"/api/v1/dashboards/units/{ward['ward']}/kpis"
    first = metrics_client.get(url)
    assert first.headers["ETag"].startswith('"') and first.headers["Cache-Control"] == "private, no-cache"
    unchanged = metrics_client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert (unchanged.status_code, unchanged.data, unchanged.headers["ETag"]) == (304, b"", first.headers["ETag"])
    assert metrics_client.get(url, query_string={"page_size": 1},
                              headers={"If-None-Match": first.headers["ETag"]}).status_code == 200
    record(metrics_client, bearer, ward["stay"], ward["ward"], "2024-04", 6.1)
    changed = metrics_client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != first.headers["ETag"]


def test_the_same_matrix_gets_the_same_etag_when_made_again(metrics_client, ward):
    url = f"/api/v1/dashboards/units/{ward['ward']}/kpis"
    first = metrics_client.get(url)
    metrics_client.application.extensions[MATRIX_CACHE].clear()
    again = metrics_client.get(url)
    assert (again.headers["ETag"], again.data) == (first.headers["ETag"], first.data)
