"""The projects pages' own logic, on the app with Flask's test client and a fake of the services
(no servers): who is offered which form, the cycles marked on a measure's chart, what a change
sends (with the version read), and what a person is told when someone else changed it first."""

from __future__ import annotations

from typing import Any

import pytest

from portal.backend import ServiceError
from portal.charts import table_rows
from portal.tests.unit.conftest import Answer, RecordingBackend, who
from portal.views.projects import cycle_starts, day_of, flatten, may

PROJECT_ID = "9b2e4d71-0c3a-4f8e-b6d5-1a7c3e9f2b40"
CYCLE_ID = "c8d15e3a-27f4-4b90-8e61-f03a9d2c7b15"
IDEA_NODE = {"id": "n3", "kind": "change_idea", "title": "Falls check at handover", "children": []}
TREE = {"project_id": PROJECT_ID, "title": "Fewer falls", "aim": "Halve falls at night", "version": 4, "drivers": [
    {"id": "n1", "kind": "primary", "title": "Reliable risk assessment", "children": [
        {"id": "n2", "kind": "secondary", "title": "Evening handover", "children": [IDEA_NODE]}]}]}
TEAM = [{"subject": "lee.lead", "name": "Lee Lead", "email": "lee@trust.example", "role": "lead"},
        {"subject": "cat.coach", "name": "Cat Coach", "email": "cat@trust.example", "role": "coach"},
        {"subject": "sam.nurse", "name": "Sam Nurse", "email": "sam@trust.example", "role": "member"}]
CYCLE = {"id": CYCLE_ID, "cycle_number": 1, "status": "running", "change_idea_id": "n3", "title": "Handover check",
         "question": "Will a check at handover cut night falls?", "prediction": "Falls halve", "who": "Night staff",
         "where": "Ward 12", "planned_start": "2026-03-02", "started_on": "2026-03-02", "version": 2, "months": []}
PROJECT = {"id": PROJECT_ID, "title": "Fewer falls at night", "directorate": "DIR-ELDER", "unit_code": "WARD-12",
           "team": TEAM, "cqc": ["safe", "caring"], "stage": "active", "version": 7, "progress_score": 2.5,
           "aim": {"statement": "Halve falls at night", "measure": "falls per 1,000 bed days", "baseline": 4.6,
                   "target": 2.3, "by": "2027-03-31"},
           "history": [{"version": 1, "stage": "submitted", "changed_by": "lee.lead",
                        "changed_at": "2026-02-01T09:00:00+00:00", "note": None, "reason": None}],
           "measures": [{"kind": "outcome", "name": "Night falls", "kpi_code": "FALLS_1000", "unit_code": "WARD-12"}],
           "pdsa_cycles": [CYCLE], "results": None, "learning": None}
CHART = {"kpi": {"code": "FALLS_1000", "name": "Falls", "unit_of_measure": "rate_per_1000_bed_days"},
         "unit": {"code": "WARD-12", "name": "Ward 12"}, "first_period": "2026-02", "last_period": "2026-03",
         "annotations": [{"period": "2026-03", "text": "PDSA 1: Falls check at handover"}], "rebases": [],
         "chart": None, "run_chart": {"cl": 4.0, "periods_of_points": ["2026-02", "2026-03"], "values": [4.5, 3.5]}}
PROGRESS = {"suggested": 2.0, "score": 2.5, "evidence": {"approved": True, "outcome_measure": True, "change_ideas": 1,
                                                         "cycles_started": 1, "cycles_completed": 0}}
UNITS = [{"code": "DIR-ELDER", "name": "Elderly care", "level": "directorate"},
         {"code": "WARD-12", "name": "Ward 12", "level": "ward"}]


