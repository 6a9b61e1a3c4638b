"""A unit that moves from a month: the months before stay rolled up under the old parent, the
months from it move to the new one, and a move that would put a unit below itself is refused."""

import threading
import uuid
from datetime import UTC, datetime

import pytest

from services.metrics.domain.measures import Measure
from services.metrics.service_layer import catalogue, handlers
from services.metrics.tests.integration.test_aggregator import consume, kpi_values, month_name, post, settle
from shared.auth import Principal
from shared.db import unit_of_work
from shared.month import first_day_of

pytestmark = pytest.mark.integration


@pytest.fixture
def trust(metrics_client, bearer):
    """A trust with directorates A (wards 1 and 2) and B (ward 3), and C (ward 4); a KPI rolled up
    by the mean, measured for six months by every ward."""
    suffix = uuid.uuid4().hex[:8].upper()
    codes = {name: f"{name.upper()}-{suffix}" for name in ("t", "a", "b", "c", "w1", "w2", "w3", "w4", "kpi")}
    admin = bearer("admin")
    for code, level, parent in ((codes["t"], "trust", None), (codes["a"], "directorate", codes["t"]),
                                (codes["b"], "directorate", codes["t"]), (codes["c"], "directorate", codes["t"]),
                                (codes["w1"], "ward", codes["a"]), (codes["w2"], "ward", codes["a"]),
                                (codes["w3"], "ward", codes["b"]), (codes["w4"], "ward", codes["c"])):
        assert metrics_client.post("/api/v1/units", json={"code": code, "name": code, "level": level,
                                                          "parent_code": parent}, headers=admin).status_code == 201
    assert metrics_client.post("/api/v1/kpis", json={
        "code": codes["kpi"], "name": codes["kpi"], "unit_of_measure": "days", "improvement_direction": "decrease",
        "aggregation": "mean"}, headers=admin).status_code == 201
    for ward, value in (("w1", 10.0), ("w2", 2.0), ("w3", 4.0), ("w4", 8.0)):
        for month in range(6):
            post(metrics_client, bearer, codes["kpi"], codes[ward], month, value)
    return codes


def values(state, codes, unit):
    return [row["value"] for row in kpi_values(state, codes["kpi"], codes[unit])]


def move(client, bearer, unit, **body):
    return client.patch(f"/api/v1/units/{unit}", json=body, headers=bearer("admin"))


def moved_to(client, bearer, unit, parent, month):
    response = move(client, bearer, unit, parent_code=parent, moved_from=month)
    assert response.status_code == 200, response.get_json()


def test_a_ward_moved_from_april_rolls_up_under_its_new_directorate_from_april(metrics_client, metrics_state,
                                                                                  bearer, trust):
    assert values(metrics_state, trust, "a") == [6.0] * 6
    response = move(metrics_client, bearer, trust["w1"], parent_code=trust["b"], moved_from=month_name(3))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["parent_code"] == trust["b"]
    assert values(metrics_state, trust, "a") == [6.0] * 3 + [2.0] * 3
    assert values(metrics_state, trust, "b") == [4.0] * 3 + [7.0] * 3
    assert values(metrics_state, trust, "t") == pytest.approx([6.0] * 3 + [(2 + 7 + 8) / 3] * 3)
    chart = metrics_client.get(f"/api/v1/kpis/{trust['kpi']}/units/{trust['a']}/chart").get_json()
    assert chart["run_chart"]["values"] == [6.0] * 3 + [2.0] * 3


def test_measures_after_a_move_roll_up_under_the_parent_of_their_month(metrics_client, metrics_state, bearer,
                                                                       trust):
    moved_to(metrics_client, bearer, trust["w1"], trust["b"], month_name(3))
    post(metrics_client, bearer, trust["kpi"], trust["w1"], 1, 20.0)  # through the API, in line
    consume(metrics_state, trust["kpi"], trust["w1"], [30.0], first_month=4)  # from a feed, queued
    settle(metrics_state, trust["kpi"])
    assert values(metrics_state, trust, "a") == [6.0, 11.0, 6.0, 2.0, 2.0, 2.0]
    assert values(metrics_state, trust, "b") == [4.0, 4.0, 4.0, 7.0, 17.0, 7.0]


def test_a_directorate_left_with_no_ward_loses_its_roll_ups_and_its_chart(metrics_client, metrics_state, bearer,
                                                                           trust):
    chart = f"/api/v1/kpis/{trust['kpi']}/units/{trust['c']}/chart"
    assert metrics_client.get(chart).status_code == 200
    response = move(metrics_client, bearer, trust["w4"], parent_code=trust["a"], moved_from="1900-01")
    assert response.status_code == 200, response.get_json()
    assert values(metrics_state, trust, "c") == []
    assert metrics_client.get(chart).status_code == 404
    assert values(metrics_state, trust, "a") == [(10 + 2 + 8) / 3] * 6
    assert values(metrics_state, trust, "t") == [(20 / 3 + 4) / 2] * 6


