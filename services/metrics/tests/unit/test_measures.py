from datetime import date

import pytest

from services.metrics.domain.measures import Measure, MeasureRejected, check_measure, check_unit_open

TODAY = date(2026, 11, 26)


def measure(**changes):
    fields = {"kpi_code": "ALOS", "unit_code": "W7", "period": date(2026, 10, 1), "value": 4.5, "numerator": None,
              "denominator": None, "source": "feed"}
    return Measure(**{**fields, **changes})


@pytest.mark.parametrize(
    ("uom", "value", "field"),
    [("percent", 100.5, "value"), ("percent", -0.1, "value"), ("days", -1.0, "value"), ("count", 4.2e16, "value"),
     ("score", float("nan"), "value")],
)
def test_figures_impossible_for_the_unit_of_measure_are_rejected_naming_the_field(uom, value, field):
    with pytest.raises(MeasureRejected) as rejected:
        check_measure(measure(value=value), uom, TODAY)
    assert rejected.value.field == field


def test_a_month_still_to_come_is_rejected():
    with pytest.raises(MeasureRejected, match="future"):
        check_measure(measure(period=date(2026, 12, 1)), "days", TODAY)


def test_this_month_and_earlier_months_are_accepted():
    check_measure(measure(period=date(2026, 11, 1)), "days", TODAY)
    check_measure(measure(value=100.0), "percent", TODAY)


def test_a_closed_unit_takes_no_months_after_it_closed_and_none_before_it_opened():
    with pytest.raises(MeasureRejected, match="closed"):
        check_unit_open(measure(period=date(2026, 10, 1)), None, date(2026, 9, 30))
    with pytest.raises(MeasureRejected, match="opened"):
        check_unit_open(measure(period=date(2026, 8, 1)), date(2026, 9, 15), None)
    check_unit_open(measure(period=date(2026, 9, 1)), date(2026, 9, 15), date(2026, 9, 30))
