"""The Making Data Count rules, one behaviour at a time."""

from __future__ import annotations

import json

import pytest

from services.metrics.domain.runchart import run_chart
from services.metrics.domain.spc import (
    SHORT_GROUP_WARNING,
    SpcChart,
    SpcOptions,
    xmr_chart,
)

# Twenty points around 50 with no special cause: mean 50, every moving range 2.
STABLE = [50.0, 52.0, 50.0, 48.0] * 5


def types(chart: SpcChart) -> list[str]:
    return [point.special_cause_type for point in chart.points]


def flagged(chart: SpcChart) -> list[int]:
    return [point.x for point in chart.points if point.special_cause_flag]


def increase(**options: object) -> SpcOptions:
    return SpcOptions(improvement_direction="increase", **options)  # type: ignore[arg-type]


def test_a_stable_series_is_all_common_cause() -> None:
    assert flagged(xmr_chart(STABLE, increase())) == []


def test_limits_are_the_mean_plus_and_minus_2_66_mean_moving_ranges() -> None:
    point = xmr_chart(STABLE, increase()).points[0]
    assert point.mean_col == pytest.approx(50.0)
    assert (point.lpl, point.upl) == (pytest.approx(50 - 2.66 * 2), pytest.approx(50 + 2.66 * 2))


def test_a_point_beyond_the_upper_limit_is_special_cause_improvement_when_higher_is_better() -> (
    None
):
    chart = xmr_chart([*STABLE, 70.0], increase())
    assert chart.points[-1].special_cause_type == "Above UCL"
    assert chart.points[-1].point_type == "special_cause_improvement"
    assert chart.variation_icon == "improvement_high"


def test_a_point_beyond_the_upper_limit_is_special_cause_concern_when_lower_is_better() -> None:
    chart = xmr_chart([*STABLE, 70.0], SpcOptions(improvement_direction="decrease"))
    assert chart.points[-1].point_type == "special_cause_concern"
    assert chart.variation_icon == "concern_high"


def test_with_no_preferred_direction_special_causes_are_neutral_high_or_low() -> None:
    chart = xmr_chart([*STABLE, 70.0, 30.0], SpcOptions(improvement_direction="neutral"))
    assert [p.point_type for p in chart.points[-2:]] == [
        "special_cause_neutral_high",
        "special_cause_neutral_low",
    ]
    assert chart.variation_icon == "neutral_low"


def test_moving_ranges_of_3_267_mean_moving_ranges_or_more_are_screened_out() -> None:
    spiked = [*STABLE[:10], 80.0, *STABLE[10:]]
    screened = xmr_chart(spiked, increase()).points[0]
    unscreened = xmr_chart(spiked, increase(screen_outliers=False)).points[0]
    assert screened.upl is not None and unscreened.upl is not None
    assert screened.upl - screened.mean_col == pytest.approx(2.66 * 2)
    assert unscreened.upl - unscreened.mean_col > screened.upl - screened.mean_col


def test_a_constant_series_has_no_limits_when_every_moving_range_is_screened_out() -> None:
    screened = xmr_chart([7.0] * 15, increase()).points[0]
    unscreened = xmr_chart([7.0] * 15, increase(screen_outliers=False)).points[0]
    assert (screened.lpl, screened.upl) == (None, None)
    assert (unscreened.lpl, unscreened.upl) == (7.0, 7.0)


def test_seven_points_above_the_mean_are_a_shift_but_six_are_not() -> None:
    six = xmr_chart([*STABLE[:12], *[51.0] * 6, *STABLE[12:]], increase())
    seven = xmr_chart([*STABLE[:12], *[51.0] * 7, *STABLE[12:]], increase())
    assert "7 Points Above CL" not in types(six)
    assert types(seven).count("7 Points Above CL") == 7


def test_a_point_on_the_mean_breaks_a_run() -> None:
    values = [10.0, 12, 12, 12, 10, 12, 12, 12, 8, 8, 8, 8, 8, 12, 8, 8, 12, 8, 10, 10]
    chart = xmr_chart(values, increase())
    assert chart.points[4].relative_to_mean == 0
    assert not any(p.part_of_seven_point_one_side_mean for p in chart.points[:8])


