"""Signals people act on (the metrics service layer).

A signal opens when metrics announces a new special-cause episode (``kpi.special_cause_detected``)
or a run chart's non-random variation (``kpi.updated`` of a run chart whose ``runs_signal`` is
true, while no run-chart signal of that series is still open). Metrics reads these from its own
topic, so the aggregator stays one job and a signal is one more consumer of what it announces;
the consumer's record of the event id, and the signal's ``source_event_id``, open each once.

Opening tells, in one ``signal.opened``, the KPI's owners and the teams of the approved and
active projects measuring that series (each address once). Then owners, QI leads and admins
acknowledge, explain, plan action and close it (``act``); every step is kept and announced. A
signal nobody acknowledges is chased (``chase``): a reminder, then an escalation to the lead of
its directorate.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import date
from typing import Any

from services.metrics.adapters import signal_store
from services.metrics.domain import signal_life
from services.metrics.domain.signal_life import RUN_CHART, SPECIAL_CAUSE, Chase
from services.metrics.service_layer import catalogue
from shared import audit, topics
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleVersion
from shared.events import Envelope
from shared.month import Month, first_day_of, month_text

log = logging.getLogger(__name__)

RELATION_OF_ROLE = {"lead": "lead", "sponsor": "sponsor", "coach": "coach"}  # any other role: "team"
ACTING_ROLES = ("admin", "qi_lead")


# -- opening ---------------------------------------------------------------------------------------

def on_special_cause(uow: UnitOfWork, event: Envelope, data: dict[str, Any]) -> None:
    """A new special-cause episode is a new signal."""
    _open(uow, event, {
        "kind": SPECIAL_CAUSE, "kpi_code": data["kpi_code"], "unit_code": data["unit_code"],
        "period": first_day_of(data["period"]), "signal_start": first_day_of(data["signal_start"]),
        "point_type": data["point_type"], "special_cause_type": data["special_cause_type"], "value": data["value"]})


def on_kpi_updated(uow: UnitOfWork, event: Envelope, data: dict[str, Any]) -> None:
    """A run chart that signals opens a run-chart signal, unless one of that series is still open."""
    if data["chart_type"] != "run" or not data["runs_signal"] or not data["latest_period"]:
        return
    if signal_store.live_run_chart_signal(uow, data["kpi_code"], data["unit_code"]):
        return
    month = first_day_of(data["latest_period"])
    _open(uow, event, {
        "kind": RUN_CHART, "kpi_code": data["kpi_code"], "unit_code": data["unit_code"], "period": month,
        "signal_start": first_day_of(data["series"][0]["period"]) if data["series"] else month,
        "point_type": None, "special_cause_type": None, "value": data["latest_value"]})


def _open(uow: UnitOfWork, event: Envelope, fields: dict[str, Any]) -> None:
    named = signal_store.names(uow, fields["kpi_code"], fields["unit_code"])
    if named is None:  # the KPI or unit is metrics' own: it cannot be unknown unless the event is forged
        log.warning("signal for a series metrics does not have", extra={"event_id": event.id, "event_type": event.type})
        return
    signal = signal_store.open_signal(uow, {**fields, "source_event_id": event.id})
    if signal is None:
        return
    signal_store.add_history(uow, signal["id"], None, signal_life.OPEN, event.source, details={"event_id": event.id})
    projects = signal_store.projects_measuring(uow, fields["kpi_code"], fields["unit_code"])
    signal_store.add_signal_projects(uow, signal["id"], projects)
    watched = _sustaining(uow, signal)
    uow.emit("signal.opened", {
        "signal_id": signal["id"], "kind": signal["kind"], "kpi_code": signal["kpi_code"],
        "kpi_name": named["kpi_name"], "unit_code": signal["unit_code"], "unit_name": named["unit_name"],
        "period": month_text(signal["period"]), "signal_start": month_text(signal["signal_start"]),
        "point_type": signal["point_type"], "special_cause_type": signal["special_cause_type"],
        "value": signal["value"], "projects": [{"project_id": p["project_id"], "title": p["title"]} for p in projects],
        "sustainment": [{"project_id": p["project_id"], "title": p["title"], "completed_on": p["completed_on"]}
                        for p in watched],
        "audience": signal_audience(named["owners"], projects, watched), "title": _title(named, signal),
        "path": path_of(signal["id"])}, topic=topics.KPIS, key=_key(signal))


def _sustaining(uow: UnitOfWork, signal: dict[str, Any]) -> list[dict[str, Any]]:
    """Completed projects still watched on this series, when the signal is one of concern."""
    if signal["point_type"] != "special_cause_concern":
        return []
    since = Month.of(date.today()) - sustain_months()
    return signal_store.projects_sustaining(uow, signal["kpi_code"], signal["unit_code"], since.first_day)


def sustain_months() -> int:
    """How many months after a project completes its outcome and balancing measures are watched."""
    return int(os.environ.get("WTGR_SUSTAIN_MONTHS", "12"))


def signal_audience(owners: list[str], projects: list[dict[str, Any]],
                    watched: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """The KPI's owners, each project's team, then the lead and approving QI lead of each completed
    project whose improvement is watched; each address once (the first mention wins)."""
    everyone: list[dict[str, Any]] = [{"email": owner, "name": None, "relation": "kpi_owner"} for owner in owners]
    for project in projects:
        everyone += [{"email": member["email"], "name": member.get("name"),
                      "relation": RELATION_OF_ROLE.get(member.get("role", ""), "team")}
                     for member in project["team"] if member.get("email")]
    for project in watched:
        everyone += [{"email": member["email"], "name": member.get("name"), "relation": "lead"}
                     for member in project["team"] if member.get("email") and member.get("role") == "lead"]
        if project["qi_lead"]:
            everyone.append({**project["qi_lead"], "relation": "approver"})
    seen: dict[str, dict[str, Any]] = {}
    for person in everyone:
        seen.setdefault(person["email"].lower(), person)
    return list(seen.values())


def _title(named: dict[str, Any], signal: dict[str, Any]) -> str:
    what = {"special_cause_improvement": "special cause (improvement)",
            "special_cause_concern": "special cause (concern)"}.get(signal["point_type"] or "", "special cause")
    if signal["kind"] == RUN_CHART:
        what = "non-random variation (run chart)"
    return f"{named['kpi_name']} for {named['unit_name']}: {what} in {month_text(signal['period'])}"


def path_of(signal_id: int) -> str:
    return f"/signals/{signal_id}"


def _key(signal: dict[str, Any]) -> str:
    return f"{signal['kpi_code']}|{signal['unit_code']}"


# -- acting ----------------------------------------------------------------------------------------

def act(uow: UnitOfWork, signal_id: int, step: str, said: dict[str, Any], who: Principal,
        seen_version: int | None) -> dict[str, Any]:
    """Take ``step`` (acknowledge, explain, plan, close) on a signal: its KPI's owners, QI leads and
    admins may; the signal must be in a state the step follows (else Conflict) and at the version
    the caller saw (else StaleVersion)."""
    signal = signal_store.signal_for_update(uow, signal_id)
    if signal is None:
        raise NotFound(f"signal {signal_id} not found")
    named = signal_store.names(uow, signal["kpi_code"], signal["unit_code"])
    assert named is not None
    if not may_act(who, named["owners"]):
        raise Forbidden(f"only the owners of {signal['kpi_code']}, QI leads and admins act on its signals")
    if seen_version is not None and seen_version != signal["version"]:
        raise StaleVersion(f"the signal is at version {signal['version']}, not {seen_version}; reload and try again")
    try:
        target = signal_life.next_state(step, signal["state"])
    except signal_life.StepNotAllowed as exc:
        raise Conflict(str(exc)) from exc
    changes = STEP_CHANGES[step](uow, signal, said, who)
    signal_store.update_signal(uow, signal_id, {**changes, "state": target})
    note = said.get("note") or said.get("cause") or said.get("action") or said.get("reason")
    details = {name: str(value) for name, value in changes.items() if value is not None and name != "state"}
    signal_store.add_history(uow, signal_id, signal["state"], target, who.user, note, details)
    audit.record(uow, f"signal.{step}", "signal", str(signal_id), before_version=signal["version"],
                 after_version=signal["version"] + 1)
    uow.emit(EVENT_OF_STEP[step], {
        "signal_id": signal_id, "kpi_code": signal["kpi_code"], "unit_code": signal["unit_code"],
        "from_state": signal["state"], "state": target, "by": who.user, "note": said.get("note"),
        "cause": changes.get("cause"), "pdsa_cycle_id": changes.get("pdsa_cycle_id"),
        "project_id": changes.get("project_id"), "closed_as": changes.get("closed_as"), "audience": [],
        "title": _title(named, signal), "path": path_of(signal_id)}, topic=topics.KPIS, key=_key(signal))
    return signal_in_full(uow, signal_id)


def may_act(who: Principal, owners: list[str]) -> bool:
    return any(role in who.roles for role in ACTING_ROLES) or (who.email or "").lower() in {
        owner.lower() for owner in owners}


def _acknowledge(uow: UnitOfWork, signal: dict[str, Any], said: dict[str, Any], who: Principal) -> dict[str, Any]:
    return {"acknowledged_by": who.user, "acknowledged_at": uow.one("SELECT now() AS now")["now"]}  # type: ignore[index]


def _explain(uow: UnitOfWork, signal: dict[str, Any], said: dict[str, Any], who: Principal) -> dict[str, Any]:
    cycle = said.get("pdsa_cycle_id")
    if cycle is not None:
        cycles = {row["cycle_id"] for row in signal_store.pdsa_cycles_of_series(uow, signal["kpi_code"],
                                                                               signal["unit_code"])}
        if cycle not in cycles:
            raise InvalidInput("no such PDSA cycle on this chart", field="pdsa_cycle_id",
                               reason="not a PDSA cycle noted on this series' chart")
    return {"cause": said["cause"], "pdsa_cycle_id": cycle, "project_id": _known_project(uow, said.get("project_id"))}


def _plan(uow: UnitOfWork, signal: dict[str, Any], said: dict[str, Any], who: Principal) -> dict[str, Any]:
    return {"action": said["action"], "project_id": _known_project(uow, said["project_id"])}


def _close(uow: UnitOfWork, signal: dict[str, Any], said: dict[str, Any], who: Principal) -> dict[str, Any]:
    if said["closed_as"] == signal_life.RETURNED:
        try:
            signal_life.check_returned(signal_store.chart_still_signals(uow, signal["kpi_code"], signal["unit_code"]))
        except signal_life.StillSignalling as exc:
            raise Conflict(str(exc)) from exc
        return {"closed_as": signal_life.RETURNED, "close_reason": said.get("reason")}
    if signal["kind"] == RUN_CHART:
        raise Conflict("a run chart has no limits to rebase: close it when it returns to random variation")
    start = said["rebase_from"].first_day if said.get("rebase_from") else signal["signal_start"]
    rebase = catalogue.rebase(uow, signal["kpi_code"], signal["unit_code"], start, said["reason"], who)
    return {"closed_as": signal_life.REBASED, "close_reason": said["reason"], "rebase_id": rebase["id"]}


def _known_project(uow: UnitOfWork, project_id: Any) -> str | None:
    if project_id is None:
        return None
    if signal_store.project(uow, str(project_id)) is None:
        raise InvalidInput("unknown project", field="project_id", reason="no QI project with this id")
    return str(project_id)


STEP_CHANGES = {"acknowledge": _acknowledge, "explain": _explain, "plan": _plan, "close": _close}
EVENT_OF_STEP = {"acknowledge": "signal.acknowledged", "explain": "signal.explained",
                 "plan": "signal.action_planned", "close": "signal.closed"}


def signal_in_full(uow: UnitOfWork, signal_id: int) -> dict[str, Any]:
    """One signal with its KPI's and unit's names, the projects told of it, and what it may be
    linked to: the projects measuring its series and the PDSA cycles noted on its chart."""
    found = signal_store.signals_by_id(uow, [signal_id]).get(signal_id)
    if found is None:
        raise NotFound(f"signal {signal_id} not found")
    return {**with_names(found), "projects": signal_store.signal_projects(uow, signal_id),
            "linkable_projects": signal_store.projects_of_series(uow, found["kpi_code"], found["unit_code"]),
            "pdsa_cycles": signal_store.pdsa_cycles_of_series(uow, found["kpi_code"], found["unit_code"])}


def with_names(row: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name != "owners"}


# -- chasing ---------------------------------------------------------------------------------------

def chase(uow: UnitOfWork, today: date, rules: Chase) -> tuple[int, int]:
    """Remind the owners of every signal unacknowledged for ``rules.remind_after`` working days, and
    tell the directorate's lead of those left ``rules.escalate_after``; each once. How many of each."""
    reminded = escalated = 0
    for row in signal_store.waiting(uow):
        opened = row["opened_at"].date()
        remind, escalate = rules.due(opened, today, row["reminded_at"] is not None, row["escalated_at"] is not None)
        waited = signal_life.working_days_between(opened, today)
        if remind:
            _chase(uow, "signal.reminder", row, opened, waited,
                   [{"email": owner, "name": None, "relation": "kpi_owner"} for owner in row["owners"]])
            signal_store.mark_chased(uow, row["id"], "reminded_at")
            reminded += 1
        if escalate:
            lead = signal_store.lead_above(uow, row["unit_code"])
            if lead is None:
                log.warning("no lead to escalate an unacknowledged signal to", extra={"signal_id": row["id"]})
            _chase(uow, "signal.escalated", row, opened, waited,
                   [{"email": lead["email"], "name": lead["name"], "relation": "unit_lead"}] if lead else [])
            signal_store.mark_chased(uow, row["id"], "escalated_at")
            escalated += 1
    return reminded, escalated


