"""SQL for the aggregator's work queues: months to roll up (``rollup_queue``) and charts to
recompute (``chart_queue``). A worker claims KPI-months (roll-ups) and charts no other worker
holds, with try-locks (it never waits), and takes every queued row of each; they are gone once its
pass commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.metrics.adapters.measures import MONTHS
from services.metrics.adapters.rows import MonthKey, QueuedChart
from shared.db import Rows, UnitOfWork, copy_rows

# A claim's try-locks are tried in queue order and only until enough are taken: the waiting groups
# are materialized and sorted under OFFSET 0, so the planner cannot push the try-lock down into
# the grouping. (It did, as a filter on the aggregate: a pass then claimed every group of its
# window, though it took the rows of only the first few, and other workers found nothing to claim.)
QUEUED_CHARTS = Rows("q", "kpi_code text, unit_code text, cause text, change json, correlation_id text")


def enqueue_rollups(uow: UnitOfWork, months: Iterable[MonthKey]) -> None:
    """Queue the months in one binary ``COPY`` (queue rows are only appended; the worker is woken once)."""
    ordered = sorted(months)
    if ordered:
        copy_rows(uow, "rollup_queue", MONTHS.names, ["text", "text", "date"], ordered)


def enqueue_charts(uow: UnitOfWork, charts: list[tuple[str, str, str, dict[str, Any], str | None]]) -> None:
    """(kpi_code, unit_code, cause, change, correlation_id) for each chart to recompute, in one ``COPY``."""
    if charts:
        copy_rows(uow, "chart_queue", QUEUED_CHARTS.names, ["text", "text", "text", "jsonb", "text"], charts)


def claim_rollups(uow: UnitOfWork, months: int, scan: int) -> list[MonthKey]:
    """Pick up to ``months`` months of KPIs (those waiting longest first, among the oldest ``scan``
    rows) that no other worker has claimed, and take every queued roll-up of each, as (KPI, unit,
    month), oldest first: a parent's month named in many rows is rolled up once.

    A KPI's month is claimed with a try-lock of its own (``claim|rollup|kpi|month``, held until the
    pass commits): every roll-up of a month climbs the same tree (ward, directorate, trust) and
    stays within the month, so workers holding different KPI-months never roll up the same unit's
    month and never wait for each other's roll-up locks. Claiming rows (``FOR UPDATE SKIP LOCKED``)
    would not do: the rows of one month are spread along the queue, so two workers took rows of
    the same months and the second waited for the first's whole pass. Nothing ever waits for a
    claim, so it stands outside the lock order (``locks``)."""
    rows = uow.all(
        """WITH waiting AS MATERIALIZED (
               SELECT kpi_code, period, min(id) AS first
                 FROM (SELECT id, kpi_code, period FROM rollup_queue ORDER BY id LIMIT %(scan)s) oldest
                GROUP BY kpi_code, period),
           picked AS (  -- the claims are tried in order, only until enough are taken (the note above)
               SELECT kpi_code, period FROM (SELECT * FROM waiting ORDER BY first OFFSET 0) w
                WHERE pg_try_advisory_xact_lock(hashtextextended(
                          'claim|rollup|' || kpi_code || '|' || to_char(period, 'YYYY-MM'), 0))
                LIMIT %(months)s)
           DELETE FROM rollup_queue r USING picked p WHERE r.kpi_code = p.kpi_code AND r.period = p.period
           RETURNING r.id, r.kpi_code, r.unit_code, r.period""",
        {"scan": scan, "months": months},
    )
    return [(row["kpi_code"], row["unit_code"], row["period"]) for row in sorted(rows, key=lambda row: row["id"])]


def claim_charts(uow: UnitOfWork, series: int, scan: int) -> list[QueuedChart]:
    """Pick up to ``series`` charts, those waiting longest first (among the oldest ``scan`` rows),
    that no other worker has claimed, and take every queued row of each: a chart named in many rows
    is recomputed once. Oldest first.

    A chart is claimed with a try-lock of its own (``claim|kpi|unit``, held until the pass commits),
    so workers sharing the queue take disjoint charts and never wait for each other: claiming rows
    (``FOR UPDATE SKIP LOCKED``) would not do, since the rows of one chart are spread along the queue
    and deleting those another worker has locked waits for its whole pass. Nothing ever waits for
    a claim, so it stands outside the lock order (``locks``)."""
    rows = uow.all(
        """WITH waiting AS MATERIALIZED (
               SELECT kpi_code, unit_code, min(id) AS first
                 FROM (SELECT id, kpi_code, unit_code FROM chart_queue ORDER BY id LIMIT %(scan)s) oldest
                GROUP BY kpi_code, unit_code),
           picked AS (  -- the claims are tried in order, only until enough are taken (the note above)
               SELECT kpi_code, unit_code FROM (SELECT * FROM waiting ORDER BY first OFFSET 0) w
                WHERE pg_try_advisory_xact_lock(hashtextextended('claim|' || kpi_code || '|' || unit_code, 0))
                LIMIT %(series)s)
           DELETE FROM chart_queue c USING picked p WHERE c.kpi_code = p.kpi_code AND c.unit_code = p.unit_code
           RETURNING c.id, c.kpi_code, c.unit_code, c.cause, c.change, c.correlation_id""",
        {"scan": scan, "series": series},
    )
    return sorted((QueuedChart(**row) for row in rows), key=lambda chart: chart.id)


def queued(uow: UnitOfWork, kpi_codes: list[str] | None = None) -> int:
    """How much aggregation work waits (for these KPIs, when given); rows a worker has claimed
    count until its pass commits."""
    row = uow.one(
        """SELECT (SELECT count(*) FROM rollup_queue WHERE %(kpis)s::text[] IS NULL OR kpi_code = ANY(%(kpis)s))
                + (SELECT count(*) FROM chart_queue WHERE %(kpis)s::text[] IS NULL OR kpi_code = ANY(%(kpis)s))
                  AS n""",
        {"kpis": kpi_codes},
    )
    return int(row["n"]) if row else 0

