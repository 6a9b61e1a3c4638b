"""Signals people act on: a special cause opens a signal told once to the KPI's owners and to the
teams of projects measuring the series; owners acknowledge, explain, plan action and close it;
nobody acknowledging it is chased."""

import json
import uuid
from datetime import date

import pytest

from services.metrics.bootstrap import event_handlers
from services.metrics.domain.signal_life import Chase
from services.metrics.service_layer import signals
from shared.db import unit_of_work
from shared.events import REGISTRY, Envelope, new_event

pytestmark = pytest.mark.integration

OWNER = "owner@hospital.example"
STEADY = [5.1, 4.9, 5.0, 5.2, 4.8, 5.0, 5.1, 4.9, 5.0, 5.2, 4.8, 5.0, 5.1, 4.9]


def handle(state, event):
    handler = event_handlers(state.settings, state.pool)[event.type]
    with unit_of_work(state.pool, "metrics") as uow:
        handler(uow, event, REGISTRY.load(event))


def outbox(state, event_type, key):
    with state.pool.connection() as conn:
        rows = conn.execute("SELECT envelope FROM outbox WHERE event_type = %s AND key = %s ORDER BY position",
                            (event_type, key)).fetchall()
    return [Envelope.from_json(json.dumps(row["envelope"])) for row in rows]


def project_event(event_type, project_id, **data):
    return new_event(event_type, {"project_id": project_id, "path": f"/projects/{project_id}", **data},
                     source="urn:wtgr:projects", subject=project_id, version=2)


@pytest.fixture
def project(metrics_state, catalogue):
    """An active project measuring the catalogue's KPI on its ward, led by Lee."""
    project_id = str(uuid.uuid4())
    team = [{"subject": "lee", "name": "Lee Park", "email": f"lee-{project_id[:6]}@hospital.example", "role": "lead"},
            {"subject": "sam", "name": "Sam", "email": OWNER, "role": "member"}]
    handle(metrics_state, project_event("project.created", project_id, title="Home for lunch", idea_id=None,
                                        directorate=None, unit_code=None, stage="submitted", created_by="lee",
                                        team=team, audience=[]))
    handle(metrics_state, new_event("project.measure_linked", {
        "project_id": project_id, "measure_id": str(uuid.uuid4()), "kind": "outcome", "name": "Length of stay",
        "kpi_code": catalogue["kpi"], "unit_code": catalogue["ward"], "created": False},
        source="urn:wtgr:projects", subject=project_id))
    handle(metrics_state, project_event("project.stage_changed", project_id, title="Home for lunch",
                                        from_stage="approved", to_stage="active", changed_by="lee", audience=[]))
    return {"id": project_id, "lead": team[0]["email"]}


def special_cause(metrics_client, metrics_state, bearer, catalogue):
    """Fourteen steady months then one far above the limit; the alert metrics emitted for it."""
    for index, value in enumerate([*STEADY, 12.0]):
        response = metrics_client.post("/api/v1/measures", headers=bearer("feed"), json={
            "kpi_code": catalogue["kpi"], "unit_code": catalogue["ward"], "period": f"{2023 + index // 12}-"
            f"{index % 12 + 1:02d}", "value": value, "source": "test"})
        assert response.status_code == 201
    [alert] = outbox(metrics_state, "kpi.special_cause_detected", f"{catalogue['kpi']}|{catalogue['ward']}")
    return alert


@pytest.fixture
def opened(metrics_client, metrics_state, bearer, catalogue, project):
    alert = special_cause(metrics_client, metrics_state, bearer, catalogue)
    handle(metrics_state, alert)
    [signal] = special_causes(metrics_client, catalogue)
    return {**signal, "alert": alert}


def special_causes(client, catalogue):
    """The series' special-cause signals (its run chart may have signalled too, while it was short)."""
    items = client.get(f"/api/v1/signals?kpi={catalogue['kpi']}&unit={catalogue['ward']}").get_json()["items"]
    return [item for item in items if item["kind"] == "special_cause"]