def _chase(uow: UnitOfWork, event_type: str, row: dict[str, Any], opened: date, waited: int,
           audience: list[dict[str, Any]]) -> None:
    uow.emit(event_type, {
        "signal_id": row["id"], "kpi_code": row["kpi_code"], "kpi_name": row["kpi_name"],
        "unit_code": row["unit_code"], "unit_name": row["unit_name"], "opened_on": opened, "working_days": waited,
        "audience": audience, "title": f"{row['kpi_name']}, {row['unit_name']}: a signal nobody has acknowledged",
        "path": path_of(row["id"])}, topic=topics.KPIS, key=_key(row))


# -- projects (metrics' copy) ----------------------------------------------------------------------

def on_project_created(uow: UnitOfWork, event: Envelope, data: dict[str, Any]) -> None:
    signal_store.keep_project(uow, str(data["project_id"]), data["title"], data["stage"], data.get("team"))


def on_project_stage_changed(uow: UnitOfWork, event: Envelope, data: dict[str, Any]) -> None:
    """The project's stage; from its approval, the QI lead who approved it (told of a relapse)."""
    project_id = str(data["project_id"])
    signal_store.keep_project(uow, project_id, data["title"], data["to_stage"], None,
                              _day_of(event) if data["to_stage"] == "completed" else None)
    approver = [p for p in data.get("audience") or () if p["relation"] == "approver"]
    if approver:
        signal_store.keep_qi_lead(uow, project_id, {"email": approver[0]["email"], "name": approver[0]["name"]})


