"""A QI project's measures as KPIs, and its PDSA cycles as notes on their charts (plain Python)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from services.metrics.domain.measures import UNITS_OF_MEASURE

# How projects name units of measure and directions, where they differ from the catalogue's names.
UNIT_OF_MEASURE_ALIASES = {"%": "percent", "percentage": "percent", "day": "days", "minute": "minutes",
                           "number": "count"}
DIRECTIONS = {"higher_is_better": "increase", "lower_is_better": "decrease"}
PROJECTS_SERVICE = "projects-service"
MAX_NOTE = 2000


class ProjectMeasureRefused(ValueError):
    """The project measure cannot be made a KPI (a unit of measure the catalogue does not know)."""


@dataclass(frozen=True)
class ProjectKpi:
    """The KPI a project measure becomes: charted, alerted and calculated like any other."""

    code: str
    name: str
    description: str
    unit_of_measure: str
    improvement_direction: str
    owners: tuple[str, ...]
    data_source: str
    unit_code: str | None = None  # the project's unit: its level is where the measure is recorded


def project_kpi(link: dict[str, Any]) -> ProjectKpi:
    """The KPI of a ``project.measure_linked`` event whose measure metrics creates."""
    unit_of_measure = UNIT_OF_MEASURE_ALIASES.get(link["unit_of_measure"].strip().lower(),
                                                  link["unit_of_measure"].strip())
    if unit_of_measure not in UNITS_OF_MEASURE:
        raise ProjectMeasureRefused(f"unknown unit of measure {link['unit_of_measure']!r}; known: "
                                    f"{', '.join(sorted(UNITS_OF_MEASURE))}")
    project_id = str(link["project_id"])
    return ProjectKpi(
        code=link["kpi_code"],
        name=link["name"],
        description=link.get("description") or f"The {link['kind']} measure of a QI project.",
        unit_of_measure=unit_of_measure,
        improvement_direction=DIRECTIONS[link["direction"]],
        owners=(link["owner_email"],) if link.get("owner_email") else (),
        data_source=f"QI project {project_id}, recorded by its lead",
        unit_code=link.get("unit_code"),
    )


def pdsa_note(cycle: dict[str, Any]) -> str:
    """What the charts say at the month a PDSA cycle started: "PDSA 2: <change idea>"."""
    return f"PDSA {cycle['cycle_number']}: {cycle['change_idea']}"[:MAX_NOTE]


def pdsa_start(cycle: dict[str, Any]) -> date:
    """The day the cycle started, or, if the event does not say, the day it was planned to."""
    started: date = cycle.get("started_on") or cycle["planned_start"]
    return started
