"""Backfill: Kafka to stored, aggregated, SPC-classified state, against the raw consume rate.

Both sides read the same scratch topic in this process: first a bare kafka-python consumer
(the baseline), then the metrics consumer runner with the real handlers and the real database.
Between them, the runner's first step alone (decode the CloudEvent, validate its payload with
marshmallow, no database): the ceiling for any consumer that validates what it stores, measured
on the same machine in the same run.
The platform side runs ``consumers`` processes in one consumer group, as a deployment scales the
metrics consumer (up to one per partition). Its clock runs from the first batch any of them
handles until the metrics aggregator worker (the running service's, as in production) has
drained everything the backfill queued.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from psycopg_pool import ConnectionPool

from bench.common import create, months, tag
from services.metrics import bootstrap
from services.metrics.adapters import queues
from shared import db, topics
from shared.config import Settings
from shared.consumer import ConsumerRunner
from shared.events import new_event
from shared.kafka_clients import manual_commit_consumer, reliable_producer


def run(events: int, units: int, kpis: int, consumers: int = 1) -> str:
    settings = Settings.from_env("metrics")
    run_tag = tag()
    n_months = max(1, events // (units * kpis))
    unit_codes, kpi_codes = _catalogue(run_tag, units, kpis)
    topic = f"bench.measures.{run_tag.lower()}"
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    admin.create_topics([NewTopic(topic, topics.PARTITIONS, 1)])
    try:
        total = _produce(settings.kafka_bootstrap, topic, unit_codes, kpi_codes, months(n_months))
        raw_rate = _raw_consume_rate(settings.kafka_bootstrap, topic, total)
        pool = db.make_pool(settings.database_url, max_size=2, name="bench-consumer")
        try:
            validate_rate = _validate_rate(_runner(settings, topic, "validate", pool), total)
            platform_rate = _platform_rate(topic, pool, total, kpi_codes, consumers)
        finally:
            pool.close()
    finally:
        admin.delete_topics([topic])
        admin.close()
    ratio = platform_rate / raw_rate
    processes = f"{consumers} consumer process{'es' if consumers > 1 else ''}"
    return (f"backfill: {total} events ({units} units x {kpis} KPIs x {n_months} months, {processes}): "
            f"{platform_rate:,.0f} events/s stored+aggregated+SPC vs raw kafka-python consume {raw_rate:,.0f}/s "
            f"-> ratio {ratio:.3f} (goal >= 0.5)\n"
            f"  decode+validate alone, one process, no storage: {validate_rate:,.0f} events/s, ratio "
            f"{validate_rate / raw_rate:.3f} to raw (the most one validating consumer process can reach); "
            f"the platform reaches {platform_rate / validate_rate:.3f} of it")


def _catalogue(run_tag: str, units: int, kpis: int) -> tuple[list[str], list[str]]:
    trust = f"BT-{run_tag}"
    create("/api/v1/units", {"code": trust, "name": f"Bench trust {run_tag}", "level": "trust"})
    directorates = [f"BD{d}-{run_tag}" for d in range(max(1, units // 25))]
    for code in directorates:
        create("/api/v1/units", {"code": code, "name": code, "level": "directorate", "parent_code": trust})
    unit_codes = [f"BU{u}-{run_tag}" for u in range(units)]
    for i, code in enumerate(unit_codes):
        create("/api/v1/units", {"code": code, "name": code, "level": "ward",
                                 "parent_code": directorates[i % len(directorates)]})
    kpi_codes = [f"BK{k}-{run_tag}" for k in range(kpis)]
    for code in kpi_codes:
        create("/api/v1/kpis", {"code": code, "name": code, "unit_of_measure": "days",
                                "improvement_direction": "decrease"})
    return unit_codes, kpi_codes


def _produce(bootstrap: str, topic: str, units: list[str], kpis: list[str], month_list: list[str]) -> int:
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, batch_size=256 * 1024)
    count = 0
    for month_index, month in enumerate(month_list):
        for unit_index, unit in enumerate(units):
            for kpi_index, kpi in enumerate(kpis):
                value = 4.0 + ((month_index * 7 + unit_index * 3 + kpi_index) % 11) / 10
                event = new_event("measure.recorded", {"kpi_code": kpi, "unit_code": unit, "period": month,
                                                       "value": value, "source": "bench"}, source="urn:bench")
                producer.send(topic, key=f"{kpi}|{unit}".encode(), value=event.to_json())
                count += 1
    producer.flush(timeout=300)
    producer.close()
    return count


def _raw_consume_rate(bootstrap: str, topic: str, total: int) -> float:
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"{topic}-raw",
                             auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=500)
    seen, started = 0, None
    while seen < total:
        for messages in consumer.poll(timeout_ms=1000).values():
            started = started or time.perf_counter()
            seen += len(messages)
    elapsed = time.perf_counter() - (started or time.perf_counter())
    consumer.close()
    return seen / elapsed


def _validate_rate(runner: ConsumerRunner, total: int) -> float:
    seen, started = 0, None
    while seen < total:
        for messages in runner.consumer.poll(timeout_ms=1000).values():
            started = started or time.perf_counter()
            for message in messages:
                envelope, payload = runner.parse(message)
                if envelope is None or not isinstance(payload, dict):
                    raise SystemExit(f"bench: a backfill event did not validate: {payload}")
            seen += len(messages)
    elapsed = time.perf_counter() - (started or time.perf_counter())
    runner.consumer.close()
    runner.producer.close()
    return seen / elapsed


def _runner(settings: Settings, topic: str, group: str, pool: ConnectionPool) -> ConsumerRunner:
    """The metrics consumer runner on the scratch topic, as its own consumer group."""
    producer = reliable_producer(settings.kafka_bootstrap, "bench-deadletter")
    consumer = manual_commit_consumer(settings.kafka_bootstrap, f"{topic}-{group}", [topic])
    return ConsumerRunner("metrics", pool, consumer, producer,
                          topics.dead_letter_topic("metrics"), bootstrap.event_handlers(settings, pool))


def _platform_rate(topic: str, pool: ConnectionPool, total: int, kpi_codes: list[str], consumers: int) -> float:
    context = multiprocessing.get_context("spawn")
    seen = context.Value("q", 0)
    first = context.Value("d", 0.0)  # time.monotonic() of the first batch handled, by any process
    stop = context.Event()
    processes = [context.Process(target=_consume_share, args=(topic, total, seen, first, stop), daemon=True)
                 for _ in range(consumers)]
    for process in processes:
        process.start()
    try:
        while seen.value < total:
            if not all(process.is_alive() for process in processes):
                raise SystemExit("bench: a consumer process died; see its output above")
            time.sleep(0.02)
        consumed = time.monotonic()
        while _queued(pool, kpi_codes):
            time.sleep(0.05)
        finished = time.monotonic()
    finally:
        stop.set()
        for process in processes:
            process.join(timeout=30)
    started = first.value
    print(f"backfill: {consumers} consumer process(es) stored {seen.value} events in {consumed - started:.1f} s; "
          f"the aggregator finished {finished - consumed:.1f} s later", flush=True)
    return seen.value / (finished - started)


def _consume_share(topic: str, total: int, seen: Any, first: Any, stop: Any) -> None:
    """One consumer process of the group: handle batches until every event is handled."""
    settings = Settings.from_env("metrics")
    pool = db.make_pool(settings.database_url, max_size=2, name="bench-consumer")
    runner = _runner(settings, topic, "metrics", pool)
    try:
        while not stop.is_set() and seen.value < total:
            handled = runner.poll_once(timeout_ms=200)
            if handled:
                with first.get_lock():
                    first.value = first.value or time.monotonic()
                with seen.get_lock():
                    seen.value += handled
    finally:
        runner.consumer.close()
        runner.producer.close()
        pool.close()


def _queued(pool: ConnectionPool, kpi_codes: list[str]) -> int:
    with db.unit_of_work(pool, "metrics") as uow:
        return queues.queued(uow, kpi_codes)