def owner(issuer, email=OWNER):
    return {"Authorization": f"Bearer {issuer.issue('alice.owner', ['staff'], email=email)}"}


def step(client, signal_id, name, body, headers, version):
    return client.post(f"/api/v1/signals/{signal_id}/{name}", json=body,
                       headers={**headers, "If-Match": f'"{version}"'})


def test_a_special_cause_opens_a_signal_told_once_to_the_owners_and_the_linked_project_team(
        metrics_client, metrics_state, catalogue, project, opened):
    assert (opened["kind"], opened["state"], opened["period"], opened["point_type"]) == (
        "special_cause", "open", "2024-03", "special_cause_concern")
    handle(metrics_state, opened["alert"])  # told again: nothing more
    assert len(special_causes(metrics_client, catalogue)) == 1
    [told] = outbox(metrics_state, "signal.opened", f"{catalogue['kpi']}|{catalogue['ward']}")
    assert [(p["email"], p["relation"]) for p in told.data["audience"]] == [(OWNER, "kpi_owner"),
                                                                           (project["lead"], "lead")]
    assert told.data["projects"] == [{"project_id": project["id"], "title": "Home for lunch"}]
    assert told.data["path"] == f"/signals/{opened['id']}"
    listed = metrics_client.get(f"/api/v1/projects/{project['id']}/signals").get_json()["items"]
    assert [item["id"] for item in listed] == [opened["id"]]


def test_the_owner_acknowledges_explains_by_a_pdsa_cycle_and_closes_by_a_rebase(
        metrics_client, metrics_state, issuer, bearer, catalogue, project, opened):
    signal_id, alice = opened["id"], owner(issuer)
    assert step(metrics_client, signal_id, "acknowledgement", {}, bearer("staff"), 1).status_code == 403
    assert step(metrics_client, signal_id, "explanation", {"cause": "A new discharge lounge"}, alice,
                1).status_code == 409
    assert step(metrics_client, signal_id, "acknowledgement", {"note": "Seen"}, alice, 7).status_code == 412
    acknowledged = step(metrics_client, signal_id, "acknowledgement", {"note": "Seen"}, alice, 1)
    assert acknowledged.status_code == 200 and acknowledged.headers["ETag"] == '"2"'
    assert acknowledged.get_json()["acknowledged_by"] == "alice.owner"
    cycle_id = str(uuid.uuid4())
    assert step(metrics_client, signal_id, "explanation", {"cause": "Discharge lounge", "pdsa_cycle_id": cycle_id},
                alice, 2).status_code == 422
    handle(metrics_state, new_event("pdsa.cycle_started", {
        "project_id": project["id"], "cycle_id": cycle_id, "cycle_number": 1, "change_idea": "Discharge lounge",
        "title": "Home for lunch", "planned_start": "2024-03-01", "started_on": "2024-03-04",
        "series": [{"kpi_code": catalogue["kpi"], "unit_code": catalogue["ward"]}], "audience": [],
        "path": f"/projects/{project['id']}"}, source="urn:wtgr:projects"))
    explained = step(metrics_client, signal_id, "explanation", {"cause": "Discharge lounge", "pdsa_cycle_id": cycle_id},
                     alice, 2)
    assert explained.status_code == 200
    assert (explained.get_json()["state"], explained.get_json()["pdsa_cycle_id"]) == ("explained", cycle_id)
    assert step(metrics_client, signal_id, "closure", {"closed_as": "returned_to_common_cause",
                                                        "reason": "back to normal"}, alice, 3).status_code == 409
    closed = step(metrics_client, signal_id, "closure", {"closed_as": "rebased", "reason": "Lounge adopted",
                                                          "rebase_from": "2024-03"}, alice, 3)
    assert closed.status_code == 200, closed.get_json()
    assert (closed.get_json()["state"], closed.get_json()["closed_as"]) == ("closed", "rebased")
    chart = metrics_client.get(f"/api/v1/kpis/{catalogue['kpi']}/units/{catalogue['ward']}/chart").get_json()
    assert [r["reason"] for r in chart["rebases"]] == ["Lounge adopted"]
    history = metrics_client.get(f"/api/v1/signals/{signal_id}/history").get_json()["items"]
    assert [h["to_state"] for h in history] == ["open", "acknowledged", "explained", "closed"]
    assert [h["changed_by"] for h in history[1:]] == ["alice.owner"] * 3
    steps = [e.type for e in outbox(metrics_state, "signal.closed", f"{catalogue['kpi']}|{catalogue['ward']}")]
    assert steps == ["signal.closed"]


