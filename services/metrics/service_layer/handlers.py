"""The metrics service layer: commands and events in, state changes and events out.

Each handler runs inside one unit of work, so its rows and the events it emits commit together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from services.metrics.adapters import hierarchy, locks, measures, store
from services.metrics.adapters.rows import Kpi, Unit
from services.metrics.domain.levels import rolled_up_problem
from services.metrics.domain.measures import Measure, MeasureRejected, check_measure, check_unit_open
from services.metrics.service_layer import aggregator
from services.metrics.service_layer.aggregator import Change, Work
from shared import correlation
from shared.auth import Principal
from shared.consumer import BatchHandler, RejectEvent
from shared.db import UnitOfWork
from shared.errors import Forbidden
from shared.events import Envelope
from shared.month import first_day_of, month_text


@dataclass(frozen=True)
class Recorded:
    revision: int
    changed: bool
    row: dict[str, Any]  # the stored revision when asked for (``returning``), else empty


class Incoming(NamedTuple):
    """A measure on its way in, with the event that brought it, if any."""

    measure: Measure
    event_id: str | None = None
    correlation_id: str | None = None


def measure_from_payload(payload: dict[str, Any]) -> Measure:
    return Measure(
        kpi_code=payload["kpi_code"],
        unit_code=payload["unit_code"],
        period=first_day_of(payload["period"]),
        value=float(payload["value"]),
        numerator=payload.get("numerator"),
        denominator=payload.get("denominator"),
        source=payload["source"],
        recorded_by=payload.get("recorded_by"),
        note=payload.get("note"),
    )


def record_measure(uow: UnitOfWork, measure: Measure, today: date, event_id: str | None = None) -> Recorded:
    """Store a new month or a revision, keeping every earlier revision; the charts it changes are
    recomputed before the transaction commits, so the caller reads them at once.

    The same figures again for the same KPI, unit and month change nothing and emit nothing.
    """
    [outcome], work = record_measures(uow, [Incoming(measure, event_id, correlation.current())], today,
                                      returning=True)
    if isinstance(outcome, MeasureRejected):
        raise outcome
    aggregator.refresh_before_commit(uow, work)
    return outcome


RECORDERS_OF_ANY_KPI = ("feed", "kpi_owner")


def check_may_record(uow: UnitOfWork, kpi_code: str, who: Principal) -> None:
    """Feeds, KPI owners and admins record the measures of any KPI; anyone else only those of a KPI
    that names them among its owners (a project lead, the measures of their project). An unknown
    KPI is left to ``record_measure`` to refuse."""
    if who.has_any(RECORDERS_OF_ANY_KPI):
        return
    kpi = store.kpi(uow, kpi_code)
    if kpi is not None and (who.email or "").casefold() not in {owner.casefold() for owner in kpi.owners}:
        raise Forbidden(f"only a feed, a KPI owner, an admin or one of the owners of {kpi_code} may record its "
                        "measures")


def record_measures(uow: UnitOfWork, incoming: list[Incoming], today: date, *, returning: bool = False,
                    queue: bool = False) -> tuple[list[Recorded | MeasureRejected], Work]:
    """Store many measures in a few statements, in the order given (a later revision of a month
    follows an earlier one); per measure what became of it (with the stored row when
    ``returning``), and the aggregation work they cause. With ``queue`` that work is queued for the
    aggregator worker by the statement that stores them (a backfill: no Python per chart or
    month), and the work returned is empty."""
    checked, units = _checked(uow, incoming, today)
    # Where the units sit is read (by the statement when queueing, else here) under the hierarchy's
    # shared lock, taken before the measures' locks (``locks``); unit_tree takes it itself.
    if queue:
        locks.share_the_hierarchy(uow)
        tree = {}
    else:
        tree = hierarchy.unit_tree(uow, units)
    accepted = [item for item, problem in zip(incoming, checked, strict=True) if problem is None]
    months = {_key(item.measure) for item in accepted}
    locks.lock_measures(uow, months)
    measures.merge_landed_months(uow, sorted(months))  # those that arrived before these go first
    stored = measures.store_measures(uow, [_staged(item) for item in accepted], queue=queue)
    work = Work()
    if not queue:
        for item, outcome in zip(accepted, stored, strict=True):
            if outcome.changed:
                m = item.measure
                work.after_measure(m.kpi_code, m.unit_code, tree, m.period, Change("measure", {
                    "period": month_text(m.period), "value": m.value, "revision": outcome.revision,
                    "previous_value": outcome.previous_value, "source": m.source,
                }, item.correlation_id))
    rows = measures.revisions(uow, [(*_key(item.measure), outcome.revision)
                                    for item, outcome in zip(accepted, stored, strict=True)]) if returning else {}
    outcomes = iter(zip(accepted, stored, strict=True))
    results: list[Recorded | MeasureRejected] = []
    for problem in checked:
        if problem is not None:
            results.append(problem)
            continue
        item, outcome = next(outcomes)
        row = rows.get((*_key(item.measure), outcome.revision), {})
        results.append(Recorded(outcome.revision, outcome.changed, row))
    return results, work


def land_measures(uow: UnitOfWork, incoming: list[Incoming], topics: list[str], today: date
                  ) -> list[MeasureRejected | None]:
    """Check many measures as ``record_measures`` does and land those accepted, in the order
    given, for the aggregator worker to merge (``aggregator.merge_landed``); per measure, None or
    why it can never be accepted. Nothing is numbered, locked or looked up per measure here: a
    landed measure is stored (committed with the batch), and becomes a revision of its month,
    charted, on the worker's next pass."""
    checked, _ = _checked(uow, incoming, today)
    measures.land_measures(uow, [
        (*_staged(item)[:-2], item.event_id or "", topic, item.correlation_id)
        for item, topic, problem in zip(incoming, topics, checked, strict=True) if problem is None])
    return checked


