"""The KPI aggregator: after measures change, bring every chart that depends on them up to date.

For each changed month: the parent unit's value for the month (rolled up from its children by the
KPI's aggregation rule, unless the parent measured it itself), then its parent's, up to the top;
for each unit touched, the whole monthly series and its chart, stored: a run chart (median and
Anhøj rules) while the series has fewer than 13 months, from then on its Making Data Count XmR
chart (with the KPI's targets and the unit's rebase points); then kpi.updated, and, for an XmR
chart, kpi.special_cause_detected the first time a signal reaches the newest point.

A month is judged only once it is whole: a month that has not ended, and the newest months of a
rolled-up unit that still await a unit expected to report them, are left out of the chart and kept
beside it as provisional (``provisional`` in its JSON), never judged and never alerted on, so a
count's partial month is never compared with whole ones. Once the month ends (the overdue worker
queues the charts, ``queue_charts_whose_month_ended``) or the last unit reports, it is judged.

The work comes two ways:
- in line, before the transaction that changed something commits (a measure posted to the API,
  a target set, a rebase), so whoever made the change reads the new chart at once (``refresh``);
- queued, for measures from feeds: the consumer stores a batch of measures and queues what they
  touch; the aggregator worker claims the queue and recomputes each chart once for everything
  queued since its last pass, however many months arrived meanwhile (``run_pass``,
  ``do_claimed_work``).

Workers sharing the queue never wait for each other: a pass claims whole months of KPIs to roll up
and whole charts to recompute, each with a try-lock no other worker waits for (``queues``), and
queues the charts its roll-ups change rather than recomputing them itself (another worker may hold
them, and every month of a KPI rolls up into the same few charts), so it locks only the charts it
claimed. In line, everything is done before the commit, as above.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from psycopg.errors import UniqueViolation
from psycopg_pool import ConnectionPool

from services.metrics.adapters import charts, episodes, hierarchy, locks, measures, queues, store
from services.metrics.adapters.chart_json import chart_json
from services.metrics.adapters.rows import (
    ChartSummary,
    Kpi,
    MonthKey,
    MonthValue,
    SeriesKey,
    StoredEpisode,
    TargetChange,
    TreeUnit,
)
from services.metrics.domain.charts import RUN, XMR, Chart, auto_chart_type, chart_type_of
from services.metrics.domain.placements import parent_in
from services.metrics.domain.rollup import roll_up
from services.metrics.domain.runchart import RunChart, run_chart
from services.metrics.domain.signals import Episode, continues, newest_signal
from services.metrics.domain.spc import SpcChart, SpcOptions, xmr_chart
from shared import correlation, telemetry, topics
from shared.db import Outgoing, UnitOfWork, unit_of_work
from shared.month import Month, month_text

SERVICE = "metrics"
log = logging.getLogger(__name__)
# What one pass takes, bounding its transaction: so many months of KPIs to roll up (each with
# every queued row of the month, many rows naming the same parent's month) and so many charts to
# recompute (each a recompute, with all its rows), picked among the oldest rows of each queue.
# Each KPI-month claimed and each unit's month rolled up holds an advisory lock until the pass
# commits, and each chart two (its claim and its series), so these also bound the pass' share of
# PostgreSQL's lock table (a KPI-month climbs a ward's directorate, division and trust).
ROLLUP_MONTHS_PER_PASS = 200
ROLLUP_ROWS_SCANNED = 20_000
CHARTS_PER_PASS = 500
CHART_ROWS_SCANNED = 20_000
# Landed measures merged in one transaction: the months' locks are held for its length (about
# half a second at 10,000 on a quiet machine), and an API write to one of them waits as long.
LANDED_PER_PASS = 10_000
# While measures keep landing (one landed less than LANDING_QUIET seconds ago), a backfill is under
# way: merging waits, so the consumers have the machine's cores to empty the topic (merging competes
# with them for the same cores, and the sooner the measures are all in the database, the safer).
# It waits at most LANDED_WAIT seconds after the oldest landed, so a backfill longer than that is
# merged as it lands, and a measure is never left waiting for long.
LANDING_QUIET = 1.0
LANDED_WAIT = 60.0
# How far back a rolled-up unit's newest months are checked for units still to report: older months
# are history, judged as they are.
WHOLENESS_WINDOW = 12
MONTH_NOT_OVER, AWAITING_UNITS = "month_not_over", "awaiting_units"


def utc_today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Change:
    """Why a chart is recomputed: a unit's own ``measure`` (with its details), a ``rollup`` of the
    units below, or a catalogue change (``target``, ``definition``, ``rebase``)."""

    cause: str
    details: dict[str, Any] = field(default_factory=dict)
    correlation_id: str | None = None


def merged(old: Change | None, new: Change) -> Change:
    """One change for a chart recomputed once for several: a unit's own measure outranks the rest,
    and of two measures the later month (or, for the same month, the later one) is reported."""
    if old is None:
        return new
    if old.cause == "measure" and (new.cause != "measure" or new.details["period"] < old.details["period"]):
        return old
    return new


@dataclass
class Work:
    """Months to roll up, as (KPI, unit, month), and charts to recompute, as (KPI, unit)."""

    months: set[MonthKey] = field(default_factory=set)
    charts: dict[SeriesKey, Change] = field(default_factory=dict)
    claimed: int = 0  # queue rows this work was claimed from

    def chart(self, kpi_code: str, unit_code: str, change: Change) -> None:
        self.charts[(kpi_code, unit_code)] = merged(self.charts.get((kpi_code, unit_code)), change)

    def after_measure(self, kpi_code: str, unit_code: str, tree: dict[str, TreeUnit], period: date,
                      change: Change) -> None:
        """What a unit's new value for a month changes: its chart, and the month of the unit it sat
        under in that month."""
        self.chart(kpi_code, unit_code, change)
        parent = parent_of(tree, unit_code, period)
        if parent:
            self.months.add((kpi_code, parent, period))

    def take(self) -> Work:
        taken = Work(self.months, self.charts)
        self.months, self.charts = set(), {}
        return taken

    def __bool__(self) -> bool:
        return bool(self.months or self.charts)


def refresh_before_commit(uow: UnitOfWork, work: Work) -> None:
    """Do ``work`` once, just before ``uow`` commits, together with any other work given it."""
    pending: Work = uow.memo(("aggregator", "pending work"), Work)  # accumulates; not a database read
    pending.months |= work.months
    for (kpi_code, unit_code), change in work.charts.items():
        pending.chart(kpi_code, unit_code, change)
    uow.defer(("aggregate",), lambda: refresh(uow, pending.take()))


def enqueue(uow: UnitOfWork, work: Work) -> None:
    """Leave ``work`` to the aggregator worker; it is queued when ``uow`` commits."""
    queues.enqueue_rollups(uow, work.months)
    queues.enqueue_charts(uow, [(kpi_code, unit_code, change.cause, change.details, change.correlation_id)
                               for (kpi_code, unit_code), change in sorted(work.charts.items())])


def run_pass(pool: ConnectionPool) -> int:
    """Merge a chunk of landed measures (committed), then claim queued work, do it and commit; how
    many landed measures and queue rows it took (0: nothing was waiting)."""
    merged = merge_landed(pool)
    with unit_of_work(pool, SERVICE) as uow:
        work = claimed_work(uow)
        do_claimed_work(uow, work)
    return merged + work.claimed


def still_landing(landing: measures.Landing) -> bool:
    """Whether to leave the landed measures be for now: a backfill is still landing (a measure
    landed in the last ``LANDING_QUIET`` seconds) and none has waited ``LANDED_WAIT`` seconds."""
    if landing.oldest_age is None or landing.newest_age is None:
        return False
    return landing.newest_age < LANDING_QUIET and landing.oldest_age < LANDED_WAIT


def merge_landed(pool: ConnectionPool) -> int:
    """Number as revisions a chunk of landed measures (``LANDED_PER_PASS``), set their months'
    values and queue their charts and roll-ups, in one transaction; how many it took.

    Chunks are whole charts, in turn: a sweep through the charts by code, each chart's measures
    oldest first, so a chart whose backfill is landed is merged in one chunk and drawn once (by
    months across every chart, it would be queued again by every chunk), and every chart is
    reached within one round. One worker merges at a time (a try-lock: the others go on to
    charts), so a month's revisions keep the order its measures arrived in. While a backfill is
    still landing, nothing is merged for a while (``still_landing``)."""
    try:
        with unit_of_work(pool, SERVICE) as uow:
            if not locks.claim_merging(uow) or still_landing(measures.landing(uow)):
                return 0
            chunk = measures.landed_chunk(uow, SWEEP.after, LANDED_PER_PASS)
            if not chunk and SWEEP.after is not None:  # the sweep has passed the last chart: round again
                chunk = measures.landed_chunk(uow, None, LANDED_PER_PASS)
            if not chunk:
                return 0
            taken, stored = merge_chunk(uow, chunk)
    except UniqueViolation as exc:
        # An event of the chunk was handled meanwhile by a transaction that committed first (its
        # redelivery, stored in line): nothing of the chunk was kept; the next pass skips it.
        log.warning("merging landed measures met an event handled meanwhile; merging again on the next pass",
                    extra={"error": str(exc)})
        return 0
    last_seq, (kpi_code, unit_code, _) = chunk[-1]
    SWEEP.after = (kpi_code, unit_code, last_seq)  # once committed: a failed merge is tried again
    telemetry.MEASURES_MERGED.labels(SERVICE).inc(stored)
    return taken


def merge_chunk(uow: UnitOfWork, chunk: list[tuple[int, MonthKey]]) -> tuple[int, int]:
    """Merge these landed measures, (seq, month) each, under the hierarchy's shared lock and their
    months' locks; (measures taken, revisions stored)."""
    locks.share_the_hierarchy(uow)
    locks.lock_measures(uow, {month for _, month in chunk})
    return measures.merge_landed(uow, [seq for seq, _ in chunk])


