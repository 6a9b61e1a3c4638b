"""SQL for measures (every revision of every month) and each unit's monthly values (``kpi_values``:
the current measure, or the roll-up of the units below)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from services.metrics.adapters.rows import MonthKey, MonthValue, SeriesKey
from shared.db import Rows, Staging, UnitOfWork

MONTHS = Rows("k", "kpi_code text, unit_code text, period date")
SERIES = Rows("k", "kpi_code text, unit_code text")
STAGED_VALUES = Staging("staged_kpi_values", "kpi_code text, unit_code text, period date, value double precision, "
                                             "numerator double precision, denominator double precision")
REVISION_KEYS = Rows("r", "kpi_code text, unit_code text, period date, revision integer")
NEW_MEASURES = Rows("r", "kpi_code text, unit_code text, period date, revision integer, value double precision, "
                        "numerator double precision, denominator double precision, source text, "
                        "recorded_by text, note text, event_id text")

NEW_MEASURE_TYPES = ["text", "text", "date", "integer", "double precision", "double precision", "double precision",
                     "text", "text", "text", "text"]


STAGED_MEASURES = Staging(
    "staged_measures", "ordinal integer, kpi_code text, unit_code text, period date, value double precision, "
                       "numerator double precision, denominator double precision, source text, recorded_by text, "
                       "note text, event_id text, correlation_id text")
# A measure staged (columns of STAGED_MEASURES but the ordinal, which is its place in the list).
StagedMeasure = tuple[str, str, date, float, float | None, float | None, str, str | None, str | None, str | None,
                      str | None]


@dataclass(frozen=True)
class Stored:
    """What became of a staged measure: its month's revision number after it (its own when
    ``changed``; when its figures were the month's latest already, that latest revision's), and the
    month's value before it (None: the month's first)."""

    revision: int
    changed: bool
    previous_value: float | None


# Numbers each staged month's revisions in arrival order: a measure is stored only when its figures
# differ from the month's latest before it (the stored one, or the one staged just before it; the
# month's first measure differs from nothing, as its value is never null), and
# its revision is the month's latest plus the measures stored before it in this batch. Then the
# revisions are appended, each month's newest becomes its value, and (with {queue}) the charts and
# the roll-ups of the months above are queued for the aggregator.
STORE_MEASURES = """
WITH {staged},
chained AS (
    SELECT s.*, l.revision AS base_revision,
           CASE WHEN row_number() OVER w = 1 THEN l.value ELSE lag(s.value) OVER w END AS previous_value,
           CASE WHEN row_number() OVER w = 1 THEN l.numerator ELSE lag(s.numerator) OVER w END AS previous_numerator,
           CASE WHEN row_number() OVER w = 1 THEN l.denominator ELSE lag(s.denominator) OVER w END
               AS previous_denominator
      FROM staged s LEFT JOIN LATERAL (  -- the month's latest stored revision, along the primary key
           SELECT m.revision, m.value, m.numerator, m.denominator FROM measures m
            WHERE m.kpi_code = s.kpi_code AND m.unit_code = s.unit_code AND m.period = s.period
            ORDER BY m.revision DESC LIMIT 1) l ON true
    WINDOW w AS (PARTITION BY s.kpi_code, s.unit_code, s.period ORDER BY s.ordinal)),
flagged AS (
    SELECT *, (value, numerator, denominator) IS DISTINCT FROM
              (previous_value, previous_numerator, previous_denominator) AS changed
      FROM chained),
numbered AS (
    SELECT *, (coalesce(base_revision, 0) + count(*) FILTER (WHERE changed) OVER (
                   PARTITION BY kpi_code, unit_code, period ORDER BY ordinal))::integer AS revision
      FROM flagged),
stored AS (
    INSERT INTO measures (kpi_code, unit_code, period, revision, value, numerator, denominator, source,
                          recorded_by, note, event_id)
    SELECT kpi_code, unit_code, period, revision, value, numerator, denominator, source, recorded_by, note, event_id
      FROM numbered WHERE changed),
