"""Demo data for `make run`: a small trust, its KPIs over 36 months, ideas, QI projects at every stage, a course,
stories.

Measures arrive the way a hospital feed sends them, as measure.recorded events on Kafka. The
series are synthetic (seeded, so a second run sends the same figures and changes nothing), with
special causes planted where a reader can see them:

- average length of stay on Ward 7 falls after a criteria-led discharge PDSA (month 24, rebased);
- theatre 1 utilisation shifts up after a scheduling change (month 20);
- 30-day readmissions on Ward 9 trend upwards over the last seven months;
- falls on Ward 12 spike in the latest month, which opens a signal emailed to the KPI's owner and the
  team of the active falls project measuring that series.

History is loaded before the owners are set and the projects registered, so owners and teams are
emailed about the latest month only (the history's special causes are signals too, told to no one).

QI projects at every stage (submitted, approved, active, completed, stopped), each with its team,
aim and driver diagram, and PDSA cycles planned, running and completed; the completed one is the
Ward 7 criteria-led discharge project behind the length-of-stay shift.
"""

from __future__ import annotations

import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import requests
from kafka import KafkaProducer

from shared import topics
from shared.auth import TokenIssuer
from shared.config import Settings
from shared.events import new_event
from shared.month import Month

MONTHS = 36
UNITS = [  # code, name, level, parent
    ("DIV-MED", "Division of Medicine", "division", "TRUST"),
    ("DIV-SURG", "Division of Surgery", "division", "TRUST"),
    ("DIR-ACUTE", "Acute Medicine", "directorate", "DIV-MED"),
    ("DIR-ELDER", "Elderly Care", "directorate", "DIV-MED"),
    ("DIR-THEATRES", "Theatres and Anaesthetics", "directorate", "DIV-SURG"),
    ("WARD-7", "Ward 7 (Acute Medical Unit)", "ward", "DIR-ACUTE"),
    ("WARD-9", "Ward 9 (Care of the Elderly)", "ward", "DIR-ELDER"),
    ("WARD-12", "Ward 12 (Frailty)", "ward", "DIR-ELDER"),
    ("THR-1", "Main Theatre 1", "theatre", "DIR-THEATRES"),
    ("THR-2", "Main Theatre 2", "theatre", "DIR-THEATRES"),
]
KPIS = [  # code, name, unit of measure, direction, aggregation, target, owner
    ("ALOS", "Average length of stay", "days", "decrease", "mean", 5.0, "alice.owner@hospital.example"),
    ("THEATRE_UTIL", "Theatre utilisation", "percent", "increase", "ratio", 85.0, "theo.owner@hospital.example"),
    ("READMIT_30", "Readmissions within 30 days", "percent", "decrease", "ratio", 8.0, "rita.owner@hospital.example"),
    ("FALLS_1000", "Inpatient falls per 1,000 bed days", "rate_per_1000_bed_days", "decrease", "ratio", 5.0,
     "fran.owner@hospital.example"),
]
DATA_SOURCE, DATA_SOURCE_OWNER = "hospital data warehouse (demo)", "dw.team@hospital.example"
# The CQC key questions each KPI gives evidence for (the KPI matrices filter by them).
KPI_CQC = {"ALOS": ["effective", "responsive"], "THEATRE_UTIL": ["effective", "well-led"],
           "READMIT_30": ["safe", "effective"], "FALLS_1000": ["safe", "caring"]}
WARDS = ("WARD-7", "WARD-9", "WARD-12")
THEATRES = ("THR-1", "THR-2")


@dataclass(frozen=True)
class Figure:
    kpi: str
    unit: str
    month: int  # 0 .. MONTHS-1, oldest first
    value: float
    numerator: float | None = None
    denominator: float | None = None


def months_ending_last_month(today: date) -> list[str]:
    first = Month.of(today) - MONTHS
    return [str(first + i) for i in range(MONTHS)]


def synthetic_figures(seed: int = 20261126) -> list[Figure]:
    rng = random.Random(seed)
    figures: list[Figure] = []
    for month in range(MONTHS):
        figures += _length_of_stay(rng, month) + _theatres(rng, month) + _readmissions(rng, month)
        figures += _falls(rng, month)
        figures.append(Figure("STAFF_TRAINED_QI", "TRUST", month, float(round(rng.gauss(18 + month * 0.6, 4)))))
    return figures


