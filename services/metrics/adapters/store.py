"""SQL for the metrics schema. Functions take a unit of work (or a connection) and return rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from services.metrics.domain.measures import Measure
from services.metrics.domain.placements import EARLIEST, Placement
from shared.db import Rows, UnitOfWork

KPI_COLUMNS = (
    "code, name, description, unit_of_measure, improvement_direction, owners, data_source, expected_by_day, "
    "aggregation, fix_after_n_points, screen_outliers"
)


def kpi(uow: UnitOfWork, code: str) -> dict[str, Any] | None:
    return kpis(uow, [code]).get(code)


def unit(uow: UnitOfWork, code: str) -> dict[str, Any] | None:
    return units(uow, [code]).get(code)


def add_kpi(uow: UnitOfWork, fields: dict[str, Any]) -> dict[str, Any] | None:
    return uow.one(
        f"""INSERT INTO kpis ({KPI_COLUMNS})
            VALUES (%(code)s, %(name)s, %(description)s, %(unit_of_measure)s, %(improvement_direction)s,
                    %(owners)s, %(data_source)s, %(expected_by_day)s, %(aggregation)s, %(fix_after_n_points)s,
                    %(screen_outliers)s)
            ON CONFLICT (code) DO NOTHING RETURNING {KPI_COLUMNS}""",
        fields,
    )


def add_unit(uow: UnitOfWork, fields: dict[str, Any], created_by: str) -> dict[str, Any] | None:
    """A new unit, placed under its parent for every month; None if the code is taken."""
    return uow.one(
        """WITH added AS (
               INSERT INTO units (code, name, level, parent_code, opened_on, closed_on)
               VALUES (%(code)s, %(name)s, %(level)s, %(parent_code)s, %(opened_on)s, %(closed_on)s)
               ON CONFLICT (code) DO NOTHING RETURNING code, name, level, parent_code, opened_on, closed_on),
           placed AS (
               INSERT INTO unit_placements (unit_code, parent_code, effective_from, placed_by)
               SELECT code, parent_code, %(earliest)s, %(by)s FROM added)
           SELECT * FROM added""",
        {**fields, "earliest": EARLIEST, "by": created_by},
    )


def kpis(uow: UnitOfWork, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The KPIs among ``codes`` that exist, by code (read once per transaction each)."""
    return _memo_many(uow, "kpi", codes, lambda missing: uow.all(
        f"SELECT {KPI_COLUMNS} FROM kpis WHERE code = ANY(%s)", (missing,)))