class FakeServices(RecordingBackend):
    """Answers the portal's calls from fixed documents and keeps what was sent."""

    def written(self, path: str, body: Any) -> Answer:
        return Answer({"id": PROJECT_ID})

    def read(self, path: str, params: dict[str, Any]) -> Answer:
        return Answer(self.document(path, params))

    def document(self, path: str, params: dict[str, Any]) -> Any:
        if path.endswith(".svg"):
            return '<svg role="img"><title>chart</title></svg>'
        found = {f"/api/v1/projects/{PROJECT_ID}": PROJECT, f"/api/v1/projects/{PROJECT_ID}/driver-diagram": TREE,
                 f"/api/v1/projects/{PROJECT_ID}/progress": PROGRESS,
                 "/api/v1/kpis/FALLS_1000/units/WARD-12/chart": CHART,
                 "/api/v1/me/notifications/unread-count": {"unread": 0}}.get(path)
        if found is not None:
            return found
        if path.startswith("/api/v1/units/"):
            return next(unit for unit in UNITS if unit["code"] == path.rsplit("/", 1)[1])
        lists: dict[str, list[Any]] = {"/api/v1/units": UNITS, "/api/v1/projects": [PROJECT],
                                       "/api/v1/kpis": [{"code": "FALLS_1000", "name": "Falls"}]}
        items = lists[path]
        return {"items": items, "next": None, "previous": None, "total": len(items), "total_is_exact": True,
                "page_size": 20, "params": params}


@pytest.fixture
def services() -> FakeServices:
    return FakeServices()


def test_the_lead_moves_the_project_the_coach_edits_it_and_the_team_runs_its_cycles():
    lead, coach, member = may(who("lee.lead", "staff"), PROJECT), may(who("cat.coach", "staff"), PROJECT), \
        may(who("sam.nurse", "staff"), PROJECT)
    assert (lead["complete"], lead["stop"], lead["edit"], lead["run"]) == (True, True, True, True)
    assert (coach["complete"], coach["edit"], coach["run"]) == (False, True, True)
    assert (member["complete"], member["edit"], member["run"], member["draw"]) == (False, False, True, True)


def test_only_a_qi_lead_approves_and_someone_outside_the_team_changes_nothing():
    submitted = {**PROJECT, "stage": "submitted"}
    assert may(who("quinn.lead", "staff", "qi_lead"), submitted)["approve"]
    assert not may(who("lee.lead", "staff"), submitted)["approve"]
    assert not any(may(who("alice.owner", "staff"), PROJECT).values())


def test_an_ended_project_offers_no_change_to_anyone():
    done = {**PROJECT, "stage": "completed"}
    assert not any(may(who("lee.lead", "staff"), done).values())
    assert not any(may(who("quinn.lead", "qi_lead"), done).values())


def test_cycle_starts_are_marked_on_the_month_they_started_and_planned_cycles_are_not():
    planned = {**CYCLE, "cycle_number": 2, "status": "planned", "started_on": None, "title": "Sensors"}
    again = {**CYCLE, "cycle_number": 3, "started_on": "2026-03-20", "title": "Shorter check"}
    assert cycle_starts([CYCLE, planned, again]) == {"2026-03": ["PDSA 1: Handover check", "PDSA 3: Shorter check"]}


def test_the_chart_table_carries_the_page_marks_beside_the_chart_notes_newest_month_first():
    rows = table_rows(CHART, {"2026-03": ["PDSA 1: Handover check"]})
    assert [(r["period"], r["marks"], r["notes"]) for r in rows] == [
        ("2026-03", ["PDSA 1: Handover check"], ["PDSA 1: Falls check at handover"]), ("2026-02", [], [])]


def test_the_diagram_flattens_each_node_before_what_hangs_from_it_and_days_read_day_first():
    assert [node["id"] for node in flatten(TREE["drivers"])] == ["n1", "n2", "n3"]
    assert day_of("2/3/2026").isoformat() == "2026-03-02"
    with pytest.raises(ValueError):
        day_of("31/02/2026")