def _length_of_stay(rng: random.Random, month: int) -> list[Figure]:
    base = {"WARD-7": 5.6 if month < 24 else 4.6, "WARD-9": 6.2, "WARD-12": 5.1}
    return [Figure("ALOS", ward, month, round(rng.gauss(base[ward], 0.22), 2)) for ward in WARDS]


def _theatres(rng: random.Random, month: int) -> list[Figure]:
    figures = []
    for theatre in THEATRES:
        rate = (0.76 if month < 20 else 0.86) if theatre == "THR-1" else 0.81
        planned = round(rng.gauss(12_000, 400))
        used = round(planned * min(0.99, rng.gauss(rate, 0.018)))
        figures.append(Figure("THEATRE_UTIL", theatre, month, round(used / planned * 100, 2), used, planned))
    return figures


def _readmissions(rng: random.Random, month: int) -> list[Figure]:
    figures = []
    for ward in WARDS:
        rate = 0.085 + (0.006 * (month - 28) if ward == "WARD-9" and month > 28 else 0)
        discharges = round(rng.gauss(420, 25))
        readmitted = max(0, round(discharges * rng.gauss(rate, 0.004 if ward == "WARD-9" else 0.008)))
        if ward == "WARD-9" and month > 28:
            readmitted = round(discharges * rate)
        figures.append(Figure("READMIT_30", ward, month, round(readmitted / discharges * 100, 2), readmitted,
                              discharges))
    return figures


def _falls(rng: random.Random, month: int) -> list[Figure]:
    figures = []
    for ward in WARDS:
        bed_days = round(rng.gauss(850, 30))
        falls = max(0, round(rng.gauss(4, 1.1)))
        if ward == "WARD-12" and month == MONTHS - 1:
            falls = 15
        figures.append(Figure("FALLS_1000", ward, month, round(falls / bed_days * 1000, 2), falls, bed_days))
    return figures


