"""The SPC calculator over HTTP, on a test-only app with just its blueprint (no servers, no token)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from services.metrics.domain.runchart import run_chart
from services.metrics.domain.spc import SpcInputRefused, SpcOptions, xmr_chart
from services.metrics.entrypoints import spc_api as spc_module
from services.metrics.entrypoints.spc_api import spc_api
from shared.config import Settings
from shared.web import create_service_app

SERIES = [10.0, 11.0, 9.0, 10.0, 12.0, 9.0, 11.0, 10.0, 9.0, 11.0, 10.0, 12.0, 10.0, 11.0, 40.0]
MONTHS = [f"2025-{month:02d}" for month in range(1, 13)] + ["2026-01", "2026-02", "2026-03"]


@pytest.fixture(scope="module")
def client():
    app = create_service_app(Settings.from_env("metrics"), title="SPC test", description="spc_api only",
                             blueprints=[spc_api], ready_checks={}, verifier=None)
    return app.test_client()


def post(client, **body):
    return client.post("/api/v1/spc", json=body)


def assert_refused(response, field: str) -> None:
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_a_plain_series_gets_the_limits_xmr_chart_computes(client) -> None:
    response = post(client, values=SERIES)
    assert response.status_code == 200
    expected = xmr_chart(SERIES, SpcOptions())
    limits = [(p["mean_col"], p["lpl"], p["upl"]) for p in response.get_json()["xmr"]["points"]]
    assert limits == [(p.mean_col, p.lpl, p.upl) for p in expected.points]


def test_the_whole_chart_comes_back_with_the_package_names(client) -> None:
    options = SpcOptions(improvement_direction="increase", target=11.0, rebase_at=(7,))
    body = post(client, values=SERIES, improvement_direction="increase", target=11, rebase_at=[7]).get_json()
    expected = xmr_chart(SERIES, options).to_dict()
    assert body["chart_type"] == "xmr"
    assert [p["special_cause_type"] for p in body["xmr"]["points"]] == [p["special_cause_type"] for p in
                                                                         expected["points"]]
    assert [(p["start"], p["lpl"], p["upl"]) for p in body["xmr"]["periods"]] == [
        (p["start"], p["lpl"], p["upl"]) for p in expected["periods"]]
    assert (body["xmr"]["variation_icon"], body["xmr"]["assurance_icon"]) == (expected["variation_icon"],
                                                                              expected["assurance_icon"])
    assert body["xmr"]["warnings"] == expected["warnings"]


def test_dates_are_echoed_on_every_point_and_period(client) -> None:
    body = post(client, values=SERIES, dates=MONTHS, rebase_at=["2025-08"]).get_json()
    assert body["dates"] == MONTHS
    assert [p["date"] for p in body["xmr"]["points"]] == MONTHS
    assert [p["start_date"] for p in body["xmr"]["periods"]] == ["2025-01", "2025-08"]


def test_a_rebase_date_splits_the_series_where_that_date_is(client) -> None:
    by_date = post(client, values=SERIES, dates=MONTHS, rebase_at=["2025-08"]).get_json()
    by_index = post(client, values=SERIES, rebase_at=[7]).get_json()
    assert by_date["xmr"]["periods"][1]["mean_col"] == by_index["xmr"]["periods"][1]["mean_col"]


def test_a_target_per_point_may_leave_points_without_one(client) -> None:
    targets = [None] * 10 + [11.0] * 5
    points = post(client, values=SERIES, target=targets).get_json()["xmr"]["points"]
    assert [p["target"] for p in points] == targets


@pytest.mark.parametrize(
    "values",
    [["x"], ["NaN"], [], "10, 11, 12", [True, 1.0], [1.0] * 1001, [1e308, 0.0, 1e308, 0.0]],
    ids=["not-a-number", "nan-as-string", "empty", "not-a-list", "boolean", "too-many", "overflowing"],
)
def test_values_that_are_not_finite_numbers_get_a_problem_naming_values(client, values) -> None:
    assert_refused(post(client, values=values), "values")


def test_a_request_without_values_gets_a_problem_naming_values(client) -> None:
    assert_refused(post(client, dates=["2025-01"]), "values")


@pytest.mark.parametrize(
    "dates",
    [MONTHS[:-1], [*MONTHS[:-1], "2026-13"], [*MONTHS[:-1], "March"], list(reversed(MONTHS))],
    ids=["one-short", "no-such-month", "not-iso", "not-increasing"],
)
def test_dates_that_do_not_fit_the_values_are_refused(client, dates) -> None:
    assert_refused(post(client, values=SERIES, dates=dates), "dates")


@pytest.mark.parametrize(
    ("rebase_at", "dates"),
    [([0], None), ([15], None), ([-1], None), (["2025-01"], MONTHS), (["2027-01"], MONTHS), (["2025-08"], None),
     ([1.5], None)],
    ids=["first-point", "past-the-end", "negative", "first-date", "date-not-in-series", "date-without-dates",
         "fraction"],
)
def test_a_rebase_outside_the_series_or_at_its_start_is_refused(client, rebase_at, dates) -> None:
    assert_refused(post(client, values=SERIES, rebase_at=rebase_at, dates=dates), "rebase_at")


def test_fixing_the_limits_on_fewer_than_twelve_points_is_refused_with_the_reason(client) -> None:
    response = post(client, values=SERIES, fix_after_n_points=5)
    assert_refused(response, "fix_after_n_points")
    assert "12" in response.get_json()["errors"]["fix_after_n_points"][0]


def test_fixing_the_limits_on_twelve_points_is_allowed(client) -> None:
    assert post(client, values=SERIES, fix_after_n_points=12).status_code == 200


@pytest.mark.parametrize("target", [[1.0, 2.0], "11", [None] * 14 + ["x"], 1e308],
                         ids=["wrong-length", "string", "string-in-list", "overflowing"])
def test_a_target_that_is_not_a_number_or_one_per_value_is_refused(client, target) -> None:
    assert_refused(post(client, values=SERIES, target=target), "target")


@pytest.mark.parametrize(("field", "value"), [("improvement_direction", "up"), ("chart_type", "p"),
                                              ("colour", "blue")])
def test_an_unknown_option_or_choice_is_refused(client, field, value) -> None:
    assert_refused(post(client, values=SERIES, **{field: value}), field)


def test_a_refusal_by_the_spc_domain_becomes_a_problem_naming_its_field(client, monkeypatch) -> None:
    def refuse(values, options):
        raise SpcInputRefused("fix_after_n_points", "fix_after_n_points must be at least 12")

    monkeypatch.setattr(spc_module, "xmr_chart", refuse)
    response = post(client, values=SERIES)
    assert_refused(response, "fix_after_n_points")
    assert response.get_json()["detail"] == "fix_after_n_points must be at least 12"


def test_chart_type_run_gives_the_run_chart(client) -> None:
    body = post(client, values=SERIES, chart_type="run").get_json()
    assert body["chart_type"] == "run"
    assert body["xmr"] is None
    assert body["run"] == run_chart(SERIES).to_dict()


def test_a_run_chart_says_which_options_it_did_not_use(client) -> None:
    body = post(client, values=SERIES, chart_type="run", rebase_at=[7], target=11).get_json()
    assert body["notes"] == ["rebase_at does not apply to a run chart and was not used",
                             "target does not apply to a run chart and was not used"]


def test_auto_draws_a_run_chart_below_thirteen_points_and_an_xmr_chart_from_thirteen(client) -> None:
    assert post(client, values=SERIES[:12], chart_type="auto").get_json()["chart_type"] == "run"
    assert post(client, values=SERIES[:13], chart_type="auto").get_json()["chart_type"] == "xmr"


def test_the_svg_endpoint_returns_an_svg_image_of_the_chart(client) -> None:
    response = client.post("/api/v1/spc.svg", json={"values": SERIES, "title": "ALOS <ward 7>"})
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    title = ET.fromstring(response.get_data(as_text=True)).find("{http://www.w3.org/2000/svg}title")
    assert title is not None and title.text == "ALOS <ward 7>"


def test_the_svg_endpoint_draws_a_run_chart_too(client) -> None:
    response = client.post("/api/v1/spc.svg", json={"values": SERIES[:5], "chart_type": "auto"})
    assert "Run chart of 5 points" in response.get_data(as_text=True)


def test_the_svg_endpoint_refuses_bad_input_as_a_problem(client) -> None:
    assert_refused(client.post("/api/v1/spc.svg", json={"values": ["x"]}), "values")


def test_the_openapi_document_describes_every_request_and_response_field(client) -> None:
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    for name in ("SpcRequest", "SpcSvgRequest", "SpcResult", "XmrChart", "SpcPoint", "SpcPeriod", "RunChart"):
        undocumented = [field for field, spec in schemas[name]["properties"].items() if not spec.get("description")]
        assert undocumented == [], name


def test_a_run_chart_freezes_its_median_after_the_first_n_points_as_qicharts2_does(client) -> None:
    values = [10, 11, 9, 10, 12, 9, 11, 10, 14, 15, 14, 16, 15, 14, 15, 16]
    body = post(client, values=values, chart_type="run", freeze=8).get_json()
    assert (body["run"]["cl"], body["run"]["freeze"], body["run"]["runs_signal"]) == (10, 8, True)
    assert body["run"] == run_chart(values, freeze=8).to_dict()


def test_a_run_chart_takes_a_centre_line_given_in_advance(client) -> None:
    body = post(client, values=[3, 5, 4, 6, 5, 4, 6, 5], chart_type="run", cl=2).get_json()
    assert (body["run"]["cl"], body["run"]["longest_run"], body["run"]["runs_signal"]) == (2, 8, True)


@pytest.mark.parametrize("body, field", [
    ({"freeze": 0}, "freeze"), ({"freeze": 2.5}, "freeze"), ({"cl": "high"}, "cl"), ({"cl": float("1e300")}, "cl"),
])
def test_a_freeze_or_centre_line_that_cannot_be_used_is_refused(client, body, field) -> None:
    assert_refused(post(client, values=SERIES, chart_type="run", **body), field)


def test_freeze_and_a_given_centre_are_noted_as_unused_on_an_xmr_chart(client) -> None:
    body = post(client, values=SERIES, chart_type="xmr", freeze=5, cl=10).get_json()
    assert body["chart_type"] == "xmr"
    assert any("freeze" in note for note in body["notes"]) and any("cl" in note for note in body["notes"])
