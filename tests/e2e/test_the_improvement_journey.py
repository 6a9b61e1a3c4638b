"""The improvement journey, end to end through the running services, as the people in it would go:

a patient puts forward an idea without an account -> a moderator lets it through, a QI lead
reviews and accepts it -> a QI lead registers a project from it with a team -> the forum approves
it, the lead starts it, draws the driver diagram, links the outcome measure to a KPI of metrics
and runs two PDSA cycles on a change idea -> a feed's measures make a special cause of improvement
on that KPI -> the suggested progress score rises -> the lead completes the project -> the stories
service drafts its story, a communications editor publishes it -> the patient and the team are
emailed a link to the story, once each; the idea shows what it became, and the story where it
came from.

Every request and what came back is printed as the journey's log (pytest -s shows it) and written
to .local/test/journey.log.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
from kafka import KafkaProducer

from devstack.mail import Email, Mailbox
from shared import topics
from shared.config import Settings
from shared.events import new_event
from shared.month import Month

pytestmark = pytest.mark.e2e

LOG_FILE = Path(__file__).resolve().parents[2] / ".local" / "test" / "journey.log"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
WAIT = 90.0  # seconds a consumer may take to catch up on a busy shared machine

# Falls a month on the ward: a steady year, then seven months below the mean after the change
# (a shift of seven points on the improving side: a special cause of improvement, no point beyond
# the limits, so it is found at the seventh month whichever batches the feed's events arrive in).
BASELINE = [10.2, 9.6, 10.8, 9.9, 10.4, 9.5, 10.6, 10.1, 9.8, 10.5, 9.7, 10.3]
AFTER_THE_CHANGE = [9.0, 9.3, 8.9, 9.2, 9.0, 9.1, 8.8]


class Journey:
    """Calls the services as the people of the journey would, and keeps a line per request."""

    def __init__(self, urls: dict[str, str]):
        self.urls = urls
        self.lines: list[str] = []
        self.began = time.monotonic()

    def step(self, name: str) -> None:
        self.lines.append(f"== {name}")

    def note(self, text: str) -> None:
        self.lines.append(f"   {text}")

    def call(self, method: str, service: str, path: str, who: dict[str, str] | None, *, json: Any = None,
             expect: int = 200, if_match: str | None = None, show: Callable[[dict], str] = lambda body: "",
             quiet: bool = False) -> requests.Response:
        headers = dict(who or {})
        if if_match:
            headers["If-Match"] = if_match
        answer = requests.request(method, f"{self.urls[service]}{path}", json=json, headers=headers, timeout=10)
        if not quiet:
            self._log(method, service, path, answer, show)
            assert answer.status_code == expect, f"{method} {path}: {answer.status_code} {answer.text[:500]}"
        return answer

    def wait(self, method: str, service: str, path: str, who: dict[str, str] | None, done: Callable[[Any], bool],
             *, json: Any = None, expect: int = 200, show: Callable[[dict], str] = lambda body: "",
             timeout: float = WAIT) -> requests.Response:
        """Asks again until ``done(answer)`` (a consumer has caught up), then logs the answer once."""
        deadline, tries = time.monotonic() + timeout, 0
        while True:
            tries += 1
            answer = self.call(method, service, path, who, json=json, quiet=True)
            if done(answer) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self._log(method, service, path, answer, show, f" (asked {tries}x)")
        assert answer.status_code == expect and done(answer), \
            f"{method} {path} not ready in {timeout:.0f} s: {answer.status_code} {answer.text[:500]}"
        return answer

    def _log(self, method: str, service: str, path: str, answer: requests.Response,
             show: Callable[[dict], str], tries: str = "") -> None:
        shown = ""
        if answer.ok and answer.headers.get("Content-Type", "").startswith("application/json"):
            shown = show(answer.json())
        elif not answer.ok:
            shown = answer.json().get("title", "") if "json" in answer.headers.get("Content-Type", "") else ""
        elapsed = time.monotonic() - self.began
        line = f"   {elapsed:5.1f}s {method:5} {service}{path} -> {answer.status_code} {shown}{tries}".rstrip()
        self.lines.append(UUID.sub(lambda found: found.group()[:8], line))  # ids shortened to stay readable

    def write(self) -> str:
        text = "\n".join(self.lines) + "\n"
        LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
        LOG_FILE.write_text(text, encoding="utf-8")
        return text


def bearer(issuer, subject: str, roles: list[str], email: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.issue(subject, roles, email=email)}"}


def ok(answer: requests.Response) -> bool:
    return answer.status_code == 200


def publish_as_a_feed(bootstrap: str, kpi: str, unit: str, months: list[Month], values: list[float]) -> None:
    """measure.recorded on wtgr.measures, keyed by KPI and unit, as the data warehouse's feed sends them."""
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for month, value in zip(months, values, strict=True):
        event = new_event("measure.recorded", {"kpi_code": kpi, "unit_code": unit, "period": str(month),
                                               "value": value, "source": "incident reports"},
                          source="urn:wtgr:feed:datix")
        producer.send(topics.MEASURES, key=f"{kpi}|{unit}".encode(), value=event.to_json()).get(timeout=10)
    producer.close()