class Portal:
    """Calls the services as the intranet portal would, with development tokens."""

    def __init__(self) -> None:
        settings = Settings.from_env("demo")
        self.issuer = TokenIssuer.from_file(settings.jwt_private_key_file, settings.jwt_issuer, settings.jwt_audience)
        self.bootstrap = settings.kafka_bootstrap

    def url(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{os.environ[f'{service.upper()}_PORT']}{path}"

    def call(self, method: str, service: str, path: str, *, roles: list[str], user: str = "demo-admin",
             body: Any = None, data: bytes | None = None, headers: dict[str, str] | None = None) -> requests.Response:
        token = self.issuer.issue(user, roles, email=f"{user}@hospital.example")
        return requests.request(method, self.url(service, path), json=body, data=data, timeout=30,
                                headers={"Authorization": f"Bearer {token}", **(headers or {})})


def ensure(response: requests.Response, *ok: int) -> requests.Response:
    if response.status_code not in (*ok, 409):
        raise SystemExit(f"demo: {response.request.method} {response.url} -> {response.status_code} {response.text}")
    return response


def load_catalogue(portal: Portal) -> bool:
    """Units and KPIs (without owners yet); True when they were new, False when already loaded."""
    for code, name, level, parent in UNITS:
        ensure(portal.call("POST", "metrics", "/api/v1/units", roles=["admin"],
                           body={"code": code, "name": name, "level": level, "parent_code": parent}), 201)
    fresh = False
    for code, name, uom, direction, aggregation, target, _ in KPIS:
        created = ensure(portal.call("POST", "metrics", "/api/v1/kpis", roles=["admin"], body={
            "code": code, "name": name, "unit_of_measure": uom, "improvement_direction": direction,
            "aggregation": aggregation, "data_source": DATA_SOURCE}), 201)
        if created.status_code == 201:
            fresh = True
            ensure(portal.call("POST", "metrics", f"/api/v1/kpis/{code}/targets", roles=["admin"],
                               body={"effective_from": "2020-01", "target": target}), 201)
    return fresh


def mark_the_pdsa_change(portal: Portal, months: list[str]) -> None:
    ensure(portal.call("POST", "metrics", "/api/v1/kpis/ALOS/units/WARD-7/rebases", roles=["admin"], body={
        "period": months[24], "reason": "Criteria-led discharge introduced on Ward 7 (WTGR project, PDSA cycle 3)"}),
        201)
    ensure(portal.call("POST", "metrics", "/api/v1/kpis/ALOS/units/WARD-7/annotations", roles=["admin"], body={
        "period": months[24], "text": "Criteria-led discharge went live", "pdsa_ref": "PDSA cycle 3"}), 201)
    ensure(portal.call("POST", "metrics", "/api/v1/kpis/THEATRE_UTIL/units/THR-1/annotations", roles=["admin"],
                       body={"period": months[20], "text": "Session planning moved to six weeks ahead"}), 201)


def publish(bootstrap: str, figures: list[Figure], months: list[str]) -> None:
    """As the hospital's data feed does: one measure.recorded event per KPI, unit and month."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for figure in figures:
        data = {"kpi_code": figure.kpi, "unit_code": figure.unit, "period": months[figure.month],
                "value": figure.value, "source": "demo data warehouse feed"}
        if figure.numerator is not None:
            data |= {"numerator": figure.numerator, "denominator": figure.denominator}
        event = new_event("measure.recorded", data, source="urn:wtgr:feed:demo-warehouse",
                          subject=f"{figure.kpi}|{figure.unit}")
        producer.send(topics.MEASURES, key=f"{figure.kpi}|{figure.unit}".encode(), value=event.to_json())
    producer.flush(timeout=60)
    producer.close()


def wait_until_stored(portal: Portal, figures: list[Figure], months: list[str], timeout: float = 300) -> None:
    """Until every KPI and unit has its newest month stored (partitions are consumed in any order)."""
    newest = {(f.kpi, f.unit): months[f.month] for f in figures}
    deadline = time.monotonic() + timeout
    while newest and time.monotonic() < deadline:
        for (kpi, unit), month in list(newest.items()):
            page = portal.call("GET", "metrics", f"/api/v1/kpis/{kpi}/units/{unit}/measures?page_size=200",
                               roles=["staff"]).json()
            if any(point["period"] == month for point in page.get("items", [])):
                del newest[(kpi, unit)]
        time.sleep(0.5)
    if newest:
        raise SystemExit(f"demo: metrics did not store the demo measures within {timeout:.0f} s: {sorted(newest)}")


def set_owners(portal: Portal) -> None:
    """Each KPI's owner and the CQC key questions it serves, and the owner of their data source (told
    of its feeds missing before each board pack)."""
    for code, *_, owner in KPIS:
        ensure(portal.call("PATCH", "metrics", f"/api/v1/kpis/{code}", roles=["admin"],
                           body={"owners": [owner], "cqc": KPI_CQC[code]}), 200)
    ensure(portal.call("PUT", "metrics", f"/api/v1/data-sources/{DATA_SOURCE}", roles=["admin"],
                       body={"owners": [DATA_SOURCE_OWNER]}), 200)


def demo_ideas(portal: Portal, ideas: list[tuple[str, str]]) -> None:
    """Two campaigns (one open, trust-wide; one closed) and ideas at every stage a person sets: public ones
    in moderation and let through, an anonymous one, votes, follows, comments (one hidden by a moderator),
    a merge and a decline."""
    today = datetime.now(UTC).date()
    nights = ensure(portal.call("POST", "ideas", "/api/v1/campaigns", roles=["qi_lead"], user="quinn.lead", body={
        "theme": "Safer nights: fewer falls after dark", "sponsor": "Chief Nurse", "directorate": None,
        "description": "Ideas to prevent falls between 8pm and 8am.",
        "opens_on": today.replace(day=1).isoformat(), "closes_on": f"{today.year + 1}-03-31"}), 201).json()["id"]
    ensure(portal.call("POST", "ideas", "/api/v1/campaigns", roles=["qi_lead"], user="quinn.lead", body={
        "theme": "Greener theatres", "sponsor": "Director of Estates", "directorate": "DIR-SURG",
        "opens_on": f"{today.year - 1}-01-01", "closes_on": f"{today.year - 1}-03-31"}), 201)
    created = [ensure(portal.call("POST", "ideas", "/api/v1/ideas", roles=["staff"], user="sam.nurse",
                                  body={"title": t, "description": d, "campaign_id": nights if "Falls" in t else None,
                                        "category": "patient-safety"}), 201).json() for t, d in ideas]
    falls = created[1]["id"]
    def move(idea_id: str, *stages: str, reason: str = "Strong case from the falls data") -> None:
        for stage in stages:
            ensure(portal.call("POST", "ideas", f"/api/v1/ideas/{idea_id}/stage", roles=["qi_lead"],
                               user="quinn.lead", body={"stage": stage, "reason": reason}), 200)

    move(falls, "under_review", "accepted")
    move(created[0]["id"], "under_review", "accepted", reason="Ward 7's discharge project takes this on")
    move(created[2]["id"], "under_review", "accepted", reason="The theatres group will plan a project")
    for voter in ("sam.nurse", "dev.doctor", "pat.porter"):
        ensure(portal.call("PUT", "ideas", f"/api/v1/ideas/{falls}/vote", roles=["staff"], user=voter), 200)
    ensure(portal.call("POST", "ideas", f"/api/v1/ideas/{falls}/comments", roles=["staff"], user="dev.doctor",
                       body={"body": "Ward 3 tried sensor mats: keep a spare charger on the ward."}), 201)
    forms = (
        {"title": "Quieter night-time observations", "description": "Use a dimmed torch for night checks.",
         "name": "A. Carer", "email": "carer@example.org", "consent": True},
        {"title": "Parking refunds for long visits", "description": "Visitors of long-stay patients pay a lot."},
        {"title": "Free wifi for visitors", "description": "Buy cheap phones online!"})
    public = [ensure(portal.call("POST", "ideas", "/api/v1/public/ideas", roles=[], body=body), 201).json()
              for body in forms]
    move(public[0]["id"], "submitted", "under_review")
    move(public[2]["id"], "declined", reason="Advertising, not an idea")
    anonymous = ensure(portal.call("POST", "ideas", "/api/v1/ideas", roles=["staff"], user="shy.nurse", body={
        "title": "Falls sensors on every ward", "description": "Bed sensors alert staff when frail patients get up.",
        "anonymous": True}), 201).json()
    ensure(portal.call("POST", "ideas", f"/api/v1/ideas/{anonymous['id']}/merge", roles=["qi_lead"],
                       user="quinn.lead", body={"into_idea_id": falls, "reason": "The same sensors, one project"}), 200)
    declined = ensure(portal.call("POST", "ideas", "/api/v1/ideas", roles=["staff"], user="pat.porter", body={
        "title": "A second lift for the porters", "description": "Porters wait ten minutes for the lift."}), 201)
    move(declined.json()["id"], "declined", reason="The new lift is in the estates plan for next year")
    water = ensure(portal.call("POST", "ideas", "/api/v1/ideas", roles=["staff"], user="dev.doctor", body={
        "title": "Water jugs refilled at every drug round", "category": "patient-experience",
        "description": "Patients on Ward 9 often wait for fresh water; the drug round passes every bed."}),
        201).json()["id"]  # stays submitted, with votes, followers and a conversation
    for voter in ("sam.nurse", "pat.porter"):
        ensure(portal.call("PUT", "ideas", f"/api/v1/ideas/{water}/vote", roles=["staff"], user=voter), 200)
    ensure(portal.call("PUT", "ideas", f"/api/v1/ideas/{water}/follow", roles=["staff"], user="pat.porter"), 200)
    for author, text in (("pat.porter", "The drug round trolley has room for a jug; the catering team would "
                                        "need to agree."),
                         ("dev.doctor", "Worth counting how long the wait is now before we change anything.")):
        ensure(portal.call("POST", "ideas", f"/api/v1/ideas/{water}/comments", roles=["staff"], user=author,
                           body={"body": text}), 201)
    off_topic = ensure(portal.call("POST", "ideas", f"/api/v1/ideas/{falls}/comments", roles=["staff"],
                                   user="pat.porter", body={"body": "Who is on the rota for Saturday?"}),
                       201).json()["id"]
    ensure(portal.call("POST", "ideas", f"/api/v1/ideas/{falls}/comments/{off_topic}/hide", roles=["moderator"],
                       user="mo.moderator", body={"reason": "Not about the idea: please ask on the ward"}), 200)


def ideas_projects_training(portal: Portal, months: list[str]) -> None:
    load_ideas(portal)
    load_training(portal)


def load_ideas(portal: Portal) -> None:
    """Campaigns and ideas at every stage a person sets; once (the first demo idea is the mark, so an
    env that tests have written ideas into still gets them)."""
    if _demo_idea(portal, DISCHARGE_IDEA) is not None:
        return
    ideas = [(DISCHARGE_IDEA,
              "Nurses discharge patients who meet agreed criteria, without waiting for the ward round."),
             (FALLS_IDEA, "Bed sensors alert staff when a frail patient gets up at night."),
             ("Theatre list planned six weeks ahead", "Fewer late changes, fewer empty sessions.")]
    demo_ideas(portal, ideas)


DISCHARGE_IDEA, FALLS_IDEA = "Nurse-led discharge on Ward 7", "Falls sensors on Ward 12"


def _demo_idea(portal: Portal, title: str, stage: str | None = None) -> str | None:
    """The id of the demo's idea with this title (at ``stage``), if the ideas service has it."""
    params = {"q": f'"{title}"', "page_size": 200, **({"stage": stage} if stage else {})}
    answer = portal.call("GET", "ideas", "/api/v1/ideas?" + urlencode(params), roles=["staff"])
    if answer.status_code != 200:
        return None
    return next((str(idea["id"]) for idea in answer.json()["items"] if idea["title"] == title), None)