@dataclass
class Sweep:
    """Where this process' merging has got to in its sweep through the charts' landed measures."""

    after: measures.SweepPosition | None = None


SWEEP = Sweep()


def claimed_work(uow: UnitOfWork) -> Work:
    """Queued work no other worker holds, taken off the queue when ``uow`` commits."""
    work = Work()
    months = queues.claim_rollups(uow, ROLLUP_MONTHS_PER_PASS, ROLLUP_ROWS_SCANNED)
    work.months.update(months)
    claimed = queues.claim_charts(uow, CHARTS_PER_PASS, CHART_ROWS_SCANNED)
    for row in claimed:
        work.chart(row.kpi_code, row.unit_code, Change(row.cause, row.change, row.correlation_id))
    work.claimed = len(months) + len(claimed)
    return work


def queue_charts_whose_month_ended(uow: UnitOfWork, today: date) -> list[SeriesKey]:
    """Queue the charts that held back a month as provisional which has now ended, to be judged."""
    series = charts.charts_whose_month_ended(uow, Month.of(today).first_day)
    queues.enqueue_charts(uow, [(kpi_code, unit_code, "month_ended", {}, None) for kpi_code, unit_code in series])
    return series


def refresh(uow: UnitOfWork, work: Work, today: date | None = None) -> None:
    """Roll the months up, deepest units first, then recompute every chart touched, each once."""
    if not work:
        return
    tree = _tree(uow, work)
    for kpi_code, unit_code in _roll_up(uow, work.months, tree):
        work.chart(kpi_code, unit_code, Change("rollup"))
    _recompute_charts(uow, work, tree, Month.of(today or utc_today()).first_day)


