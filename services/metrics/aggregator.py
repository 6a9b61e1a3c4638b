"""The KPI aggregator: after a measure changes, bring every chart that depends on it up to date.

For the measured unit and each of its ancestors: the month's value (measured, or rolled up from
the children by the KPI's aggregation rule), the whole monthly series, its Making Data Count
XmR chart (with the KPI's targets and the unit's rebase points), stored; then kpi.updated, and
kpi.special_cause_detected the first time a signal reaches the newest point.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from services.metrics.adapters import store
from services.metrics.domain.measures import format_period
from services.metrics.domain.rollup import MonthlyValue, roll_up
from services.metrics.domain.signals import Episode, continues, newest_signal
from services.metrics.domain.spc import SpcChart, SpcOptions, xmr_chart
from shared import topics
from shared.db import UnitOfWork

CHARTS_PHASE = 1000  # after every roll-up, which run nearest unit first (phase = depth)


def refresh_after_measure(uow: UnitOfWork, kpi: dict[str, Any], unit_code: str, period: date,
                          change: dict[str, Any]) -> None:
    """Store the unit's value now; roll up and recompute charts once per unit of work, just before
    it commits, so a batch of measures refreshes each month and chart it touches once."""
    chain = store.unit_chain(uow, unit_code)
    store.copy_measured_value(uow, kpi["code"], unit_code, period)
    for depth, ancestor in enumerate(chain[1:], start=1):
        uow.defer(("rollup", kpi["code"], ancestor["code"], period),
                  partial(roll_up_month, uow, kpi, ancestor["code"], period), phase=depth)
    for depth, unit in enumerate(chain):
        cause, unit_change = ("measure", change) if depth == 0 else ("rollup", {})
        uow.defer(("chart", kpi["code"], unit["code"]),
                  partial(recompute_chart, uow, kpi, unit, cause=cause, change=unit_change), phase=CHARTS_PHASE)


def roll_up_month(uow: UnitOfWork, kpi: dict[str, Any], unit_code: str, period: date) -> None:
    """The unit's value for the month from its children's, unless the unit measured it itself."""
    # Two transactions rolling up siblings at once would each miss the other's child: the second
    # waits here until the first commits, then reads both children.
    store.lock_month(uow, kpi["code"], unit_code, period)
    if store.is_measured(uow, kpi["code"], unit_code, period):
        return  # a unit's own measure wins over the sum of its parts
    children = [MonthlyValue(r["value"], r["numerator"], r["denominator"])
                for r in store.children_values(uow, kpi["code"], unit_code, period)]
    rolled = roll_up(kpi["aggregation"], children, kpi["unit_of_measure"])
    if rolled is not None:
        store.put_rolled_up_value(uow, kpi["code"], unit_code, period, rolled)


def recompute_chart(uow: UnitOfWork, kpi: dict[str, Any], unit: dict[str, Any], *, cause: str,
                    change: dict[str, Any]) -> SpcChart | None:
    series = store.monthly_values(uow, kpi["code"], unit["code"])
    if not series:
        return None
    periods = [row["period"] for row in series]
    chart = xmr_chart([row["value"] for row in series], chart_options(uow, kpi, unit["code"], periods))
    store.save_chart(uow, kpi["code"], unit["code"], _summary(chart, periods))
    if not series[-1]["rolled_up"] or _month_complete(uow, kpi, unit["code"], periods):
        _announce_new_signal(uow, kpi, unit, chart, periods)
    _announce_update(uow, kpi, unit, chart, periods, cause, change)
    return chart


def chart_options(uow: UnitOfWork, kpi: dict[str, Any], unit_code: str, periods: list[date]) -> SpcOptions:
    rebase_periods = set(store.live_rebases(uow, kpi["code"], unit_code))
    return SpcOptions(
        improvement_direction=kpi["improvement_direction"],
        target=targets_per_period(store.targets(uow, kpi["code"]), periods),
        rebase_at=[i for i, period in enumerate(periods) if period in rebase_periods and i > 0],
        fix_after_n_points=kpi["fix_after_n_points"],
        screen_outliers=kpi["screen_outliers"],
    )


def targets_per_period(changes: list[dict[str, Any]], periods: list[date]) -> list[float | None]:
    """Each month's target: the latest change made effective on or before that month."""
    result: list[float | None] = []
    for period in periods:
        effective = [c["target"] for c in changes if c["effective_from"] <= period]
        result.append(effective[-1] if effective else None)
    return result


