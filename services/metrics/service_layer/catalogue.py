"""Managing KPIs, units, targets, rebase points and annotations (the metrics service layer).

Every change keeps history; a change that alters how a chart is drawn recomputes the charts it
touches in the same transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.metrics.adapters import catalogue_store, hierarchy, locks, store
from services.metrics.adapters.rows import Unit
from services.metrics.domain.placements import loop_after_move, moved, parent_in
from services.metrics.service_layer import aggregator
from services.metrics.service_layer.aggregator import Change, Work
from shared import audit
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleVersion
from shared.month import Month, month_text

CHART_SHAPING = {"improvement_direction", "aggregation", "fix_after_n_points", "screen_outliers"}


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


def annotate(uow: UnitOfWork, kpi_code: str, unit_code: str, fields: dict[str, Any], who: Principal
             ) -> dict[str, Any]:
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
        return _unit_changed(uow, before, catalogue_store.update_unit(uow, code, changes, who.user, before))
    if store.unit(uow, parent) is None:
        raise InvalidInput("no such unit", field="parent_code")
    this_month = Month.of(today).first_day
    moved_from = moved_from or this_month
    if moved_from > this_month:
        raise InvalidInput(f"{month_text(moved_from)} has not begun: a move is recorded from a month that has",
                           field="moved_from")
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