def do_claimed_work(uow: UnitOfWork, work: Work, today: date | None = None) -> None:
    """A worker's pass: roll the claimed months up, queue the charts they change that the pass has
    not claimed (committed with it, for whichever worker claims them next), and recompute the
    claimed charts. Locking only charts it claimed, a pass never waits for another's."""
    if not work:
        return
    tree = _tree(uow, work)
    rolled_up = _roll_up(uow, work.months, tree)
    queues.enqueue_charts(uow, [(kpi_code, unit_code, "rollup", {}, None)
                                for kpi_code, unit_code in sorted(rolled_up - work.charts.keys())])
    for kpi_code, unit_code in rolled_up & work.charts.keys():
        work.chart(kpi_code, unit_code, Change("rollup"))
    if work.charts:
        _recompute_charts(uow, work, tree, Month.of(today or utc_today()).first_day)


def _tree(uow: UnitOfWork, work: Work) -> dict[str, TreeUnit]:
    return hierarchy.unit_tree(uow, {unit_code for _, unit_code, _ in work.months} | {unit for _, unit in work.charts})


def _roll_up(uow: UnitOfWork, months: set[MonthKey], tree: dict[str, TreeUnit]) -> set[SeriesKey]:
    """Roll ``months`` up and every month above them; the charts whose values that changed."""
    touched: set[SeriesKey] = set()
    pending = set(months)
    while pending:
        deepest = max(_depth(tree, unit_code) for _, unit_code, _ in pending)
        level = sorted(month for month in pending if _depth(tree, month[1]) == deepest)
        pending.difference_update(level)
        # Two transactions rolling up siblings at once would each miss the other's child: the
        # second waits here until the first commits, then reads both children.
        locks.lock_rollups(uow, level)
        kpis = store.kpis(uow, {kpi_code for kpi_code, _, _ in level})
        children = measures.children_values(uow, level)
        rolled, emptied = [], []
        for kpi_code, unit_code, period in level:
            kpi = kpis.get(kpi_code)
            if kpi is None or unit_code not in tree:
                continue
            value = roll_up(kpi.aggregation, children[(kpi_code, unit_code, period)], kpi.unit_of_measure)
            if value is not None:
                rolled.append(MonthValue(kpi_code, unit_code, period, value.value, value.numerator, value.denominator))
            else:  # no unit below it has the month (any more: one moved away)
                emptied.append((kpi_code, unit_code, period))
            touched.add((kpi_code, unit_code))
            parent = parent_of(tree, unit_code, period)
            if parent:
                pending.add((kpi_code, parent, period))
        measures.put_rolled_up_values(uow, rolled)
        measures.drop_rolled_up_values(uow, emptied)
    return touched


