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
    rows = _claim(uow, "rollup_queue", ("kpi_code", "period"),
                  "'claim|rollup|' || kpi_code || '|' || to_char(period, 'YYYY-MM')", ("unit_code",), months, scan)
    return [(row["kpi_code"], row["unit_code"], row["period"]) for row in rows]


def claim_charts(uow: UnitOfWork, series: int, scan: int) -> list[QueuedChart]:
    """Pick up to ``series`` charts, those waiting longest first (among the oldest ``scan`` rows),
    that no other worker has claimed, and take every queued row of each: a chart named in many rows
    is recomputed once. Oldest first.

    A chart is claimed with a try-lock of its own (``claim|kpi|unit``, held until the pass commits),
    so workers sharing the queue take disjoint charts and never wait for each other: claiming rows
    (``FOR UPDATE SKIP LOCKED``) would not do, since the rows of one chart are spread along the queue
    and deleting those another worker has locked waits for its whole pass. Nothing ever waits for
    a claim, so it stands outside the lock order (``locks``)."""
    rows = _claim(uow, "chart_queue", ("kpi_code", "unit_code"), "'claim|' || kpi_code || '|' || unit_code",
                  ("cause", "change", "correlation_id"), series, scan)
    return [QueuedChart(**row) for row in rows]


def _claim(uow: UnitOfWork, queue: str, group: tuple[str, ...], claim: str, returning: tuple[str, ...], groups: int,
           scan: int) -> list[dict[str, Any]]:
    """Up to ``groups`` groups of ``queue``'s rows (by the ``group`` columns, waiting longest first
    among the oldest ``scan`` rows) whose ``claim`` try-lock this transaction took, with every
    queued row of each deleted and returned (the ``group`` columns, ``id`` and ``returning``),
    oldest first.

    The try-locks are tried in queue order and only until enough are taken: the waiting groups are
    materialized and sorted under ``OFFSET 0``, so the planner cannot push the try-lock down into
    the grouping. (It did, as a filter on the aggregate: a pass then claimed every group of its
    window, though it took the rows of only the first few, and other workers found nothing to
    claim.)"""
    columns = ", ".join(group)
    rows = uow.all(
        f"""WITH waiting AS MATERIALIZED (
               SELECT {columns}, min(id) AS first_id
                 FROM (SELECT id, {columns} FROM {queue} ORDER BY id LIMIT %(scan)s) oldest
                GROUP BY {columns}),
           picked AS (
               SELECT {columns} FROM (SELECT * FROM waiting ORDER BY first_id OFFSET 0) w
                WHERE pg_try_advisory_xact_lock(hashtextextended({claim}, 0))
                LIMIT %(groups)s)
           DELETE FROM {queue} q USING picked p WHERE {" AND ".join(f"q.{column} = p.{column}" for column in group)}
           RETURNING {", ".join(f"q.{column}" for column in ("id", *group, *returning))}""",
        {"scan": scan, "groups": groups},
    )
    return sorted(rows, key=lambda row: row["id"])


def queued(uow: UnitOfWork, kpi_codes: list[str] | None = None) -> int:
    """How much aggregation work waits (for these KPIs, when given): landed measures to merge,
    roll-ups and charts; rows a worker has claimed count until its pass commits."""
    row = uow.one(
        """SELECT (SELECT count(*) FROM landed_measures WHERE %(kpis)s::text[] IS NULL OR kpi_code = ANY(%(kpis)s))
                + (SELECT count(*) FROM rollup_queue WHERE %(kpis)s::text[] IS NULL OR kpi_code = ANY(%(kpis)s))
                + (SELECT count(*) FROM chart_queue WHERE %(kpis)s::text[] IS NULL OR kpi_code = ANY(%(kpis)s))
                  AS n""",
        {"kpis": kpi_codes},
    )
    return int(row["n"]) if row else 0


def any_queued(uow: UnitOfWork, kpi_codes: list[str]) -> bool:
    """Whether any aggregation work waits for these KPIs (``queued`` > 0), found by the queues'
    indexes: counting a backfill's million landed measures every few milliseconds to learn the
    same took a core of PostgreSQL (bench/README.md)."""
    row = uow.one(
        """SELECT EXISTS (SELECT 1 FROM landed_measures WHERE kpi_code = ANY(%(kpis)s))
               OR EXISTS (SELECT 1 FROM rollup_queue WHERE kpi_code = ANY(%(kpis)s))
               OR EXISTS (SELECT 1 FROM chart_queue WHERE kpi_code = ANY(%(kpis)s)) AS waiting""",
        {"kpis": kpi_codes},
    )
    return bool(row and row["waiting"])
