"""A backfill's batch stored set-based, its aggregation work queued by the statement that stores
it, against the same batch stored with the work built in Python and queued by ``aggregator.enqueue``:
the same revisions, values and queue rows, whatever the order and repeats of the months."""

import random
import uuid

import psycopg
import pytest

from services.metrics.domain.measures import Measure, MeasureRejected
from services.metrics.service_layer import aggregator, handlers
from shared.db import UnitOfWork
from shared.month import first_day_of

pytestmark = pytest.mark.integration


@pytest.fixture
def tree(metrics_client, bearer):
    """A trust over two directorates, the first with two wards; a third ward moves from the second
    directorate to the first in 2023-03 (the second has no ward from then on)."""
    suffix = uuid.uuid4().hex[:8].upper()
    admin = bearer("admin")
    codes = {"trust": f"ST-{suffix}", "dir_a": f"SDA-{suffix}", "dir_b": f"SDB-{suffix}",
             "wards": [f"SW{i}-{suffix}" for i in range(3)], "kpis": [f"SK{i}-{suffix}" for i in range(2)]}
    units = [(codes["trust"], "trust", None), (codes["dir_a"], "directorate", codes["trust"]),
             (codes["dir_b"], "directorate", codes["trust"])]
    units += [(ward, "ward", codes["dir_a"]) for ward in codes["wards"][:-1]] + [(codes["wards"][-1], "ward",
                                                                                 codes["dir_b"])]
    for code, level, parent in units:
        assert metrics_client.post("/api/v1/units", json={"code": code, "name": code, "level": level,
                                                          "parent_code": parent}, headers=admin).status_code == 201
    moved = metrics_client.patch(f"/api/v1/units/{codes['wards'][-1]}", headers=admin,
                                 json={"parent_code": codes["dir_a"], "moved_from": "2023-03"})
    assert moved.status_code == 200, moved.get_json()
    for code in codes["kpis"]:
        assert metrics_client.post("/api/v1/kpis", json={
            "code": code, "name": code, "unit_of_measure": "percent", "improvement_direction": "increase",
            "aggregation": "ratio"}, headers=admin).status_code == 201
    return codes


def batch(tree, seed):
    """Measures with repeats: the same figures again, a month revised and revised back, months out
    of order, a ratio, a unit's move between months, and a few that are refused."""
    rng = random.Random(seed)
    months = [first_day_of(f"2023-{m:02d}") for m in range(1, 6)]
    incoming = []
    for n in range(300):
        kpi, unit, month = rng.choice(tree["kpis"]), rng.choice(tree["wards"]), rng.choice(months)
        value = rng.choice([40.0, 50.0, 60.0])
        numerator, denominator = (value, 100.0) if rng.random() < 0.3 else (None, None)
        incoming.append(handlers.Incoming(Measure(kpi, unit, month, value, numerator, denominator, "feed"),
                                          f"event-{seed}-{n}", f"correlation-{n % 7}"))
    incoming.insert(17, handlers.Incoming(Measure(tree["kpis"][0], tree["wards"][0], months[0], 150.0, None, None,
                                                  "feed"), "impossible"))
    incoming.insert(40, handlers.Incoming(Measure(tree["kpis"][0], tree["trust"], months[0], 50.0, None, None,
                                                  "feed"), "rolled-up-level"))
    return incoming


def expected_revisions(incoming, outcomes):
    """What the revisions must be, worked out one measure at a time: a month's figures stored again
    only when they differ from its latest."""
    latest: dict = {}
    expected = []
    for item, outcome in zip(incoming, outcomes, strict=True):
        if isinstance(outcome, str):
            expected.append(outcome)
            continue
        m = item.measure
        key, figures = (m.kpi_code, m.unit_code, m.period), (m.value, m.numerator, m.denominator)
        revision, before = latest.get(key, (0, None))
        if figures == before:
            expected.append((revision, False))
        else:
            latest[key] = (revision + 1, figures)
            expected.append((revision + 1, True))
    return expected


def stored_state(uow, tree):
    kpis = tree["kpis"]
    return {
        "measures": uow.all("SELECT kpi_code, unit_code, period, revision, value, numerator, denominator, event_id"
                            " FROM measures WHERE kpi_code = ANY(%s) ORDER BY 1, 2, 3, 4", (kpis,)),
        "values": uow.all("SELECT kpi_code, unit_code, period, value, numerator, denominator, rolled_up"
                          " FROM kpi_values WHERE kpi_code = ANY(%s) ORDER BY 1, 2, 3", (kpis,)),
        "charts": uow.all("SELECT kpi_code, unit_code, cause, change, correlation_id FROM chart_queue"
                          " WHERE kpi_code = ANY(%s) ORDER BY id", (kpis,)),
        "rollups": uow.all("SELECT kpi_code, unit_code, period FROM rollup_queue WHERE kpi_code = ANY(%s)"
                           " ORDER BY 1, 2, 3", (kpis,)),
    }