def test_seven_rising_points_are_a_trend_but_six_are_not() -> None:
    six = xmr_chart([*STABLE[:10], 47, 48, 49, 50, 51, 52, 50, *STABLE[10:]], increase())
    seven = xmr_chart([*STABLE[:10], 47, 48, 49, 50, 51, 52, 53, *STABLE[10:]], increase())
    assert not any(p.part_of_seven_point_trend for p in six.points)
    assert [p.x for p in seven.points if p.part_of_seven_point_trend] == list(range(10, 17))
    assert "7 Point Trend (Increasing)" in types(seven)


def test_a_repeated_value_breaks_a_trend() -> None:
    chart = xmr_chart([*STABLE[:10], 47, 48, 49, 49, 50, 51, 52, 53, *STABLE[10:]], increase())
    assert not any(p.part_of_seven_point_trend for p in chart.points)


def test_two_of_three_points_near_the_upper_limit_flag_only_the_near_points() -> None:
    chart = xmr_chart([*STABLE[:12], 55.5, 51.0, 55.8, *STABLE[12:]], increase())
    assert [p.x for p in chart.points if p.special_cause_type == "2 in 3 Above CL"] == [12, 14]


def test_near_points_on_opposite_sides_of_the_mean_are_not_two_in_three() -> None:
    chart = xmr_chart([*STABLE[:12], 55.5, 51.0, 44.5, *STABLE[12:]], increase())
    assert [p.close_to_limits for p in chart.points[12:15]] == [True, False, True]
    assert not any(p.part_of_two_in_three for p in chart.points)


def test_a_point_beyond_a_limit_is_not_labelled_by_any_other_rule() -> None:
    values = [1.0, 2, 3, 4, 5, 6, 7, 8, 5, 5, 5, 20, 5, 5, 5]
    chart = xmr_chart(values, increase())
    assert chart.points[7].part_of_seven_point_trend
    assert chart.points[7].special_cause_type == "Above UCL"
    assert types(chart)[3:7] == ["7 Point Trend (Increasing)"] * 4


def test_a_peak_shared_by_two_trends_belongs_to_the_later_one() -> None:
    values = [0.0, 20, 0, 20, 5, 6, 7, 8, 9, 10, 11, 10, 9, 8, 7, 6, 5, 20, 0, 20, 0]
    chart = xmr_chart(values, increase())
    assert chart.points[10].special_cause_type == "7 Point Trend (Decreasing)"
    assert chart.points[9].special_cause_type == "7 Point Trend (Increasing)"


def test_each_rebased_period_has_its_own_limits() -> None:
    chart = xmr_chart([*STABLE, *[x + 20 for x in STABLE]], increase(rebase_at=[20]))
    first, second = chart.periods
    assert (first.start, first.n, second.start, second.n) == (0, 20, 20, 20)
    assert second.mean_col == pytest.approx(first.mean_col + 20)
    assert [p.rebase_group for p in chart.points] == [0] * 20 + [1] * 20
    assert flagged(chart) == []


def test_a_rebase_at_the_first_point_numbers_the_first_period_one() -> None:
    chart = xmr_chart(STABLE, increase(rebase_at=[0]))
    assert [period.rebase_group for period in chart.periods] == [1]


def test_runs_do_not_continue_across_a_rebase() -> None:
    values = [*STABLE, 51, 51, 51, 51, 49, 50, 52, 48, 50, 52, 48, 50, 52]
    continuous = xmr_chart([*STABLE[:17], 51, 51, 51, *values[20:]], increase())
    rebased = xmr_chart([*STABLE[:17], 51, 51, 51, *values[20:]], increase(rebase_at=[20]))
    assert any(p.part_of_seven_point_one_side_mean for p in continuous.points)
    assert not any(p.part_of_seven_point_one_side_mean for p in rebased.points)


def test_fixed_limits_come_from_the_first_n_points_of_each_period() -> None:
    fixed = xmr_chart([*STABLE[:12], 90, 10, 90, 10], increase(fix_after_n_points=12))
    baseline = xmr_chart(STABLE[:12], increase())
    assert fixed.points[-1].upl == baseline.points[0].upl
    assert [p.fix_y for p in fixed.points[11:13]] == [STABLE[11], None]


