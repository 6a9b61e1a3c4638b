"""The KPI aggregator on the real database: roll-ups, stored charts, alerts once per signal."""

import threading
import time
import uuid
from types import SimpleNamespace
from unittest import mock

import pytest

from services.metrics.adapters import measures as measures_store
from services.metrics.adapters import queues
from services.metrics.adapters.chart_json import expanded
from services.metrics.bootstrap import event_handlers
from services.metrics.domain.measures import Measure
from services.metrics.domain.spc import SpcOptions, xmr_chart
from services.metrics.service_layer import aggregator, handlers
from shared.consumer import ConsumerRunner, Outcome
from shared.db import UnitOfWork, unit_of_work
from shared.events import REGISTRY, new_event
from shared.month import first_day_of

pytestmark = pytest.mark.integration

STEADY = [4.6, 4.4, 4.7, 4.5, 4.3, 4.6, 4.5, 4.4, 4.6, 4.5, 4.7, 4.4]  # 12 months: still a run chart


@pytest.fixture
def hierarchy(metrics_client, bearer):
    suffix = uuid.uuid4().hex[:8].upper()
    admin = bearer("admin")
    codes = {"trust": f"T-{suffix}", "ward_a": f"WA-{suffix}", "ward_b": f"WB-{suffix}", "kpi": f"LOS-{suffix}",
             "util": f"UTIL-{suffix}"}
    units = [(codes["trust"], "trust", None), (codes["ward_a"], "ward", codes["trust"]),
             (codes["ward_b"], "ward", codes["trust"])]
    for code, level, parent in units:
        assert metrics_client.post("/api/v1/units", json={"code": code, "name": code, "level": level,
                                                          "parent_code": parent}, headers=admin).status_code == 201
    for code, uom, direction, aggregation in ((codes["kpi"], "days", "decrease", "mean"),
                                              (codes["util"], "percent", "increase", "ratio")):
        assert metrics_client.post("/api/v1/kpis", json={
            "code": code, "name": code, "unit_of_measure": uom, "improvement_direction": direction,
            "aggregation": aggregation, "owners": ["owner@hospital.example"]}, headers=admin).status_code == 201
    return codes


def post(client, bearer, kpi, unit, month_index, value, **extra):
    year, month = 2023 + month_index // 12, month_index % 12 + 1
    response = client.post("/api/v1/measures", headers=bearer("feed"), json={
        "kpi_code": kpi, "unit_code": unit, "period": f"{year}-{month:02d}", "value": value, "source": "test",
        **extra})
    assert response.status_code in (200, 201), response.get_json()
    return response


def kpi_values(state, kpi, unit):
    with state.pool.connection() as conn:
        return conn.execute("SELECT value, rolled_up FROM kpi_values WHERE kpi_code = %s AND unit_code = %s"
                            " ORDER BY period", (kpi, unit)).fetchall()


def alerts(state, kpi, unit):
    with state.pool.connection() as conn:
        return conn.execute(
            "SELECT envelope->'data' AS data FROM outbox WHERE event_type = 'kpi.special_cause_detected'"
            " AND key = %s ORDER BY position", (f"{kpi}|{unit}",)).fetchall()


def test_the_trust_value_is_the_mean_of_its_wards(metrics_client, metrics_state, bearer, hierarchy):
    post(metrics_client, bearer, hierarchy["kpi"], hierarchy["ward_a"], 0, 4.0)
    post(metrics_client, bearer, hierarchy["kpi"], hierarchy["ward_b"], 0, 6.0)
    assert kpi_values(metrics_state, hierarchy["kpi"], hierarchy["trust"]) == [{"value": 5.0, "rolled_up": True}]


def test_a_percentage_rolls_up_by_its_summed_numerators_and_denominators(metrics_client, metrics_state, bearer,
                                                                          hierarchy):
    post(metrics_client, bearer, hierarchy["util"], hierarchy["ward_a"], 0, 50.0, numerator=1, denominator=2)
    post(metrics_client, bearer, hierarchy["util"], hierarchy["ward_b"], 0, 90.0, numerator=90, denominator=100)
    [trust] = kpi_values(metrics_state, hierarchy["util"], hierarchy["trust"])
    assert trust["value"] == pytest.approx(91 / 102 * 100)


