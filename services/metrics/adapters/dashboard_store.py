"""Read-only SQL for the portal's dashboards: the KPI matrix of a unit, the matrix of a directorate
and every unit below it, and one stored chart in full.

Nothing here writes. Both matrices build their rows the same way (``_matrix_rows``): a page is one
statement whatever its size (each row's target and sparkline are lateral index scans) and its total
one more, so a unit with fifty KPIs costs the same round trips as a unit with one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.db import UnitOfWork

SPARKLINE_POINTS = 12
# What a matrix row needs from a stored chart (``spc_charts c``); a run chart's JSON is small, and
# only a run chart's is read.
CHART_COLUMNS = ("c.kpi_code, c.unit_code, c.chart_type, c.last_period, c.last_value, c.last_point_type,"
                 " c.variation_icon, c.assurance_icon,"
                 " CASE WHEN c.chart_type = 'run' THEN (c.chart ->> 'runs_signal')::boolean END AS runs_signal")
# A chart whose KPI serves the CQC key question %(cqc)s (any KPI when it is null): the KPI's row by its
# primary key, whose index holds cqc (migration 0022).
SERVES_CQC = ("(%(cqc)s::text IS NULL OR EXISTS (SELECT 1 FROM kpis kq WHERE kq.code = c.kpi_code"
              " AND %(cqc)s = ANY(kq.cqc)))")


@dataclass(frozen=True)
class Narrowed:
    """What a directorate's matrix is narrowed to: one unit, one KPI, one CQC key question (None: all)."""

    unit: str | None = None
    kpi: str | None = None
    cqc: str | None = None


def unit_with_chart_count(uow: UnitOfWork, unit_code: str, cqc: str | None = None) -> dict[str, Any] | None:
    """The unit (code, name, level) and how many KPIs (serving ``cqc``, when given) have a chart for it;
    None for an unknown unit."""
    return uow.one(
        f"""SELECT u.code, u.name, u.level,
                  (SELECT count(*) FROM spc_charts c WHERE c.unit_code = u.code AND {SERVES_CQC}) AS charts
             FROM units u WHERE u.code = %(unit)s""",
        {"unit": unit_code, "cqc": cqc},
    )


def matrix_version(uow: UnitOfWork, unit_code: str) -> tuple[int, int]:
    """What the unit's KPI matrix is made of, as two numbers that move whenever it may change (migration
    0038): the catalogue's version (KPIs and targets: every unit's matrix) and the unit's own (its row,
    charts and monthly values); 0 for a scope never written. One statement, two primary-key probes."""
    row = uow.one(
        """SELECT coalesce(max(version) FILTER (WHERE scope = '*'), 0) AS everything,
                  coalesce(max(version) FILTER (WHERE scope = %(unit)s), 0) AS unit
             FROM dashboard_versions WHERE scope IN ('*', %(unit)s)""",
        {"unit": unit_code},
    )
    return (row["everything"], row["unit"]) if row else (0, 0)