valued AS (
    INSERT INTO kpi_values (kpi_code, unit_code, period, value, numerator, denominator, rolled_up)
    SELECT DISTINCT ON (kpi_code, unit_code, period) kpi_code, unit_code, period, value, numerator, denominator, false
      FROM numbered WHERE changed ORDER BY kpi_code, unit_code, period, ordinal DESC
    ON CONFLICT (kpi_code, unit_code, period) DO UPDATE SET value = excluded.value, numerator = excluded.numerator,
        denominator = excluded.denominator, rolled_up = false, updated_at = now()){queue}
{result}"""
EACH_STORED = "SELECT ordinal, revision, changed, previous_value FROM numbered ORDER BY ordinal"

# The aggregator's work, queued by the same statement: each chart changed, once, with the change of
# its newest month (for the same month, the later measure), as ``aggregator.merged`` picks; and
# the month of the unit each measured unit sat under that month (``unit_placements``).
QUEUE_WORK = """,
charted AS (
    INSERT INTO chart_queue (kpi_code, unit_code, cause, change, correlation_id)
    SELECT kpi_code, unit_code, 'measure',
           jsonb_build_object('period', to_char(period, 'YYYY-MM'), 'value', value, 'revision', revision,
                              'previous_value', previous_value, 'source', source), correlation_id FROM (
        SELECT DISTINCT ON (kpi_code, unit_code) kpi_code, unit_code, correlation_id, period, value, revision,
               previous_value, source
          FROM numbered WHERE changed ORDER BY kpi_code, unit_code, period DESC, ordinal DESC) newest
     ORDER BY kpi_code, unit_code),
rolled AS (
    INSERT INTO rollup_queue (kpi_code, unit_code, period)
    SELECT DISTINCT n.kpi_code, p.parent_code, n.period
      FROM numbered n JOIN unit_placements p ON p.unit_code = n.unit_code AND p.effective_from <= n.period
                                             AND (p.effective_to IS NULL OR n.period < p.effective_to)
     WHERE n.changed AND p.parent_code IS NOT NULL
     ORDER BY 1, 2, 3)"""


def store_measures(uow: UnitOfWork, staged: list[StagedMeasure], *, queue: bool) -> list[Stored]:
    """Store measures (hold ``locks.lock_measures`` for their months), copied in with one binary
    ``COPY`` and merged by one statement; what became of each, in the order given. With ``queue``
    the charts and roll-ups they change are queued for the aggregator by the same statement."""
    if not staged:
        return []
    STAGED_MEASURES.fill(uow, ((ordinal, *measure) for ordinal, measure in enumerate(staged)))
    rows = uow.all(STORE_MEASURES.format(staged=f"staged AS {STAGED_MEASURES.taken}", queue=QUEUE_WORK if queue else "",
                                         result=EACH_STORED))
    return [Stored(row["revision"], row["changed"], row["previous_value"]) for row in rows]


LANDED = Staging("landed_measures", "kpi_code text, unit_code text, period date, value double precision, "
                                    "numerator double precision, denominator double precision, source text, "
                                    "recorded_by text, note text, event_id text, topic text, correlation_id text")
# A measure landed: the columns of LANDED in order.
LandedMeasure = tuple[str, str, date, float, float | None, float | None, str, str | None, str | None, str, str,
                      str | None]


def land_measures(uow: UnitOfWork, landed: list[LandedMeasure]) -> None:
    """Append checked measures to ``landed_measures`` in arrival order, with one binary ``COPY``;
    the aggregator worker merges them (``merge_landed``)."""
    LANDED.fill(uow, landed)


# The landed measures taken (``{where}`` on landed_measures l), less those whose event was handled
# already or is taken twice (a redelivery: the first landed is kept), staged for STORE_MEASURES in
# arrival order; their event ids are kept as handled by the same statement.
TAKE_LANDED = """taken AS (DELETE FROM landed_measures l WHERE {where} RETURNING l.*),
staged AS (
    SELECT DISTINCT ON (t.event_id) t.seq AS ordinal, t.kpi_code, t.unit_code, t.period, t.value, t.numerator,
           t.denominator, t.source, t.recorded_by, t.note, t.event_id, t.correlation_id, t.topic
      FROM taken t LEFT JOIN LATERAL (  -- probed by its primary key: handled_events only grows
           SELECT true AS handled FROM handled_events h WHERE h.event_id = t.event_id LIMIT 1) h ON true
     WHERE h.handled IS NULL
     ORDER BY t.event_id, t.seq),