def test_a_units_own_measure_wins_over_its_roll_up(metrics_client, metrics_state, bearer, hierarchy):
    response = metrics_client.patch(f"/api/v1/kpis/{hierarchy['kpi']}", json={"measured_levels": ["trust", "ward"]},
                                    headers=bearer("admin"))
    assert response.status_code == 200, response.get_json()
    post(metrics_client, bearer, hierarchy["kpi"], hierarchy["trust"], 0, 4.8)
    post(metrics_client, bearer, hierarchy["kpi"], hierarchy["ward_a"], 0, 4.0)
    assert kpi_values(metrics_state, hierarchy["kpi"], hierarchy["trust"]) == [{"value": 4.8, "rolled_up": False}]


def test_a_new_special_cause_alerts_the_owners_once_and_a_recompute_or_replay_does_not(
    metrics_client, metrics_state, bearer, hierarchy
):
    kpi, ward = hierarchy["kpi"], hierarchy["ward_a"]
    for month, value in enumerate(STEADY):
        post(metrics_client, bearer, kpi, ward, month, value)
    assert alerts(metrics_state, kpi, ward) == []

    post(metrics_client, bearer, kpi, ward, len(STEADY), 9.5)  # a length of stay far above the limit
    [alert] = alerts(metrics_state, kpi, ward)
    assert alert["data"]["special_cause_type"] == "Above UCL"
    assert alert["data"]["point_type"] == "special_cause_concern"
    assert alert["data"]["owners"] == ["owner@hospital.example"]

    post(metrics_client, bearer, kpi, ward, len(STEADY), 9.5)  # the same figures again
    post(metrics_client, bearer, kpi, ward, 0, 4.65)  # a revision of an old month: recompute, same signal
    assert len(alerts(metrics_state, kpi, ward)) == 1


def test_the_stored_chart_carries_the_icons_and_limits(metrics_client, metrics_state, bearer, hierarchy):
    kpi, ward = hierarchy["kpi"], hierarchy["ward_a"]
    values = [*STEADY, 4.5]  # 13 months: enough for an XmR chart
    for month, value in enumerate(values):
        post(metrics_client, bearer, kpi, ward, month, value)
    with metrics_state.pool.connection() as conn:
        chart = conn.execute("SELECT * FROM spc_charts WHERE kpi_code = %s AND unit_code = %s", (kpi, ward)).fetchone()
    assert (chart["chart_type"], chart["chart"]["chart_type"]) == ("xmr", "xmr")
    assert (chart["last_point_type"], chart["variation_icon"]) == ("common_cause", "common_cause")
    points = expanded(chart["chart"])["points"]
    assert len(points) == len(values)
    point = points[-1]
    assert point["lpl"] < point["mean_col"] < point["upl"]


def test_a_special_cause_that_goes_on_the_next_month_alerts_no_one_again(metrics_client, metrics_state, bearer,
                                                                          hierarchy):
    kpi, ward = hierarchy["kpi"], hierarchy["ward_a"]
    for month, value in enumerate(STEADY):
        post(metrics_client, bearer, kpi, ward, month, value)
    post(metrics_client, bearer, kpi, ward, len(STEADY), 9.5)
    post(metrics_client, bearer, kpi, ward, len(STEADY) + 1, 9.8)
    [alert] = alerts(metrics_state, kpi, ward)
    assert alert["data"]["period"] == "2024-01"


def test_a_rolled_up_month_is_judged_only_once_every_roll_up_below_it_is_done(metrics_state, hierarchy):
    # Both wards' October is stored, but their trust's October roll-up still waits in the queue (as
    # when a ward's measure commits while a worker pass is already reading the values below): the
    # trust's October holds no signal worth an alert until the pass that takes the roll-up.
    kpi, trust = hierarchy["kpi"], hierarchy["trust"]
    september, october = first_day_of("2023-09"), first_day_of("2023-10")
    with metrics_state.pool.connection() as conn, conn.transaction(force_rollback=True):
        uow = UnitOfWork(conn, "metrics")
        measures = [handlers.Incoming(Measure(kpi, ward, month, 4.5, None, None, "feed"))
                    for ward in (hierarchy["ward_a"], hierarchy["ward_b"]) for month in (september, october)]
        _, work = handlers.record_measures(uow, measures, metrics_state.today())
        aggregator.enqueue(uow, work)
        months = [(kpi, trust, september), (kpi, trust, october)]
        assert measures_store.awaited_units(uow, months) == {months[0]: [trust], months[1]: [trust]}
        assert len(queues.claim_rollups(uow, 100, 1000)) == 2  # a worker pass takes them (September's and October's)
        assert measures_store.awaited_units(uow, months) == {months[0]: [], months[1]: []}


