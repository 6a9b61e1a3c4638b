"""A QI project's journey through the real processes: an idea's acceptance and a KPI's first value
reach the projects consumer from Kafka; a QI lead registers the project from the idea, approves
it, draws its driver diagram, links the KPI, runs a PDSA cycle and completes it; the completion
leaves through the projects relay as project.completed v2, telling the idea's submitter."""

import json
import time
import uuid
from datetime import date

import pytest
import requests
from kafka import KafkaProducer

from services.conftest import messages_with_key
from shared import topics
from shared.events import new_event

pytestmark = pytest.mark.e2e

SUBMITTER = {"email": "pat.public@example.org", "name": "Pat", "relation": "submitter"}


def until(answer_of, done, timeout=60):
    """Calls ``answer_of`` until ``done(answer)`` (the consumers catch up), or fails."""
    deadline = time.monotonic() + timeout
    while True:
        answer = answer_of()
        if done(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


def test_an_accepted_idea_becomes_a_completed_project_that_tells_its_submitter(kafka_bootstrap, service_url,
                                                                               issuer):
    suffix = uuid.uuid4().hex[:8].upper()
    admin = {"Authorization": f"Bearer {issuer.issue('e2e-admin', ['admin'])}"}
    lead = {"Authorization": f"Bearer {issuer.issue('e2e-qi-lead', ['qi_lead'])}"}
    metrics, projects = service_url("metrics"), service_url("projects")
    kpi, unit, idea_id = f"FALLS-{suffix}", f"W-{suffix}", str(uuid.uuid4())
    requests.post(f"{metrics}/api/v1/units", json={"code": unit, "name": f"Ward {suffix}", "level": "ward"},
                  headers=admin, timeout=10).raise_for_status()
    requests.post(f"{metrics}/api/v1/kpis", json={"code": kpi, "name": "Falls", "unit_of_measure": "count",
                                                  "improvement_direction": "decrease"},
                  headers=admin, timeout=10).raise_for_status()
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    producer.send(topics.MEASURES, key=f"{kpi}|{unit}".encode(), value=new_event("measure.recorded", {
        "kpi_code": kpi, "unit_code": unit, "period": "2026-05", "value": 6.0, "source": "e2e"},
        source="urn:wtgr:feed:e2e").to_json())
    idea = {"idea_id": idea_id, "title": "Falls sensors", "description": "Bed sensors at night",
            "submitted_by": "public"}
    for event in (new_event("idea.submitted", idea, source="urn:wtgr:ideas"),
                  new_event("idea.accepted", {**idea, "accepted_by": "e2e-qi-lead", "channel": "public",
                                              "audience": [SUBMITTER], "path": f"/ideas/{idea_id}"},
                            source="urn:wtgr:ideas", version=2)):
        producer.send(topics.IDEAS, key=idea_id.encode(), value=event.to_json())
    producer.flush(timeout=10)
    producer.close()

    body = {"title": f"Fewer falls {suffix}", "directorate": "DIR-ELDER", "unit_code": unit, "cqc": ["safe"],
            "idea_id": idea_id, "aim": {"statement": "Halve falls at night", "measure": "falls a month",
                                        "baseline": 6, "target": 3, "by": "2027-03-31"},
            "team": [{"subject": "e2e-qi-lead", "name": "Lee", "email": "lee@hospital.example", "role": "lead"}]}
    created = until(lambda: requests.post(f"{projects}/api/v1/projects", json=body, headers=lead, timeout=10),
                    lambda answer: answer.status_code != 422)
    assert created.status_code == 201, created.text
    base = f"{projects}/api/v1/projects/{created.json()['id']}"
    again = requests.post(f"{projects}/api/v1/projects", json=body, headers=lead, timeout=10)
    assert again.status_code == 409

    def post(path, payload=None, status=200):
        answer = requests.post(f"{base}{path}", json=payload, headers=lead, timeout=10)
        assert answer.status_code == status, f"{path}: {answer.status_code} {answer.text}"
        return answer.json()

    post("/approval", {"note": "Elderly care QI forum: approved"})
    post("/start")
    primary = post("/driver-diagram/nodes", {"kind": "primary", "title": "Safe at night"}, 201)["drivers"][0]
    secondary = post("/driver-diagram/nodes", {"kind": "secondary", "title": "Alerts",
                                               "parent_id": primary["id"]}, 201)["drivers"][0]["children"][0]
    change = post("/driver-diagram/nodes", {"kind": "change_idea", "title": "Bed sensors",
                                            "parent_id": secondary["id"]}, 201)["drivers"][0]["children"][0]
    measure = {"kind": "outcome", "name": "Falls", "kpi_code": kpi, "unit_code": unit}
    linked = until(lambda: requests.post(f"{base}/measures", json=measure, headers=lead, timeout=10),
                   lambda answer: answer.status_code != 422)
    assert linked.status_code == 201, linked.text
    cycle = post("/pdsa-cycles", {"change_idea_id": change["children"][0]["id"], "title": "Sensors on 4 beds",
                                  "question": "Do alerts cut falls?", "prediction": "Fewer falls",
                                  "who": "Night staff", "where": unit, "planned_start": date.today().isoformat()},
                 201)
    post(f"/pdsa-cycles/{cycle['id']}/start", {"started_on": date.today().isoformat()})
    post(f"/pdsa-cycles/{cycle['id']}/completion", {
        "ended_on": date.today().isoformat(), "do": "Ran for a week", "study": "Two falls prevented",
        "months": ["2026-05"], "decision": "adopt", "act": "All beds"})
    post("/completion", {"results": "Falls halved", "learning": "Alerts work at night"})

    project_id = created.json()["id"]
    messages = messages_with_key(kafka_bootstrap, topics.PROJECTS, project_id, expected=9)
    by_type = {json.loads(m.value)["type"]: json.loads(m.value) for m in messages}
    assert {"project.created", "project.measure_linked", "pdsa.cycle_started", "project.completed"} <= set(by_type)
    completed = by_type["project.completed"]
    assert completed["dataschema"] == "urn:wtgr:event:project.completed:2"
    assert completed["data"]["outcome"] == {"kpi_code": kpi, "unit_code": unit}
    assert completed["data"]["audience"][0] == SUBMITTER
    assert by_type["pdsa.cycle_started"]["data"]["series"] == [{"kpi_code": kpi, "unit_code": unit}]