handled AS (
    INSERT INTO handled_events (event_id, event_type, topic)
    SELECT event_id, 'measure.recorded', topic FROM staged)"""
MERGED = "SELECT (SELECT count(*) FROM taken) AS taken, count(*) FILTER (WHERE changed) AS stored FROM numbered"


@dataclass(frozen=True)
class Landing:
    """How long ago the oldest and the newest landed measures landed, in seconds (None: none)."""

    oldest_age: float | None
    newest_age: float | None


def landing(uow: UnitOfWork) -> Landing:
    row = uow.one(
        """SELECT extract(epoch FROM now() - (SELECT landed_at FROM landed_measures ORDER BY seq LIMIT 1)) AS oldest,
                  extract(epoch FROM now() - (SELECT landed_at FROM landed_measures ORDER BY seq DESC LIMIT 1))
                      AS newest""")
    return Landing(*(None if row is None or row[age] is None else float(row[age]) for age in ("oldest", "newest")))


# Where a sweep through the landed measures is: after this chart's measure of this seq.
SweepPosition = tuple[str, str, int]


def landed_chunk(uow: UnitOfWork, after: SweepPosition | None, limit: int) -> list[tuple[int, MonthKey]]:
    """Up to ``limit`` landed measures, chart by chart (by KPI and unit code), each chart's in
    arrival order, from just after ``after`` (None: the first chart): (seq, month)."""
    where = "" if after is None else "WHERE (kpi_code, unit_code, seq) > (%s, %s, %s)"
    rows = uow.all(f"SELECT seq, kpi_code, unit_code, period FROM landed_measures {where}"
                   " ORDER BY kpi_code, unit_code, seq LIMIT %s", (*(after or ()), limit))
    return [(row["seq"], (row["kpi_code"], row["unit_code"], row["period"])) for row in rows]


def merge_landed(uow: UnitOfWork, seqs: list[int]) -> tuple[int, int]:
    """Merge these landed measures (hold ``locks.lock_measures`` for their months) as a batch is
    stored, queueing their charts and roll-ups; (measures taken, revisions stored)."""
    return _merged(uow, "l.seq = ANY(%s::bigint[])", seqs)


# The landed measures of some months, each month looked up by its chart's index. As a join of the
# months with landed_measures, the planner hashed the months and read the whole table (205 ms at
# 1,000,000 landed, while a backfill waits to be merged), so a live measure waited that long.
# OFFSET 0 keeps the lookup a lookup.
LANDED_OF_MONTHS = f"""SELECT landed.seq FROM {MONTHS.sql} CROSS JOIN LATERAL (
    SELECT m.seq FROM landed_measures m
     WHERE m.kpi_code = k.kpi_code AND m.unit_code = k.unit_code AND m.period = k.period OFFSET 0) landed"""


def merge_landed_months(uow: UnitOfWork, months: list[MonthKey]) -> tuple[int, int]:
    """Merge every landed measure of these months (whose locks the caller holds), before a measure
    of theirs is stored in line; (measures taken, revisions stored)."""
    if not months:
        return 0, 0
    param = MONTHS.param(months)
    # Mostly there are none: one probe, not the merge statement's planning (about 2 ms).
    found = uow.one(f"SELECT EXISTS ({LANDED_OF_MONTHS}) AS landed", (param,))
    if not (found and found["landed"]):
        return 0, 0
    return _merged(uow, f"l.seq = ANY(ARRAY({LANDED_OF_MONTHS}))", param)


def _merged(uow: UnitOfWork, where: str, param: Any) -> tuple[int, int]:
    row = uow.one(STORE_MEASURES.format(staged=TAKE_LANDED.format(where=where), queue=QUEUE_WORK, result=MERGED),
                  (param,))
    return (int(row["taken"]), int(row["stored"])) if row else (0, 0)


RevisionKey = tuple[str, str, date, int]


def revisions(uow: UnitOfWork, keys: list[RevisionKey]) -> dict[RevisionKey, dict[str, Any]]:
    """Stored revisions, by (KPI, unit, month, revision)."""
    rows = uow.all(f"SELECT m.* FROM {REVISION_KEYS.sql} JOIN measures m USING (kpi_code, unit_code, period, revision)",
                   (REVISION_KEYS.param(keys),))
    return {(row["kpi_code"], row["unit_code"], row["period"], row["revision"]): row for row in rows}


def put_measured_values(uow: UnitOfWork, values: list[MonthValue]) -> None:
    """Each month's current measure becomes the unit's value for the month."""
    _put_values(uow, values, rolled_up=False)


def put_rolled_up_values(uow: UnitOfWork, values: list[MonthValue]) -> None:
    """Store roll-ups; a month the unit measured itself keeps its own value (it wins)."""
    _put_values(uow, values, rolled_up=True)


def _put_values(uow: UnitOfWork, values: list[MonthValue], *, rolled_up: bool) -> None:
    """Copied into a staging table, then merged in one statement (which empties the staging table)."""
    if values:
        STAGED_VALUES.fill(uow, ((v.kpi_code, v.unit_code, v.period, v.value, v.numerator, v.denominator)
                                 for v in values))
        uow.execute(
            f"""WITH staged AS {STAGED_VALUES.taken}
               INSERT INTO kpi_values (kpi_code, unit_code, period, value, numerator, denominator, rolled_up)
               SELECT kpi_code, unit_code, period, value, numerator, denominator, %s FROM staged
               ON CONFLICT (kpi_code, unit_code, period) DO UPDATE SET value = excluded.value,
                   numerator = excluded.numerator, denominator = excluded.denominator,
                   rolled_up = excluded.rolled_up, updated_at = now()
               WHERE NOT excluded.rolled_up OR kpi_values.rolled_up""",
            (rolled_up,),
        )


def drop_rolled_up_values(uow: UnitOfWork, months: list[MonthKey]) -> None:
    """Forget roll-ups no unit below has a value for any more; a month measured itself stays."""
    if months:
        uow.execute(f"DELETE FROM kpi_values v USING {MONTHS.sql} WHERE v.kpi_code = k.kpi_code"
                    f" AND v.unit_code = k.unit_code AND v.period = k.period AND v.rolled_up", (MONTHS.param(months),))


def children_values(uow: UnitOfWork, months: list[MonthKey]) -> dict[MonthKey, list[MonthValue]]:
    """The values of each month's child units (those placed under it that month), for each (KPI,
    parent unit, month), in the order of their codes: a roll-up sums them in the same order
    whichever pass does it, so its value is the same to the last bit."""
    found: dict[MonthKey, list[MonthValue]] = {month: [] for month in months}
    for row in uow.all_as(
        MonthValue,
        f"""SELECT k.kpi_code, k.unit_code, k.period, v.value, v.numerator, v.denominator
              FROM {MONTHS.sql}
              JOIN unit_placements p ON p.parent_code = k.unit_code AND p.effective_from <= k.period
                                    AND (p.effective_to IS NULL OR k.period < p.effective_to)
              JOIN kpi_values v ON v.kpi_code = k.kpi_code AND v.unit_code = p.unit_code AND v.period = k.period
             ORDER BY v.unit_code""",
        (MONTHS.param(months),),
    ):
        found[row.month].append(row)  # the parent's month, with a child's figures
    return found


def monthly_values(uow: UnitOfWork, series: list[SeriesKey]) -> dict[SeriesKey, list[MonthValue]]:
    """Each series' months, oldest first."""
    found: dict[SeriesKey, list[MonthValue]] = {key: [] for key in series}
    for row in uow.all_as(
        MonthValue,
        f"""SELECT v.kpi_code, v.unit_code, v.period, v.value, v.numerator, v.denominator, v.rolled_up
              FROM {SERIES.sql} JOIN kpi_values v USING (kpi_code, unit_code)
             ORDER BY v.kpi_code, v.unit_code, v.period""",
        (SERIES.param(series),),
    ):
        found[row.kpi_code, row.unit_code].append(row)
    return found


