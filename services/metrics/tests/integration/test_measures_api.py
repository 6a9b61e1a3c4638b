import uuid

import pytest

pytestmark = pytest.mark.integration


def measure(catalogue, **changes):
    return {"kpi_code": catalogue["kpi"], "unit_code": catalogue["ward"], "period": "2026-09", "value": 4.5,
            "source": "pas-feed", **changes}


def revisions(client, catalogue, period="2026-09"):
    response = client.get(f"/api/v1/kpis/{catalogue['kpi']}/units/{catalogue['ward']}/measures/{period}/revisions")
    return response.get_json() if response.status_code == 200 else []


def outbox_events(state, kpi_code, event_type="kpi.updated"):
    with state.pool.connection() as conn:
        return conn.execute(
            "SELECT envelope FROM outbox WHERE event_type = %s AND envelope->'data'->>'kpi_code' = %s"
            " ORDER BY position", (event_type, kpi_code),
        ).fetchall()


def test_a_posted_measure_is_stored_and_announces_kpi_updated(metrics_client, metrics_state, catalogue, bearer):
    response = metrics_client.post("/api/v1/measures", json=measure(catalogue), headers=bearer("feed"))
    assert response.status_code == 201
    assert response.get_json()["revision"] == 1
    by_subject = {row["envelope"]["subject"]: row["envelope"] for row in outbox_events(metrics_state, catalogue["kpi"])}
    ward = by_subject.pop(f"{catalogue['kpi']}|{catalogue['ward']}")
    [trust] = by_subject.values()
    assert ward["data"]["value"] == 4.5
    assert ward["data"]["cause"] == "measure"
    assert ward["data"]["owners"] == ["owner@hospital.example"]
    assert trust["subject"] == f"{catalogue['kpi']}|{catalogue['trust']}", "the ward's trust is rolled up too"
    assert trust["data"]["cause"] == "rollup"


def test_the_same_figures_again_change_nothing(metrics_client, metrics_state, catalogue, bearer):
    for _ in range(2):
        response = metrics_client.post("/api/v1/measures", json=measure(catalogue), headers=bearer("feed"))
    assert response.status_code == 200
    assert response.get_json()["changed"] is False
    assert len(revisions(metrics_client, catalogue)) == 1
    assert len(outbox_events(metrics_state, catalogue["kpi"])) == 2  # the ward and its trust, once


def test_a_later_revision_supersedes_the_value_and_both_are_kept(metrics_client, catalogue, bearer):
    metrics_client.post("/api/v1/measures", json=measure(catalogue), headers=bearer("feed"))
    response = metrics_client.post("/api/v1/measures", json=measure(catalogue, value=4.1, source="warehouse-fix"),
                                   headers=bearer("kpi_owner"))
    assert response.status_code == 201
    history = revisions(metrics_client, catalogue)
    assert [(r["revision"], r["value"], r["source"]) for r in history] == [
        (1, 4.5, "pas-feed"), (2, 4.1, "warehouse-fix")]
    assert [r["recorded_by"] for r in history] == ["tester", "tester"], "who recorded each revision is kept"
    series = metrics_client.get(f"/api/v1/kpis/{catalogue['kpi']}/units/{catalogue['ward']}/measures").get_json()
    assert [(p["period"], p["value"], p["revision"]) for p in series] == [("2026-09", 4.1, 2)]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kpi_code": "NO-SUCH-KPI"}, "kpi_code"),
        ({"unit_code": "NO-SUCH-UNIT"}, "unit_code"),
        ({"period": "2099-01"}, "period"),
        ({"period": "2026-13"}, "period"),
        ({"value": -1.0}, "value"),
        ({"value": "4,5"}, "value"),
        ({"numerator": 3.0}, "denominator"),
        ({"source": ""}, "source"),
    ],
)
def test_a_bad_measure_gets_a_problem_naming_the_field_and_stores_nothing(
    metrics_client, metrics_state, catalogue, bearer, changes, field
):
    response = metrics_client.post("/api/v1/measures", json=measure(catalogue, **changes), headers=bearer("feed"))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert revisions(metrics_client, catalogue) == []
    assert outbox_events(metrics_state, catalogue["kpi"]) == []