def record_twice(metrics_state, tree, incoming, *, queue):
    """Two batches (the second revisits the first's months), then the state; rolled back."""
    with metrics_state.pool.connection() as conn, conn.transaction(force_rollback=True):
        uow = UnitOfWork(conn, "metrics")
        results = []
        for part in (incoming[:150], incoming[150:]):
            outcomes, work = handlers.record_measures(uow, part, metrics_state.today(), queue=queue)
            if not queue:
                aggregator.enqueue(uow, work)
            else:
                assert not work
            results += [outcome if isinstance(outcome, MeasureRejected) else (outcome.revision, outcome.changed)
                        for outcome in outcomes]
        return [str(r) if isinstance(r, MeasureRejected) else r for r in results], stored_state(uow, tree)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_batch_queued_by_its_own_statement_matches_the_work_built_in_python(metrics_state, tree, seed):
    incoming = batch(tree, seed)
    in_python = record_twice(metrics_state, tree, incoming, queue=False)
    set_based = record_twice(metrics_state, tree, incoming, queue=True)
    assert set_based == in_python
    outcomes, state = set_based
    assert outcomes == expected_revisions(incoming, outcomes)
    assert len(state["measures"]) == sum(1 for outcome in outcomes if isinstance(outcome, tuple) and outcome[1])
    assert "value: 150.0 is impossible for a KPI measured in percent (allowed 0.0 to 100.0)" in outcomes
    assert sum(1 for outcome in outcomes if isinstance(outcome, tuple) and not outcome[1]) > 20  # repeats skipped
    assert any(row["revision"] > 2 for row in state["measures"])
    assert {row["unit_code"] for row in state["rollups"]} == {tree["dir_a"], tree["dir_b"]}
    assert max(row["period"] for row in state["rollups"] if row["unit_code"] == tree["dir_b"]) < first_day_of("2023-03")
    charts = [(row["kpi_code"], row["unit_code"]) for row in state["charts"]]
    assert all(charts.count(chart) == 2 for chart in charts)  # once a batch


def test_revisions_in_one_batch_follow_the_stored_latest(metrics_state, tree):
    kpi, ward = tree["kpis"][0], tree["wards"][0]
    january = first_day_of("2023-01")

    def incoming(value):
        return handlers.Incoming(Measure(kpi, ward, january, value, None, None, "feed"))

    with metrics_state.pool.connection() as conn, conn.transaction(force_rollback=True):
        uow = UnitOfWork(conn, "metrics")
        handlers.record_measures(uow, [incoming(40.0)], metrics_state.today(), queue=True)
        outcomes, _ = handlers.record_measures(
            uow, [incoming(40.0), incoming(50.0), incoming(50.0), incoming(40.0)], metrics_state.today(), queue=True)
        assert [(o.revision, o.changed) for o in outcomes] == [(1, False), (2, True), (2, False), (3, True)]
        [change] = uow.all("SELECT change FROM chart_queue WHERE kpi_code = %s ORDER BY id DESC LIMIT 1", (kpi,))
        assert change["change"] == {"period": "2023-01", "value": 40.0, "revision": 3, "previous_value": 50.0,
                                    "source": "feed"}


def test_a_revision_or_value_naming_an_unknown_kpi_or_unit_is_refused_as_a_foreign_key_would(metrics_state, tree):
    kpi, ward = tree["kpis"][0], tree["wards"][0]
    statements = [
        ("INSERT INTO measures (kpi_code, unit_code, period, revision, value, source)"
         " VALUES (%s, %s, '2023-01-01', 1, 1, 'test')", ("NO-SUCH-KPI", ward)),
        ("INSERT INTO measures (kpi_code, unit_code, period, revision, value, source)"
         " VALUES (%s, %s, '2023-01-01', 1, 1, 'test')", (kpi, "NO-SUCH-UNIT")),
        ("INSERT INTO kpi_values (kpi_code, unit_code, period, value, rolled_up)"
         " VALUES (%s, %s, '2023-01-01', 1, false)", ("NO-SUCH-KPI", ward)),
        ("INSERT INTO kpi_values (kpi_code, unit_code, period, value, rolled_up)"
         " VALUES (%s, %s, '2023-01-01', 1, false)", (kpi, "NO-SUCH-UNIT")),
        ("DELETE FROM kpis WHERE code = %s", (kpi,)),
        ("UPDATE units SET code = 'RENAMED' WHERE code = %s", (ward,)),
    ]
    for sql, params in statements:
        with (metrics_state.pool.connection() as conn, conn.transaction(force_rollback=True),
              pytest.raises(psycopg.errors.ForeignKeyViolation)):
            conn.execute(sql, params)
    with metrics_state.pool.connection() as conn, conn.transaction(force_rollback=True):
        conn.execute(statements[0][0], (kpi, ward))  # both known: stored
        conn.execute("UPDATE kpi_values SET value = value WHERE kpi_code = %s", (kpi,))


