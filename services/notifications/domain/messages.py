"""What the KPI notifications say, written for people from an event's payload (plain Python):
figures with their units ("4.6 days"), months by name ("September 2026"), rules in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.notifications.domain.words import figure, month, quantity, rule


@dataclass(frozen=True)
class Item:
    """One thing to tell: its subject (names the thing) and its text."""

    subject: str
    body: str


def kpi_updated(data: dict[str, Any]) -> Item | None:
    """A new or revised month measured for a unit (not the roll-ups it causes up the hierarchy)."""
    if data.get("cause", "measure") != "measure":
        return None
    change = "revised" if data["revision"] > 1 else "recorded"
    value = quantity(data["value"], data["unit_of_measure"])
    previous = "" if data.get("previous_value") is None else \
        f" (it was {quantity(data['previous_value'], data['unit_of_measure'])})"
    subject = f"[WTGR] {data['kpi_name']} for {data['unit_name']}, {month(data['period'])}: {value}"
    body = "\n".join([
        f"The {month(data['period'])} value of {data['kpi_name']} for {data['unit_name']} was {change}: "
        f"{value}{previous}.",
        f"Source: {data['source']}",
        *_chart_lines(data),
    ])
    return Item(subject, body)


def _chart_lines(data: dict[str, Any]) -> list[str]:
    """What the unit's chart now says at its newest month: the XmR chart's variation, mean and limits,
    or, for a series too short for limits, the run chart's median and whether its runs signal."""
    unit = data["unit_of_measure"]
    newest = f" at {month(data['latest_period'])}" if data.get("latest_period") else ""
    if data.get("chart_type") == "run" and data.get("median") is not None:
        signal = ("non-random variation (Anhøj rules)" if data.get("runs_signal")
                  else "no sign of non-random variation")
        return [f"Run chart{newest} (fewer than 13 months, too few for process limits): "
                f"median {quantity(data['median'], unit)}, {signal}"]
    if data.get("mean") is None:
        return []
    variation = (data.get("point_type") or "common_cause").replace("_", " ")
    limits = "" if data.get("lpl") is None else \
        f", process limits {figure(data['lpl'])} to {quantity(data['upl'], unit)}"
    return [f"SPC chart{newest}: {variation}, mean {quantity(data['mean'], unit)}{limits}"]


def special_cause_detected(data: dict[str, Any]) -> Item:
    """The alert: a new special cause on a KPI's SPC chart for one unit."""
    kind = {"special_cause_improvement": "improvement", "special_cause_concern": "concern"}.get(
        data["point_type"], "special cause")
    unit = data["unit_of_measure"]
    subject = (f"[WTGR alert] {data['kpi_name']} for {data['unit_name']}: special cause ({kind}) "
               f"in {month(data['period'])}")
    limits = "" if data.get("lpl") is None else \
        f"; process limits {figure(data['lpl'])} to {quantity(data['upl'], unit)}"
    body = "\n".join([
        f"{data['unit_name']}: {quantity(data['value'], unit)} in {month(data['period'])}, "
        f"a special cause of {kind}.",
        f"Rule: {rule(data['special_cause_type'])} (since {month(data['signal_start'])}).",
        f"Mean {quantity(data['mean'], unit)}{limits}. Better is {_better(data['improvement_direction'])}.",
    ])
    return Item(subject, body)


def alert_group_subject(kpi_name: str, period: str, levels: int) -> str:
    """One alert email for a KPI's month at several levels of the hierarchy names the KPI and the month."""
    return f"[WTGR alert] {kpi_name}: special cause in {month(period)} at {levels} levels of the hierarchy"


def measure_overdue(data: dict[str, Any]) -> Item:
    """A feed has not delivered a month by its deadline."""
    subject = f"[WTGR] Overdue: {data['kpi_name']} for {data['unit_name']}, {month(data['period'])}"
    body = "\n".join([
        f"The {month(data['period'])} measure of {data['kpi_name']} for {data['unit_name']} was expected by "
        f"{data['expected_by']:%-d %B %Y} and has not arrived.",
        "Check the data feed, or record the value on the WTGR Platform.",
    ])
    return Item(subject, body)


def _better(direction: str) -> str:
    return {"increase": "higher", "decrease": "lower"}.get(direction, "neither higher nor lower")