def test_a_move_without_a_month_holds_from_this_month(metrics_client, metrics_state, bearer, trust):
    this_month = datetime.now(UTC).strftime("%Y-%m")
    assert move(metrics_client, bearer, trust["w1"], parent_code=trust["b"]).status_code == 200
    assert values(metrics_state, trust, "a") == [6.0] * 6
    placements = metrics_client.get(f"/api/v1/units/{trust['w1']}/placements").get_json()["items"]
    assert [(p["parent_code"], p["effective_from"], p["effective_to"]) for p in placements] == [
        (trust["a"], "1900-01", this_month), (trust["b"], this_month, None)]
    assert all(p["placed_by"] for p in placements)


def test_the_placements_and_the_history_tell_where_a_unit_sat(metrics_client, bearer, trust):
    url = f"/api/v1/units/{trust['w1']}/placements"
    assert [p["effective_from"] for p in metrics_client.get(url).get_json()["items"]] == ["1900-01"]
    moved_to(metrics_client, bearer, trust["w1"], trust["b"], month_name(3))
    moved_to(metrics_client, bearer, trust["w1"], trust["c"], month_name(5))
    placements = metrics_client.get(url).get_json()["items"]
    assert [(p["parent_code"], p["effective_from"], p["effective_to"]) for p in placements] == [
        (trust["a"], "1900-01", month_name(3)), (trust["b"], month_name(3), month_name(5)),
        (trust["c"], month_name(5), None)]
    history = metrics_client.get(f"/api/v1/units/{trust['w1']}/history").get_json()["items"]
    assert history[-1]["before"]["parent_code"] == trust["b"]
    assert history[-1]["after"]["moved_from"] == month_name(5)
    assert [p["parent_code"] for p in history[-1]["after"]["placements"]] == [trust["a"], trust["b"], trust["c"]]
    assert metrics_client.get("/api/v1/units/NO-SUCH-UNIT/placements").status_code == 404


@pytest.mark.parametrize("body", [
    {"moved_from": "2023-04"},  # no parent to move under
    {"parent_code": "{a}", "moved_from": "2023-13"},
    {"parent_code": "{a}", "moved_from": "{next_month}"},
    {"parent_code": "{w1}"},  # under a ward below it
    {"parent_code": "NO-SUCH-UNIT"},
])
def test_a_move_that_cannot_be_is_refused_and_changes_nothing(metrics_client, metrics_state, bearer, trust, body):
    now = datetime.now(UTC)
    next_month = f"{now.year + now.month // 12}-{now.month % 12 + 1:02d}"
    body = {key: value.format(next_month=next_month, **trust) for key, value in body.items()}
    unit = trust["a"] if body.get("parent_code") == trust["w1"] else trust["w1"]
    before = metrics_client.get(f"/api/v1/units/{unit}/placements").get_json()["items"]
    response = move(metrics_client, bearer, unit, **body)
    assert response.status_code == 422, response.get_json()
    assert response.headers["Content-Type"] == "application/problem+json"
    assert metrics_client.get(f"/api/v1/units/{unit}/placements").get_json()["items"] == before
    assert values(metrics_state, trust, "a") == [6.0] * 6


def test_a_move_that_makes_a_loop_only_in_past_months_is_refused(metrics_client, bearer, trust):
    # Ward 1 leaves A in April; A then moving under ward 1 from January would put A below itself
    # from January to March, though not now. Levels nesting in order refuse it before the loop does.
    moved_to(metrics_client, bearer, trust["w1"], trust["b"], month_name(3))
    response = move(metrics_client, bearer, trust["a"], parent_code=trust["w1"], moved_from=month_name(0))
    assert response.status_code == 422
    assert "parent_code" in response.get_json()["errors"]


def test_a_measure_stored_while_its_unit_moves_waits_and_rolls_up_under_the_new_parent(metrics_state, trust):
    # Ward 1 moves to B from April; while the move is still to commit, a new month of ward 1
    # arrives. Read before the move commits, the hierarchy would send that month to A, and B would
    # never get it: the measure must wait for the move, then go to B.
    hold, moved = threading.Event(), threading.Event()

    def move_and_hold() -> None:
        with unit_of_work(metrics_state.pool, "metrics") as uow:
            change = {"parent_code": trust["b"], "moved_from": first_day_of(month_name(3))}
            catalogue.change_unit(uow, trust["w1"], change, None, Principal("admin", frozenset({"admin"})),
                                  metrics_state.today())
            moved.set()
            hold.wait(5)

    def record() -> None:
        with unit_of_work(metrics_state.pool, "metrics") as uow:
            measure = Measure(trust["kpi"], trust["w1"], first_day_of(month_name(6)), 16.0, None, None, "test")
            handlers.record_measure(uow, measure, metrics_state.today())

    moving = threading.Thread(target=move_and_hold)
    moving.start()
    assert moved.wait(5)
    recording = threading.Thread(target=record)
    recording.start()
    recording.join(0.5)
    assert recording.is_alive(), "the measure was stored while its unit was moving"
    hold.set()
    moving.join(10)
    recording.join(10)
    assert values(metrics_state, trust, "a") == [6.0] * 3 + [2.0] * 3
    assert values(metrics_state, trust, "b") == [4.0] * 3 + [7.0] * 3 + [16.0]