def load_training(portal: Portal) -> None:
    """The WTGR Bronze course (introductory) and a session of it next January, with Sam Nurse booked,
    and the Silver course (practitioner, after Bronze); once (the Bronze course is the mark)."""
    if portal.call("GET", "training", "/api/v1/courses/QI-BRONZE", roles=["staff"]).status_code == 200:
        return
    ensure(portal.call("POST", "training", "/api/v1/courses", roles=["trainer"], user="tara.trainer", body={
        "code": "QI-BRONZE", "title": "WTGR Bronze: the Model for Improvement",
        "description": "Half a day on aims, measures, change ideas and PDSA cycles.", "level_code": "INTRODUCTORY",
        "learning_outcomes": ["Write an aim statement that says how much, by when",
                              "Choose outcome, process and balancing measures",
                              "Plan and run a PDSA cycle"],
        "duration_minutes": 210, "audience": "everyone"}), 201)
    ensure(portal.call("POST", "training", "/api/v1/courses", roles=["trainer"], user="tara.trainer", body={
        "code": "QI-SILVER", "title": "WTGR Silver: leading a QI project",
        "description": "Two days on running a project: driver diagrams, run and SPC charts, teams and sponsors.",
        "level_code": "PRACTITIONER", "prerequisite_code": "QI-BRONZE", "duration_minutes": 840,
        "learning_outcomes": ["Build a driver diagram with the team", "Read an SPC chart the Making Data Count way"]}),
        201)
    starts = datetime.now(UTC).replace(hour=9, minute=30, second=0, microsecond=0)
    session = portal.call("POST", "training", "/api/v1/courses/QI-BRONZE/sessions", roles=["trainer"],
                          user="tara.trainer", body={"starts_at": f"{starts.year + 1}-01-15T09:30:00+00:00",
                                                     "capacity": 12, "location": "Education Centre, Room 2"})
    ensure(session, 201)
    ensure(portal.call("POST", "training", f"/api/v1/sessions/{session.json()['id']}/enrolments", roles=["trainer"],
                       user="tara.trainer", body={"user": "sam.nurse", "name": "Sam Nurse",
                                                  "email": "sam.nurse@hospital.example", "directorate": "DIR-ELDER"}),
           201)


