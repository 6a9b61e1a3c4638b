"""A QI project's measures are series in metrics: a project measure becomes a KPI its lead owns and
records, and the start of each PDSA cycle is noted on the charts of the project's measures."""

import uuid
from datetime import UTC, datetime

import pytest

from services.metrics.bootstrap import event_handlers
from shared.consumer import RejectEvent
from shared.db import unit_of_work
from shared.events import REGISTRY, new_event

pytestmark = pytest.mark.integration


def handle(state, event):
    handler = event_handlers(state.settings, state.pool)[event.type]
    with unit_of_work(state.pool, "metrics") as uow:
        handler(uow, event, REGISTRY.load(event))


def measure_linked(project_id, unit_code, **changes):
    lead = f"lead-{project_id[:8]}@hospital.example"
    return new_event("project.measure_linked", {
        "project_id": project_id, "measure_id": str(uuid.uuid4()), "kind": "outcome", "name": "Falls per month",
        "kpi_code": f"P-{project_id[:8]}-1", "unit_code": unit_code, "created": True, "unit_of_measure": "count",
        "direction": "lower_is_better", "owner": f"lead-{project_id[:8]}", "owner_email": lead,
        "description": "Inpatient falls on the ward, counted from incident reports", **changes,
    }, source="urn:wtgr:projects", subject=project_id)


def cycle_started(project_id, series, number=2, started_on="2025-03-10"):
    return new_event("pdsa.cycle_started", {
        "project_id": project_id, "cycle_id": str(uuid.uuid4()), "cycle_number": number,
        "change_idea": "Hourly rounding at night", "title": "Fewer falls on Ward 7", "planned_start": "2025-03-01",
        "started_on": started_on, "series": series, "audience": [], "path": f"/projects/{project_id}",
    }, source="urn:wtgr:projects", subject=project_id)


@pytest.fixture
def project_measure(metrics_state, catalogue):
    """A project measure of a fresh project on the catalogue's ward, made a KPI."""
    project_id = str(uuid.uuid4())
    event = measure_linked(project_id, catalogue["ward"])
    handle(metrics_state, event)
    return {"kpi": event.data["kpi_code"], "unit": catalogue["ward"], "lead": event.data["owner_email"],
            "project_id": project_id, "event": event}


def as_lead(issuer, measure):
    return {"Authorization": f"Bearer {issuer.issue('lead', ['staff'], email=measure['lead'])}"}


def test_a_created_project_measure_becomes_a_kpi_owned_by_the_project_lead(metrics_client, bearer, project_measure):
    kpi = metrics_client.get(f"/api/v1/kpis/{project_measure['kpi']}", headers=bearer("admin")).get_json()
    assert (kpi["name"], kpi["unit_of_measure"], kpi["improvement_direction"]) == (
        "Falls per month", "count", "decrease")
    assert kpi["owners"] == [project_measure["lead"]]
    assert kpi["description"] == "Inpatient falls on the ward, counted from incident reports"


def test_the_same_link_told_again_creates_nothing_more(metrics_state, project_measure):
    again = new_event("project.measure_linked", project_measure["event"].data, source="urn:wtgr:projects")
    handle(metrics_state, again)
    with metrics_state.pool.connection() as conn:
        links = conn.execute("SELECT count(*) AS n FROM project_measures WHERE project_id = %s",
                             (project_measure["project_id"],)).fetchone()
        kpis = conn.execute("SELECT count(*) AS n FROM kpis WHERE code = %s", (project_measure["kpi"],)).fetchone()
    assert (links["n"], kpis["n"]) == (1, 1)


def test_the_lead_records_the_project_measure_and_it_is_charted(metrics_client, issuer, project_measure):
    response = metrics_client.post("/api/v1/measures", headers=as_lead(issuer, project_measure), json={
        "kpi_code": project_measure["kpi"], "unit_code": project_measure["unit"], "period": "2025-02", "value": 7,
        "source": "ward incident reports"})
    assert response.status_code == 201
    chart = metrics_client.get(f"/api/v1/kpis/{project_measure['kpi']}/units/{project_measure['unit']}/chart")
    assert chart.status_code == 200
    body = chart.get_json()
    assert (body["first_period"], body["last_period"], body["chart_type"]) == ("2025-02", "2025-02", "run")