def parent_of(tree: dict[str, TreeUnit], unit_code: str, period: date) -> str | None:
    """The unit ``unit_code`` sat under in a month, going by ``hierarchy.unit_tree``."""
    unit = tree.get(unit_code)
    return parent_in(unit.placements, period) if unit else None


def _depth(tree: dict[str, TreeUnit], unit_code: str) -> int:
    unit = tree.get(unit_code)
    return unit.depth if unit else 0


@dataclass(frozen=True)
class Provisional:
    """A month shown beside the chart but not judged: it has not ended, or units are still to report it."""

    period: date
    value: float
    reason: str
    awaiting: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"period": month_text(self.period), "value": self.value, "reason": self.reason,
                "awaiting": list(self.awaiting)}


def judged_and_provisional(uow: UnitOfWork, values: dict[SeriesKey, list[MonthValue]], this_month: date
                           ) -> dict[SeriesKey, tuple[list[MonthValue], list[Provisional]]]:
    """For each series, the months its chart judges, and the newest ones it holds back: those not
    yet over, and, for a rolled-up unit, the newest months some unit expected to report has not
    (oldest first). The units awaited are looked up for every series at once."""
    whole = {key: [row for row in rows if row.period < this_month] for key, rows in values.items()}
    recent = [(key[0], key[1], row.period) for key, rows in whole.items() if rows and rows[-1].rolled_up
              for row in rows[-WHOLENESS_WINDOW:] if row.rolled_up]
    awaited = measures.awaited_units(uow, recent)
    return {key: _held_back(key, whole[key], rows, awaited, this_month) for key, rows in values.items()}


def _held_back(key: SeriesKey, whole: list[MonthValue], rows: list[MonthValue], awaited: dict[MonthKey, list[str]],
               this_month: date) -> tuple[list[MonthValue], list[Provisional]]:
    provisional = [Provisional(row.period, row.value, MONTH_NOT_OVER) for row in rows if row.period >= this_month]
    partial: list[Provisional] = []
    while whole and whole[-1].rolled_up and awaited.get((key[0], key[1], whole[-1].period)):
        row = whole.pop()
        partial.insert(0, Provisional(row.period, row.value, AWAITING_UNITS,
                                      tuple(awaited[(key[0], key[1], row.period)])))
    return whole, partial + provisional