DEMO_STORIES = [
    {"title": "Theatre lists planned six weeks ahead: fewer empty sessions",
     "summary": "Main theatres fixed their lists six weeks ahead instead of two. Late changes halved and "
                "theatre utilisation rose from 78% to 86% over a year.",
     "body": "The theatre team mapped how a list was built and found most late changes came from lists "
             "finalised in the last fortnight. Three PDSA cycles later, a weekly planning meeting six weeks "
             "ahead, with anaesthetic cover confirmed at the same time, became the standard.",
     "learning": "Fix the process upstream: the late changes were a symptom of late planning.",
     "team": [{"name": "Theatres improvement group", "role": "team"}],
     "tags": ["effective", "theatres", "surgery"]},
    {"title": "Safety huddles on the medical wards, before the platform",
     "summary": "Ten-minute safety huddles at each shift change on the medical wards, started in 2023, "
                "made falls and pressure ulcer risks part of every handover.",
     "body": "Written up from the ward teams' own notes: the huddles began on one ward and spread to five "
             "within six months, with a simple board of who is at risk and why.",
     "learning": "Keep it short and standing; the board matters more than the meeting.",
     "team": [{"name": "Medicine nursing team", "role": "team"}],
     "tags": ["safe", "huddles", "medicine"]},
]