def test_two_wards_recorded_at_the_same_moment_both_count_in_their_trust(metrics_client, metrics_state, bearer,
                                                                         hierarchy):
    def record(unit, value, hold: threading.Event | None = None, flushed: threading.Event | None = None):
        with unit_of_work(metrics_state.pool, "metrics") as uow:
            measure = Measure(hierarchy["kpi"], unit, first_day_of("2023-01"), value, None, None, "test")
            handlers.record_measure(uow, measure, metrics_state.today())
            if hold is not None and flushed is not None:
                uow.flush()  # the roll-up has run; keep the transaction open a moment
                flushed.set()
                hold.wait(5)

    hold, flushed = threading.Event(), threading.Event()
    first = threading.Thread(target=record, args=(hierarchy["ward_a"], 4.0, hold, flushed))
    first.start()
    assert flushed.wait(5)
    second = threading.Thread(target=record, args=(hierarchy["ward_b"], 6.0))
    second.start()
    second.join(0.5)  # it waits for the first transaction's roll-up lock...
    hold.set()  # ...until the first commits
    first.join(10)
    second.join(10)
    assert kpi_values(metrics_state, hierarchy["kpi"], hierarchy["trust"]) == [{"value": 5.0, "rolled_up": True}]


def test_a_kpi_with_a_fixed_baseline_keeps_the_limits_of_its_first_twelve_months(metrics_client, metrics_state,
                                                                                  bearer, hierarchy):
    kpi, ward = hierarchy["kpi"], hierarchy["ward_a"]
    response = metrics_client.patch(f"/api/v1/kpis/{kpi}", json={"fix_after_n_points": 12}, headers=bearer("admin"))
    assert response.status_code == 200
    for month, value in enumerate([*STEADY, 4.0, 3.9, 4.1]):
        post(metrics_client, bearer, kpi, ward, month, value)
    with metrics_state.pool.connection() as conn:
        chart = expanded(conn.execute("SELECT chart FROM spc_charts WHERE kpi_code = %s AND unit_code = %s",
                                      (kpi, ward)).fetchone()["chart"])
    baseline = xmr_chart(STEADY, SpcOptions("decrease"))
    last = chart["points"][-1]
    assert (last["mean_col"], last["lpl"], last["upl"]) == pytest.approx(
        (baseline.points[-1].mean_col, baseline.points[-1].lpl, baseline.points[-1].upl))


def test_a_kpi_asked_not_to_screen_outliers_is_recomputed_without_screening(metrics_client, metrics_state, bearer,
                                                                            hierarchy):
    kpi, ward = hierarchy["kpi"], hierarchy["ward_a"]
    values = [*STEADY[:6], 9.0, *STEADY[6:]]  # one wild month makes two large moving ranges
    for month, value in enumerate(values):
        post(metrics_client, bearer, kpi, ward, month, value)
    assert metrics_client.patch(f"/api/v1/kpis/{kpi}", json={"screen_outliers": False},
                                headers=bearer("admin")).status_code == 200
    with metrics_state.pool.connection() as conn:
        chart = expanded(conn.execute("SELECT chart FROM spc_charts WHERE kpi_code = %s AND unit_code = %s",
                                      (kpi, ward)).fetchone()["chart"])
    unscreened = xmr_chart(values, SpcOptions("decrease", screen_outliers=False)).points[-1]
    screened = xmr_chart(values, SpcOptions("decrease")).points[-1]
    assert unscreened.upl != pytest.approx(screened.upl), "the case must tell the two apart"
    assert chart["points"][-1]["upl"] == pytest.approx(unscreened.upl)


def test_changing_how_a_kpi_rolls_up_recomputes_the_rolled_up_history(metrics_client, metrics_state, bearer,
                                                                      hierarchy):
    kpi = hierarchy["util"]  # a percentage rolled up by ratio
    post(metrics_client, bearer, kpi, hierarchy["ward_a"], 0, 50.0, numerator=1, denominator=2)
    post(metrics_client, bearer, kpi, hierarchy["ward_b"], 0, 90.0, numerator=90, denominator=100)
    assert metrics_client.patch(f"/api/v1/kpis/{kpi}", json={"aggregation": "mean"},
                                headers=bearer("admin")).status_code == 200
    assert kpi_values(metrics_state, kpi, hierarchy["trust"]) == [{"value": 70.0, "rolled_up": True}]


