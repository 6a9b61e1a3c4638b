"""Each privileged change made through a running service's API leaves its row in that
service's audit trail, naming who did it, what, to which resource, and the request's correlation id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.security.conftest import base_url

pytestmark = pytest.mark.integration


class Caller:
    def __init__(self, service: str, token: str):
        self.base = base_url(service)
        self.headers = {"Authorization": f"Bearer {token}"}

    def send(self, method: str, path: str, body: Any = None, expect: int = 201, **headers: str) -> Any:
        answer = requests.request(method, self.base + path, json=body, headers={**self.headers, **headers},
                                  timeout=60)
        assert answer.status_code == expect, f"{method} {path}: {answer.status_code} {answer.text[:300]}"
        return answer.json()


def trail(service: str, token: Any, resource_type: str, resource_id: str) -> list[dict[str, Any]]:
    admin = Caller(service, token("admin", user="auditor"))
    page = admin.send("GET", f"/api/v1/audit?resource_type={resource_type}&resource_id={resource_id}", expect=200)
    return list(reversed(page["items"]))  # oldest first


def operations(rows: list[dict[str, Any]]) -> list[str]:
    return [row["operation"] for row in rows]


def test_an_idea_status_change_is_audited_with_who_versions_and_correlation(token):
    staff, lead = Caller("ideas", token("staff", user="sam")), Caller("ideas", token("qi_lead", user="lee"))
    idea = staff.send("POST", "/api/v1/ideas", {"title": "Quieter wards at night",
                                                 "description": "Dim the corridor lights after ten."})
    lead.send("POST", f"/api/v1/ideas/{idea['id']}/stage", {"stage": "under_review", "reason": "looks good"},
              expect=200, **{"X-Correlation-ID": "probe-audit-1"})
    [row] = trail("ideas", token, "idea", idea["id"])
    assert (row["operation"], row["actor"], row["actor_roles"]) == ("idea.stage_changed", "lee", ["qi_lead"])
    assert (row["before_version"], row["after_version"], row["correlation_id"]) == (1, 2, "probe-audit-1")


def test_a_project_created_and_moved_is_audited(token):
    lead = Caller("projects", token("qi_lead", user="lee"))
    project = lead.send("POST", "/api/v1/projects", {
        "title": "Fewer falls", "directorate": "DIR-ACUTE", "cqc": ["safe"],
        "team": [{"subject": "lee", "name": "Lee", "email": "lee@hospital.example", "role": "lead"}],
        "aim": {"statement": "Halve falls on ward 7", "measure": "falls per 1,000 bed days", "baseline": 8,
                "target": 4, "by": "2027-06-30"}})
    lead.send("POST", f"/api/v1/projects/{project['id']}/approval", {"note": "Acute QI forum: approved"}, expect=200)
    assert operations(trail("projects", token, "project", project["id"])) == ["project.created",
                                                                              "project.stage_changed"]


def test_course_and_session_changes_are_audited(token):
    trainer = Caller("training", token("trainer", user="tia"))
    code = f"QI-{uuid.uuid4().hex[:8]}"
    trainer.send("POST", "/api/v1/courses", {"code": code, "title": "QI basics"})
    starts = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    session = trainer.send("POST", f"/api/v1/courses/{code}/sessions", {"starts_at": starts, "capacity": 10})
    [course_row] = trail("training", token, "course", code)
    [session_row] = trail("training", token, "session", session["id"])
    assert (course_row["operation"], course_row["actor"]) == ("course.created", "tia")
    assert (session_row["operation"], session_row["actor"]) == ("session.scheduled", "tia")


def test_kpi_unit_target_rebase_withdrawal_and_annotation_are_audited(token):
    admin = Caller("metrics", token("admin", user="ada"))
    kpi, unit = f"K-{uuid.uuid4().hex[:8]}", f"U-{uuid.uuid4().hex[:8]}"
    admin.send("POST", "/api/v1/kpis", {"code": kpi, "name": "Falls", "unit_of_measure": "count",
                                        "improvement_direction": "decrease"})
    admin.send("POST", "/api/v1/units", {"code": unit, "name": "Ward 7", "level": "ward"})
    admin.send("PATCH", f"/api/v1/kpis/{kpi}", {"name": "Inpatient falls"}, expect=200)
    admin.send("PATCH", f"/api/v1/units/{unit}", {"name": "Ward Seven"}, expect=200)
    admin.send("POST", f"/api/v1/kpis/{kpi}/targets", {"effective_from": "2024-01", "target": 3})
    rebase = admin.send("POST", f"/api/v1/kpis/{kpi}/units/{unit}/rebases",
                        {"period": "2024-02", "reason": "new falls bundle"})
    admin.send("POST", f"/api/v1/kpis/{kpi}/units/{unit}/rebases/{rebase['id']}/withdraw", expect=200)
    admin.send("POST", f"/api/v1/kpis/{kpi}/units/{unit}/annotations", {"period": "2024-02", "text": "PDSA 1"})
    assert operations(trail("metrics", token, "kpi", kpi)) == ["kpi.created", "kpi.changed", "kpi.target_set"]
    assert operations(trail("metrics", token, "unit", unit)) == ["unit.created", "unit.changed"]
    assert operations(trail("metrics", token, "chart", f"{kpi}/{unit}")) == [
        "chart.rebased", "chart.rebase_withdrawn", "chart.annotated"]
    assert {row["actor"] for row in trail("metrics", token, "kpi", kpi)} == {"ada"}


def test_a_refused_change_leaves_no_audit_row(token):
    lead = Caller("ideas", token("qi_lead", user="lee"))
    idea = Caller("ideas", token("staff")).send("POST", "/api/v1/ideas", {"title": "Skip review",
                                                                          "description": "Accept at once."})
    lead.send("POST", f"/api/v1/ideas/{idea['id']}/stage", {"stage": "accepted"}, expect=409)
    assert trail("ideas", token, "idea", idea["id"]) == []