def test_a_patients_idea_becomes_a_project_whose_story_reaches_the_patient_and_the_team(
        service_url, issuer, kafka_bootstrap, mailbox: Mailbox):
    run = uuid.uuid4().hex[:8]
    journey = Journey({name: service_url(name) for name in ("ideas", "projects", "metrics", "stories")})
    portal = Settings.from_env("tests").portal_url.rstrip("/")
    patient = f"pat-{run}@example.org"
    team = [{"subject": f"lead-{run}", "name": "Lee Park", "email": f"lee-{run}@hospital.example", "role": "lead"},
            {"subject": f"sponsor-{run}", "name": "Sam Osei", "email": f"sam-{run}@hospital.example",
             "role": "sponsor"},
            {"subject": f"coach-{run}", "name": "Cat Hughes", "email": f"cat-{run}@hospital.example", "role": "coach"},
            {"subject": f"member-{run}", "name": "Mo Reid", "email": f"mo-{run}@hospital.example", "role": "member"}]
    lead = team[0]
    as_lead = bearer(issuer, lead["subject"], ["staff"], lead["email"])
    moderator = bearer(issuer, f"moderator-{run}", ["moderator"])
    qi_lead = bearer(issuer, f"qi-lead-{run}", ["qi_lead"], f"qi-lead-{run}@hospital.example")
    admin = bearer(issuer, f"admin-{run}", ["admin"])
    editor = bearer(issuer, f"comms-{run}", ["comms_editor"], f"comms-{run}@hospital.example")
    staff = bearer(issuer, f"reader-{run}", ["staff"])
    kpi, unit = f"FALLS-J{run.upper()}", f"WARD-J{run.upper()}"
    this_month = Month.of(date.today())
    change_month = this_month - len(AFTER_THE_CHANGE)  # the change began seven months ago
    baseline_months = [change_month - len(BASELINE) + i for i in range(len(BASELINE))]
    after_months = [change_month + i for i in range(len(AFTER_THE_CHANGE))]

    try:
        journey.step("1. A patient puts forward an idea, without an account")
        idea = journey.call("POST", "ideas", "/api/v1/public/ideas", None, expect=201, json={
            "title": f"Night-time falls on the ward {run}",
            "description": "My father fell twice at night on the ward. Could a sensor tell the nurses when "
                           "someone at risk gets out of bed?",
            "name": "Pat Jones", "email": patient, "consent": True},
            show=lambda b: f"id={b['id']} stage={b['stage']} channel={b['channel']} follow_token=(given)").json()
        idea_path = f"/api/v1/ideas/{idea['id']}"
        assert idea["stage"] == "moderation"

        journey.step("2. A moderator lets it through; a QI lead reviews and accepts it")
        etag = journey.call("GET", "ideas", idea_path, moderator, show=lambda b: f"stage={b['stage']} "
                            f"contact={b['contact']['email']}").headers["ETag"]
        for who, stage, reason in ((moderator, "submitted", "No patient data; fine to show"),
                                   (qi_lead, "under_review", None),
                                   (qi_lead, "accepted", "Fits the falls prevention programme")):
            etag = journey.call("POST", "ideas", f"{idea_path}/stage", who, if_match=etag,
                                json={"stage": stage, "reason": reason},
                                show=lambda b: f"stage={b['stage']} version={b['version']}").headers["ETag"]

        journey.step("3. An admin makes the ward's falls KPI in metrics and loads its baseline year")
        journey.call("POST", "metrics", "/api/v1/units", admin, expect=201,
                     json={"code": unit, "name": f"Ward J{run}", "level": "ward"}, show=lambda b: f"code={b['code']}")
        journey.call("POST", "metrics", "/api/v1/kpis", admin, expect=201, json={
            "code": kpi, "name": "Inpatient falls", "unit_of_measure": "count",
            "improvement_direction": "decrease"}, show=lambda b: f"code={b['code']}")
        for month, value in zip(baseline_months, BASELINE, strict=True):
            recorded = journey.call("POST", "metrics", "/api/v1/measures", admin, quiet=True, json={
                "kpi_code": kpi, "unit_code": unit, "period": str(month), "value": value, "source": "incident reports"})
            assert recorded.status_code == 201, recorded.text
        journey.note(f"{len(BASELINE)} x POST metrics/api/v1/measures -> 201 "
                     f"({baseline_months[0]}..{baseline_months[-1]}: {BASELINE})")

        journey.step("4. A QI lead registers the project from the idea (once projects has read the acceptance)")
        project_in = {
            "title": f"Safer nights: fewer falls {run}", "directorate": "DIR-ELDER", "unit_code": unit,
            "cqc": ["safe", "effective"], "idea_id": idea["id"], "team": team,
            "aim": {"statement": "Cut falls at night on the ward by a fifth", "measure": "falls a month",
                    "baseline": 10, "target": 8, "by": (this_month + 6).first_day.isoformat()}}
        created = journey.wait("POST", "projects", "/api/v1/projects", qi_lead, lambda a: a.status_code != 422,
                               json=project_in, expect=201,
                               show=lambda b: f"id={b['id']} stage={b['stage']} idea_id={b['idea_id']}")
        project = created.json()
        base = f"/api/v1/projects/{project['id']}"
        journey.call("POST", "projects", "/api/v1/projects", qi_lead, json=project_in, expect=409)
        progress = journey.call("GET", "projects", f"{base}/progress", as_lead,
                                show=lambda b: f"suggested={b['suggested']}").json()
        assert progress["suggested"] == 0.5

        journey.step("5. The directorate's QI forum approves it; the lead starts it")
        etag = journey.call("POST", "projects", f"{base}/approval", qi_lead, if_match=created.headers["ETag"],
                            json={"note": "Elderly care QI forum: approved"},
                            show=lambda b: f"stage={b['stage']}").headers["ETag"]
        journey.call("POST", "projects", f"{base}/start", as_lead, if_match=etag, show=lambda b: f"stage={b['stage']}")

        journey.step("6. The lead draws the driver diagram: aim -> primary -> secondary -> change idea")
        tree = journey.call("POST", "projects", f"{base}/driver-diagram/nodes", as_lead, expect=201,
                            json={"kind": "primary", "title": "Patients at risk are seen at night"},
                            show=lambda b: f"primary={b['drivers'][0]['id']}").json()
        primary = tree["drivers"][0]
        tree = journey.call("POST", "projects", f"{base}/driver-diagram/nodes", as_lead, expect=201,
                            json={"kind": "secondary", "title": "Nurses know when someone gets up",
                                  "parent_id": primary["id"]},
                            show=lambda b: f"secondary={b['drivers'][0]['children'][0]['id']}").json()
        secondary = tree["drivers"][0]["children"][0]
        tree = journey.call("POST", "projects", f"{base}/driver-diagram/nodes", as_lead, expect=201,
                            json={"kind": "change_idea", "title": "Bed-exit sensors", "parent_id": secondary["id"]},
                            show=lambda b: f"change_idea={b['drivers'][0]['children'][0]['children'][0]['id']}").json()
        change_idea = tree["drivers"][0]["children"][0]["children"][0]
        svg = journey.call("GET", "projects", f"{base}/driver-diagram.svg", as_lead)
        assert "Bed-exit sensors" in svg.text

        journey.step("7. The lead links the outcome measure: the ward's falls KPI (once projects knows the series)")
        journey.wait("POST", "projects", f"{base}/measures", as_lead, lambda a: a.status_code != 422, expect=201,
                     json={"kind": "outcome", "name": "Falls a month", "kpi_code": kpi, "unit_code": unit},
                     show=lambda b: f"kind={b['kind']} series={b['kpi_code']}/{b['unit_code']}")

        journey.step("8. Two PDSA cycles on the change idea, planned, started and completed")
        first = run_cycle(journey, base, as_lead, change_idea["id"], None, after_months[0], after_months[1],
                          "Sensors on four beds", "adapt", "Move the alarm to the nurses' station")
        run_cycle(journey, base, as_lead, change_idea["id"], first, after_months[2], after_months[4],
                  "Sensors on every bed at risk", "adopt", "Sensors on every bed of the ward")
        before = journey.call("GET", "projects", f"{base}/progress", as_lead,
                              show=progress_shown).json()
        assert before["suggested"] == 2.5, before
        assert before["evidence"]["improvement_months"] == 0

        journey.step("9. The feed sends the months since the change: a special cause of improvement appears")
        publish_as_a_feed(kafka_bootstrap, kpi, unit, after_months, AFTER_THE_CHANGE)
        journey.note(f"published {len(after_months)} x measure.recorded on {topics.MEASURES} "
                     f"({after_months[0]}..{after_months[-1]}: {AFTER_THE_CHANGE})")
        chart = journey.wait(
            "GET", "metrics", f"/api/v1/kpis/{kpi}/units/{unit}/chart", staff,
            lambda a: ok(a) and len(a.json()["chart"]["points"] if a.json().get("chart") else []) == 19,
            show=lambda b: f"chart_type={b['chart_type']} newest={b['chart']['points'][-1]['point_type']}").json()
        shifted = chart["chart"]["points"][-len(AFTER_THE_CHANGE):]
        assert {point["point_type"] for point in shifted} == {"special_cause_improvement"}

        journey.step("10. The suggested progress score rises")
        after = journey.wait("GET", "projects", f"{base}/progress", as_lead,
                             lambda a: ok(a) and a.json()["evidence"]["improvement_months"] > 0,
                             show=progress_shown).json()
        assert after["evidence"]["improvement_months"] == len(AFTER_THE_CHANGE)
        assert after["suggested"] == 4.5, after  # sustained 2N months and a change adopted
        assert after["suggested"] > before["suggested"]
        journey.note(f"suggested score {before['suggested']} -> {after['suggested']}")

        journey.step("11. The lead completes the project")
        etag = journey.call("GET", "projects", base, as_lead, show=lambda b: f"stage={b['stage']}").headers["ETag"]
        journey.call("POST", "projects", f"{base}/completion", as_lead, if_match=etag,
                     json={"results": "Falls at night fell from about 10 to 9 a month, a shift on the chart",
                           "learning": "Start with a few beds; put the alarm where the nurses are"},
                     show=lambda b: f"stage={b['stage']}")

        journey.step("12. The stories service drafts the story; a communications editor publishes it")
        story_response = journey.wait(
            "GET", "stories", f"/api/v1/projects/{project['id']}/story", editor, ok,
            show=lambda b: f"id={b['id']} state={b['state']} slug={b['slug']} idea_id={b['idea_id']}")
        story = story_response.json()
        assert (story["state"], story["project_id"], story["idea_id"]) == ("draft", project["id"], idea["id"])
        assert {member["name"] for member in story["team"]} == {member["name"] for member in team}
        journey.call("POST", "stories", f"/api/v1/stories/{story['id']}/publication", editor,
                     if_match=story_response.headers["ETag"],
                     show=lambda b: f"state={b['state']} published_at={b['published_at']}")
        published = journey.call("GET", "stories", f"/api/v1/stories/by-slug/{story['slug']}", staff,
                                 show=lambda b: f"state={b['state']} project_id={b['project_id']} "
                                                f"idea_id={b['idea_id']}").json()
        assert (published["state"], published["project_id"], published["idea_id"]) == \
               ("published", project["id"], idea["id"])

        journey.step("13. Lineage: the idea became the project, and then the story")
        shown = journey.wait("GET", "ideas", idea_path, staff, lambda a: ok(a) and a.json()["stage"] == "implemented",
                             show=lambda b: f"stage={b['stage']} project_ids={b['project_ids']} "
                                            f"history={[h['stage'] for h in b['history']]}").json()
        assert shown["project_ids"] == [project["id"]]
        stages = [entry["stage"] for entry in shown["history"]]
        assert stages[-3:] == ["accepted", "in_progress", "implemented"], stages
        stories_of_idea = journey.call("GET", "stories", f"/api/v1/ideas/{idea['id']}/stories", staff,
                                       show=lambda b: f"items={[s['slug'] for s in b['items']]}").json()
        assert [s["id"] for s in stories_of_idea["items"]] == [story["id"]]

        journey.step("14. The patient and the team are emailed a link to the story, once each")
        link = f"{portal}/stories/{story['slug']}"
        to_patient = mailbox.wait_for(patient, lambda m: "became this" in m.subject, timeout=WAIT)
        journey.note(f"{patient}: {to_patient.subject!r}")
        assert link in to_patient.body_text
        for member in team:
            email = mailbox.wait_for(member["email"], lambda m: "Success story published" in m.subject, timeout=WAIT)
            journey.note(f"{member['email']} ({member['role']}): {email.subject!r}")
            assert link in email.body_text
        time.sleep(2)  # a second email of the same event, were one queued, would have been sent by now
        for address in (patient, *(member["email"] for member in team)):
            published_emails = [m for m in mailbox.messages(address) if link in m.body_text and _tells_published(m)]
            assert len(published_emails) == 1, (address, [m.subject for m in published_emails])
        journey.note(f"the patient's inbox, oldest first: {[m.subject for m in mailbox.messages(patient)]}")
    finally:
        print("\n" + journey.write())


