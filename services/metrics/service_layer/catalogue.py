"""Managing KPIs, units, targets, rebase points and annotations (the metrics service layer).

Every change keeps history; a change that alters how a chart is drawn recomputes the charts it
touches in the same transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.metrics.adapters import catalogue_store, hierarchy, locks, store
from services.metrics.adapters.rows import Unit
from services.metrics.domain.levels import nesting_problem
from services.metrics.domain.placements import EARLIEST, loop_after_move, moved, parent_in
from services.metrics.service_layer import aggregator
from services.metrics.service_layer.aggregator import Change, Work
from shared import audit
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleVersion
from shared.month import Month, month_text

CHART_SHAPING = {"improvement_direction", "aggregation", "fix_after_n_points", "screen_outliers", "run_freeze",
                 "run_centre_line"}


def change_kpi(uow: UnitOfWork, code: str, changes: dict[str, Any], seen_version: int | None,
               who: Principal) -> dict[str, Any]:
    before = _editable_kpi(uow, code, who)
    _check_version(before, seen_version)
    after = catalogue_store.update_kpi(uow, code, changes, who.user, before)
    audit.record(uow, "kpi.changed", "kpi", code, before_version=before["version"], after_version=after["version"])
    work = Work()
    if "aggregation" in changes:
        months = catalogue_store.rolled_up_months(uow, code)
        work.months.update((code, row["unit_code"], row["period"]) for row in months)
    if CHART_SHAPING & changes.keys():
        _every_chart(uow, code, work, cause="definition")
    aggregator.refresh(uow, work)
    return after


def set_target(uow: UnitOfWork, code: str, effective_from: date, target: float | None, who: Principal) -> None:
    _editable_kpi(uow, code, who)
    catalogue_store.add_target(uow, code, effective_from, target, who.user)
    audit.record(uow, "kpi.target_set", "kpi", code)
    aggregator.refresh(uow, _every_chart(uow, code, Work(), cause="target"))


def rebase(uow: UnitOfWork, kpi_code: str, unit_code: str, period: date, reason: str, who: Principal
           ) -> dict[str, Any]:
    _editable_kpi(uow, kpi_code, who)
    _unit(uow, unit_code)
    added = catalogue_store.add_rebase(uow, kpi_code, unit_code, period, reason, who.user)
    if added is None:
        already = f"{kpi_code} for {unit_code} is already rebased at {month_text(period)}"
        raise Conflict(already, errors={"period": [already]})
    audit.record(uow, "chart.rebased", "chart", f"{kpi_code}/{unit_code}")
    _recompute(uow, kpi_code, unit_code, cause="rebase")
    return added


def withdraw_rebase(uow: UnitOfWork, kpi_code: str, unit_code: str, rebase_id: int, who: Principal
                    ) -> dict[str, Any]:
    _editable_kpi(uow, kpi_code, who)
    _unit(uow, unit_code)
    withdrawn = catalogue_store.withdraw_rebase(uow, rebase_id, kpi_code, unit_code, who.user)
    if withdrawn is None:
        raise NotFound(f"no live rebase {rebase_id} for {kpi_code} and {unit_code}")
    audit.record(uow, "chart.rebase_withdrawn", "chart", f"{kpi_code}/{unit_code}")
    _recompute(uow, kpi_code, unit_code, cause="rebase")
    return withdrawn


def annotate(uow: UnitOfWork, kpi_code: str, unit_code: str, fields: dict[str, Any], who: Principal,
             today: date) -> dict[str, Any]:
    """A note on a month that has begun (this one at the latest): a month to come has nothing to note."""
    if Month.of(fields["period"]) > Month.of(today):
        raise InvalidInput(f"{month_text(fields['period'])} has not begun: annotate this month or an earlier one",
                           field="period", reason="after this month")
    _editable_kpi(uow, kpi_code, who)
    _unit(uow, unit_code)
    audit.record(uow, "chart.annotated", "chart", f"{kpi_code}/{unit_code}")
    return catalogue_store.add_annotation(uow, kpi_code, unit_code, fields, who.user)


def change_unit(uow: UnitOfWork, code: str, changes: dict[str, Any], seen_version: int | None,
                who: Principal, today: date) -> dict[str, Any]:
    """Rename, close or move a unit. A move takes effect from ``moved_from`` (a month, by default
    this one): the months before it stay rolled up under the parent they had, and every month
    from it is rolled up again, out of the old parent and into the new one."""
    if "parent_code" in changes:
        locks.move_units_alone(uow)  # step 1 of the lock order, before the unit's row
    elif "closed_on" in changes:
        locks.share_the_hierarchy(uow)  # step 1: the charts above it are recomputed
    before = catalogue_store.unit_for_update(uow, code)
    if before is None:
        raise NotFound(f"unit {code} not found")
    _check_version(before, seen_version)
    changes = dict(changes)
    moved_from = changes.pop("moved_from", None)
    parent = changes.get("parent_code")
    if moved_from is not None and parent is None:
        raise InvalidInput("moved_from says from which month a move holds: give parent_code too", field="moved_from")
    if parent is None:
        after = catalogue_store.update_unit(uow, code, changes, who.user, before)
        if "closed_on" in changes:
            aggregator.refresh(uow, _charts_above(uow, code))
        return _unit_changed(uow, before, after)
    moved_from = _checked_move(uow, before["level"], parent, moved_from, today)
    placed = hierarchy.placements_by_unit(uow)
    old = placed.get(code, [])
    placed[code] = moved(old, parent, moved_from)
    loop = loop_after_move(placed, code, moved_from)
    if loop is not None:
        raise InvalidInput(f"{parent} is {code} or below it in {month_text(loop)}: a unit cannot sit under itself",
                           field="parent_code")
    catalogue_store.put_placements(uow, code, placed[code], who.user)
    after = catalogue_store.update_unit(uow, code, changes, who.user, {**before, "placements": old},
                                        also={"moved_from": Month.of(moved_from), "placements": placed[code]})
    work = Work()
    for kpi_code, period in catalogue_store.months_of_unit(uow, code, since=moved_from):
        for parent_then in {parent_in(old, period), parent} - {None}:
            work.months.add((kpi_code, parent_then, period))
    aggregator.refresh(uow, work)
    return _unit_changed(uow, before, after)


def _checked_move(uow: UnitOfWork, level: str, parent: str, moved_from: date | None, today: date) -> date:
    """The month a move to ``parent`` holds from (this month unless given), once the move is possible:
    the parent exists, is of a higher level, and the month has begun."""
    parent_unit = store.unit(uow, parent)
    if parent_unit is None:
        raise InvalidInput("no such unit", field="parent_code")
    problem = nesting_problem(level, parent_unit.level)
    if problem:
        raise InvalidInput(problem, field="parent_code", reason="levels nest in order")
    this_month = Month.of(today).first_day
    moved_from = moved_from or this_month
    if moved_from > this_month:
        raise InvalidInput(f"{month_text(moved_from)} has not begun: a move is recorded from a month that has",
                           field="moved_from")
    return moved_from


def _charts_above(uow: UnitOfWork, code: str) -> Work:
    """The charts of every unit above ``code`` (in any month) for each KPI it has values of: a unit
    closing is no longer awaited, so the months its parents held back as partial may be judged."""
    work = Work()
    above = set(hierarchy.unit_tree(uow, [code])) - {code}
    for kpi_code in {kpi_code for kpi_code, _ in catalogue_store.months_of_unit(uow, code, since=EARLIEST)}:
        for unit_code in above:
            work.chart(kpi_code, unit_code, Change("definition"))
    return work


def _unit_changed(uow: UnitOfWork, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    audit.record(uow, "unit.changed", "unit", before["code"], before_version=before["version"],
                 after_version=after["version"])
    return after


def _every_chart(uow: UnitOfWork, kpi_code: str, work: Work, *, cause: str) -> Work:
    for unit_code in catalogue_store.units_with_values(uow, kpi_code):
        work.chart(kpi_code, unit_code, Change(cause))
    return work


def _recompute(uow: UnitOfWork, kpi_code: str, unit_code: str, *, cause: str) -> None:
    work = Work()
    work.chart(kpi_code, unit_code, Change(cause))
    aggregator.refresh(uow, work)


def _editable_kpi(uow: UnitOfWork, code: str, who: Principal) -> dict[str, Any]:
    locks.share_the_hierarchy(uow)  # step 1 of the lock order, before the KPI's row (step 2)
    kpi = catalogue_store.kpi_for_update(uow, code)
    if kpi is None:
        raise NotFound(f"KPI {code} not found")
    if "admin" not in who.roles and (who.email or "") not in kpi["owners"]:
        raise Forbidden(f"only an admin or one of the owners of {code} may change it")
    return kpi


def _unit(uow: UnitOfWork, code: str) -> Unit:
    unit = store.unit(uow, code)
    if unit is None:
        raise NotFound(f"unit {code} not found")
    return unit


def _check_version(row: dict[str, Any], seen_version: int | None) -> None:
    if seen_version is not None and seen_version != row["version"]:
        raise StaleVersion(f"changed by someone else since version {seen_version} (now {row['version']}); "
                           "reload and try again")