def _summary(chart: SpcChart, periods: list[date]) -> dict[str, Any]:
    last = chart.points[-1]
    return {
        "first_period": periods[0], "last_period": periods[-1], "last_value": last.y,
        "last_point_type": last.point_type, "variation_icon": chart.variation_icon,
        "assurance_icon": chart.assurance_icon,
        "chart": {**chart.to_dict(), "periods_of_points": [format_period(p) for p in periods]},
    }


def _announce_update(uow: UnitOfWork, kpi: dict[str, Any], unit: dict[str, Any], chart: SpcChart,
                     periods: list[date], cause: str, change: dict[str, Any]) -> None:
    last = chart.points[-1]
    uow.emit("kpi.updated", {
        "kpi_code": kpi["code"], "kpi_name": kpi["name"], "unit_code": unit["code"], "unit_name": unit["name"],
        "period": change.get("period", format_period(periods[-1])), "value": change.get("value", last.y),
        "previous_value": change.get("previous_value"), "revision": change.get("revision", 0),
        "unit_of_measure": kpi["unit_of_measure"], "owners": list(kpi["owners"]),
        "source": change.get("source", cause), "cause": cause,
        "latest_period": format_period(periods[-1]), "latest_value": last.y, "mean": last.mean_col,
        "lpl": last.lpl, "upl": last.upl, "point_type": last.point_type,
        "variation_icon": chart.variation_icon, "assurance_icon": chart.assurance_icon,
    }, topic=topics.KPIS, key=f"{kpi['code']}|{unit['code']}")


def _month_complete(uow: UnitOfWork, kpi: dict[str, Any], unit_code: str, periods: list[date]) -> bool:
    """Has every unit below (at any depth) that measured last month measured this one? Until then a
    rolled-up month is partial, and a signal in it may be no more than the units still to come."""
    if len(periods) < 2:
        return True
    before, newest = store.units_reporting_below(uow, kpi["code"], unit_code, (periods[-2], periods[-1]))
    return newest >= before


def _announce_new_signal(uow: UnitOfWork, kpi: dict[str, Any], unit: dict[str, Any], chart: SpcChart,
                         periods: list[date]) -> None:
    signal = newest_signal(chart.points)
    if signal is None:
        return
    row = store.latest_episode(uow, kpi["code"], unit["code"])
    episode = Episode(row["point_type"], row["started"], row["last_seen"]) if row else None
    if continues(episode, signal.point_type, periods[-1]):
        store.extend_episode(uow, row["id"], periods[-1])  # type: ignore[index]
        return
    store.start_episode(uow, kpi["code"], unit["code"], signal.point_type, signal.special_cause_type, periods[-1])
    last = chart.points[-1]
    uow.emit("kpi.special_cause_detected", {
        "kpi_code": kpi["code"], "kpi_name": kpi["name"], "unit_code": unit["code"], "unit_name": unit["name"],
        "period": format_period(periods[-1]), "signal_start": format_period(periods[signal.start]),
        "special_cause_type": signal.special_cause_type, "point_type": signal.point_type,
        "improvement_direction": kpi["improvement_direction"], "value": last.y, "mean": last.mean_col,
        "lpl": last.lpl, "upl": last.upl, "unit_of_measure": kpi["unit_of_measure"], "owners": list(kpi["owners"]),
    }, topic=topics.KPIS, key=f"{kpi['code']}|{unit['code']}")
