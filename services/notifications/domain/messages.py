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
    """The KPI's owners hear of every new or revised month; a KPI with no owner notifies no one."""
    if not data["owners"]:
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
            "",
            "You receive this because you own this KPI on the WTGR Platform.",
        ]
    )
    return Message(tuple(data["owners"]), subject, body)


def _figure(value: float) -> str:
    return f"{value:g}"
