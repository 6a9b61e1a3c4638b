"""SQL for the projects' side of metrics: project measures made KPIs, the links from projects to
their series, and the notes PDSA cycles leave on charts."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.metrics.domain.project_measures import PROJECTS_SERVICE, ProjectKpi
from shared.db import UnitOfWork


def add_project_kpi(uow: UnitOfWork, kpi: ProjectKpi) -> bool:
    """Create the KPI of a project measure; False when its code exists already (a redelivery). It is
    recorded by the project lead, not delivered by a feed, so it is never reported overdue."""
    row = uow.one(
        """INSERT INTO kpis (code, name, description, unit_of_measure, improvement_direction, owners, data_source,
                             expects_feed, measured_levels)
           VALUES (%s, %s, %s, %s, %s, %s, %s, false,
                   COALESCE((SELECT ARRAY[level] FROM units WHERE code = %s), ARRAY['specialty', 'ward', 'theatre']))
           ON CONFLICT (code) DO NOTHING RETURNING code""",
        (kpi.code, kpi.name, kpi.description, kpi.unit_of_measure, kpi.improvement_direction, list(kpi.owners),
         kpi.data_source, kpi.unit_code),
    )
    return row is not None


def link_measure(uow: UnitOfWork, link: dict[str, Any], event_id: str) -> None:
    """Keep the link from a project to one of its series (once per measure id)."""
    uow.execute(
        """INSERT INTO project_measures (measure_id, project_id, kind, name, kpi_code, unit_code, created_kpi, owner,
                                         event_id)
           VALUES (%(measure_id)s, %(project_id)s, %(kind)s, %(name)s, %(kpi_code)s, %(unit_code)s, %(created)s,
                   %(owner)s, %(event_id)s)
           ON CONFLICT (measure_id) DO NOTHING""",
        {**link, "owner": link.get("owner"), "event_id": event_id},
    )


def existing_series(uow: UnitOfWork, series: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (KPI, unit) pairs among ``series`` whose KPI and unit both exist, in the order given."""
    if not series:
        return []
    rows = uow.all(
        """SELECT s.kpi_code, s.unit_code FROM unnest(%s::text[], %s::text[]) AS s (kpi_code, unit_code)
             JOIN kpis k ON k.code = s.kpi_code JOIN units u ON u.code = s.unit_code""",
        ([kpi for kpi, _ in series], [unit for _, unit in series]),
    )
    found = {(row["kpi_code"], row["unit_code"]) for row in rows}
    return [pair for pair in series if pair in found]


def annotate_pdsa_start(uow: UnitOfWork, series: list[tuple[str, str]], period: date, note: str,
                        cycle_id: str) -> int:
    """Note a PDSA cycle's start on the charts of ``series`` at ``period``, once per chart and
    cycle; how many charts were newly annotated."""
    if not series:
        return 0
    rows = uow.all(
        """INSERT INTO annotations (kpi_code, unit_code, period, text, pdsa_ref, created_by)
           SELECT kpi_code, unit_code, %s, %s, %s, %s FROM unnest(%s::text[], %s::text[]) AS s (kpi_code, unit_code)
           ON CONFLICT (kpi_code, unit_code, pdsa_ref) WHERE created_by = 'projects-service' DO NOTHING
           RETURNING id""",
        (period, note, cycle_id, PROJECTS_SERVICE, [kpi for kpi, _ in series], [unit for _, unit in series]),
    )
    return len(rows)