def test_staff_who_do_not_own_a_kpi_cannot_record_it(metrics_client, issuer, project_measure, catalogue):
    someone = {"Authorization": f"Bearer {issuer.issue('other', ['staff'], email='other@hospital.example')}"}
    response = metrics_client.post("/api/v1/measures", headers=someone, json={
        "kpi_code": project_measure["kpi"], "unit_code": project_measure["unit"], "period": "2025-02", "value": 7,
        "source": "ward incident reports"})
    assert response.status_code == 403
    lead_elsewhere = metrics_client.post("/api/v1/measures", headers=as_lead(issuer, project_measure), json={
        "kpi_code": catalogue["kpi"], "unit_code": catalogue["ward"], "period": "2025-02", "value": 4.2,
        "source": "pas"})
    assert lead_elsewhere.status_code == 403, "owning one KPI does not open another"


def test_a_link_to_an_existing_kpi_creates_no_kpi_and_keeps_the_link(metrics_state, catalogue):
    project_id = str(uuid.uuid4())
    event = measure_linked(project_id, catalogue["ward"], kpi_code=catalogue["kpi"], created=False,
                           unit_of_measure=None, direction=None, owner=None, owner_email=None)
    handle(metrics_state, event)
    with metrics_state.pool.connection() as conn:
        [link] = conn.execute("SELECT kpi_code, created_kpi FROM project_measures WHERE project_id = %s",
                              (project_id,)).fetchall()
        owners = conn.execute("SELECT owners FROM kpis WHERE code = %s", (catalogue["kpi"],)).fetchone()["owners"]
    assert (link["kpi_code"], link["created_kpi"]) == (catalogue["kpi"], False)
    assert owners == ["owner@hospital.example"], "the existing KPI is left as it was"


def test_a_link_to_a_kpi_metrics_does_not_have_is_rejected(metrics_state, catalogue):
    event = measure_linked(str(uuid.uuid4()), catalogue["ward"], kpi_code="NO-SUCH-KPI", created=False)
    with pytest.raises(RejectEvent, match="NO-SUCH-KPI"):
        handle(metrics_state, event)


def test_a_unit_of_measure_the_catalogue_does_not_know_is_rejected(metrics_state, catalogue):
    event = measure_linked(str(uuid.uuid4()), catalogue["ward"], unit_of_measure="furlongs")
    with pytest.raises(RejectEvent, match="furlongs"):
        handle(metrics_state, event)


def test_a_pdsa_cycles_start_is_noted_once_on_the_chart_and_drawn_on_its_svg(metrics_state, metrics_client, issuer,
                                                                          project_measure):
    for period, value in (("2025-02", 7), ("2025-03", 5), ("2025-04", 4)):
        assert metrics_client.post("/api/v1/measures", headers=as_lead(issuer, project_measure), json={
            "kpi_code": project_measure["kpi"], "unit_code": project_measure["unit"], "period": period,
            "value": value, "source": "ward incident reports"}).status_code == 201
    series = [{"kpi_code": project_measure["kpi"], "unit_code": project_measure["unit"]},
              {"kpi_code": "NOT-IN-METRICS", "unit_code": project_measure["unit"]}]
    started = cycle_started(project_measure["project_id"], series)
    handle(metrics_state, started)
    handle(metrics_state, new_event("pdsa.cycle_started", started.data, source="urn:wtgr:projects"))  # told again

    chart = f"/api/v1/kpis/{project_measure['kpi']}/units/{project_measure['unit']}/chart"
    notes = metrics_client.get(chart).get_json()["annotations"]
    assert [(note["period"], note["text"], note["pdsa_ref"]) for note in notes] == [
        ("2025-03", "PDSA 2: Hourly rounding at night", started.data["cycle_id"])]
    svg = metrics_client.get(f"{chart}.svg").get_data(as_text=True)
    assert "2025-03: PDSA 2: Hourly rounding at night" in svg


def test_an_idea_told_by_two_versions_of_its_event_is_counted_once(metrics_state):
    idea_id = str(uuid.uuid4())
    when = datetime(2021, 5, 3, tzinfo=UTC)
    v1 = {"idea_id": idea_id, "title": "Quieter nights", "description": "Dim the lights", "submitted_by": "sam"}
    before = ideas_in_may_2021(metrics_state)
    handle(metrics_state, new_event("idea.submitted", v1, source="urn:wtgr:ideas", now=when))
    handle(metrics_state, new_event("idea.submitted", {**v1, "channel": "staff", "audience": [],
                                                       "path": f"/ideas/{idea_id}"},
                                    source="urn:wtgr:ideas", version=2, now=when))
    assert ideas_in_may_2021(metrics_state) == before + 1


def ideas_in_may_2021(state) -> float:
    with state.pool.connection() as conn:
        row = conn.execute("SELECT value FROM current_measures WHERE kpi_code = 'IDEAS_SUBMITTED'"
                           " AND unit_code = 'TRUST' AND period = '2021-05-01'").fetchone()
    return row["value"] if row else 0.0