def test_fixing_limits_on_fewer_than_12_points_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 12"):
        xmr_chart(STABLE, increase(fix_after_n_points=11))


def test_periods_shorter_than_13_points_carry_the_package_warning() -> None:
    assert xmr_chart(STABLE[:12], increase()).warnings == (SHORT_GROUP_WARNING,)
    assert xmr_chart(STABLE[:13], increase()).warnings == ()


def test_a_single_point_has_no_limits_and_no_special_cause() -> None:
    point = xmr_chart([4.2], increase()).points[0]
    assert (point.lpl, point.upl, point.point_type) == (None, None, "common_cause")


@pytest.mark.parametrize(
    ("direction", "target", "assurance"),
    [
        ("increase", 40.0, "consistent_pass"),
        ("increase", 60.0, "consistent_fail"),
        ("increase", 51.0, "inconsistent"),
        ("decrease", 60.0, "consistent_pass"),
        ("decrease", 40.0, "consistent_fail"),
        ("neutral", 40.0, None),
    ],
)
def test_assurance_compares_the_target_with_the_process_limits(
    direction: str, target: float, assurance: str | None
) -> None:
    chart = xmr_chart(STABLE, SpcOptions(improvement_direction=direction, target=target))
    assert chart.assurance_icon == assurance
    assert chart.periods[-1].assurance_type == assurance


def test_a_changing_target_uses_the_latest_target_for_assurance() -> None:
    targets = [60.0] * 10 + [40.0] * 10
    chart = xmr_chart(STABLE, increase(target=targets))
    assert chart.assurance_icon == "consistent_pass"
    assert [p.target for p in chart.points] == targets


def test_a_latest_point_without_a_target_gives_no_assurance() -> None:
    chart = xmr_chart(STABLE, increase(target=[40.0] * 19 + [None]))
    assert chart.assurance_icon is None


def test_only_the_last_period_carries_the_assurance() -> None:
    chart = xmr_chart([*STABLE, *STABLE], increase(target=40.0, rebase_at=[20]))
    assert [period.assurance_type for period in chart.periods] == [None, "consistent_pass"]


def test_a_chart_turns_into_json() -> None:
    chart = xmr_chart(STABLE[:5], increase(target=40.0))
    document = json.loads(json.dumps(chart.to_dict()))
    assert document["points"][0]["mean_col"] == pytest.approx(50.0)
    assert document["warnings"] == [SHORT_GROUP_WARNING]
    assert document["assurance_icon"] == "consistent_pass"


@pytest.mark.parametrize(
    ("values", "options", "message"),
    [
        ([], SpcOptions(), "at least one value"),
        ([1.0, float("nan")], SpcOptions(), "finite"),
        ([1.0, 2.0], SpcOptions(improvement_direction="up"), "improvement_direction"),
        ([1.0, 2.0], SpcOptions(rebase_at=[2]), "rebase_at"),
        ([1.0, 2.0], SpcOptions(target=[1.0]), "one target for each value"),
    ],
)
def test_bad_input_is_refused_with_a_reason(
    values: list[float], options: SpcOptions, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        xmr_chart(values, options)


def test_a_run_chart_signals_a_run_longer_than_its_limit() -> None:
    chart = run_chart([1.0, 9, 1, 9, 9, 9, 9, 9, 9, 9, 9, 1, 1, 1, 1, 1, 1, 1])
    assert (chart.longest_run, chart.longest_run_max) == (8, 7)
    assert chart.runs_signal


def test_a_run_chart_signals_too_few_crossings() -> None:
    chart = run_chart([1.0, 2, 1, 2, 1, 2, 1, 8, 9, 8, 9, 8, 9, 8])
    assert (chart.n_crossings, chart.n_crossings_min) == (1, 4)
    assert chart.runs_signal


def test_a_run_chart_ignores_points_on_the_median() -> None:
    chart = run_chart([1.0, 5, 9, 5, 1, 5, 9])
    assert (chart.median, chart.n_obs, chart.n_useful, chart.n_crossings) == (5.0, 7, 4, 3)
    assert not chart.runs_signal


def test_a_constant_run_chart_has_nothing_to_analyse() -> None:
    chart = run_chart([3.0] * 6)
    assert (chart.n_useful, chart.longest_run, chart.runs_signal) == (0, None, False)