def test_the_project_page_shows_aim_team_diagram_cycles_and_the_chart_with_its_cycle_marked(client):
    page = client("sam.nurse", "staff").get(f"/projects/{PROJECT_ID}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for words in ("Halve falls at night", "Lee Lead", "Reliable risk assessment", "Falls check at handover",
                  "PDSA 1: Handover check", "PDSA cycles started", "Plan a PDSA cycle", "Study and act on PDSA 1"):
        assert words in html, words
    assert "Complete the project" not in html and "Approve the project" not in html
    assert html.count("No patient-identifiable data") >= 3


def test_the_register_passes_its_filters_to_the_service_and_keeps_them_in_its_page_links(client, services):
    page = client("sam.nurse", "staff").get("/projects/?cqc=safe&stage=active&directorate=DIR-ELDER&q=falls")
    assert page.status_code == 200
    assert "Fewer falls at night" in page.get_data(as_text=True)
    unknown = client("sam.nurse", "staff").get("/projects/?cqc=kind&stage=nope")
    assert unknown.status_code == 200  # unknown filter values are left out, not sent


def test_a_stage_move_sends_the_version_read_and_a_412_says_someone_else_changed_it(client, services):
    services.refuse = ServiceError(412, {"detail": "the project is at version 8, not 7"})
    page = client("lee.lead", "staff").post(f"/projects/{PROJECT_ID}/completion", data={
        "complete-version": "7", "complete-results": "Falls halved", "complete-learning": "Handover works"})
    assert services.sent == [("POST", f"/api/v1/projects/{PROJECT_ID}/completion",
                              {"results": "Falls halved", "learning": "Handover works"}, 7)]
    assert page.status_code == 400
    assert "Someone else changed this project since you opened it" in page.get_data(as_text=True)


def test_an_edit_patches_the_whole_aim_with_if_match_and_shows_a_refusal_beside_its_field(client, services):
    form = {"title": "Fewer falls at night", "directorate": "DIR-ELDER", "unit_code": "WARD-12", "cqc": ["safe"],
            "aim": "Halve falls", "aim_measure": "falls", "aim_baseline": "4.6", "aim_target": "2.3",
            "aim_by": "31/03/2027", "version": "7"}
    saved = client("cat.coach", "staff").post(f"/projects/{PROJECT_ID}/edit", data=form)
    assert saved.status_code == 302
    method, path, body, if_match = services.sent[0]
    assert (method, if_match, body["aim"]["by"], body["unit_code"]) == ("PATCH", 7, "2027-03-31", "WARD-12")
    services.refuse = ServiceError(422, {"detail": "invalid", "errors": {"aim.target": ["differs from baseline"]}})
    refused = client("cat.coach", "staff").post(f"/projects/{PROJECT_ID}/edit", data=form)
    assert refused.status_code == 400
    assert 'id="aim_target-error"' in refused.get_data(as_text=True)


def test_someone_outside_the_team_cannot_open_the_edit_form(client):
    assert client("alice.owner", "staff").get(f"/projects/{PROJECT_ID}/edit").status_code == 403


def test_registering_makes_the_person_the_lead_and_refuses_a_target_equal_to_the_baseline(client, services):
    form = {"title": "Quicker discharge", "directorate": "DIR-ELDER", "cqc": ["responsive", "effective"],
            "aim": "Home sooner", "aim_measure": "days", "aim_baseline": "5", "aim_target": "5", "aim_by": "1/4/2027"}
    same = client("sam.nurse", "staff").post("/projects/new", data=form)
    assert same.status_code == 400 and "differs from the baseline" in same.get_data(as_text=True)
    assert services.sent == []
    done = client("sam.nurse", "staff").post("/projects/new", data={**form, "aim_target": "4"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/projects/{PROJECT_ID}")
    body = services.sent[0][2]
    assert body["team"] == [{"subject": "sam.nurse", "name": "sam.nurse", "email": "sam.nurse@hospital.example",
                             "role": "lead"}]
    assert (body["cqc"], body["unit_code"]) == (["responsive", "effective"], None)
