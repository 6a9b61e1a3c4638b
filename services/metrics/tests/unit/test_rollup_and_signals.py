from datetime import date

import pytest

from services.metrics.adapters.rows import TargetChange
from services.metrics.domain.rollup import MonthlyValue, roll_up
from services.metrics.domain.signals import Episode, continues, newest_signal
from services.metrics.domain.spc import SpcOptions, xmr_chart
from services.metrics.service_layer.aggregator import targets_per_period
from shared.month import Month


def test_a_mean_kpi_rolls_up_as_the_mean_of_its_units():
    assert roll_up("mean", [MonthlyValue(4.0), MonthlyValue(6.0)], "days") == MonthlyValue(5.0)


def test_a_count_kpi_rolls_up_as_the_total():
    assert roll_up("sum", [MonthlyValue(3), MonthlyValue(4), MonthlyValue(5)], "count") == MonthlyValue(12)


def test_a_ratio_kpi_weighs_each_unit_by_its_denominator():
    small = MonthlyValue(50.0, numerator=1, denominator=2)
    large = MonthlyValue(90.0, numerator=90, denominator=100)
    rolled = roll_up("ratio", [small, large], "percent")
    assert rolled == MonthlyValue(pytest.approx(91 / 102 * 100), 91, 102)


def test_a_rate_per_1000_bed_days_is_scaled_by_1000():
    rolled = roll_up("ratio", [MonthlyValue(5.0, 10, 2000), MonthlyValue(2.5, 5, 2000)], "rate_per_1000_bed_days")
    assert rolled.value == pytest.approx(15 / 4000 * 1000)


def test_a_ratio_without_its_parts_falls_back_to_the_mean():
    assert roll_up("ratio", [MonthlyValue(80.0), MonthlyValue(90.0, 9, 10)], "percent") == MonthlyValue(85.0)


def test_no_children_no_value():
    assert roll_up("mean", [], "days") is None


STEADY = [10.0, 11, 9, 10, 12, 8, 10, 11, 9, 10, 11, 9]


def test_a_common_cause_newest_point_is_no_signal():
    assert newest_signal(xmr_chart(STEADY, SpcOptions("increase")).points) is None


def test_a_point_beyond_the_upper_limit_is_a_signal_starting_there():
    signal = newest_signal(xmr_chart([*STEADY, 30.0], SpcOptions("increase")).points)
    assert signal is not None
    assert signal.start == len(STEADY)
    assert signal.point_type == "special_cause_improvement"


def test_a_run_of_seven_above_the_mean_is_one_signal_from_its_first_point_however_long_it_goes_on():
    shifted = [*STEADY, *[12.0] * 7]
    first = newest_signal(xmr_chart(shifted, SpcOptions("decrease")).points)
    longer = newest_signal(xmr_chart([*shifted, 12.0], SpcOptions("decrease")).points)
    assert first is not None and longer is not None
    assert first.point_type == "special_cause_concern"
    assert first.start == longer.start


def test_each_month_takes_the_latest_target_effective_by_then():
    changes = [TargetChange(effective_from=date(2026, 1, 1), target=5.0),
               TargetChange(effective_from=date(2026, 3, 1), target=4.5)]
    months = [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert targets_per_period(changes, months) == [None, 5.0, 5.0, 4.5]


def test_a_special_cause_in_the_month_after_one_of_the_same_kind_carries_on_the_episode():
    episode = Episode("special_cause_concern", date(2026, 7, 1), date(2026, 8, 1))
    assert continues(episode, "special_cause_concern", date(2026, 9, 1))
    assert continues(episode, "special_cause_concern", date(2026, 8, 1)), "a recompute of the same month"


def test_a_stretch_of_special_causes_recorded_at_once_carries_on_the_episode_it_reaches_back_to():
    episode = Episode("special_cause_concern", date(2026, 7, 1), date(2026, 8, 1))
    assert continues(episode, "special_cause_concern", date(2026, 8, 1)), "Aug to Nov in one recompute"
    assert not continues(episode, "special_cause_concern", date(2026, 11, 1)), "Sep and Oct were common cause"


def test_a_special_cause_after_a_common_cause_month_or_of_another_kind_is_a_new_episode():
    episode = Episode("special_cause_concern", date(2026, 7, 1), date(2026, 8, 1))
    assert not continues(episode, "special_cause_concern", date(2026, 10, 1))
    assert not continues(episode, "special_cause_improvement", date(2026, 9, 1))
    assert not continues(None, "special_cause_concern", date(2026, 9, 1))


def test_the_month_before_january_is_december():
    assert Month.of(date(2026, 1, 1)).previous().first_day == date(2025, 12, 1)