def on_project_completed(uow: UnitOfWork, event: Envelope, data: dict[str, Any]) -> None:
    signal_store.keep_project(uow, str(data["project_id"]), data["title"], "completed", data.get("team"),
                              _day_of(event))


def sustainment(uow: UnitOfWork, project_id: str, today: date) -> dict[str, Any]:
    """What the watch of a completed project says: until when its outcome and balancing measures
    are watched, and the signals of concern on them since it completed (none: sustained so far)."""
    project = signal_store.completed_project(uow, project_id)
    if project is None:
        raise NotFound(f"no completed project {project_id} is known to metrics")
    until = (Month.of(project["completed_on"]) + sustain_months()).first_day
    series = signal_store.watched_series(uow, project_id)
    months = min(Month.of(today), Month.of(until)) - Month.of(project["completed_on"])
    return {**project, "watched_until": until, "watching": today < until, "series": series,
            "sustained": not any(item["concerns"] for item in series), "months_since_completion": max(months, 0)}


def _day_of(event: Envelope) -> date:
    return date.fromisoformat(event.time[:10])


def set_unit_lead(uow: UnitOfWork, unit_code: str, email: str, name: str | None, who: Principal,
                  seen_version: int | None) -> dict[str, Any]:
    if signal_store.names_unit(uow, unit_code) is None:
        raise NotFound(f"unit {unit_code} not found")
    before = signal_store.unit_lead(uow, unit_code)
    if seen_version is not None and before is not None and before["version"] != seen_version:
        raise StaleVersion(f"the lead was changed since version {seen_version}; reload and try again")
    audit.record(uow, "unit.lead_set", "unit", unit_code)
    return signal_store.set_unit_lead(uow, unit_code, email, name, who.user)
