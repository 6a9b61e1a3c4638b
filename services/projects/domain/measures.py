"""Project measures, in plain Python: an outcome measure (one per project), process and balancing
measures. Each either links an existing KPI and unit of metrics, or defines a project measure that
metrics creates, coded from the project's id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.errors import Conflict, InvalidInput

OUTCOME, PROCESS, BALANCING = "outcome", "process", "balancing"
KINDS = (OUTCOME, PROCESS, BALANCING)
DIRECTIONS = ("higher_is_better", "lower_is_better")
TRUST = "TRUST"  # the unit of a project measure when the project names no unit


class MeasureRefused(InvalidInput):
    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}", field=field, reason=reason)


class MeasureRefusedConflict(Conflict):
    """The project already has this measure (or its one outcome measure)."""


def project_kpi_code(project_id: str, number: int) -> str:
    """``P-<first 8 hex of the project id>-<n>``, n counting the project's defined measures from 1."""
    return f"P-{project_id.replace('-', '')[:8]}-{number}"


def check_series_known(series: Mapping[str, Any] | None, kpi_code: str, unit_code: str) -> None:
    """A linked measure names a KPI and unit metrics holds (this service's copy, from kpi.updated)."""
    if series is None:
        raise MeasureRefused("kpi_code", f"metrics holds no series of KPI {kpi_code} for unit {unit_code}")


def check_measure(fields: Mapping[str, Any], lead: Mapping[str, Any] | None = None) -> None:
    """A defined measure says its unit of measure and direction and has a lead to own it; a linked
    one names the KPI and unit."""
    if fields.get("define"):
        for name in ("unit_of_measure", "direction"):
            if not fields.get(name):
                raise MeasureRefused(name, "a project measure says its unit of measure and which way is better")
        if lead is None:
            raise MeasureRefusedConflict("a project measure is owned by the project's lead; the team has none")
        return
    for name in ("kpi_code", "unit_code"):
        if not fields.get(name):
            raise MeasureRefused(name, "a linked measure names the KPI and the unit (or set define to true)")
