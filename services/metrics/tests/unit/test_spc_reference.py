"""The domain against the R packages it follows.

Every fixture under fixtures/spc/ was written by tools/spc_reference/make_reference.R
from NHSRplotthedots 0.2.2 (XmR charts) and qicharts2 0.8.x (run charts).
Where R gives NA for a flag because the limits are undefined (NaN), the domain
says False; NA limits are None.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from services.metrics.domain.runchart import (
    crossings_limit,
    longest_run_limit,
    run_chart,
)
from services.metrics.domain.spc import SpcChart, SpcOptions, xmr_chart

FIXTURES = Path(__file__).parent / "fixtures" / "spc"
XMR_FIXTURES = sorted((FIXTURES / "xmr").glob("*.json"))
RUN_CHART_FIXTURES = sorted((FIXTURES / "runchart").glob("*.json"))

FLOAT_COLUMNS = ("y", "fix_y", "mean_col", "lpl", "upl", "target")
FLAG_COLUMNS = (
    "outside_limits",
    "close_to_limits",
    "special_cause_flag",
    "short_group_warning",
    "part_of_seven_point_trend",
    "part_of_two_in_three",
    "part_of_seven_point_one_side_mean",
)
EXACT_COLUMNS = ("x", "rebase_group", "relative_to_mean", "special_cause_type", "point_type")
PERIOD_FLOATS = ("mean_col", "lpl", "upl")
PERIOD_EXACT = (
    "rebase_group",
    "n",
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "variation_type",
    "assurance_type",
)


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as file:
        fixture: dict[str, Any] = json.load(file)
    return fixture


def options_of(case: dict[str, Any]) -> SpcOptions:
    return SpcOptions(
        improvement_direction=case["improvement_direction"],
        target=case["target"],
        rebase_at=tuple(case["rebase_at"]),
        fix_after_n_points=case["fix_after_n_points"],
        screen_outliers=case["screen_outliers"],
    )


def chart_of(fixture: dict[str, Any]) -> SpcChart:
    return xmr_chart(fixture["case"]["values"], options_of(fixture["case"]))


def same_number(ours: float | None, theirs: float | None) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12)


def column(chart: SpcChart, name: str) -> list[Any]:
    return [getattr(point, name) for point in chart.points]


def r_flag(value: bool | None) -> bool:
    return bool(value)


@pytest.mark.parametrize("path", XMR_FIXTURES, ids=lambda path: path.stem)
def test_every_point_matches_ptd_spc(path: Path) -> None:
    fixture = load(path)
    chart = chart_of(fixture)
    reference = fixture["points"]
    assert len(chart.points) == len(reference["y"])
    for name in FLOAT_COLUMNS:
        pairs = zip(column(chart, name), reference[name], strict=True)
        assert all(same_number(ours, theirs) for ours, theirs in pairs), name
    for name in FLAG_COLUMNS:
        assert column(chart, name) == [r_flag(value) for value in reference[name]], name
    for name in EXACT_COLUMNS:
        assert column(chart, name) == reference[name], name


@pytest.mark.parametrize("path", XMR_FIXTURES, ids=lambda path: path.stem)
def test_every_period_matches_the_package_summary(path: Path) -> None:
    fixture = load(path)
    chart = chart_of(fixture)
    summary = fixture["summary"]
    assert len(chart.periods) == len(summary["n"])
    for name in PERIOD_FLOATS:
        pairs = zip([getattr(p, name) for p in chart.periods], summary[name], strict=True)
        assert all(same_number(ours, theirs) for ours, theirs in pairs), name
    for name in PERIOD_EXACT:
        if name in summary:
            assert [getattr(p, name) for p in chart.periods] == summary[name], name


@pytest.mark.parametrize("path", XMR_FIXTURES, ids=lambda path: path.stem)
def test_icons_and_warnings_match_the_package(path: Path) -> None:
    fixture = load(path)
    chart = chart_of(fixture)
    assert chart.variation_icon == fixture["variation_icon"]
    assert chart.assurance_icon == fixture["assurance_type"]
    assert list(chart.warnings) == fixture["warnings"]


def test_the_reference_covers_every_rule_and_point_type() -> None:
    seen_types: set[str] = set()
    seen_icons: set[str | None] = set()
    for path in XMR_FIXTURES:
        fixture = load(path)
        seen_types.update(fixture["points"]["special_cause_type"])
        seen_types.update(fixture["points"]["point_type"])
        seen_icons.update({fixture["variation_icon"], fixture["assurance_type"]})
    assert {
        "Above UCL",
        "Below LCL",
        "7 Point Trend (Increasing)",
        "7 Point Trend (Decreasing)",
        "2 in 3 Above CL",
        "2 in 3 Below CL",
        "7 Points Above CL",
        "7 Points Below CL",
        "special_cause_neutral_high",
        "special_cause_neutral_low",
        "special_cause_improvement",
        "special_cause_concern",
    } <= seen_types
    assert {"consistent_pass", "consistent_fail", "inconsistent"} <= seen_icons
    assert {
        "common_cause",
        "improvement_high",
        "improvement_low",
        "concern_high",
        "concern_low",
        "neutral_high",
        "neutral_low",
    } <= seen_icons


@pytest.mark.parametrize("path", RUN_CHART_FIXTURES, ids=lambda path: path.stem)
def test_every_run_chart_matches_qicharts2(path: Path) -> None:
    fixture = load(path)
    case = fixture["case"]
    chart = run_chart(case["values"], freeze=case.get("freeze"), cl=case.get("cl"))
    assert same_number(chart.cl, fixture["cl"])
    for name in (
        "n_obs",
        "n_useful",
        "longest_run",
        "longest_run_max",
        "n_crossings",
        "n_crossings_min",
        "runs_signal",
    ):
        assert getattr(chart, name) == fixture[name], name


def test_the_anhoej_limits_match_r_for_every_length_up_to_500() -> None:
    limits = load(FIXTURES / "runchart_limits.json")
    assert [longest_run_limit(n) for n in limits["n_useful"]] == limits["longest_run_max"]
    assert [crossings_limit(n) for n in limits["n_useful"]] == limits["n_crossings_min"]