def test_an_action_plan_names_a_project_metrics_knows(metrics_client, issuer, project, opened):
    alice = owner(issuer)
    assert step(metrics_client, opened["id"], "acknowledgement", {}, alice, 1).status_code == 200
    unknown = step(metrics_client, opened["id"], "action-plan", {"action": "Test a checklist",
                                                                  "project_id": str(uuid.uuid4())}, alice, 2)
    assert unknown.status_code == 422 and "project_id" in unknown.get_json()["errors"]
    planned = step(metrics_client, opened["id"], "action-plan", {"action": "Test a checklist",
                                                                  "project_id": project["id"]}, alice, 2)
    assert (planned.get_json()["state"], planned.get_json()["project_id"]) == ("action_planned", project["id"])


def test_a_signal_nobody_acknowledges_is_reminded_then_escalated_to_the_lead_once_each(
        metrics_client, metrics_state, bearer, catalogue, opened):
    lead = metrics_client.put(f"/api/v1/units/{catalogue['trust']}/lead", headers=bearer("admin"),
                              json={"email": "dir.lead@hospital.example", "name": "Dr Lee"})
    assert lead.status_code == 200
    with metrics_state.pool.connection() as conn:
        conn.execute("UPDATE signals SET opened_at = '2026-11-23T09:00:00Z' WHERE id = %s", (opened["id"],))
    for _ in range(2):
        with unit_of_work(metrics_state.pool, "metrics") as uow:
            signals.chase(uow, date(2026, 12, 2), Chase(remind_after=3, escalate_after=5))
    key = f"{catalogue['kpi']}|{catalogue['ward']}"
    [reminder] = outbox(metrics_state, "signal.reminder", key)
    [escalation] = outbox(metrics_state, "signal.escalated", key)
    assert [p["email"] for p in reminder.data["audience"]] == [OWNER]
    assert escalation.data["audience"] == [{"email": "dir.lead@hospital.example", "name": "Dr Lee",
                                            "relation": "unit_lead"}]
    assert escalation.data["working_days"] == 7


def test_a_run_chart_that_signals_opens_one_signal_until_it_is_closed(metrics_client, metrics_state, catalogue):
    def run_update():
        return new_event("kpi.updated", {
            "kpi_code": catalogue["kpi"], "kpi_name": "ALOS", "unit_code": catalogue["ward"], "unit_name": "Ward 7",
            "period": "2024-08", "value": 3.0, "revision": 0, "unit_of_measure": "days", "owners": [OWNER],
            "source": "test", "chart_type": "run", "runs_signal": True, "latest_period": "2024-08",
            "latest_value": 3.0, "series": [{"period": "2024-01", "value": 5.0}]}, source="urn:wtgr:metrics")
    handle(metrics_state, run_update())
    handle(metrics_state, run_update())
    [signal] = metrics_client.get(f"/api/v1/signals?kpi={catalogue['kpi']}&unit={catalogue['ward']}&state=open"
                                  ).get_json()["items"]
    assert (signal["kind"], signal["signal_start"], signal["period"]) == ("run_chart", "2024-01", "2024-08")