def _checked(uow: UnitOfWork, incoming: list[Incoming], today: date
             ) -> tuple[list[MeasureRejected | None], dict[str, Unit]]:
    """Per measure, None or why it can never be accepted; and the units named, read to check them."""
    kpis = store.kpis(uow, {i.measure.kpi_code for i in incoming})
    units = store.units(uow, {i.measure.unit_code for i in incoming})
    return [_check(i.measure, kpis, units, today) for i in incoming], units


def _staged(item: Incoming) -> measures.StagedMeasure:
    m = item.measure
    return (m.kpi_code, m.unit_code, m.period, m.value, m.numerator, m.denominator, m.source, m.recorded_by, m.note,
            item.event_id, item.correlation_id)


def _check(measure: Measure, kpis: dict[str, Kpi], units: dict[str, Unit], today: date) -> MeasureRejected | None:
    kpi, unit = kpis.get(measure.kpi_code), units.get(measure.unit_code)
    try:
        if kpi is None:
            raise MeasureRejected("kpi_code", f"unknown KPI {measure.kpi_code!r}")
        if unit is None:
            raise MeasureRejected("unit_code", f"unknown organisational unit {measure.unit_code!r}")
        check_measure(measure, kpi.unit_of_measure, today)
        check_unit_open(measure, unit.opened_on, unit.closed_on)
        rolled_up = rolled_up_problem(kpi.code, kpi.measured_levels, unit.level)
        if rolled_up is not None:
            raise MeasureRejected("unit_code", rolled_up)
    except MeasureRejected as exc:
        return exc
    return None


def _key(measure: Measure) -> tuple[str, str, date]:
    return (measure.kpi_code, measure.unit_code, measure.period)


EventHandler = Callable[[UnitOfWork, Envelope, dict[str, Any]], None]


def record_or_reject(uow: UnitOfWork, measure: Measure, today: date, event_id: str) -> None:
    """record_measure for a consumer: a measure that can never be accepted is dead-lettered."""
    try:
        record_measure(uow, measure, today, event_id=event_id)
    except MeasureRejected as exc:
        raise RejectEvent(str(exc)) from exc


# A batch of at most so many measures is live traffic (a ward's figure for the month just ended, a
# correction), not a backfill: its charts are recomputed before its transaction commits, as for a
# measure posted to the API, so its alert never waits behind a backfill in the aggregator's queue.
LIVE_BATCH = 20


def on_measure_recorded(today: Callable[[], date]) -> BatchHandler:
    """The consumer's handler for measure.recorded events from feeds and other services. A batch
    larger than live traffic (``LIVE_BATCH``: a backfill) is landed (``land_measures``): checked,
    appended and committed, with its revisions numbered and its charts drawn by the aggregator
    worker. A live one is stored together and its charts recomputed at once. Given a large batch
    directly, ``handle_many`` stores it and leaves its charts to the worker."""

    def handle_many(uow: UnitOfWork, events: list[tuple[Envelope, dict[str, Any]]]) -> list[str | None]:
        live = len(events) <= LIVE_BATCH
        outcomes, work = record_measures(uow, _incoming(events), today(), queue=not live)
        if live:
            aggregator.refresh_before_commit(uow, work)
        return [str(outcome) if isinstance(outcome, MeasureRejected) else None for outcome in outcomes]

    def land_many(uow: UnitOfWork, events: list[tuple[Envelope, dict[str, Any], str]]) -> list[str | None] | None:
        if len(events) <= LIVE_BATCH:
            return None
        problems = land_measures(uow, _incoming([(event, payload) for event, payload, _ in events]),
                                 [topic for _, _, topic in events], today())
        return [None if problem is None else str(problem) for problem in problems]

    return BatchHandler(handle_many, land_many)


def _incoming(events: list[tuple[Envelope, dict[str, Any]]]) -> list[Incoming]:
    return [Incoming(measure_from_payload(payload), event.id, event.correlationid) for event, payload in events]