def test_a_rolled_up_month_alerts_only_once_every_unit_below_has_reported(metrics_client, metrics_state, bearer,
                                                                           hierarchy):
    kpi, trust = hierarchy["kpi"], hierarchy["trust"]
    for month, value in enumerate(STEADY):
        post(metrics_client, bearer, kpi, hierarchy["ward_a"], month, value)
        post(metrics_client, bearer, kpi, hierarchy["ward_b"], month, value)
    post(metrics_client, bearer, kpi, hierarchy["ward_a"], len(STEADY), 9.5)
    assert alerts(metrics_state, kpi, trust) == [], "ward B has not reported the month yet"
    post(metrics_client, bearer, kpi, hierarchy["ward_b"], len(STEADY), 9.3)
    [alert] = alerts(metrics_state, kpi, trust)
    assert alert["data"]["value"] == pytest.approx(9.4)


def test_a_trust_month_is_complete_only_when_the_wards_below_its_directorates_have_reported(
    metrics_client, metrics_state, bearer, hierarchy
):
    suffix = hierarchy["kpi"].split("-")[1]
    admin = bearer("admin")
    directorate, ward_c, ward_d = f"D-{suffix}", f"WC-{suffix}", f"WD-{suffix}"
    units = ((directorate, "directorate", hierarchy["trust"]), (ward_c, "ward", directorate),
             (ward_d, "ward", directorate))
    for code, level, parent in units:
        assert metrics_client.post("/api/v1/units", json={"code": code, "name": code, "level": level,
                                                          "parent_code": parent}, headers=admin).status_code == 201
    kpi, trust = hierarchy["kpi"], hierarchy["trust"]
    for month, value in enumerate(STEADY):
        for ward in (hierarchy["ward_a"], ward_c, ward_d):
            post(metrics_client, bearer, kpi, ward, month, value)
    post(metrics_client, bearer, kpi, hierarchy["ward_a"], len(STEADY), 9.5)
    post(metrics_client, bearer, kpi, ward_c, len(STEADY), 9.5)  # the directorate now has a (partial) value
    assert alerts(metrics_state, kpi, trust) == [], "ward D, below the directorate, has not reported yet"
    post(metrics_client, bearer, kpi, ward_d, len(STEADY), 9.3)
    assert len(alerts(metrics_state, kpi, trust)) == 1


# --- measures from feeds: stored by the consumer a batch at a time, aggregated by the worker ----

def consume(state, kpi, unit, values, first_month=0, correlationid=None, live=False):
    """Hand measure.recorded events to the consumer's batch handler in one transaction, as one
    Kafka batch would; the charts are left to the aggregator worker, as a backfill's are (``live``:
    a batch as small as live traffic, charted at once)."""
    events = [new_event("measure.recorded", {"kpi_code": kpi, "unit_code": unit, "source": "feed",
                                             "period": month_name(first_month + i), "value": value},
                        source="urn:test", correlationid=correlationid) for i, value in enumerate(values)]
    handler = event_handlers(state.settings, state.pool)["measure.recorded"]
    with mock.patch.object(handlers, "LIVE_BATCH", len(events) if live else 0), \
            unit_of_work(state.pool, "metrics") as uow:
        assert handler.handle_many(uow, [(event, REGISTRY.load(event)) for event in events]) == [None] * len(events)
    return events


def month_name(index):
    return f"{2023 + index // 12}-{index % 12 + 1:02d}"


def settle(state, kpi):
    """Run aggregator passes until nothing is queued for the KPI (the running worker may take some)."""
    deadline = time.monotonic() + 20
    while True:
        aggregator.run_pass(state.pool)
        with unit_of_work(state.pool, "metrics") as uow:
            if queues.queued(uow, [kpi]) == 0:
                return
        assert time.monotonic() < deadline, "the aggregation queue did not drain"
        time.sleep(0.05)


def updates(state, kpi, unit):
    with state.pool.connection() as conn:
        return conn.execute(
            "SELECT envelope FROM outbox WHERE event_type = 'kpi.updated' AND key = %s ORDER BY position",
            (f"{kpi}|{unit}",)).fetchall()