# --- a backfill landed by the consumer, merged by the aggregator worker ---------------------------

def land(uow, incoming, today):
    """Land measures as the consumer does a large batch; the reasons of those refused."""
    return [str(problem) for problem in handlers.land_measures(uow, incoming, ["wtgr.measures"] * len(incoming),
                                                               today) if problem is not None]


def merge_all(uow, incoming):
    """Merge these measures' landed rows as the worker does (its locks, its statement)."""
    rows = uow.all("SELECT seq, kpi_code, unit_code, period FROM landed_measures WHERE event_id = ANY(%s)"
                   " ORDER BY seq", ([item.event_id for item in incoming],))
    return aggregator.merge_chunk(uow, [(row["seq"], (row["kpi_code"], row["unit_code"], row["period"]))
                                        for row in rows])


@pytest.mark.parametrize("seed", [1, 2])
def test_a_landed_backfill_merged_by_the_worker_matches_the_batch_stored_at_once(metrics_state, tree, seed):
    incoming = batch(tree, seed)
    _, stored_at_once = record_twice(metrics_state, tree, incoming, queue=True)
    with metrics_state.pool.connection() as conn, conn.transaction(force_rollback=True):
        uow = UnitOfWork(conn, "metrics")
        refused = land(uow, incoming[:150], metrics_state.today()) + land(uow, incoming[150:], metrics_state.today())
        assert stored_state(uow, tree)["measures"] == [], "landing numbers nothing"
        taken, stored = merge_all(uow, incoming)
        merged = stored_state(uow, tree)
        handled = uow.all("SELECT count(*) AS n FROM handled_events WHERE event_id = ANY(%s)",
                          ([item.event_id for item in incoming],))[0]["n"]
    assert len(refused) == 2
    assert "value: 150.0 is impossible for a KPI measured in percent (allowed 0.0 to 100.0)" in refused
    assert (taken, handled) == (len(incoming) - 2, len(incoming) - 2)
    assert stored == len(merged["measures"])
    for part in ("measures", "values"):
        assert merged[part] == stored_at_once[part], part
    # Merged as one chunk, each roll-up and chart is queued once, not once a batch.
    assert merged["rollups"] == [dict(t) for t in sorted({tuple(r.items()) for r in stored_at_once["rollups"]})]
    assert len({(r["kpi_code"], r["unit_code"]) for r in merged["charts"]}) == len(merged["charts"])
    assert {(r["kpi_code"], r["unit_code"]) for r in merged["charts"]} == \
        {(r["kpi_code"], r["unit_code"]) for r in stored_at_once["charts"]}


def test_a_redelivered_landed_event_is_merged_once(metrics_state, tree):
    kpi, ward = tree["kpis"][0], tree["wards"][0]
    events = [handlers.Incoming(Measure(kpi, ward, first_day_of(f"2023-0{m}"), value, None, None, "feed"),
                                f"redelivered-{uuid.uuid4()}") for m, value in ((1, 40.0), (1, 50.0), (2, 40.0))]
    with metrics_state.pool.connection() as conn, conn.transaction(force_rollback=True):
        uow = UnitOfWork(conn, "metrics")
        land(uow, events, metrics_state.today())
        land(uow, events, metrics_state.today())  # the same poll again: the offsets were never committed
        assert merge_all(uow, events) == (6, 3)
        land(uow, events, metrics_state.today())  # again, after they were merged
        assert merge_all(uow, events) == (3, 0)
        assert [(r["period"].month, r["revision"], r["value"]) for r in stored_state(uow, tree)["measures"]] == \
            [(1, 1, 40.0), (1, 2, 50.0), (2, 1, 40.0)]


def test_a_measure_stored_in_line_follows_the_landed_measures_of_its_month(metrics_state, tree):
    kpi, ward = tree["kpis"][0], tree["wards"][0]
    january = first_day_of("2023-01")

    def incoming(value):
        return handlers.Incoming(Measure(kpi, ward, january, value, None, None, "feed"), f"e-{uuid.uuid4()}")

    with metrics_state.pool.connection() as conn, conn.transaction(force_rollback=True):
        uow = UnitOfWork(conn, "metrics")
        land(uow, [incoming(40.0), incoming(50.0)], metrics_state.today())
        [outcome], _ = handlers.record_measures(uow, [incoming(60.0)], metrics_state.today())
        assert (outcome.revision, outcome.changed) == (3, True)
        assert [(r["revision"], r["value"]) for r in stored_state(uow, tree)["measures"]] == \
            [(1, 40.0), (2, 50.0), (3, 60.0)]
        assert [r["value"] for r in stored_state(uow, tree)["values"] if r["unit_code"] == ward] == [60.0]
        assert uow.all("SELECT * FROM landed_measures WHERE kpi_code = %s", (kpi,)) == []