def awaited_units(uow: UnitOfWork, months: list[MonthKey]) -> dict[MonthKey, list[str]]:
    """For each (KPI, rolled-up unit, month), the units below it (as placed that month, at any
    depth) expected to report the KPI that month that have not: open that month and measuring the
    KPI themselves since that month or earlier, with no value of their own for it. A roll-up of the
    month, of this unit or one below, still waiting in the queue (its measure committed after this
    transaction read the values below) is awaited too, under the unit it waits to roll up into.
    One statement for every chart of a pass: the tree below each unit's month is walked once, for
    all its KPIs."""
    found: dict[MonthKey, list[str]] = {month: [] for month in months}
    if not months:
        return found
    for row in uow.all(
        f"""WITH RECURSIVE wanted AS (SELECT DISTINCT kpi_code, unit_code, period FROM {MONTHS.sql}),
           tops AS (SELECT DISTINCT unit_code, period FROM wanted),
           placed AS (
               SELECT w.period, p.unit_code, p.parent_code FROM (SELECT DISTINCT period FROM tops) w
                 JOIN unit_placements p
                   ON p.effective_from <= w.period AND (p.effective_to IS NULL OR w.period < p.effective_to)),
           below AS (
               SELECT t.unit_code AS top, t.period, p.unit_code AS code, 0 AS depth
                 FROM tops t JOIN placed p ON p.parent_code = t.unit_code AND p.period = t.period
               UNION ALL
               SELECT below.top, p.period, p.unit_code, below.depth + 1 FROM placed p
                 JOIN below ON p.parent_code = below.code AND p.period = below.period
                WHERE below.depth < 20),
           expected AS (
               SELECT w.kpi_code, w.unit_code, w.period, b.code
                 FROM wanted w JOIN below b ON b.top = w.unit_code AND b.period = w.period)
           SELECT e.kpi_code, e.unit_code, e.period, e.code FROM expected e JOIN units u ON u.code = e.code
            WHERE (u.opened_on IS NULL OR u.opened_on < (e.period + interval '1 month')::date)
              AND (u.closed_on IS NULL OR u.closed_on >= e.period)
              AND EXISTS (SELECT 1 FROM kpi_values f WHERE f.kpi_code = e.kpi_code AND f.unit_code = e.code
                             AND NOT f.rolled_up AND f.period <= e.period)
              AND NOT EXISTS (SELECT 1 FROM kpi_values v WHERE v.kpi_code = e.kpi_code AND v.unit_code = e.code
                                 AND NOT v.rolled_up AND v.period = e.period)
           UNION
           SELECT w.kpi_code, w.unit_code, w.period, q.unit_code FROM wanted w JOIN rollup_queue q
               ON q.kpi_code = w.kpi_code AND q.unit_code = w.unit_code AND q.period = w.period
           UNION
           SELECT e.kpi_code, e.unit_code, e.period, q.unit_code FROM expected e JOIN rollup_queue q
               ON q.kpi_code = e.kpi_code AND q.unit_code = e.code AND q.period = e.period
           ORDER BY 1, 2, 3, 4""",
        (MONTHS.param(months),),
    ):
        found[(row["kpi_code"], row["unit_code"], row["period"])].append(row["code"])
    return found