def test_a_batch_of_months_from_a_feed_is_charted_once_with_its_latest_month(metrics_state, hierarchy):
    kpi, ward, trust = hierarchy["kpi"], hierarchy["ward_a"], hierarchy["trust"]
    [*_, last] = consume(metrics_state, kpi, ward, STEADY, correlationid="feed-run-1")
    settle(metrics_state, kpi)
    assert [row["value"] for row in kpi_values(metrics_state, kpi, trust)] == pytest.approx(STEADY)
    [ward_update] = updates(metrics_state, kpi, ward)
    data = ward_update["envelope"]["data"]
    assert (data["cause"], data["period"], data["value"]) == ("measure", "2023-12", STEADY[-1])
    assert ward_update["envelope"]["correlationid"] == "feed-run-1"
    [trust_update] = updates(metrics_state, kpi, trust)
    assert trust_update["envelope"]["data"]["cause"] == "rollup"
    with metrics_state.pool.connection() as conn:
        chart = expanded(conn.execute("SELECT chart FROM spc_charts WHERE kpi_code = %s AND unit_code = %s",
                                      (kpi, ward)).fetchone()["chart"])
    assert chart["periods_of_points"] == [month_name(i) for i in range(len(STEADY))]
    assert last.id in {row["event_id"] for row in revisions_of(metrics_state, kpi, ward, "2023-12")}


def test_a_live_measure_from_a_feed_is_charted_before_its_batch_commits_and_alerts_once(metrics_state, hierarchy):
    kpi, ward = hierarchy["kpi"], hierarchy["ward_a"]
    consume(metrics_state, kpi, ward, STEADY + [4.5])
    settle(metrics_state, kpi)
    consume(metrics_state, kpi, ward, [9.5], first_month=len(STEADY) + 1, live=True)
    with unit_of_work(metrics_state.pool, "metrics") as uow:
        assert queues.queued(uow, [kpi]) == 0, "nothing left to the worker"
        assert not queues.any_queued(uow, [kpi])
    [alert] = alerts(metrics_state, kpi, ward)
    assert alert["data"]["period"] == month_name(len(STEADY) + 1)
    assert updates(metrics_state, kpi, hierarchy["trust"])[-1]["envelope"]["data"]["period"] == \
        month_name(len(STEADY) + 1), "the roll-up too"
    settle(metrics_state, kpi)
    assert len(alerts(metrics_state, kpi, ward)) == 1


def test_a_batch_larger_than_live_traffic_is_left_to_the_worker(metrics_state, hierarchy):
    kpi, ward = hierarchy["kpi"], hierarchy["ward_a"]
    events = [new_event("measure.recorded", {"kpi_code": kpi, "unit_code": ward, "source": "feed",
                                             "period": month_name(i), "value": 4.0 + i % 3}, source="urn:test")
              for i in range(handlers.LIVE_BATCH + 1)]
    handler = event_handlers(metrics_state.settings, metrics_state.pool)["measure.recorded"]
    with unit_of_work(metrics_state.pool, "metrics") as uow:
        handler.handle_many(uow, [(event, REGISTRY.load(event)) for event in events])
        assert queues.queued(uow, [kpi]) > 0
        assert queues.any_queued(uow, [kpi]) and not queues.any_queued(uow, [f"{kpi}-other"])
    settle(metrics_state, kpi)
    assert len(updates(metrics_state, kpi, ward)) == 1


def test_the_consumer_lands_a_large_batch_and_the_worker_numbers_and_charts_it(metrics_state, hierarchy):
    kpi, ward = hierarchy["kpi"], hierarchy["ward_a"]
    values = [4.0 + i % 3 for i in range(handlers.LIVE_BATCH + 5)]
    events = [new_event("measure.recorded", {"kpi_code": kpi, "unit_code": ward, "source": "feed",
                                             "period": month_name(i), "value": value}, source="urn:test")
              for i, value in enumerate(values)]
    events.append(events[3])  # a message twice in one poll
    messages = [SimpleNamespace(value=event.to_json(), topic="wtgr.measures", partition=0, offset=i)
                for i, event in enumerate(events)]
    runner = ConsumerRunner("metrics", metrics_state.pool, None, None, "unused",
                            event_handlers(metrics_state.settings, metrics_state.pool))
    ids = [event.id for event in events]
    with metrics_state.pool.connection() as holder, holder.transaction():  # no worker merges them meanwhile
        holder.execute("SELECT pg_advisory_xact_lock(hashtextextended('merge|landed', 0))")
        assert runner.process_batch(messages) == [Outcome("handled")] * len(events)
        with unit_of_work(metrics_state.pool, "metrics") as uow:
            assert uow.one("SELECT count(*) AS n FROM landed_measures WHERE event_id = ANY(%s)", (ids,))["n"] == \
                len(events)
            assert uow.one("SELECT count(*) AS n FROM handled_events WHERE event_id = ANY(%s)", (ids,))["n"] == 0
            assert kpi_values(metrics_state, kpi, ward) == []
    settle(metrics_state, kpi)
    assert [row["value"] for row in kpi_values(metrics_state, kpi, ward)] == values
    with unit_of_work(metrics_state.pool, "metrics") as uow:
        assert uow.one("SELECT count(*) AS n FROM handled_events WHERE event_id = ANY(%s)", (ids,))["n"] == \
            len(values)
        assert uow.one("SELECT count(*) AS n FROM measures WHERE kpi_code = %s", (kpi,))["n"] == len(values)
    [update] = updates(metrics_state, kpi, ward)
    assert update["envelope"]["data"]["period"] == month_name(len(values) - 1)


