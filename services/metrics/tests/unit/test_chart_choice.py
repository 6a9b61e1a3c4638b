"""Which chart a series gets: a run chart while it is too short for process limits, then the XmR
chart; the same rule for the calculator's auto and the stored charts, stored as JSON and read back."""

from __future__ import annotations

import json
from datetime import date

import pytest

from services.metrics.adapters.chart_json import chart_from_json, chart_json, chart_type_of_json, expanded
from services.metrics.domain.charts import RUN, XMR, auto_chart_type, chart_type_of
from services.metrics.domain.runchart import run_chart
from services.metrics.domain.spc import SpcOptions, xmr_chart

SERIES = [10.0, 11.0, 9.0, 10.0, 12.0, 9.0, 11.0, 10.0, 9.0, 11.0, 10.0, 12.0, 10.0, 11.0, 40.0]
MONTHS = [date(2025 + i // 12, i % 12 + 1, 1) for i in range(len(SERIES))]


@pytest.mark.parametrize(("n_points", "expected"), [(1, RUN), (5, RUN), (12, RUN), (13, XMR), (14, XMR), (120, XMR)])
def test_a_series_of_fewer_than_thirteen_points_gets_a_run_chart(n_points, expected):
    assert auto_chart_type(n_points) == expected


def test_a_run_chart_is_drawn_exactly_where_every_xmr_limit_would_be_a_trial_limit():
    for n in range(1, len(SERIES) + 1):
        short = bool(xmr_chart(SERIES[:n]).warnings)
        assert (auto_chart_type(n) == RUN) == short, f"{n} points"


def test_a_stored_run_chart_has_qicharts2s_names_its_type_and_its_months():
    chart = run_chart(SERIES[:5])
    body = chart_json(chart, MONTHS[:5])
    assert body == {"chart_type": "run", "values": SERIES[:5], "cl": 10.0, "n_obs": 5, "n_useful": 3,
                    "longest_run": chart.longest_run, "longest_run_max": chart.longest_run_max,
                    "n_crossings": chart.n_crossings, "n_crossings_min": chart.n_crossings_min,
                    "runs_signal": False, "freeze": None, "cl_given": False,
                    "periods_of_points": ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"]}


def test_a_stored_xmr_chart_keeps_its_shape_with_its_type_beside_it():
    chart = xmr_chart(SERIES, SpcOptions("increase", target=11.0))
    body = expanded(chart_json(chart, MONTHS))
    assert body == {**chart.to_dict(), "chart_type": "xmr", "periods_of_points": [f"{m:%Y-%m}" for m in MONTHS]}


def test_a_stored_xmr_chart_keeps_its_points_by_column():
    chart = xmr_chart(SERIES, SpcOptions("increase", target=11.0))
    body = chart_json(chart, MONTHS)
    assert "points" not in body
    assert body["point_columns"]["y"] == SERIES
    assert body["point_columns"]["point_type"] == [point.point_type for point in chart.points]
    assert list(body["point_columns"]) == list(chart.points[0].to_dict())
    assert len(json.dumps(body)) < len(json.dumps(expanded(body))) / 2


@pytest.mark.parametrize("chart", [run_chart(SERIES[:7]), xmr_chart(SERIES, SpcOptions("decrease", rebase_at=(7,)))],
                         ids=["run", "xmr"])
def test_a_stored_chart_reads_back_as_the_chart_it_was(chart):
    body = chart_json(chart, MONTHS[:len(SERIES) if chart_type_of(chart) == XMR else 7])
    assert chart_from_json(body) == chart
    assert chart_type_of_json(body) == chart_type_of(chart)


def test_a_chart_stored_before_run_charts_existed_reads_as_an_xmr_chart():
    chart = xmr_chart(SERIES[:5])
    legacy = {**chart.to_dict(), "periods_of_points": [f"{m:%Y-%m}" for m in MONTHS[:5]]}
    assert chart_type_of_json(legacy) == XMR
    assert chart_from_json(legacy) == chart
    assert expanded(legacy) == legacy
