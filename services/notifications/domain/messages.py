"""What each notification says: plain text built from an event's payload."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Message:
    recipients: tuple[str, ...]
    subject: str
    body: str


def kpi_updated(data: dict[str, Any]) -> Message | None:
    """The KPI's owners hear of every new or revised month measured for a unit (not of the
    roll-ups it causes up the hierarchy); a KPI with no owner notifies no one."""
    if not data["owners"] or data.get("cause", "measure") != "measure":
        return None
    change = "revised" if data["revision"] > 1 else "recorded"
    previous = "" if data.get("previous_value") is None else f" (was {_figure(data['previous_value'])})"
    subject = f"[WTGR] {data['kpi_name']} for {data['unit_name']}, {data['period']}: {_figure(data['value'])}"
    body = "\n".join(
        [
            f"The {data['period']} value of {data['kpi_name']} ({data['kpi_code']}) for {data['unit_name']}"
            f" ({data['unit_code']}) was {change}.",
            "",
            f"Value: {_figure(data['value'])} {data['unit_of_measure']}{previous}",
            f"Revision: {data['revision']}",
            f"Source: {data['source']}",
            *_chart_lines(data),
            "",
            "You receive this because you own this KPI on the WTGR Platform.",
        ]
    )
    return Message(tuple(data["owners"]), subject, body)


def _chart_lines(data: dict[str, Any]) -> list[str]:
    """What the unit's chart now says at its newest month: the XmR chart's variation, mean and limits,
    or, for a series too short for limits, the run chart's median and whether its runs signal."""
    newest = f" at {data['latest_period']}" if data.get("latest_period") else ""
    if data.get("chart_type") == "run" and data.get("median") is not None:
        signal = ("non-random variation (Anhøj rules)" if data.get("runs_signal")
                  else "no sign of non-random variation")
        return ["", f"Run chart{newest} (fewer than 13 months, too few for process limits): "
                    f"median {_figure(data['median'])}, {signal}"]
    if data.get("mean") is None:
        return []
    variation = (data.get("point_type") or "common_cause").replace("_", " ")
    limits = "" if data.get("lpl") is None else f", process limits {_figure(data['lpl'])} to {_figure(data['upl'])}"
    return ["", f"SPC chart{newest}: {variation}, mean {_figure(data['mean'])}{limits}"]




def measure_overdue(data: dict[str, Any]) -> Message | None:
    """The owners hear that a feed has not delivered a month by its deadline."""
    if not data["owners"]:
        return None
    subject = f"[WTGR] Overdue: {data['kpi_name']} for {data['unit_name']}, {data['period']}"
    body = "\n".join([
        f"The {data['period']} measure of {data['kpi_name']} ({data['kpi_code']}) for {data['unit_name']}"
        f" ({data['unit_code']}) was expected by {data['expected_by']} and has not arrived.",
        "",
        "Check the data feed, or record the value on the WTGR Platform.",
        "You receive this because you own this KPI on the WTGR Platform.",
    ])
    return Message(tuple(data["owners"]), subject, body)


def _figure(value: float) -> str:
    return f"{value:g}"
