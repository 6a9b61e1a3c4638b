"""Demo data for `make run`: a small trust, its KPIs over 36 months, ideas, a project, a course.

Measures arrive the way a hospital feed sends them, as measure.recorded events on Kafka. The
series are synthetic (seeded, so a second run sends the same figures and changes nothing), with
special causes planted where a reader can see them:

- average length of stay on Ward 7 falls after a criteria-led discharge PDSA (month 24, rebased);
- theatre 1 utilisation shifts up after a scheduling change (month 20);
- 30-day readmissions on Ward 9 trend upwards over the last seven months;
- falls on Ward 12 spike in the latest month, which alerts the KPI's owner by email.

History is loaded before the owners are set, so owners are emailed about the latest month only.
"""

from __future__ import annotations

import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

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
             body: Any = None) -> requests.Response:
        token = self.issuer.issue(user, roles, email=f"{user}@hospital.example")
        return requests.request(method, self.url(service, path), json=body, timeout=30,
                                headers={"Authorization": f"Bearer {token}"})


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
            "aggregation": aggregation, "data_source": "hospital data warehouse (demo)"}), 201)
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
    for code, *_, owner in KPIS:
        ensure(portal.call("PATCH", "metrics", f"/api/v1/kpis/{code}", roles=["admin"], body={"owners": [owner]}), 200)


def ideas_projects_training(portal: Portal, months: list[str]) -> None:
    load_ideas(portal)
    load_training(portal)


def load_ideas(portal: Portal) -> None:
    """Three ideas, one of them accepted; only into an ideas service that holds none yet."""
    if portal.call("GET", "ideas", "/api/v1/ideas", roles=["staff"]).json().get("total", 0):
        return
    ideas = [("Discharge lounge open at weekends", "Patients waiting for transport could wait in the lounge."),
             ("Falls sensors on Ward 12", "Bed sensors alert staff when a frail patient gets up at night."),
             ("Theatre list planned six weeks ahead", "Fewer late changes, fewer empty sessions.")]
    created = [ensure(portal.call("POST", "ideas", "/api/v1/ideas", roles=["staff"], user="sam.nurse",
                                  body={"title": t, "description": d}), 201).json() for t, d in ideas]
    falls = created[1]["id"]
    for status in ("under_review", "accepted"):
        ensure(portal.call("POST", "ideas", f"/api/v1/ideas/{falls}/status", roles=["qi_lead"], user="quinn.lead",
                           body={"status": status, "reason": "Strong case from the falls data"}), 200)


def load_training(portal: Portal) -> None:
    """The WTGR Bronze course and a session of it next January; once (the course is the mark)."""
    if portal.call("GET", "training", "/api/v1/courses/QI-BRONZE", roles=["staff"]).status_code == 200:
        return
    ensure(portal.call("POST", "training", "/api/v1/courses", roles=["trainer"], user="tara.trainer", body={
        "code": "QI-BRONZE", "title": "WTGR Bronze: the Model for Improvement",
        "description": "Half a day on aims, measures, change ideas and PDSA cycles."}), 201)
    starts = datetime.now(UTC).replace(hour=9, minute=30, second=0, microsecond=0)
    ensure(portal.call("POST", "training", "/api/v1/courses/QI-BRONZE/sessions", roles=["trainer"],
                       user="tara.trainer", body={"starts_at": f"{starts.year + 1}-01-15T09:30:00+00:00",
                                                  "capacity": 12, "location": "Education Centre, Room 2"}), 201)


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
    print(f"demo: publishing the latest month ({months[-1]}): {len(latest)} measures, owners are emailed", flush=True)
    publish(portal.bootstrap, latest, months)
    wait_until_stored(portal, latest, months)
    ideas_projects_training(portal, months)
    print("demo: loaded (KPIs: " + ", ".join(k[0] for k in KPIS) + ")", flush=True)


if __name__ == "__main__":
    try:
        main()
    except requests.RequestException as exc:
        print(f"demo: a service did not answer: {exc}", file=sys.stderr)
        sys.exit(1)