def kpi_matrix(uow: UnitOfWork, unit_code: str, cqc: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    """One row per KPI charted for the unit (serving ``cqc``, when given), by KPI code (see
    ``_matrix_rows`` for what a row holds)."""
    return _matrix_rows(uow, f"SELECT {CHART_COLUMNS} FROM spc_charts c WHERE c.unit_code = %(unit)s AND {SERVES_CQC}",
                        "kpi_code", {"unit": unit_code, "cqc": cqc, "limit": limit, "offset": offset})


# The charts of a unit and of every unit below it at any depth, each with its unit's name, level and
# depth below the top unit (which is 0); narrowed to one unit and to one KPI when those are given.
CHARTS_BELOW = f"""
    WITH RECURSIVE below AS (
        SELECT code, name, level, 0 AS depth FROM units WHERE code = %(top)s
        UNION ALL
        SELECT u.code, u.name, u.level, below.depth + 1 FROM units u JOIN below ON u.parent_code = below.code
         WHERE below.depth < 20)
    SELECT {CHART_COLUMNS}, b.name AS unit_name, b.level AS unit_level, b.depth AS unit_depth
      FROM below b JOIN spc_charts c ON c.unit_code = b.code
     WHERE (%(unit)s::text IS NULL OR c.unit_code = %(unit)s) AND (%(kpi)s::text IS NULL OR c.kpi_code = %(kpi)s)
       AND {SERVES_CQC}"""


def chart_count_below(uow: UnitOfWork, top: str, narrowed: Narrowed) -> int:
    """How many charts ``kpi_matrix_below`` pages through."""
    row = uow.one(f"SELECT count(*) AS charts FROM ({CHARTS_BELOW}) charts", {"top": top, **vars(narrowed)})
    return row["charts"] if row else 0


def kpi_matrix_below(uow: UnitOfWork, top: str, narrowed: Narrowed, limit: int, offset: int) -> list[dict[str, Any]]:
    """One row per chart of the ``top`` unit and every unit below it (only ``unit``'s, ``kpi``'s, and
    KPIs serving ``cqc``, when given), by KPI code, then depth below the top, then unit code; each row
    is a ``kpi_matrix`` row with the unit's code, name and level."""
    return _matrix_rows(uow, CHARTS_BELOW, "kpi_code, unit_depth, unit_code",
                        {"top": top, **vars(narrowed), "limit": limit, "offset": offset})


def _matrix_rows(uow: UnitOfWork, charts: str, order_by: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The page (``limit``, ``offset`` in ``params``) of the ``charts`` query, ordered by ``order_by``, as
    matrix rows: every column ``charts`` selects (at least ``CHART_COLUMNS``) with the KPI's name, unit of
    measure and direction, the target in force at the latest month (the newest change effective on or
    before it, null when none) and the last twelve monthly values, oldest first.

    One statement whatever the page size: the target and the sparkline are lateral index scans per row.
    """
    rows = uow.all(
        f"""WITH page AS ({charts} ORDER BY {order_by} LIMIT %(limit)s OFFSET %(offset)s)
           SELECT p.*, k.name, k.unit_of_measure, k.improvement_direction, k.decimal_places AS kpi_decimal_places,
                  k.cqc, t.target,
                  s.sparkline_periods, s.sparkline_values
             FROM page p
             JOIN kpis k ON k.code = p.kpi_code
             LEFT JOIN LATERAL (
                  SELECT target FROM kpi_targets
                   WHERE kpi_code = p.kpi_code AND effective_from <= p.last_period
                   ORDER BY effective_from DESC, set_at DESC LIMIT 1) t ON true
             CROSS JOIN LATERAL (
                  SELECT array_agg(to_char(period, 'YYYY-MM') ORDER BY period) AS sparkline_periods,
                         array_agg(value ORDER BY period) AS sparkline_values
                    FROM (SELECT period, value FROM kpi_values
                           WHERE kpi_code = p.kpi_code AND unit_code = p.unit_code
                           ORDER BY period DESC LIMIT %(sparkline)s) newest) s
            ORDER BY {order_by}""",
        {**params, "sparkline": SPARKLINE_POINTS},
    )
    return [_with_sparkline(row) for row in rows]


def _with_sparkline(row: dict[str, Any]) -> dict[str, Any]:
    periods, values = row.pop("sparkline_periods") or [], row.pop("sparkline_values") or []
    return {**row, "sparkline": [{"period": p, "value": v} for p, v in zip(periods, values, strict=True)]}


def chart(uow: UnitOfWork, kpi_code: str, unit_code: str) -> dict[str, Any] | None:
    """The stored chart row: its type (xmr or run), first and last period, computed_at and the chart JSON
    (see ``chart_json``)."""
    return uow.one(
        """SELECT chart_type, first_period, last_period, computed_at, chart FROM spc_charts
            WHERE kpi_code = %s AND unit_code = %s""",
        (kpi_code, unit_code),
    )


def chart_annotations(uow: UnitOfWork, kpi_code: str, unit_code: str) -> list[dict[str, Any]]:
    return uow.all(
        """SELECT id, period, text, pdsa_ref, created_by, created_at FROM annotations
            WHERE kpi_code = %s AND unit_code = %s ORDER BY period, created_at, id""",
        (kpi_code, unit_code),
    )


def chart_rebases(uow: UnitOfWork, kpi_code: str, unit_code: str) -> list[dict[str, Any]]:
    """Every rebase ever set, withdrawn ones included, in the order they were set."""
    return uow.all(
        """SELECT id, period, reason, set_by, set_at, withdrawn_by, withdrawn_at FROM rebases
            WHERE kpi_code = %s AND unit_code = %s ORDER BY set_at, id""",
        (kpi_code, unit_code),
    )



# --- A unit's units as rows -------------------------------------------------------------------------------

def child_unit_count(uow: UnitOfWork, parent_code: str) -> int:
    """How many units sit straight below ``parent_code`` in today's tree (``child_units`` pages them)."""
    row = uow.one("SELECT count(*) AS units FROM units WHERE parent_code = %s", (parent_code,))
    return row["units"] if row else 0


def child_units(uow: UnitOfWork, parent_code: str, limit: int, offset: int) -> list[dict[str, Any]]:
    """A page of the units straight below ``parent_code`` (code, name, level, closed_on), by name, then code."""
    return uow.all(
        """SELECT code, name, level, closed_on FROM units WHERE parent_code = %s
            ORDER BY name, code LIMIT %s OFFSET %s""",
        (parent_code, limit, offset),
    )


def kpis_charted_below(uow: UnitOfWork, parent_code: str, cqc: str | None = None) -> list[dict[str, Any]]:
    """The KPIs (serving ``cqc``, when given) charted for any unit straight below ``parent_code``, by
    code: the columns of its units' matrix, the same on every page of rows (at most one per KPI of the
    catalogue)."""
    return uow.all(
        """SELECT k.code, k.name, k.unit_of_measure, k.improvement_direction, k.cqc,
                  k.decimal_places AS kpi_decimal_places
             FROM kpis k
            WHERE EXISTS (SELECT 1 FROM spc_charts c JOIN units u ON u.code = c.unit_code
                           WHERE c.kpi_code = k.code AND u.parent_code = %(parent)s)
              AND (%(cqc)s::text IS NULL OR %(cqc)s = ANY(k.cqc))
            ORDER BY k.code""",
        {"parent": parent_code, "cqc": cqc},
    )


def matrix_cells(uow: UnitOfWork, unit_codes: list[str], cqc: str | None = None) -> list[dict[str, Any]]:
    """Every chart of the given units (of KPIs serving ``cqc``, when given) as matrix rows
    (``_matrix_rows``), by unit then KPI: one statement for a whole page of units."""
    return _matrix_rows(uow, f"SELECT {CHART_COLUMNS} FROM spc_charts c WHERE c.unit_code = ANY(%(units)s)"
                             f" AND {SERVES_CQC}",
                        "unit_code, kpi_code", {"units": unit_codes, "cqc": cqc, "limit": None, "offset": 0})


# --- The board report -------------------------------------------------------------------------------------

def unit_charts(uow: UnitOfWork, unit_code: str, limit: int, offset: int) -> list[dict[str, Any]]:
    """A page of the unit's stored charts, by KPI code: type, first and last month and the chart JSON."""
    return uow.all(
        """SELECT kpi_code, chart_type, first_period, last_period, chart FROM spc_charts
            WHERE unit_code = %s ORDER BY kpi_code LIMIT %s OFFSET %s""",
        (unit_code, limit, offset),
    )


def month_values(uow: UnitOfWork, unit_code: str, kpi_codes: list[str], month: Any) -> dict[str, float]:
    """Each KPI's value of the unit for ``month`` (judged or not), by KPI code; a KPI with none is absent."""
    rows = uow.all("SELECT kpi_code, value FROM kpi_values WHERE unit_code = %s AND kpi_code = ANY(%s) AND period = %s",
                   (unit_code, kpi_codes, month))
    return {row["kpi_code"]: row["value"] for row in rows}


def targets_at(uow: UnitOfWork, kpi_codes: list[str], month: Any) -> dict[str, float]:
    """The target in force in ``month`` for each KPI that has one (the newest change effective by then)."""
    rows = uow.all(
        """SELECT DISTINCT ON (kpi_code) kpi_code, target FROM kpi_targets
            WHERE kpi_code = ANY(%s) AND effective_from <= %s
            ORDER BY kpi_code, effective_from DESC, set_at DESC""",
        (kpi_codes, month),
    )
    return {row["kpi_code"]: row["target"] for row in rows}


def annotations_of(uow: UnitOfWork, unit_code: str, kpi_codes: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The notes on each KPI's chart of the unit (period, text, pdsa_ref), oldest month first."""
    found: dict[str, list[dict[str, Any]]] = {code: [] for code in kpi_codes}
    for row in uow.all(
        """SELECT kpi_code, period, text, pdsa_ref FROM annotations WHERE unit_code = %s AND kpi_code = ANY(%s)
            ORDER BY kpi_code, period, created_at, id""",
        (unit_code, kpi_codes),
    ):
        found[row.pop("kpi_code")].append(row)
    return found


def live_rebases_of(uow: UnitOfWork, unit_code: str, kpi_codes: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each KPI's live (not withdrawn) rebases on the unit's chart (period, reason), in the order set."""
    found: dict[str, list[dict[str, Any]]] = {code: [] for code in kpi_codes}
    for row in uow.all(
        """SELECT kpi_code, period, reason FROM rebases
            WHERE unit_code = %s AND kpi_code = ANY(%s) AND withdrawn_at IS NULL ORDER BY kpi_code, set_at, id""",
        (unit_code, kpi_codes),
    ):
        found[row.pop("kpi_code")].append(row)
    return found


def open_signals_of(uow: UnitOfWork, unit_code: str, kpi_codes: list[str], month: Any
                    ) -> dict[str, list[dict[str, Any]]]:
    """Each KPI's signals on the unit that are not closed and began by ``month``, oldest first."""
    found: dict[str, list[dict[str, Any]]] = {code: [] for code in kpi_codes}
    for row in uow.all(
        """SELECT kpi_code, id, kind, state, period, signal_start, point_type, opened_at FROM signals
            WHERE unit_code = %s AND kpi_code = ANY(%s) AND state <> 'closed'
              AND coalesce(signal_start, period) <= %s
            ORDER BY kpi_code, id""",
        (unit_code, kpi_codes, month),
    ):
        found[row.pop("kpi_code")].append(row)
    return found


def projects_of(uow: UnitOfWork, unit_code: str, kpi_codes: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each KPI's projects with a measure on its series of the unit (metrics' copy of them, from the
    projects service's events), by title."""
    found: dict[str, list[dict[str, Any]]] = {code: [] for code in kpi_codes}
    for row in uow.all(
        """SELECT DISTINCT m.kpi_code, p.project_id, p.title, p.stage
             FROM project_measures m JOIN project_copies p USING (project_id)
            WHERE m.unit_code = %s AND m.kpi_code = ANY(%s)
            ORDER BY m.kpi_code, p.title, p.project_id""",
        (unit_code, kpi_codes),
    ):
        found[row.pop("kpi_code")].append(row)
    return found