def _recompute_charts(uow: UnitOfWork, work: Work, tree: dict[str, TreeUnit], this_month: date) -> None:
    series = sorted(work.charts)
    locks.lock_series(uow, series)
    kpis = store.kpis(uow, {kpi_code for kpi_code, _ in series})
    values = measures.monthly_values(uow, series)
    rebases = charts.live_rebases(uow, series)
    latest = episodes.latest_episodes(uow, series)
    summaries: list[ChartSummary] = []
    outgoing: list[Outgoing] = []
    judged = judged_and_provisional(uow, values, this_month)
    # Every month rolled away, or none judged yet: no chart until a month is.
    charts.drop_charts(uow, [key for key in series if not judged[key][0]])
    for key in series:
        kpi, unit, (rows, provisional) = kpis.get(key[0]), tree.get(key[1]), judged[key]
        if kpi is None or unit is None or not rows:
            continue
        periods = [row.period for row in rows]
        chart = chart_of_series(uow, kpi, rebases[key], periods, [row.value for row in rows])
        summaries.append(_summary(key, chart, periods, provisional))
        change = work.charts[key]
        correlation_id = change.correlation_id or correlation.current()
        alert = None if isinstance(chart, RunChart) else _new_signal(uow, kpi, unit, chart, periods, latest.get(key))
        if alert is not None:
            outgoing.append(Outgoing("kpi.special_cause_detected", alert, topics.KPIS, _key(kpi, unit),
                                     correlation_id=correlation_id))
        outgoing.append(Outgoing("kpi.updated", _update(kpi, unit, chart, periods, change), topics.KPIS,
                                 _key(kpi, unit), correlation_id=correlation_id))
    charts.save_charts(uow, summaries)
    uow.emit_many(outgoing)
    telemetry.CHARTS_RECOMPUTED.labels(SERVICE).inc(len(summaries))


def _key(kpi: Kpi, unit: TreeUnit) -> str:
    return f"{kpi.code}|{unit.code}"


def chart_of_series(uow: UnitOfWork, kpi: Kpi, rebase_periods: set[date], periods: list[date],
                    values: list[float]) -> Chart:
    """The run chart of a series too short for process limits, else its XmR chart (as the
    calculator's ``auto`` draws it). A run chart has no targets, rebases or fixed limits."""
    if auto_chart_type(len(values)) == RUN:
        return run_chart(values, freeze=kpi.run_freeze, cl=kpi.run_centre_line)
    return xmr_chart(values, chart_options(uow, kpi, rebase_periods, periods))


def chart_options(uow: UnitOfWork, kpi: Kpi, rebase_periods: set[date], periods: list[date]
                  ) -> SpcOptions:
    return SpcOptions(
        improvement_direction=kpi.improvement_direction,
        target=targets_per_period(charts.targets(uow, kpi.code), periods),
        rebase_at=[i for i, period in enumerate(periods) if period in rebase_periods and i > 0],
        fix_after_n_points=kpi.fix_after_n_points,
        screen_outliers=kpi.screen_outliers,
    )


def targets_per_period(changes: list[TargetChange], periods: list[date]) -> list[float | None]:
    """Each month's target: the latest change made effective on or before that month."""
    result: list[float | None] = []
    for period in periods:
        effective = [c.target for c in changes if c.effective_from <= period]
        result.append(effective[-1] if effective else None)
    return result


def _summary(key: SeriesKey, chart: Chart, periods: list[date], provisional: list[Provisional]) -> ChartSummary:
    """The ``spc_charts`` row: the chart's JSON with its provisional months, and the newest judged
    point's summary (a run chart has no point types or icons)."""
    not_over = [month.period for month in provisional if month.reason == MONTH_NOT_OVER]
    body = {**chart_json(chart, periods), "provisional": [month.to_dict() for month in provisional]}
    return ChartSummary(kpi_code=key[0], unit_code=key[1], first_period=periods[0], last_period=periods[-1],
                        chart_type=chart_type_of(chart), **_newest(chart), chart=body,
                        provisional_through=max(not_over, default=None))