def stories(portal: Portal) -> None:
    """Two stories written by hand and the completed Ward 7 project's story (drafted by the stories
    service, with its before/after chart), published; the PDSA cycle template as a file to download
    (the rest of the tools library's starter content comes with its migrations)."""
    if not portal.call("GET", "stories", "/api/v1/stories", roles=["staff"]).json().get("total", 0):
        for fields in DEMO_STORIES:
            story = ensure(portal.call("POST", "stories", "/api/v1/stories", roles=["comms_editor"],
                                       user="casey.comms", body=fields), 201).json()
            _publish_story(portal, story)
    completed = portal.call("GET", "projects", "/api/v1/projects?stage=completed", roles=["staff"]).json()
    for project in completed.get("items", []):
        story = _drafted_story(portal, project["id"])
        if story is not None and story["state"] == "draft":
            _publish_story(portal, story)
    _upload_the_pdsa_template(portal)


def _publish_story(portal: Portal, story: dict[str, Any]) -> None:
    ensure(portal.call("POST", "stories", f"/api/v1/stories/{story['id']}/publication", roles=["comms_editor"],
                       user="casey.comms", headers={"If-Match": f'"{story["version"]}"'}), 200)


def _drafted_story(portal: Portal, project_id: str, timeout: float = 120) -> dict[str, Any] | None:
    """The story the stories service drafts from project.completed, once its consumer has read it."""
    deadline = time.monotonic() + timeout
    while True:
        answer = portal.call("GET", "stories", f"/api/v1/projects/{project_id}/story", roles=["comms_editor"])
        if answer.status_code == 200:
            return dict(answer.json())
        if time.monotonic() > deadline:
            print(f"demo: no story was drafted for the completed project {project_id}", flush=True)
            return None
        time.sleep(1)


def _upload_the_pdsa_template(portal: Portal) -> None:
    """The PDSA cycle template's text as a Markdown file people download and fill in."""
    template = ensure(portal.call("GET", "stories", "/api/v1/resources/by-slug/pdsa-cycle-template",
                                  roles=["staff"]), 200).json()
    if template["file_name"] is None:
        ensure(portal.call("PUT", "stories", f"/api/v1/resources/{template['id']}/file", roles=["comms_editor"],
                           user="casey.comms", data=template["body"].encode(), headers={
                               "Content-Type": "text/markdown", "If-Match": f'"{template["version"]}"'}), 200)


LEAD_USER = "lee.lead"
TEAM = [{"subject": LEAD_USER, "name": "Lee Lead", "email": "lee.lead@hospital.example", "role": "lead"},
        {"subject": "cat.coach", "name": "Cat Coach", "email": "cat.coach@hospital.example", "role": "coach"},
        {"subject": "sid.sponsor", "name": "Sid Sponsor", "email": "sid.sponsor@hospital.example", "role": "sponsor"},
        {"subject": "sam.nurse", "name": "Sam Nurse", "email": "sam.nurse@hospital.example", "role": "member"}]


@dataclass(frozen=True)
class DemoProject:
    title: str
    directorate: str
    unit: str
    cqc: list[str]
    aim: tuple[str, str, float, float]  # what, measure, baseline, target
    stage: str
    outcome: tuple[str, str] | None  # a linked KPI and unit; None: a project measure metrics creates
    drivers: dict[str, dict[str, list[str]]]  # primary -> secondary -> change ideas
    cycles: int = 0  # how many cycles, the last one running when the project is active
    first_cycle_month: int = MONTHS - 4


DEMO_PROJECTS = [
    DemoProject("Criteria-led discharge on Ward 7", "DIR-ACUTE", "WARD-7", ["effective", "responsive"],
                ("Reduce the average length of stay on Ward 7", "days", 5.6, 4.8), "completed", ("ALOS", "WARD-7"),
                {"Timely decisions to discharge": {"Daily senior review": ["Criteria-led discharge by nurses",
                                                                           "Board round before 10:00"]},
                 "Ready to go home": {"Medicines ready early": ["Pharmacy pre-orders TTOs"]}},
                cycles=3, first_cycle_month=24),
    DemoProject("Fewer falls at night on Ward 12", "DIR-ELDER", "WARD-12", ["safe", "caring"],
                ("Halve inpatient falls at night on Ward 12", "falls per 1,000 bed days", 4.6, 2.3), "active",
                ("FALLS_1000", "WARD-12"),
                {"Reliable risk assessment": {"Evening handover": ["Falls check at handover"]},
                 "Safe environment": {"Alerts when a patient gets up": ["Bed sensors on high-risk beds"]}},
                cycles=2),
    DemoProject("Theatre lists planned six weeks ahead", "DIR-THEATRES", "THR-1", ["effective", "well-led"],
                ("Raise utilisation of Main Theatre 1", "% of planned minutes used", 76.0, 85.0), "approved", None,
                {"Stable lists": {"Planning horizon": ["Six-week list lock"]}}, cycles=1),
    DemoProject("Follow-up calls after discharge from Ward 9", "DIR-ELDER", "WARD-9", ["responsive", "caring"],
                ("Cut 30-day readmissions from Ward 9", "% readmitted within 30 days", 9.5, 8.0), "submitted",
                None, {"Support at home": {"Contact in the first week": ["Nurse call on day 2"]}}),
    DemoProject("Weekend discharge lounge", "DIR-ACUTE", "WARD-7", ["responsive"],
                ("Open the discharge lounge at weekends", "patients using the lounge per weekend", 0.0, 20.0),
                "stopped", None, {"Space to wait": {"Lounge staffing": ["Bank staff rota at weekends"]}}),
]


