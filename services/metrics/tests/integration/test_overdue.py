import uuid
from datetime import date

import pytest

from services.metrics.service_layer.overdue import flag_overdue
from shared.db import unit_of_work

pytestmark = pytest.mark.integration


def overdue_events(state, kpi):
    with state.pool.connection() as conn:
        return conn.execute("SELECT envelope->'data' AS data FROM outbox WHERE event_type = 'measure.overdue'"
                            " AND envelope->'data'->>'kpi_code' = %s", (kpi,)).fetchall()


def ward_and_kpi(client, bearer, prefix, **kpi_fields):
    """A new ward and a new count KPI (shorter is better) with ``kpi_fields``; their codes."""
    suffix = uuid.uuid4().hex[:8].upper()
    kpi, unit = f"{prefix}-{suffix}", f"{prefix}W-{suffix}"
    admin = bearer("admin")
    client.post("/api/v1/units", json={"code": unit, "name": "Ward", "level": "ward"}, headers=admin)
    client.post("/api/v1/kpis", json={"code": kpi, "unit_of_measure": "count", "improvement_direction": "decrease",
                                      **kpi_fields}, headers=admin)
    return kpi, unit


def record(client, bearer, kpi, unit, month):
    client.post("/api/v1/measures", json={"kpi_code": kpi, "unit_code": unit, "period": month, "value": 3,
                                          "source": "feed"}, headers=bearer("feed"))


def test_a_month_missing_after_its_deadline_is_flagged_once_to_the_owners(metrics_client, metrics_state, bearer):
    kpi, unit = ward_and_kpi(metrics_client, bearer, "OD", name="Overdue test", expected_by_day=27,
                             owners=["od@hospital.example"])
    record(metrics_client, bearer, kpi, unit, "2021-01")
    with unit_of_work(metrics_state.pool, "metrics") as uow:
        flag_overdue(uow, date(2021, 3, 27))  # February is due by 27 March: not yet
    assert overdue_events(metrics_state, kpi) == []

    for _ in range(2):
        with unit_of_work(metrics_state.pool, "metrics") as uow:
            flag_overdue(uow, date(2021, 3, 28))
    [event] = overdue_events(metrics_state, kpi)
    assert event["data"]["period"] == "2021-02"
    assert event["data"]["expected_by"] == "2021-03-27"
    assert event["data"]["owners"] == ["od@hospital.example"]


def test_a_month_that_arrived_is_not_overdue(metrics_client, metrics_state, bearer):
    kpi, unit = ward_and_kpi(metrics_client, bearer, "OK", name="On time", expected_by_day=5)
    for month in ("2021-01", "2021-02"):
        record(metrics_client, bearer, kpi, unit, month)
    with unit_of_work(metrics_state.pool, "metrics") as uow:
        flag_overdue(uow, date(2021, 3, 10))
    assert overdue_events(metrics_state, kpi) == []


def scrape_overdue(state, today):
    from prometheus_client import CollectorRegistry, generate_latest

    from services.metrics.entrypoints.scrape import OverdueFeedGauges

    registry = CollectorRegistry(auto_describe=False)
    registry.register(OverdueFeedGauges(state.pool, lambda: today))
    return generate_latest(registry).decode()


def test_the_overdue_gauge_names_each_kpi_with_how_many_units_are_overdue(metrics_client, metrics_state, bearer):
    kpi, unit = ward_and_kpi(metrics_client, bearer, "OG", name="Overdue gauge", expected_by_day=27)
    record(metrics_client, bearer, kpi, unit, "2021-01")
    sample = f'wtgr_overdue_feed_units{{kpi="{kpi}",service="metrics"}}'
    assert sample not in scrape_overdue(metrics_state, date(2021, 3, 27))  # February is due by 27 March
    assert f"{sample} 1.0" in scrape_overdue(metrics_state, date(2021, 3, 28))
    record(metrics_client, bearer, kpi, unit, "2021-02")
    assert sample not in scrape_overdue(metrics_state, date(2021, 3, 28))


def test_metrics_page_reads_the_outbox_and_overdue_feeds_from_the_database(metrics_client):
    page = metrics_client.get("/metrics").get_data(as_text=True)
    assert 'wtgr_scrape_success{collector="outbox",service="metrics"} 1.0' in page
    assert 'wtgr_scrape_success{collector="overdue_feeds",service="metrics"} 1.0' in page
    assert 'wtgr_outbox_backlog_events{service="metrics"}' in page