def units(uow: UnitOfWork, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The units among ``codes`` that exist, by code (read once per transaction each)."""
    return _memo_many(uow, "unit", codes, lambda missing: uow.all(
        "SELECT code, name, level, parent_code, opened_on, closed_on FROM units WHERE code = ANY(%s)", (missing,)))


def _memo_many(uow: UnitOfWork, kind: str, codes: Iterable[str], read: Any) -> dict[str, dict[str, Any]]:
    cached: dict[str, dict[str, Any] | None] = uow.memo((kind, "by code"), dict)
    wanted = set(codes)
    missing = sorted(wanted - cached.keys())
    if missing:
        found = {row["code"]: row for row in read(missing)}
        cached.update({code: found.get(code) for code in missing})
    return {code: row for code in wanted if (row := cached[code]) is not None}


MonthKey = tuple[str, str, date]  # (kpi_code, unit_code, period)
SeriesKey = tuple[str, str]  # (kpi_code, unit_code)


def lock_measures(uow: UnitOfWork, keys: Iterable[MonthKey]) -> None:
    """Hold these months' measures until the transaction ends, so two revisions of one month never
    race for the same revision number. Taken in one sorted order by everyone: no deadlocks."""
    _advisory_locks(uow, (f"measure|{k}|{u}|{p}" for k, u, p in keys))


def lock_months(uow: UnitOfWork, keys: Iterable[MonthKey]) -> None:
    """Hold these months' roll-ups: a second roll-up of a month waits for the first to commit, then
    reads every child, the first one's included."""
    _advisory_locks(uow, (f"rollup|{k}|{u}|{p}" for k, u, p in keys))


def lock_series(uow: UnitOfWork, keys: Iterable[SeriesKey]) -> None:
    """Hold these charts and their signal episodes until the transaction ends."""
    _advisory_locks(uow, (f"chart|{k}|{u}" for k, u in keys))


def _advisory_locks(uow: UnitOfWork, names: Iterable[str]) -> None:
    ordered = sorted(set(names))
    if ordered:  # unnest yields the array in order, so the locks are taken in that order
        uow.execute("SELECT count(pg_advisory_xact_lock(hashtextextended(name, 0))) FROM unnest(%s::text[]) AS name",
                    (ordered,))


MONTHS = Rows("k", "kpi_code text, unit_code text, period date")
SERIES = Rows("k", "kpi_code text, unit_code text")
VALUES = Rows("r", "kpi_code text, unit_code text, period date, value double precision, "
                   "numerator double precision, denominator double precision")


def latest_measures(uow: UnitOfWork, keys: Iterable[MonthKey]) -> dict[MonthKey, dict[str, Any]]:
    """The latest revision of each month that has one."""
    rows = uow.all(
        f"""SELECT DISTINCT ON (m.kpi_code, m.unit_code, m.period) m.*
              FROM {MONTHS.sql} JOIN measures m USING (kpi_code, unit_code, period)
             ORDER BY m.kpi_code, m.unit_code, m.period, m.revision DESC""",
        (MONTHS.param(keys),),
    )
    return {(row["kpi_code"], row["unit_code"], row["period"]): row for row in rows}


NEW_MEASURES = Rows("r", "kpi_code text, unit_code text, period date, revision integer, value double precision, "
                        "numerator double precision, denominator double precision, source text, "
                        "recorded_by text, note text, event_id text")


def add_revisions(uow: UnitOfWork, revisions: list[tuple[Measure, int, str | None]], *, returning: bool = False
                  ) -> list[dict[str, Any]]:
    """Store new revisions in one statement; with ``returning``, the stored rows in the order given."""
    if not revisions:
        return []
    rows = [(m.kpi_code, m.unit_code, m.period, revision, m.value, m.numerator, m.denominator, m.source,
             m.recorded_by, m.note, event_id) for m, revision, event_id in revisions]
    columns = ", ".join(NEW_MEASURES.names)
    sql = f"INSERT INTO measures ({columns}) SELECT {columns} FROM {NEW_MEASURES.sql}"
    if not returning:
        uow.execute(sql, (NEW_MEASURES.param(rows),))
        return []
    stored = uow.all(sql + " RETURNING *", (NEW_MEASURES.param(rows),))
    by_key = {(r["kpi_code"], r["unit_code"], r["period"], r["revision"]): r for r in stored}
    return [by_key[row[:4]] for row in rows]


MonthValue = tuple[str, str, date, float, float | None, float | None]


def put_measured_values(uow: UnitOfWork, values: list[MonthValue]) -> None:
    """Each month's current measure becomes the unit's value for the month."""
    _put_values(uow, values, rolled_up=False)


def put_rolled_up_values(uow: UnitOfWork, values: list[MonthValue]) -> None:
    """Store roll-ups; a month the unit measured itself keeps its own value (it wins)."""
    _put_values(uow, values, rolled_up=True)


def _put_values(uow: UnitOfWork, values: list[MonthValue], *, rolled_up: bool) -> None:
    if values:
        uow.execute(
            f"""INSERT INTO kpi_values (kpi_code, unit_code, period, value, numerator, denominator, rolled_up)
               SELECT kpi_code, unit_code, period, value, numerator, denominator, %s FROM {VALUES.sql}
               ON CONFLICT (kpi_code, unit_code, period) DO UPDATE SET value = excluded.value,
                   numerator = excluded.numerator, denominator = excluded.denominator,
                   rolled_up = excluded.rolled_up, updated_at = now()
               WHERE NOT excluded.rolled_up OR kpi_values.rolled_up""",
            (rolled_up, VALUES.param(values)),
        )


def drop_rolled_up_values(uow: UnitOfWork, months: list[MonthKey]) -> None:
    """Forget roll-ups no unit below has a value for any more; a month measured itself stays."""
    if months:
        uow.execute(f"DELETE FROM kpi_values v USING {MONTHS.sql} WHERE v.kpi_code = k.kpi_code"
                    f" AND v.unit_code = k.unit_code AND v.period = k.period AND v.rolled_up", (MONTHS.param(months),))


# --- the aggregator's tables -------------------------------------------------------------------

def unit_tree(uow: UnitOfWork, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The units ``codes`` and every unit above them in any month, by code: each with its name, its
    parent now, its depth below the top now (a trust is 0) and its placements (``Placement``,
    oldest first: where it sat in which months). Read once per transaction and unit."""
    tree: dict[str, dict[str, Any]] = uow.memo(("unit_tree",), dict)
    missing = sorted(set(codes) - tree.keys())
    if not missing:
        return tree
    if not tree:  # the first read of the hierarchy in this transaction
        read_placements_steadily(uow)
    above = uow.all(
        """WITH RECURSIVE up(code) AS (
               SELECT code FROM units WHERE code = ANY(%s)
               UNION
               SELECT above.parent_code
                 FROM up, LATERAL (SELECT parent_code FROM unit_placements WHERE unit_code = up.code
                                   UNION SELECT parent_code FROM units WHERE code = up.code) AS above
                WHERE above.parent_code IS NOT NULL)
           SELECT code FROM up""",
        (missing,),
    )
    rows = uow.all(
        """SELECT u.code, u.name, u.parent_code, p.parent_code AS placed_under, p.effective_from, p.effective_to
             FROM units u LEFT JOIN unit_placements p ON p.unit_code = u.code
            WHERE u.code = ANY(%s) ORDER BY u.code, p.effective_from""",
        ([row["code"] for row in above if row["code"] not in tree],),
    )
    for row in rows:
        unit = tree.setdefault(row["code"], {"code": row["code"], "name": row["name"],
                                             "parent_code": row["parent_code"], "placements": []})
        if row["effective_from"] is not None:
            unit["placements"].append(Placement(row["placed_under"], row["effective_from"], row["effective_to"]))
    for code in tree:
        tree[code]["depth"] = _depth_now(tree, code)
    return tree


def _depth_now(tree: dict[str, dict[str, Any]], code: str) -> int:
    depth, parent = 0, tree[code]["parent_code"]
    while parent is not None and parent in tree and depth < 20:
        depth, parent = depth + 1, tree[parent]["parent_code"]
    return depth


PLACEMENTS_LOCK = "unit placements"


def read_placements_steadily(uow: UnitOfWork) -> None:
    """Let no unit move until this transaction ends, and wait for a move under way to commit: a
    measure stored or rolled up under a unit's old parent while the unit moves would otherwise miss
    the move's roll-up. Any number of readers at once (a shared lock); a move takes it alone."""
    uow.execute("SELECT pg_advisory_xact_lock_shared(hashtextextended(%s, 0))", (PLACEMENTS_LOCK,))


def placements_by_unit(uow: UnitOfWork) -> dict[str, list[Placement]]:
    """Every unit's placements, oldest first, by unit code."""
    placed: dict[str, list[Placement]] = {}
    for row in placements(uow):
        placed.setdefault(row["unit_code"], []).append(
            Placement(row["parent_code"], row["effective_from"], row["effective_to"]))
    return placed


def placements(uow: UnitOfWork, unit_code: str | None = None) -> list[dict[str, Any]]:
    """The placements of one unit, or of every unit, oldest first."""
    return uow.all(
        """SELECT unit_code, parent_code, effective_from, effective_to, placed_by, placed_at FROM unit_placements
            WHERE %(unit)s::text IS NULL OR unit_code = %(unit)s ORDER BY unit_code, effective_from""",
        {"unit": unit_code},
    )


def children_values(uow: UnitOfWork, months: list[MonthKey]) -> dict[MonthKey, list[dict[str, Any]]]:
    """The values of each month's child units (those placed under it that month), for each (KPI,
    parent unit, month)."""
    found: dict[MonthKey, list[dict[str, Any]]] = {month: [] for month in months}
    for row in uow.all(
        f"""SELECT k.kpi_code, k.unit_code, k.period, v.value, v.numerator, v.denominator
              FROM {MONTHS.sql}
              JOIN unit_placements p ON p.parent_code = k.unit_code AND p.effective_from <= k.period
                                    AND (p.effective_to IS NULL OR k.period < p.effective_to)
              JOIN kpi_values v ON v.kpi_code = k.kpi_code AND v.unit_code = p.unit_code AND v.period = k.period""",
        (MONTHS.param(months),),
    ):
        found[(row["kpi_code"], row["unit_code"], row["period"])].append(row)
    return found


def monthly_values(uow: UnitOfWork, series: list[SeriesKey]) -> dict[SeriesKey, list[dict[str, Any]]]:
    """Each series' months, oldest first."""
    found: dict[SeriesKey, list[dict[str, Any]]] = {key: [] for key in series}
    for row in uow.all(
        f"""SELECT v.kpi_code, v.unit_code, v.period, v.value, v.rolled_up
              FROM {SERIES.sql} JOIN kpi_values v USING (kpi_code, unit_code)
             ORDER BY v.kpi_code, v.unit_code, v.period""",
        (SERIES.param(series),),
    ):
        found[(row["kpi_code"], row["unit_code"])].append(row)
    return found


def units_reporting_below(uow: UnitOfWork, kpi_code: str, unit_code: str, months: tuple[date, date]
                          ) -> tuple[int, int, int]:
    """How many units anywhere below this one (as placed in the second month) measured the KPI
    themselves, in each of two months; and how many roll-ups of the second month, of this unit or
    one below it, wait in the queue (a unit's measure committed after this transaction read the
    values below, whose roll-up is still to come)."""
    row = uow.one(
        """WITH RECURSIVE placed AS (
               SELECT unit_code, parent_code FROM unit_placements
                WHERE effective_from <= %(second)s AND (effective_to IS NULL OR %(second)s < effective_to)),
           below AS (
               SELECT unit_code AS code, 0 AS depth FROM placed WHERE parent_code = %(unit)s
               UNION ALL
               SELECT p.unit_code, below.depth + 1 FROM placed p JOIN below ON p.parent_code = below.code
                WHERE below.depth < 20)
           SELECT count(*) FILTER (WHERE v.period = %(first)s) AS first,
                  count(*) FILTER (WHERE v.period = %(second)s) AS second,
                  (SELECT count(*) FROM rollup_queue q
                    WHERE q.kpi_code = %(kpi)s AND q.period = %(second)s
                      AND (q.unit_code = %(unit)s OR q.unit_code IN (SELECT code FROM below))) AS waiting
             FROM kpi_values v JOIN below ON below.code = v.unit_code
            WHERE v.kpi_code = %(kpi)s AND NOT v.rolled_up AND v.period IN (%(first)s, %(second)s)""",
        {"kpi": kpi_code, "unit": unit_code, "first": months[0], "second": months[1]},
    )
    return (row["first"], row["second"], row["waiting"]) if row else (0, 0, 0)


def targets(uow: UnitOfWork, kpi_code: str) -> list[dict[str, Any]]:
    """The KPI's target changes, oldest first; the latest setting for a month wins."""
    return uow.memo(("targets", kpi_code), lambda: uow.all(
        """SELECT DISTINCT ON (effective_from) effective_from, target FROM kpi_targets WHERE kpi_code = %s
            ORDER BY effective_from, set_at DESC""",
        (kpi_code,),
    ))


def live_rebases(uow: UnitOfWork, series: list[SeriesKey]) -> dict[SeriesKey, set[date]]:
    found: dict[SeriesKey, set[date]] = {key: set() for key in series}
    for row in uow.all(
        f"""SELECT r.kpi_code, r.unit_code, r.period
              FROM {SERIES.sql} JOIN rebases r USING (kpi_code, unit_code) WHERE r.withdrawn_at IS NULL""",
        (SERIES.param(series),),
    ):
        found[(row["kpi_code"], row["unit_code"])].add(row["period"])
    return found


CHARTS = Rows("s", "kpi_code text, unit_code text, first_period date, last_period date, last_value double precision, "
                  "last_point_type text, variation_icon text, assurance_icon text, chart_type text, chart jsonb")


def save_charts(uow: UnitOfWork, summaries: list[dict[str, Any]]) -> None:
    if summaries:
        columns = ", ".join(CHARTS.names)
        uow.execute(
            f"""INSERT INTO spc_charts ({columns}) SELECT {columns} FROM {CHARTS.sql}
               ON CONFLICT (kpi_code, unit_code) DO UPDATE SET first_period = excluded.first_period,
                   last_period = excluded.last_period, last_value = excluded.last_value,
                   last_point_type = excluded.last_point_type, variation_icon = excluded.variation_icon,
                   assurance_icon = excluded.assurance_icon, chart_type = excluded.chart_type,
                   chart = excluded.chart, computed_at = now()""",
            (CHARTS.param(tuple(summary[name] for name in CHARTS.names) for summary in summaries),),
        )


def drop_charts(uow: UnitOfWork, series: list[SeriesKey]) -> None:
    """Forget the charts of series that have no month left."""
    if series:
        uow.execute(f"DELETE FROM spc_charts c USING {SERIES.sql} WHERE c.kpi_code = k.kpi_code"
                    f" AND c.unit_code = k.unit_code", (SERIES.param(series),))


def latest_episodes(uow: UnitOfWork, series: list[SeriesKey]) -> dict[SeriesKey, dict[str, Any]]:
    """The newest signal episode of each series that has one (hold the series' lock to use it)."""
    rows = uow.all(
        f"""SELECT DISTINCT ON (e.kpi_code, e.unit_code) e.id, e.kpi_code, e.unit_code, e.point_type, e.started,
                   e.last_seen
              FROM {SERIES.sql} JOIN signal_episodes e USING (kpi_code, unit_code)
             ORDER BY e.kpi_code, e.unit_code, e.id DESC""",
        (SERIES.param(series),),
    )
    return {(row["kpi_code"], row["unit_code"]): row for row in rows}


def extend_episode(uow: UnitOfWork, episode_id: int, month: date) -> None:
    uow.execute("UPDATE signal_episodes SET last_seen = greatest(last_seen, %s) WHERE id = %s", (month, episode_id))


def start_episode(uow: UnitOfWork, kpi_code: str, unit_code: str, point_type: str, special_cause_type: str,
                  month: date) -> None:
    uow.execute(
        """INSERT INTO signal_episodes (kpi_code, unit_code, point_type, special_cause_type, started, last_seen)
           VALUES (%s, %s, %s, %s, %s, %s)""",
        (kpi_code, unit_code, point_type, special_cause_type, month, month),
    )


# --- the aggregator's queues ------------------------------------------------------------------

def enqueue_rollups(uow: UnitOfWork, months: Iterable[MonthKey]) -> None:
    ordered = sorted(months)
    if ordered:
        uow.execute(f"INSERT INTO rollup_queue (kpi_code, unit_code, period)"
                    f" SELECT kpi_code, unit_code, period FROM {MONTHS.sql}", (MONTHS.param(ordered),))


QUEUED_CHARTS = Rows("q", "kpi_code text, unit_code text, cause text, change json, correlation_id text")


def enqueue_charts(uow: UnitOfWork, charts: list[tuple[str, str, str, dict[str, Any], str | None]]) -> None:
    """(kpi_code, unit_code, cause, change, correlation_id) for each chart to recompute."""
    if charts:
        uow.execute(f"INSERT INTO chart_queue (kpi_code, unit_code, cause, change, correlation_id)"
                    f" SELECT kpi_code, unit_code, cause, change, correlation_id FROM {QUEUED_CHARTS.sql}",
                    (QUEUED_CHARTS.param(charts),))


def claim_rollups(uow: UnitOfWork, limit: int) -> list[dict[str, Any]]:
    """Take the oldest queued roll-ups no other worker holds; they are gone once this commits."""
    return uow.all(
        """DELETE FROM rollup_queue WHERE id IN (
               SELECT id FROM rollup_queue ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)
           RETURNING id, kpi_code, unit_code, period""",
        (limit,),
    )


def claim_charts(uow: UnitOfWork, series: int, scan: int) -> list[dict[str, Any]]:
    """Pick up to ``series`` charts, those waiting longest first (among the oldest ``scan`` rows no
    other worker holds), and take every queued row of each: a chart named in many rows is
    recomputed once. Oldest first."""
    rows = uow.all(
        """WITH waiting AS (
               SELECT id, kpi_code, unit_code FROM chart_queue ORDER BY id LIMIT %(scan)s FOR UPDATE SKIP LOCKED),
           picked AS (
               SELECT kpi_code, unit_code FROM waiting GROUP BY kpi_code, unit_code ORDER BY min(id) LIMIT %(series)s)
           DELETE FROM chart_queue c USING picked p WHERE c.kpi_code = p.kpi_code AND c.unit_code = p.unit_code
           RETURNING c.id, c.kpi_code, c.unit_code, c.cause, c.change, c.correlation_id""",
        {"scan": scan, "series": series},
    )
    return sorted(rows, key=lambda row: row["id"])


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