def qi_projects(portal: Portal, months: list[str]) -> None:
    """The demo projects, registered and moved as a QI lead and each project's team would."""
    first = DEMO_PROJECTS[0].title
    found = portal.call("GET", "projects", "/api/v1/projects?" + urlencode({"q": first}), roles=["staff"]).json()
    if any(item["title"] == first for item in found.get("items", [])):
        return  # loaded before (projects the tests registered do not count)
    # the falls project stays active (its idea in progress); the discharge project completes (its idea
    # implemented); the theatre idea stays accepted, its project registered without it
    ideas = {"falls": _demo_idea(portal, FALLS_IDEA, "accepted"),
             "discharge on ward 7": _demo_idea(portal, DISCHARGE_IDEA, "accepted")}
    for project in DEMO_PROJECTS:
        title = project.title.lower()
        _demo_project(portal, project, months, next((idea for key, idea in ideas.items() if key in title), None))


def _register(portal: Portal, body: dict[str, Any], timeout: float = 30) -> Any:
    """Registers the project; one from an idea waits (up to ``timeout``) for the projects consumer to
    learn that the idea was accepted, and is registered without the idea if it never does."""
    deadline = time.monotonic() + timeout
    while True:
        answer = portal.call("POST", "projects", "/api/v1/projects", roles=["qi_lead"], user="quinn.lead", body=body)
        if answer.status_code != 422 or "idea_id" not in (answer.json().get("errors") or {}):
            return ensure(answer, 201).json()
        if time.monotonic() > deadline:
            body = {**body, "idea_id": None}
        time.sleep(0.5)


def _demo_project(portal: Portal, demo: DemoProject, months: list[str], idea_id: str | None) -> None:
    def call(method: str, path: str, body: Any = None, *, ok: int = 200, roles: tuple[str, ...] = ("staff",),
             user: str = LEAD_USER) -> Any:
        return ensure(portal.call(method, "projects", path, roles=list(roles), user=user, body=body), ok).json()

    what, measure, baseline, target = demo.aim
    by = f"{datetime.now(UTC).year + 1}-03-31"
    project = _register(portal, {
        "title": demo.title, "directorate": demo.directorate, "unit_code": demo.unit, "team": TEAM, "cqc": demo.cqc,
        "aim": {"statement": what, "measure": measure, "baseline": baseline, "target": target, "by": by},
        "idea_id": idea_id})
    base = f"/api/v1/projects/{project['id']}"
    change_ideas = _diagram(call, base, demo.drivers)
    outcome = ({"kpi_code": demo.outcome[0], "unit_code": demo.outcome[1]} if demo.outcome else
               {"define": True, "unit_of_measure": measure[:50], "direction": "higher_is_better"
                if target > baseline else "lower_is_better"})
    _link_outcome(portal, base, {"kind": "outcome", "name": measure.capitalize(), **outcome})
    if demo.stage == "submitted":
        return
    if demo.stage == "stopped":
        call("POST", f"{base}/stop", {"reason": "The estates work closed the lounge for the year."})
        return
    call("POST", f"{base}/approval", {"note": "Approved by the directorate QI forum."}, roles=("qi_lead",),
         user="quinn.lead")
    if demo.stage != "approved":
        call("POST", f"{base}/start")
    _cycles(call, base, demo, change_ideas, months)
    if demo.stage == "completed":
        call("POST", f"{base}/progress-scores", {"score": 4.5, "note": "Sustained shift, change adopted."}, ok=201)
        call("POST", f"{base}/completion", {"results": "Length of stay fell from 5.6 to 4.6 days and has held.",
                                            "learning": "Nurses can discharge safely against agreed criteria."})
    elif demo.stage == "active":
        call("POST", f"{base}/progress-scores", {"score": 2.5, "note": "Changes tested; no signal yet."}, ok=201)


