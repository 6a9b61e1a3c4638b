"""Invariants of the XmR and run charts, over generated series."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from services.metrics.domain.runchart import run_chart
from services.metrics.domain.spc import SpcChart, SpcOptions, xmr_chart

series = st.lists(st.integers(min_value=-1000, max_value=1000).map(float), min_size=1, max_size=60)
directions = st.sampled_from(["increase", "decrease", "neutral"])
powers_of_two = st.sampled_from([0.25, 0.5, 2.0, 8.0, 1024.0])

SWAPPED = {
    "special_cause_improvement": "special_cause_concern",
    "special_cause_concern": "special_cause_improvement",
    "special_cause_neutral_high": "special_cause_neutral_low",
    "special_cause_neutral_low": "special_cause_neutral_high",
    "common_cause": "common_cause",
}
OPPOSITE_DIRECTION = {"increase": "decrease", "decrease": "increase", "neutral": "neutral"}


def point_types(chart: SpcChart) -> list[str]:
    return [point.point_type for point in chart.points]


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@given(series, st.booleans())
def test_limits_are_symmetric_around_the_mean(values: list[float], screen: bool) -> None:
    for point in xmr_chart(values, SpcOptions(screen_outliers=screen)).points:
        if point.lpl is not None and point.upl is not None:
            assert close(point.upl - point.mean_col, point.mean_col - point.lpl)
            assert point.lpl <= point.mean_col <= point.upl


@given(series, st.floats(min_value=0.01, max_value=100), st.floats(-1e4, 1e4))
def test_scaling_and_shifting_the_series_moves_the_limits_the_same_way(
    values: list[float], scale: float, shift: float
) -> None:
    original = xmr_chart(values, SpcOptions(screen_outliers=False)).points
    moved = xmr_chart([v * scale + shift for v in values], SpcOptions(screen_outliers=False))
    for before, after in zip(original, moved.points, strict=True):
        tolerance = 1e-6 * (abs(shift) + scale * 2000)
        assert math.isclose(after.mean_col, before.mean_col * scale + shift, abs_tol=tolerance)
        if before.upl is not None and after.upl is not None:
            assert math.isclose(after.upl, before.upl * scale + shift, abs_tol=tolerance)


@given(series, powers_of_two, directions, st.booleans())
def test_scaling_by_a_power_of_two_changes_no_point_type(
    values: list[float], scale: float, direction: str, screen: bool
) -> None:
    options = SpcOptions(improvement_direction=direction, screen_outliers=screen)
    original = xmr_chart(values, options)
    scaled = xmr_chart([v * scale for v in values], options)
    assert point_types(scaled) == point_types(original)


@given(st.floats(-1e6, 1e6), st.integers(1, 60), directions, st.booleans())
def test_a_constant_series_has_no_special_cause(
    value: float, n: int, direction: str, screen: bool
) -> None:
    chart = xmr_chart(
        [value] * n, SpcOptions(improvement_direction=direction, screen_outliers=screen)
    )
    assert set(point_types(chart)) == {"common_cause"}
    assert chart.variation_icon == "common_cause"


@given(series, directions)
def test_reversing_the_improvement_direction_swaps_improvement_and_concern(
    values: list[float], direction: str
) -> None:
    chart = xmr_chart(values, SpcOptions(improvement_direction=direction))
    reversed_chart = xmr_chart(
        values, SpcOptions(improvement_direction=OPPOSITE_DIRECTION[direction])
    )
    expected = [SWAPPED[t] if direction != "neutral" else t for t in point_types(chart)]
    assert point_types(reversed_chart) == expected


@given(series, directions)
def test_mirroring_the_series_and_the_direction_keeps_every_point_type(
    values: list[float], direction: str
) -> None:
    chart = xmr_chart(values, SpcOptions(improvement_direction=direction))
    mirrored = xmr_chart(
        [-v for v in values], SpcOptions(improvement_direction=OPPOSITE_DIRECTION[direction])
    )
    if direction == "neutral":
        assert point_types(mirrored) == [SWAPPED[t] for t in point_types(chart)]
    else:
        assert point_types(mirrored) == point_types(chart)


@given(series)
def test_a_point_is_flagged_exactly_when_it_is_not_common_cause(values: list[float]) -> None:
    for point in xmr_chart(values, SpcOptions(improvement_direction="increase")).points:
        assert point.special_cause_flag == (point.point_type != "common_cause")
        assert not (point.outside_limits and point.close_to_limits)


def in_monotone_window(values: list[float], i: int) -> bool:
    for start in range(max(0, i - 6), min(i, len(values) - 7) + 1):
        window = values[start : start + 7]
        steps = [b - a for a, b in zip(window, window[1:], strict=False)]
        if all(s > 0 for s in steps) or all(s < 0 for s in steps):
            return True
    return False


@given(series)
def test_a_point_is_in_a_trend_exactly_when_seven_monotone_points_contain_it(
    values: list[float],
) -> None:
    chart = xmr_chart(values)
    assert [p.part_of_seven_point_trend for p in chart.points] == [
        in_monotone_window(values, i) for i in range(len(values))
    ]


@given(series, st.integers(12, 30), st.lists(st.integers(-1000, 1000), max_size=20))
def test_points_after_the_fix_do_not_move_the_limits(
    values: list[float], fix: int, later: list[int]
) -> None:
    first = xmr_chart(values, SpcOptions(fix_after_n_points=fix)).points[0]
    extended = xmr_chart([*values, *map(float, later)], SpcOptions(fix_after_n_points=fix)).points[
        0
    ]
    if len(values) >= fix:
        assert (extended.mean_col, extended.lpl, extended.upl) == (
            first.mean_col,
            first.lpl,
            first.upl,
        )


@given(series, st.data())
def test_rebasing_cuts_the_series_into_independent_charts(
    values: list[float], data: st.DataObject
) -> None:
    cuts = data.draw(st.lists(st.integers(1, max(1, len(values) - 1)), max_size=3, unique=True))
    cuts = [c for c in cuts if c < len(values)]
    chart = xmr_chart(values, SpcOptions(rebase_at=cuts))
    bounds = [0, *sorted(cuts), len(values)]
    for period, (start, stop) in zip(
        chart.periods, zip(bounds, bounds[1:], strict=False), strict=True
    ):
        alone = xmr_chart(values[start:stop])
        assert period.n == stop - start
        assert close(period.mean_col, alone.periods[0].mean_col)
        assert close(period.upl, alone.periods[0].upl)
        piece = chart.points[start:stop]
        assert [p.special_cause_type for p in piece] == [p.special_cause_type for p in alone.points]


@given(st.lists(st.integers(-50, 50).map(float), min_size=1, max_size=80))
def test_run_chart_counts_stay_within_their_bounds(values: list[float]) -> None:
    chart = run_chart(values)
    assert chart.n_useful == sum(v != chart.median for v in values)
    if chart.n_useful:
        assert chart.longest_run is not None and chart.n_crossings is not None
        assert 1 <= chart.longest_run <= chart.n_useful
        assert 0 <= chart.n_crossings <= chart.n_useful - 1
        assert chart.runs_signal == (
            chart.longest_run > (chart.longest_run_max or 0)
            or chart.n_crossings < (chart.n_crossings_min or 0)
        )


@given(st.lists(st.integers(-50, 50).map(float), min_size=1, max_size=80), powers_of_two)
def test_run_chart_signal_survives_rescaling(values: list[float], scale: float) -> None:
    assert run_chart(values).runs_signal == run_chart([v * scale + 3 for v in values]).runs_signal