def progress_shown(body: dict) -> str:
    evidence = body["evidence"]
    return (f"suggested={body['suggested']} (cycles started={evidence['cycles_started']} "
            f"completed={evidence['cycles_completed']} adopted={evidence['changes_adopted']} "
            f"first_cycle_started={evidence['first_cycle_started']} "
            f"improvement_months={evidence['improvement_months']})")


def _tells_published(email: Email) -> bool:
    return "became this" in email.subject or "Success story published" in email.subject


def run_cycle(journey: Journey, base: str, who: dict[str, str], change_idea_id: str, follows: str | None,
              start: Month, end: Month, title: str, decision: str, act: str) -> str:
    """Plans a PDSA cycle of the change idea, starts it on the first day of ``start`` and completes
    it on the 28th of ``end`` (months already past: the cycle's months on the chart)."""
    plan = journey.call("POST", "projects", f"{base}/pdsa-cycles", who, expect=201, json={
        "change_idea_id": change_idea_id, "follows_cycle_id": follows, "title": title,
        "question": "Do bed-exit alerts let nurses reach patients before they fall?",
        "prediction": "Fewer falls at night", "who": "Night staff", "where": "Bays A and B",
        "planned_start": start.first_day.isoformat()},
        show=lambda b: f"id={b['id']} number={b['cycle_number']} status={b['status']}")
    cycle_path = f"{base}/pdsa-cycles/{plan.json()['id']}"
    started = journey.call("POST", "projects", f"{cycle_path}/start", who, if_match=plan.headers["ETag"],
                           json={"started_on": start.first_day.isoformat()},
                           show=lambda b: f"status={b['status']} started_on={b['started_on']}")
    journey.call("POST", "projects", f"{cycle_path}/completion", who, if_match=started.headers["ETag"], json={
        "ended_on": end.day(28).isoformat(), "do": f"{title}, as planned", "study": "Falls fell as predicted",
        "months": [str(start + i) for i in range(end - start + 1)], "decision": decision, "act": act},
        show=lambda b: f"status={b['status']} decision={b['decision']}")
    return plan.json()["id"]