def _link_outcome(portal: Portal, base: str, body: dict[str, Any], timeout: float = 120) -> None:
    """Links the measure; a KPI's series is linkable once projects has read metrics' kpi.updated
    for it, so a 422 on kpi_code is waited out (up to ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = portal.call("POST", "projects", f"{base}/measures", roles=["staff"], user=LEAD_USER, body=body)
        if answer.status_code != 422 or "kpi_code" not in (answer.json().get("errors") or {}) \
                or time.monotonic() > deadline:
            ensure(answer, 201)
            return
        time.sleep(1)


def _diagram(call: Any, base: str, drivers: dict[str, dict[str, list[str]]]) -> list[str]:
    """Adds the tree; the ids of its change ideas."""
    ideas: list[str] = []
    for primary, secondaries in drivers.items():
        primary_id = call("POST", f"{base}/driver-diagram/nodes", {"kind": "primary", "title": primary},
                          ok=201)["drivers"][-1]["id"]
        for secondary, change_ideas in secondaries.items():
            tree = call("POST", f"{base}/driver-diagram/nodes", {"kind": "secondary", "title": secondary,
                                                                  "parent_id": primary_id}, ok=201)
            secondary_id = [d for d in tree["drivers"] if d["id"] == primary_id][0]["children"][-1]["id"]
            for title in change_ideas:
                tree = call("POST", f"{base}/driver-diagram/nodes", {"kind": "change_idea", "title": title,
                                                                      "parent_id": secondary_id}, ok=201)
                node = [s for d in tree["drivers"] for s in d["children"] if s["id"] == secondary_id][0]
                ideas.append(node["children"][-1]["id"])
    return ideas


def _cycles(call: Any, base: str, demo: DemoProject, change_ideas: list[str], months: list[str]) -> None:
    previous: str | None = None
    for number in range(demo.cycles):
        month = months[min(demo.first_cycle_month + number, MONTHS - 1)]
        day = f"{month}-0{1 + number * 3}"
        cycle = call("POST", f"{base}/pdsa-cycles", ok=201, body={
            "change_idea_id": change_ideas[0], "title": f"Cycle {number + 1}: {demo.title.split(' on ')[0]}",
            "question": "Does the change do what we predict, on a small scale?",
            "prediction": "The measure moves towards the aim within a month.", "who": "The ward team",
            "where": demo.unit, "planned_start": day, "follows_cycle_id": previous})
        if demo.stage == "approved":
            return
        path = f"{base}/pdsa-cycles/{cycle['id']}"
        call("POST", f"{path}/start", {"started_on": day})
        if demo.stage == "active" and number == demo.cycles - 1:
            return  # the newest cycle of an active project is still running
        last = number == demo.cycles - 1
        call("POST", f"{path}/completion", {
            "ended_on": f"{month}-2{number}", "do": "Run on the ward as planned, with daily notes.",
            "study": "The measure moved as predicted on the days the change was made.", "months": [month],
            "decision": "adopt" if last else "adapt", "act": "Adopt as standard work." if last
            else "Adapt the checklist and test again on more shifts."})
        previous = cycle["id"]


def main() -> None:
    portal = Portal()
    months = months_ending_last_month(datetime.now(UTC).date())
    figures = synthetic_figures()
    history = [f for f in figures if f.month < MONTHS - 1]
    latest = [f for f in figures if f.month == MONTHS - 1]
    if load_catalogue(portal):
        mark_the_pdsa_change(portal, months)
    print(f"demo: publishing {len(history)} monthly measures (36 months) to {topics.MEASURES}", flush=True)
    publish(portal.bootstrap, history, months)
    wait_until_stored(portal, history, months)
    set_owners(portal)
    ideas_projects_training(portal, months)
    qi_projects(portal, months)
    print(f"demo: publishing the latest month ({months[-1]}): {len(latest)} measures, owners and the teams of "
          "projects measuring a signal's series are emailed", flush=True)
    publish(portal.bootstrap, latest, months)
    wait_until_stored(portal, latest, months)
    stories(portal)
    print("demo: loaded (KPIs: " + ", ".join(k[0] for k in KPIS) + ")", flush=True)


if __name__ == "__main__":
    try:
        main()
    except requests.RequestException as exc:
        print(f"demo: a service did not answer: {exc}", file=sys.stderr)
        sys.exit(1)
