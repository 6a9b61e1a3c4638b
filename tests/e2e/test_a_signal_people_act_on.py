"""A special cause opens a signal that reaches the KPI's owner and the team of the project that
measures the series, once each; the owner acknowledges it, explains it by the project's PDSA cycle
and closes it by rebasing the chart. Through the running services, on the real servers."""

from __future__ import annotations

import time
import uuid
from datetime import date
from typing import Any

import pytest
import requests
from kafka import KafkaProducer

from devstack.mail import Mailbox
from shared import topics
from shared.events import new_event
from shared.month import Month

pytestmark = pytest.mark.e2e

WAIT = 90.0
STEADY = [4.6, 4.4, 4.7, 4.5, 4.3, 4.6, 4.5, 4.4, 4.6, 4.5, 4.7, 4.4, 4.5]


def bearer(issuer: Any, subject: str, roles: list[str], email: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.issue(subject, roles, email=email)}"}


def call(method: str, url: str, who: dict[str, str], *, expect: int = 200, if_match: str | None = None,
         json: Any = None) -> requests.Response:
    headers = {**who, **({"If-Match": if_match} if if_match else {})}
    answer = requests.request(method, url, json=json, headers=headers, timeout=10)
    assert answer.status_code == expect, f"{method} {url}: {answer.status_code} {answer.text[:500]}"
    return answer


def wait_for(ask: Any, done: Any, what: str) -> Any:
    deadline = time.monotonic() + WAIT
    while True:
        found = ask()
        if done(found):
            return found
        assert time.monotonic() < deadline, f"{what}: not in {WAIT:.0f} s (last: {found})"
        time.sleep(0.5)