def _newest(chart: Chart) -> dict[str, Any]:
    if isinstance(chart, RunChart):
        return {"last_value": chart.values[-1], "last_point_type": None, "variation_icon": None,
                "assurance_icon": None}
    last = chart.points[-1]
    return {"last_value": last.y, "last_point_type": last.point_type, "variation_icon": chart.variation_icon,
            "assurance_icon": chart.assurance_icon}


def _update(kpi: Kpi, unit: TreeUnit, chart: Chart, periods: list[date], change: Change
            ) -> dict[str, Any]:
    """The kpi.updated payload."""
    newest, details = _newest(chart), change.details
    latest = newest["last_value"]
    return {
        "kpi_code": kpi.code, "kpi_name": kpi.name, "unit_code": unit.code, "unit_name": unit.name,
        "period": details.get("period", month_text(periods[-1])), "value": details.get("value", latest),
        "previous_value": details.get("previous_value"), "revision": details.get("revision", 0),
        "unit_of_measure": kpi.unit_of_measure, "owners": list(kpi.owners),
        "source": details.get("source", change.cause), "cause": change.cause,
        "latest_period": month_text(periods[-1]), "latest_value": latest,
        "point_type": newest["last_point_type"], "variation_icon": newest["variation_icon"],
        "assurance_icon": newest["assurance_icon"], **_lines(chart), "series": _series(chart, periods),
    }


def _series(chart: Chart, periods: list[date]) -> list[dict[str, Any]]:
    """Every month of the chart, oldest first: kpi.updated names one month even when a recompute
    took in several, so copies of the series (stories' before/after charts) read them all here."""
    if isinstance(chart, RunChart):
        return [{"period": month_text(p), "value": v, "point_type": None}
                for p, v in zip(periods, chart.values, strict=False)]
    return [{"period": month_text(p), "value": point.y, "point_type": point.point_type}
            for p, point in zip(periods, chart.points, strict=False)]


def _lines(chart: Chart) -> dict[str, Any]:
    """What kpi.updated says of the chart's type and lines: an XmR chart's mean and process limits at the
    newest point, or a run chart's median and whether its Anhøj rules signal (the others null)."""
    if isinstance(chart, RunChart):
        return {"chart_type": RUN, "mean": None, "lpl": None, "upl": None, "median": chart.cl,
                "runs_signal": chart.runs_signal}
    last = chart.points[-1]
    return {"chart_type": XMR, "mean": last.mean_col, "lpl": last.lpl, "upl": last.upl, "median": None,
            "runs_signal": None}


def _new_signal(uow: UnitOfWork, kpi: Kpi, unit: TreeUnit, chart: SpcChart,
                periods: list[date], row: StoredEpisode | None) -> dict[str, Any] | None:
    """The kpi.special_cause_detected payload when the newest point starts a new signal episode (the
    chart holds whole months only: see ``judged_and_provisional``)."""
    signal = newest_signal(chart.points)
    if signal is None:
        return None
    episode = Episode(row.point_type, row.started, row.last_seen) if row else None
    if row is not None and continues(episode, signal.point_type, periods[signal.start]):
        episodes.extend_episode(uow, row.id, periods[-1])
        return None
    episodes.start_episode(uow, kpi.code, unit.code, signal.point_type, signal.special_cause_type, periods[-1])
    last = chart.points[-1]
    return {
        "kpi_code": kpi.code, "kpi_name": kpi.name, "unit_code": unit.code, "unit_name": unit.name,
        "period": month_text(periods[-1]), "signal_start": month_text(periods[signal.start]),
        "special_cause_type": signal.special_cause_type, "point_type": signal.point_type,
        "improvement_direction": kpi.improvement_direction, "value": last.y, "mean": last.mean_col,
        "lpl": last.lpl, "upl": last.upl, "unit_of_measure": kpi.unit_of_measure, "owners": list(kpi.owners),
    }