def test_a_merge_meeting_an_event_handled_meanwhile_gives_its_chunk_back_and_the_next_merges_the_rest(
        metrics_state, hierarchy):
    kpi, ward = hierarchy["kpi"], hierarchy["ward_a"]
    events = [handlers.Incoming(Measure(kpi, ward, first_day_of(month_name(i)), 4.0 + i, None, None, "feed"),
                                f"raced-{uuid.uuid4()}") for i in range(3)]
    with unit_of_work(metrics_state.pool, "metrics") as uow:
        handlers.land_measures(uow, events, ["wtgr.measures"] * 3, metrics_state.today())
    outcome: list = []
    with mock.patch.object(aggregator, "LANDING_QUIET", 0), metrics_state.pool.connection() as other:
        with other.transaction():  # the first event's redelivery, handled in line, commits while the merge waits
            other.execute("INSERT INTO handled_events (event_id, event_type, topic) VALUES (%s, 'measure.recorded',"
                          " 'wtgr.measures')", (events[0].event_id,))
            merging = threading.Thread(target=lambda: outcome.append(aggregator.merge_landed(metrics_state.pool)))
            merging.start()
            time.sleep(0.3)
        merging.join(timeout=30)
    assert outcome == [0], "no error, nothing taken (or another worker held the merge)"
    deadline = time.monotonic() + 20
    while revisions_count(metrics_state, kpi, ward) < 2:
        aggregator.run_pass(metrics_state.pool)
        assert time.monotonic() < deadline, "the rest was not merged"
        time.sleep(0.1)
    assert [row["value"] for row in kpi_values(metrics_state, kpi, ward)] == [5.0, 6.0], \
        "the event handled meanwhile is not stored again"


def revisions_count(state, kpi, unit):
    with state.pool.connection() as conn:
        return conn.execute("SELECT count(*) AS n FROM measures WHERE kpi_code = %s AND unit_code = %s",
                            (kpi, unit)).fetchone()["n"]


def test_workers_sharing_the_queue_claim_different_charts_without_waiting_for_each_other(metrics_state, hierarchy):
    kpi = hierarchy["kpi"]
    consume(metrics_state, kpi, hierarchy["ward_a"], STEADY)
    consume(metrics_state, kpi, hierarchy["ward_b"], STEADY)
    with metrics_state.pool.connection() as first, metrics_state.pool.connection() as second:
        try:  # two passes at once, each its own transaction
            second.execute("SET LOCAL statement_timeout = '5s'")  # waiting for the first would fail the claim
            taken_first = queues.claim_charts(UnitOfWork(first, "metrics"), 1, 1000)
            taken_second = queues.claim_charts(UnitOfWork(second, "metrics"), 1000, 1000)
            first_series = {(c.kpi_code, c.unit_code) for c in taken_first}
            assert len(first_series) <= 1
            assert first_series.isdisjoint({(c.kpi_code, c.unit_code) for c in taken_second})
        finally:
            first.rollback()
            second.rollback()  # the work stays queued for the worker
    settle(metrics_state, kpi)