def test_a_special_cause_opens_a_signal_the_owner_and_the_project_team_hear_of_once_and_act_on(
        service_url, issuer, kafka_bootstrap, mailbox: Mailbox):
    run = uuid.uuid4().hex[:8]
    metrics, projects = service_url("metrics"), service_url("projects")
    kpi, unit, owner = f"SIG-{run.upper()}", f"SW-{run.upper()}", f"owner-{run}@hospital.example"
    lead = {"subject": f"lead-{run}", "name": "Lee Park", "email": f"lee-{run}@hospital.example", "role": "lead"}
    member = {"subject": f"member-{run}", "name": "Mo Reid", "email": f"mo-{run}@hospital.example", "role": "member"}
    admin = bearer(issuer, f"admin-{run}", ["admin"])
    qi_lead = bearer(issuer, f"qi-{run}", ["qi_lead"], f"qi-{run}@hospital.example")
    as_lead = bearer(issuer, lead["subject"], ["staff"], lead["email"])
    as_owner = bearer(issuer, f"owner-{run}", ["staff", "kpi_owner"], owner)
    this_month = Month.of(date.today())
    spike_month = this_month - 1
    months = [spike_month - len(STEADY) + i for i in range(len(STEADY))]

    # A ward's length of stay, owned by the owner, with a steady year and a month.
    call("POST", f"{metrics}/api/v1/units", admin, expect=201, json={"code": unit, "name": "Ward S", "level": "ward"})
    call("POST", f"{metrics}/api/v1/kpis", admin, expect=201, json={
        "code": kpi, "name": "Length of stay", "unit_of_measure": "days", "improvement_direction": "decrease",
        "owners": [owner]})
    for month, value in zip(months, STEADY, strict=True):
        call("POST", f"{metrics}/api/v1/measures", admin, expect=201, json={
            "kpi_code": kpi, "unit_code": unit, "period": str(month), "value": value, "source": "warehouse"})

    # A QI project on that ward measures it, and has a PDSA cycle running.
    created = wait_for(lambda: requests.post(f"{projects}/api/v1/projects", headers=qi_lead, timeout=10, json={
        "title": f"Home sooner {run}", "directorate": "DIR-ACUTE", "unit_code": unit, "cqc": ["effective"],
        "team": [lead, member], "aim": {"statement": "Shorten stays on Ward S", "measure": "days", "baseline": 4.5,
                                        "target": 4.0, "by": (this_month + 6).first_day.isoformat()}}),
        lambda a: a.status_code == 201, "project registered")
    base = f"{projects}/api/v1/projects/{created.json()['id']}"
    etag = call("POST", f"{base}/approval", qi_lead, if_match=created.headers["ETag"],
                json={"note": "Approved by the forum"}).headers["ETag"]
    call("POST", f"{base}/start", as_lead, if_match=etag)
    wait_for(lambda: requests.post(f"{base}/measures", headers=as_lead, timeout=10, json={
        "kind": "outcome", "name": "Length of stay", "kpi_code": kpi, "unit_code": unit}),
        lambda a: a.status_code == 201, "outcome measure linked")
    tree = call("POST", f"{base}/driver-diagram/nodes", as_lead, expect=201,
                json={"kind": "primary", "title": "Timely discharge"}).json()
    tree = call("POST", f"{base}/driver-diagram/nodes", as_lead, expect=201, json={
        "kind": "secondary", "title": "Decisions early in the day", "parent_id": tree["drivers"][0]["id"]}).json()
    tree = call("POST", f"{base}/driver-diagram/nodes", as_lead, expect=201, json={
        "kind": "change_idea", "title": "Board round before 10:00",
        "parent_id": tree["drivers"][0]["children"][0]["id"]}).json()
    change_idea = tree["drivers"][0]["children"][0]["children"][0]["id"]
    plan = call("POST", f"{base}/pdsa-cycles", as_lead, expect=201, json={
        "change_idea_id": change_idea, "title": "Board round on one bay", "question": "Are decisions earlier?",
        "prediction": "Half the discharges decided by noon", "who": "Ward team", "where": "Bay A",
        "planned_start": date.today().isoformat()})
    call("POST", f"{base}/pdsa-cycles/{plan.json()['id']}/start", as_lead, if_match=plan.headers["ETag"],
         json={"started_on": date.today().isoformat()})
    chart_url = f"{metrics}/api/v1/kpis/{kpi}/units/{unit}/chart"
    wait_for(lambda: call("GET", chart_url, admin).json()["annotations"], bool,
             "metrics noted the cycle on the chart (so it has read the project's stage too)")

    # The feed sends a month far above the limit, twice.
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    spike = new_event("measure.recorded", {"kpi_code": kpi, "unit_code": unit, "period": str(spike_month),
                                           "value": 9.5, "source": "pas"}, source="urn:wtgr:feed:pas")
    for _ in range(2):
        producer.send(topics.MEASURES, key=f"{kpi}|{unit}".encode(), value=spike.to_json()).get(timeout=10)
    producer.close()

    # It opens one signal, which reaches the owner (told of the special cause, with its chart) and
    # the project's team (told of the signal, with its page), once each.
    listed = wait_for(lambda: call("GET", f"{metrics}/api/v1/signals?kpi={kpi}&unit={unit}", admin).json()["items"],
                      bool, "signal opened")
    [signal] = [item for item in listed if item["kind"] == "special_cause"]
    assert (signal["state"], signal["period"], signal["point_type"]) == ("open", str(spike_month),
                                                                        "special_cause_concern")
    link = f"/signals/{signal['id']}"
    for address, linked in ((owner, f"/kpis/{kpi}/units/{unit}"), (lead["email"], link), (member["email"], link)):
        alert = mailbox.wait_for(address, lambda m: m.subject.startswith("[WTGR alert]"), timeout=WAIT)
        assert "special cause (concern)" in alert.subject and linked in alert.body_text
    assert "Home sooner" in mailbox.wait_for(lead["email"], lambda m: "[WTGR alert]" in m.subject).body_text
    project_signals = call("GET", f"{metrics}/api/v1/projects/{created.json()['id']}/signals", as_lead).json()
    assert [item["id"] for item in project_signals["items"]] == [signal["id"]]

    # The owner acknowledges it, explains it by the PDSA cycle and closes it by a rebase.
    url = f"{metrics}/api/v1/signals/{signal['id']}"
    shown = call("GET", url, as_owner)
    [cycle] = shown.json()["pdsa_cycles"]
    etag = call("POST", f"{url}/acknowledgement", as_owner, if_match=shown.headers["ETag"],
                json={"note": "Seen, looking at the discharge data"}).headers["ETag"]
    explained = call("POST", f"{url}/explanation", as_owner, if_match=etag, json={
        "cause": "The board round moved discharges later while it settled in", "pdsa_cycle_id": cycle["cycle_id"]})
    assert explained.json()["pdsa_cycle_id"] == cycle["cycle_id"]
    closed = call("POST", f"{url}/closure", as_owner, if_match=explained.headers["ETag"], json={
        "closed_as": "rebased", "reason": "The board round changed the process", "rebase_from": str(spike_month)})
    assert (closed.json()["state"], closed.json()["closed_as"]) == ("closed", "rebased")
    assert [r["reason"] for r in call("GET", chart_url, admin).json()["rebases"]] == [
        "The board round changed the process"]
    history = call("GET", f"{url}/history", admin).json()["items"]
    assert [entry["to_state"] for entry in history] == ["open", "acknowledged", "explained", "closed"]

    time.sleep(2)  # a second alert, were one queued, would have been sent by now
    for address in (owner, lead["email"], member["email"]):
        assert len([m for m in mailbox.messages(address) if m.subject.startswith("[WTGR alert]")]) == 1
