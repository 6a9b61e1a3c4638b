"""Gauges read at scrape time (the outbox's backlog and age, consumer-group lag) never hold a
scrape up and say when they could not be read."""

import threading
import time
from contextlib import contextmanager

import psycopg
from kafka.structs import TopicPartition
from prometheus_client import CollectorRegistry, generate_latest

from shared.collectors import OutboxGauges
from shared.lag_exporter import LagCollector, PartitionLag, lag_of


class FakeConnection:
    def __init__(self, row: dict) -> None:
        self.row = row
        self.statements: list[str] = []

    def execute(self, sql: str, params=None):
        self.statements.append(sql)
        return self

    def fetchone(self) -> dict:
        return self.row

    @contextmanager
    def transaction(self):
        yield


class FakePool:
    def __init__(self, conn: FakeConnection | None = None, error: Exception | None = None,
                 hang: threading.Event | None = None) -> None:
        self.conn, self.error, self.hang = conn, error, hang

    @contextmanager
    def connection(self, timeout: float | None = None):
        if self.hang is not None:
            self.hang.wait(10)
        if self.error is not None:
            raise self.error
        yield self.conn


def scrape(*collectors) -> str:
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry).decode()


def test_the_outbox_backlog_and_oldest_age_are_read_with_a_statement_timeout():
    conn = FakeConnection({"backlog": 129, "oldest_age": 900.5})
    page = scrape(OutboxGauges("metrics", FakePool(conn)))
    assert 'wtgr_outbox_backlog_events{service="metrics"} 129.0' in page
    assert 'wtgr_outbox_oldest_age_seconds{service="metrics"} 900.5' in page
    assert 'wtgr_scrape_success{collector="outbox",service="metrics"} 1.0' in page
    assert any("statement_timeout" in sql for sql in conn.statements)


def test_with_the_database_down_the_outbox_gauges_are_absent_and_the_failure_is_reported():
    page = scrape(OutboxGauges("metrics", FakePool(error=psycopg.OperationalError("down"))))
    assert "wtgr_outbox_backlog_events{" not in page and "wtgr_outbox_oldest_age_seconds{" not in page
    assert 'wtgr_scrape_success{collector="outbox",service="metrics"} 0.0' in page


def test_a_database_that_never_answers_does_not_hold_the_scrape_past_the_deadline():
    hang = threading.Event()
    started = time.monotonic()
    try:
        page = scrape(OutboxGauges("metrics", FakePool(FakeConnection({}), hang=hang), deadline=0.3))
    finally:
        hang.set()
    assert time.monotonic() - started < 2
    assert 'wtgr_scrape_success{collector="outbox",service="metrics"} 0.0' in page


def test_lag_counts_from_the_committed_offset_or_else_from_the_earliest():
    groups = {"metrics": ("wtgr.measures",)}
    partitions = {"wtgr.measures": [0, 1, 2]}
    tp = [TopicPartition("wtgr.measures", p) for p in range(3)]
    committed = {"metrics": {tp[0]: 40, tp[1]: 5}}
    ends = {tp[0]: 100, tp[1]: 100, tp[2]: 70}
    earliest = {tp[0]: 0, tp[1]: 20, tp[2]: 10}
    found = {item.partition: item.lag for item in lag_of(groups, partitions, committed, ends, earliest)}
    # partition 1's committed offset fell behind retention: what is left to read starts at 20
    assert found == {0: 60, 1: 80, 2: 60}


def test_a_group_caught_up_has_no_lag():
    item = PartitionLag("ideas", "wtgr.projects", 0, committed=12, end=12, earliest=0)
    assert item.lag == 0


class FakeReader:
    def __init__(self, lags=None, error=None, hang=None, groups=None):
        self.lags, self.error, self.hang = lags or [], error, hang
        self.groups = groups or {"metrics": ("wtgr.measures",)}

    def read(self):
        if self.hang is not None:
            self.hang.wait(10)
        if self.error is not None:
            raise self.error
        return self.lags


def test_the_lag_exporter_exports_each_partitions_lag_by_service_and_group():
    reader = FakeReader([PartitionLag("metrics", "wtgr.measures", 3, committed=10, end=2010, earliest=0)])
    page = scrape(LagCollector(reader))
    assert ('wtgr_consumer_group_lag_messages{group="metrics",partition="3",service="metrics",'
            'topic="wtgr.measures"} 2000.0') in page
    assert 'wtgr_scrape_success{collector="consumer_lag",service="platform"} 1.0' in page


def test_a_lanes_group_is_exported_as_its_services():
    reader = FakeReader([PartitionLag("notifications-alerts", "wtgr.kpis", 0, committed=5, end=7, earliest=0)],
                        groups={"notifications-alerts": ("wtgr.kpis",)})
    assert ('wtgr_consumer_group_lag_messages{group="notifications-alerts",partition="0",service="notifications",'
            'topic="wtgr.kpis"} 2.0') in scrape(LagCollector(reader))


def test_with_kafka_down_or_slow_the_lag_exporter_answers_at_once_without_lag():
    from kafka.errors import KafkaTimeoutError

    assert 'collector="consumer_lag",service="platform"} 0.0' in scrape(LagCollector(FakeReader(
        error=KafkaTimeoutError("no broker"))))
    hang = threading.Event()
    started = time.monotonic()
    try:
        page = scrape(LagCollector(FakeReader(hang=hang), deadline=0.3))
    finally:
        hang.set()
    assert time.monotonic() - started < 2
    assert "wtgr_consumer_group_lag_messages{" not in page


def test_two_collectors_reporting_their_success_make_one_family_on_the_page():
    from shared.telemetry import exposition

    first = OutboxGauges("metrics", FakePool(FakeConnection({"backlog": 1, "oldest_age": 2.0})))
    second = OutboxGauges("ideas", FakePool(error=psycopg.OperationalError("down")))
    page = exposition([first, second])[0].decode()
    assert page.count("# TYPE wtgr_scrape_success gauge") == 1
    assert 'wtgr_scrape_success{collector="outbox",service="metrics"} 1.0' in page
    assert 'wtgr_scrape_success{collector="outbox",service="ideas"} 0.0' in page