def test_a_percentage_over_100_is_impossible(metrics_client, catalogue, bearer):
    admin = bearer("admin")
    code = catalogue["kpi"].replace("ALOS", "UTIL")
    metrics_client.post("/api/v1/kpis", json={"code": code, "name": "Theatre utilisation", "unit_of_measure": "percent",
                                              "improvement_direction": "increase"}, headers=admin)
    response = metrics_client.post("/api/v1/measures", json=measure(catalogue, kpi_code=code, value=104.0),
                                   headers=bearer("feed"))
    assert response.status_code == 422
    assert "impossible" in response.get_json()["errors"]["value"][0]


def test_recording_a_measure_needs_a_token_with_the_feed_or_kpi_owner_role(metrics_client, anonymous_metrics_client,
                                                                           catalogue, bearer):
    assert anonymous_metrics_client.post("/api/v1/measures", json=measure(catalogue)).status_code == 401
    refused = metrics_client.post("/api/v1/measures", json=measure(catalogue), headers=bearer("staff"))
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert revisions(metrics_client, catalogue) == []


def test_an_unparseable_body_is_a_400_problem(metrics_client, bearer):
    response = metrics_client.post("/api/v1/measures", data=b"{not json", headers={
        **bearer("feed"), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_a_body_over_the_size_limit_is_refused_with_413(metrics_client, bearer):
    response = metrics_client.post("/api/v1/measures", data=b"x" * (2 * 1024 * 1024), headers={
        **bearer("feed"), "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_a_duplicate_kpi_code_is_a_409_conflict(metrics_client, catalogue, bearer):
    response = metrics_client.post("/api/v1/kpis", json={"code": catalogue["kpi"], "name": "again", "unit_of_measure":
                                                         "days", "improvement_direction": "decrease"},
                                   headers=bearer("admin"))
    assert response.status_code == 409


def test_lists_are_paginated(metrics_client, catalogue):
    page = metrics_client.get("/api/v1/units?page=1&page_size=1").get_json()
    assert len(page["items"]) == 1
    assert page["total"] >= 2
    assert metrics_client.get("/api/v1/units?page=0").status_code == 422


def test_the_service_is_ready_and_describes_itself(metrics_client):
    assert metrics_client.get("/healthz").status_code == 200
    assert metrics_client.get("/readyz").get_json()["status"] == "ready"
    spec = metrics_client.get("/openapi.json").get_json()
    assert "/api/v1/measures" in spec["paths"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    assert list(spec["components"]["responses"]["DEFAULT_ERROR"]["content"]) == ["application/problem+json"]
    assert metrics_client.get("/docs").status_code == 200


def test_the_requests_correlation_id_follows_it_into_the_events_it_causes(metrics_client, metrics_state, catalogue,
                                                                           bearer):
    response = metrics_client.post("/api/v1/measures", json=measure(catalogue),
                                   headers={**bearer("feed"), "X-Correlation-ID": "portal-req-42"})
    assert response.headers["X-Correlation-ID"] == "portal-req-42"
    events = outbox_events(metrics_state, catalogue["kpi"])
    assert events and {row["envelope"]["correlationid"] for row in events} == {"portal-req-42"}


def test_text_the_database_cannot_hold_is_a_422_problem_and_stores_nothing(metrics_client, bearer):
    code = f"NUL-{uuid.uuid4().hex[:6]}"
    response = metrics_client.post("/api/v1/kpis", headers=bearer("admin"), json={
        "code": code, "name": "Length\u0000of stay", "unit_of_measure": "days", "improvement_direction": "decrease"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert metrics_client.get(f"/api/v1/kpis/{code}").status_code == 404


@pytest.mark.parametrize("query", ["page=33938599417851412480000", "page=1000001", "page_size=201"])
def test_a_page_beyond_any_list_is_refused(metrics_client, query):
    assert metrics_client.get(f"/api/v1/kpis?{query}").status_code == 422


def test_a_month_before_1900_is_refused(metrics_client, catalogue, bearer):
    response = metrics_client.post("/api/v1/measures", json=measure(catalogue, period="0000-01"),
                                   headers=bearer("feed"))
    assert response.status_code == 422
    assert "period" in response.get_json()["errors"]