def claims_held(conn):
    return conn.execute("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                        ).fetchone()["n"]


def test_a_pass_claims_only_the_kpi_months_and_charts_it_takes_leaving_the_rest_to_other_workers(metrics_state,
                                                                                               hierarchy):
    # Queued in the pass' own transaction, so that the running aggregator worker cannot take them.
    kpi, trust, wards = hierarchy["kpi"], hierarchy["trust"], (hierarchy["ward_a"], hierarchy["ward_b"])
    months = [first_day_of(month_name(m)) for m in range(3)]
    with metrics_state.pool.connection() as conn, conn.transaction(force_rollback=True):
        uow = UnitOfWork(conn, "metrics")
        for _ in wards:  # each month queued twice, as by two batches
            queues.enqueue_rollups(uow, [(kpi, trust, month) for month in months])
        queues.enqueue_charts(uow, [(kpi, ward, "measure", {}, None) for ward in wards])
        held = claims_held(conn)
        taken = [(k, u, p) for k, u, p in queues.claim_rollups(uow, 1, 1_000_000) if k == kpi]
        assert taken in ([], [(kpi, trust, months[0])] * 2), "every row of one KPI-month, or another KPI's"
        assert claims_held(conn) == held + 1, "a try-lock on the KPI-month taken only"
        charts = queues.claim_charts(uow, 1, 1_000_000)
        assert len({(c.kpi_code, c.unit_code) for c in charts}) == 1
        assert claims_held(conn) == held + 2, "a try-lock on the chart taken only"


def revisions_of(state, kpi, unit, month):
    with state.pool.connection() as conn:
        return conn.execute("SELECT event_id FROM measures WHERE kpi_code = %s AND unit_code = %s AND period = %s",
                            (kpi, unit, first_day_of(month))).fetchall()


def test_a_signal_spanning_months_that_arrive_together_alerts_once_and_not_again_as_it_goes_on(
    metrics_state, hierarchy
):
    kpi, ward = hierarchy["kpi"], hierarchy["ward_a"]
    consume(metrics_state, kpi, ward, STEADY)
    settle(metrics_state, kpi)
    consume(metrics_state, kpi, ward, [9.5, 9.8], first_month=len(STEADY))  # two months above the limit at once
    settle(metrics_state, kpi)
    [alert] = alerts(metrics_state, kpi, ward)
    assert (alert["data"]["period"], alert["data"]["signal_start"]) == ("2024-02", "2024-01")
    consume(metrics_state, kpi, ward, [9.7, 9.6], first_month=len(STEADY) + 2)  # two more, again at once
    settle(metrics_state, kpi)
    assert len(alerts(metrics_state, kpi, ward)) == 1, "the same signal going on"


def test_a_feed_measure_the_consumer_rejects_queues_nothing(metrics_state, hierarchy):
    event = new_event("measure.recorded", {"kpi_code": hierarchy["kpi"], "unit_code": "NO-SUCH-WARD",
                                           "period": "2023-01", "value": 4.0, "source": "feed"}, source="urn:test")
    handler = event_handlers(metrics_state.settings, metrics_state.pool)["measure.recorded"]
    with unit_of_work(metrics_state.pool, "metrics") as uow:
        [reason] = handler.handle_many(uow, [(event, REGISTRY.load(event))])
        assert "unknown organisational unit" in reason
        assert queues.queued(uow, [hierarchy["kpi"]]) == 0


# --- two workers draining one KPI's backfill across a ward -> directorate -> trust tree ----------

@pytest.fixture
def tree(metrics_client, bearer):
    """A trust over two directorates of two wards each, and two KPIs with the same figures."""
    suffix = uuid.uuid4().hex[:8].upper()
    admin = bearer("admin")
    trust, directorates = f"T-{suffix}", [f"DA-{suffix}", f"DB-{suffix}"]
    wards = {directorate: [f"W{directorate[1]}{i}-{suffix}" for i in (1, 2)] for directorate in directorates}
    units = [(trust, "trust", None)] + [(d, "directorate", trust) for d in directorates] + [
        (ward, "ward", d) for d in directorates for ward in wards[d]]
    for code, level, parent in units:
        assert metrics_client.post("/api/v1/units", json={"code": code, "name": code, "level": level,
                                                          "parent_code": parent}, headers=admin).status_code == 201
    kpis = {"two_workers": f"TWO-{suffix}", "one_worker": f"ONE-{suffix}"}
    for code in kpis.values():
        assert metrics_client.post("/api/v1/kpis", json={
            "code": code, "name": code, "unit_of_measure": "days", "improvement_direction": "decrease",
            "aggregation": "mean", "owners": ["owner@hospital.example"]}, headers=admin).status_code == 201
    return {"kpis": kpis, "units": [code for code, _, _ in units],
            "wards": [(ward, d) for d in directorates for ward in wards[d]]}


MONTHS_STORED = 15  # past the 13 months of an XmR chart


def stored_without_work(state, kpi, wards):
    """Store each ward's months (a step change after ten months), queueing nothing."""
    with unit_of_work(state.pool, "metrics") as uow:
        handlers.record_measures(uow, [
            handlers.Incoming(Measure(kpi, ward, first_day_of(month_name(month)),
                                      4.0 + w + (month % 3) / 10 + (2.0 if month >= 10 else 0), None, None, "feed"))
            for w, (ward, _) in enumerate(wards) for month in range(MONTHS_STORED)], state.today())


def queue(uow, kpi, wards, months):
    """What a backfill of ``wards`` over ``months`` queues: the wards' charts and their directorates' months."""
    queues.enqueue_rollups(uow, {(kpi, directorate, first_day_of(month_name(m))) for _, directorate in wards
                                 for m in months})
    queues.enqueue_charts(uow, [(kpi, ward, "measure", {}, None) for ward, _ in wards])


def end_state(state, kpi, units):
    with state.pool.connection() as conn:
        values = conn.execute("SELECT unit_code, period, value, rolled_up FROM kpi_values WHERE kpi_code = %s"
                              " AND unit_code = ANY(%s) ORDER BY unit_code, period", (kpi, units)).fetchall()
        stored = conn.execute("SELECT unit_code, first_period, last_period, last_value, last_point_type,"
                              " variation_icon, assurance_icon, chart_type, chart, provisional_through"
                              " FROM spc_charts WHERE kpi_code = %s AND unit_code = ANY(%s) ORDER BY unit_code",
                              (kpi, units)).fetchall()
    return values, stored


@pytest.mark.parametrize("split", ["by ward: the same months", "by month: the same parents' charts"])
def test_two_workers_draining_one_kpis_tree_never_wait_for_each_other_and_end_as_one_worker_does(
        metrics_state, tree, split):
    # The two passes queue their share of the work in their own transactions, so that the running
    # aggregator worker cannot take it first; each then claims and does it as a worker pass does.
    # By ward, both passes find every month queued: the second must skip the KPI-months the first
    # holds, not wait on their roll-up locks. By month, their roll-ups change the same directorate
    # and trust charts: the second must queue them, not wait on the first's chart locks.
    kpi, alone, wards, all_months = tree["kpis"]["two_workers"], tree["kpis"]["one_worker"], tree["wards"], \
        range(MONTHS_STORED)
    for code in (kpi, alone):
        stored_without_work(metrics_state, code, wards)
    with unit_of_work(metrics_state.pool, "metrics") as uow:
        queue(uow, alone, wards, all_months)
    settle(metrics_state, alone)
    if split.startswith("by ward"):
        shares = [(wards[0::2], all_months), (wards[1::2], all_months)]
    else:
        shares = [(wards, range(0, 7)), (wards, range(7, MONTHS_STORED))]
    with metrics_state.pool.connection() as first, metrics_state.pool.connection() as second:
        try:
            passes = []
            for conn, (share_wards, share_months) in zip((first, second), shares, strict=True):
                conn.execute("SET LOCAL lock_timeout = '1s'")  # waiting for the other pass fails it
                uow = UnitOfWork(conn, "metrics")
                queue(uow, kpi, share_wards, share_months)
                work = aggregator.claimed_work(uow)
                aggregator.do_claimed_work(uow, work)
                passes.append(work)
            assert all(work.claimed for work in passes)
            claimed_months = [{(k, p) for k, _, p in work.months if k == kpi} for work in passes]
            assert claimed_months[0].isdisjoint(claimed_months[1]), "no KPI-month rolled up by both"
            with metrics_state.pool.connection() as observer:
                assert observer.execute("SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND pid = ANY(%s)",
                                        ([first.info.backend_pid, second.info.backend_pid],)).fetchone()["n"] == 0
        finally:
            second.commit()
            first.commit()
    settle(metrics_state, kpi)
    assert end_state(metrics_state, kpi, tree["units"]) == end_state(metrics_state, alone, tree["units"])
    values, charted = end_state(metrics_state, kpi, tree["units"])
    assert sum(row["rolled_up"] for row in values) == 3 * MONTHS_STORED
    assert {row["unit_code"] for row in charted} == set(tree["units"])
