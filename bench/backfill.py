"""Backfill: Kafka to stored, aggregated, SPC-classified state, against the raw consume rate.

One run measures, side by side on the same machine (the figures swing between runs; their ratios
are what to compare):
- raw: a bare kafka-python consumer reading the scratch topic (the baseline);
- decode + validate alone, one process, no database, on a sample of the same messages: the
  registry's way (``json.loads``, ``Envelope.from_dict``, the marshmallow schema) and the consumer
  runner's (orjson and the published contract compiled with fastjsonschema);
- plain COPY: the same rows copied (binary) into a scratch table shaped like ``measures``, with no
  checks, locks or merges: PostgreSQL's own speed here;
- ingest: ``consumers`` metrics consumer processes in one group, the real handlers and database,
  from the poll that returns any of them its first batch until every event is stored and its
  offset committed (consumer lag 0);
- end to end: until the running aggregator worker (the service's, as in production; with more
  than one consumer, one more worker per extra consumer, sharing its queue) has emptied its
  queues of this backfill's KPIs, so every chart is current;
- peak RSS of each consumer process and of the aggregator worker;
- and, while the backfill runs, the alert latency (bench/alerts.py) of the running services.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from psycopg_pool import ConnectionPool

from bench import alerts
from bench.common import create, months, percentile, tag
from services.metrics import bootstrap
from services.metrics.adapters import queues
from services.metrics.adapters.measures import NEW_MEASURE_TYPES, NEW_MEASURES
from services.metrics.service_layer import aggregator
from shared import db, platform, topics
from shared.config import Settings
from shared.consumer import ConsumerRunner, Outcome
from shared.events import REGISTRY, Envelope, new_event
from shared.kafka_clients import manual_commit_consumer, reliable_producer
from shared.month import first_day_of
from shared.processes import collect_garbage_by_batches

SAMPLE = 50_000  # messages kept for the decode + validate figures


@dataclass
class Figures:
    events: int
    consumers: int
    raw: float = 0.0
    raw_runner_client: float = 0.0
    validate_registry: float = 0.0
    validate_contract: float = 0.0
    plain_copy: float = 0.0
    ingest: float = 0.0
    end_to_end: float = 0.0
    ingest_seconds: float = 0.0
    aggregator_seconds: float = 0.0
    consumer_rss_mb: list[float] = field(default_factory=list)
    aggregator_rss_mb: float | None = None
    alert_latencies: list[float] = field(default_factory=list)
    alert_outbox_waits: list[float] = field(default_factory=list)
    alert_error: str | None = None


def run(events: int, units: int, kpis: int, consumers: int = 1, alerts_during: int = 0) -> Figures:
    settings = Settings.from_env("metrics")
    run_tag = tag()
    n_months = max(1, events // (units * kpis))
    unit_codes, kpi_codes = _catalogue(run_tag, units, kpis)
    month_list = months(n_months)
    topic = f"bench.measures.{run_tag.lower()}"
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    admin.create_topics([NewTopic(topic, topics.PARTITIONS, 1)])
    figures = Figures(0, consumers)
    try:
        figures.events = _produce(settings.kafka_bootstrap, topic, unit_codes, kpi_codes, month_list)
        figures.raw, sample = _raw_consume_rate(settings.kafka_bootstrap, topic, figures.events)
        figures.raw_runner_client = _raw_runner_client_rate(settings.kafka_bootstrap, topic, figures.events)
        figures.validate_registry, figures.validate_contract = _validate_rates(settings, sample)
        del sample
        pool = db.make_pool(settings.database_url, max_size=2, name="bench-consumer")
        try:
            figures.plain_copy = _plain_copy_rate(pool, unit_codes, kpi_codes, month_list)
            _platform(figures, topic, pool, kpi_codes, alerts_during)
        finally:
            pool.close()
    finally:
        admin.delete_topics([topic])
        admin.close()
    return figures


def describe(f: Figures) -> str:
    processes = f"{f.consumers} consumer process{'es' if f.consumers > 1 else ''}"
    rss = ", ".join(f"{mb:,.0f}" for mb in f.consumer_rss_mb)
    lines = [
        f"backfill: {f.events:,} events, {processes}, rates in events/s and as a ratio to raw:",
        f"  raw kafka-python consume            {f.raw:>10,.0f}  1.000  (the baseline)",
        f"  raw consume, the runner's client    {f.raw_runner_client:>10,.0f}  {f.raw_runner_client / f.raw:.3f}"
        f"  (confluent-kafka, as the consumer polls: no handling, no commits)",
        f"  decode+validate, marshmallow        {f.validate_registry:>10,.0f}  {f.validate_registry / f.raw:.3f}"
        f"  (one process, no storage)",
        f"  decode+validate, contract           {f.validate_contract:>10,.0f}  {f.validate_contract / f.raw:.3f}"
        f"  ({f.validate_contract / f.validate_registry:.1f}x marshmallow; msgspec, else orjson+fastjsonschema)",
        f"  plain COPY of the same rows         {f.plain_copy:>10,.0f}  {f.plain_copy / f.raw:.3f}",
        f"  ingest (landed, committed, lag 0)   {f.ingest:>10,.0f}  {f.ingest / f.raw:.3f}"
        f"  ({f.ingest_seconds:.1f} s; {f.ingest / f.plain_copy:.3f} of plain COPY)",
        f"  end to end (every chart current)    {f.end_to_end:>10,.0f}  {f.end_to_end / f.raw:.3f}"
        f"  (the aggregator finished {f.aggregator_seconds:.1f} s after ingest)",
        f"  peak RSS: consumer process(es) {rss} MB; aggregator worker "
        + (f"{f.aggregator_rss_mb:,.0f} MB" if f.aggregator_rss_mb is not None else "not found"),
    ]
    if f.alert_latencies:
        net = [latency - alerts.hold_seconds() for latency in f.alert_latencies]
        lines.append(f"  alerts during the backfill: {len(f.alert_latencies)}, p50 {_ms(f.alert_latencies, 50)}, "
                     f"p99 {_ms(f.alert_latencies, 99)}; net of the alert hold p50 {_ms(net, 50)}, p99 {_ms(net, 99)}")
    if f.alert_outbox_waits:
        lines.append(f"  their special causes' wait in metrics' outbox: p50 {_ms(f.alert_outbox_waits, 50)}, "
                     f"p99 {_ms(f.alert_outbox_waits, 99)}, longest {max(f.alert_outbox_waits) * 1000:,.0f} ms")
    if f.alert_error:
        lines.append(f"  alerts during the backfill: {f.alert_error}")
    return "\n".join(lines)


def _ms(latencies: list[float], q: int) -> str:
    return f"{percentile(latencies, q) * 1000:,.0f} ms"


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


def _measures(units: list[str], kpis: list[str], month_list: list[str]) -> Iterator[tuple[str, str, str, float]]:
    """Every backfill measure, as (KPI, unit, month, value), in the order they are published."""
    for month_index, month in enumerate(month_list):
        for unit_index, unit in enumerate(units):
            for kpi_index, kpi in enumerate(kpis):
                yield kpi, unit, month, 4.0 + ((month_index * 7 + unit_index * 3 + kpi_index) % 11) / 10


def _produce(bootstrap: str, topic: str, units: list[str], kpis: list[str], month_list: list[str]) -> int:
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, batch_size=256 * 1024)
    count = 0
    for kpi, unit, month, value in _measures(units, kpis, month_list):
        event = new_event("measure.recorded", {"kpi_code": kpi, "unit_code": unit, "period": month,
                                               "value": value, "source": "bench"}, source="urn:bench")
        producer.send(topic, key=f"{kpi}|{unit}".encode(), value=event.to_json())
        count += 1
    producer.flush(timeout=300)
    producer.close()
    return count


def _raw_consume_rate(bootstrap: str, topic: str, total: int) -> tuple[float, list[bytes]]:
    """The baseline, and a sample of the messages' bytes for the decode + validate figures."""
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"{topic}-raw",
                             auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=500)
    sample: list[bytes] = []
    return _read_through(consumer, total, sample), sample


def _raw_runner_client_rate(bootstrap: str, topic: str, total: int) -> float:
    """The same topic read through the consumer runner's own client, in polls of the metrics
    consumer's size: what is left for decoding, checking and storing is the rest of its time."""
    consumer = manual_commit_consumer(bootstrap, f"{topic}-raw-runner", [topic],
                                      max_poll_records=platform.service("metrics").poll_records)
    return _read_through(consumer, total)


def _read_through(consumer: Any, total: int, sample: list[bytes] | None = None) -> float:
    """Messages/s polling ``total`` messages, timed from the first poll that gave any, keeping the
    first SAMPLE messages' bytes in ``sample`` if given; closes the consumer."""
    seen, started = 0, None
    while seen < total:
        for messages in consumer.poll(timeout_ms=1000).values():
            started = started or time.perf_counter()
            seen += len(messages)
            if sample is not None and len(sample) < SAMPLE:
                sample.extend(message.value for message in messages)
    elapsed = time.perf_counter() - (started or time.perf_counter())
    consumer.close()
    return seen / elapsed


def _validate_rates(settings: Settings, sample: list[bytes]) -> tuple[float, float]:
    """Events/s decoding and validating the sample: the registry's way, then the consumer runner's."""
    started = time.perf_counter()
    for raw in sample:
        envelope = Envelope.from_json(raw)
        REGISTRY.load(envelope)
    registry = len(sample) / (time.perf_counter() - started)
    runner = ConsumerRunner("metrics", None, None, None, "unused",  # type: ignore[arg-type]
                            bootstrap.event_handlers(settings, None))  # type: ignore[arg-type]
    messages = [SimpleNamespace(value=raw) for raw in sample]
    started = time.perf_counter()
    for message in messages:
        _, payload = runner.parse(message)
        if isinstance(payload, Outcome):
            raise SystemExit(f"bench: a backfill event did not validate: {payload}")
    contract = len(sample) / (time.perf_counter() - started)
    return registry, contract


def _plain_copy_rate(pool: ConnectionPool, units: list[str], kpis: list[str], month_list: list[str]) -> float:
    """The same rows as the backfill stores as revisions, in one binary COPY into a table with the
    columns and indexes of ``measures`` (no foreign keys), committed; dropped again."""
    table = f"bench_copy_{tag().lower()}"
    with db.unit_of_work(pool, "metrics") as uow:
        uow.execute(f"CREATE TABLE {table} (LIKE measures INCLUDING DEFAULTS INCLUDING INDEXES)")
    try:
        started = time.perf_counter()
        with db.unit_of_work(pool, "metrics") as uow:
            db.copy_rows(uow, table, NEW_MEASURES.names, NEW_MEASURE_TYPES, (
                (kpi, unit, first_day_of(month), 1, value, None, None, "bench", None, None, f"e{i}")
                for i, (kpi, unit, month, value) in enumerate(_measures(units, kpis, month_list))))
        elapsed = time.perf_counter() - started
    finally:
        with db.unit_of_work(pool, "metrics") as uow:
            uow.execute(f"DROP TABLE {table}")
    return len(units) * len(kpis) * len(month_list) / elapsed


def _runner(settings: Settings, topic: str, group: str, pool: ConnectionPool) -> ConsumerRunner:
    """The metrics consumer runner on the scratch topic, as its own consumer group."""
    producer = reliable_producer(settings.kafka_bootstrap, "bench-deadletter")
    consumer = manual_commit_consumer(settings.kafka_bootstrap, f"{topic}-{group}", [topic],
                                      max_poll_records=platform.service("metrics").poll_records)
    return ConsumerRunner("metrics", pool, consumer, producer,
                          topics.dead_letter_topic("metrics"), bootstrap.event_handlers(settings, pool))


def _platform(figures: Figures, topic: str, pool: ConnectionPool, kpi_codes: list[str], alerts_during: int) -> None:
    total, consumers = figures.events, figures.consumers
    context = multiprocessing.get_context("spawn")
    seen = context.Value("q", 0)
    first = context.Value("d", 0.0)  # time.monotonic() of the poll that gave any process its first batch
    rss = context.Array("d", consumers)  # each process's peak RSS, MB
    stop = context.Event()
    processes = [context.Process(target=_consume_share, args=(topic, seen, first, stop, rss, i), daemon=True)
                 for i in range(consumers)]
    # Beside the running service's aggregator worker, one more per extra consumer, sharing its queue.
    processes += [context.Process(target=_aggregate, args=(stop,), daemon=True) for _ in range(consumers - 1)]
    for process in processes:
        process.start()
    alerting = _alerts_in_background(figures, alerts_during)
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
    figures.aggregator_rss_mb = _aggregator_peak_rss_mb()
    if alerting is not None:
        alerting.join(timeout=600)
    started = first.value
    figures.ingest_seconds, figures.aggregator_seconds = consumed - started, finished - consumed
    figures.ingest = seen.value / (consumed - started)
    figures.end_to_end = seen.value / (finished - started)
    figures.consumer_rss_mb = [rss[i] for i in range(consumers)]


def _alerts_in_background(figures: Figures, count: int) -> threading.Thread | None:
    if count <= 0:
        return None

    def time_alerts() -> None:
        try:
            timed = alerts.latencies(count)
            figures.alert_latencies = timed.latencies
            figures.alert_outbox_waits = alerts.outbox_waits(timed.keys)
        except (SystemExit, Exception) as exc:  # noqa: BLE001 - reported beside the figures, not raised
            figures.alert_error = f"failed: {exc}"

    thread = threading.Thread(target=time_alerts, daemon=True)
    thread.start()
    return thread


def _consume_share(topic: str, seen: Any, first: Any, stop: Any, rss: Any, index: int) -> None:
    """One consumer process of the group: handle batches until every event is handled."""
    settings = Settings.from_env("metrics")
    pool = db.make_pool(settings.database_url, max_size=2, name="bench-consumer")
    runner = _runner(settings, topic, "metrics", pool)
    collect_garbage_by_batches()  # as the consumer process does (shared.processes.run_consumer)

    def count(handled: int, polled: float) -> None:  # a batch's time counts from its poll, the first one's too
        with first.get_lock():
            first.value = first.value or polled
        with seen.get_lock():
            seen.value += handled

    try:
        runner.run_forever(stop, handled=count)  # as the consumer process runs it (shared.processes)
    finally:
        rss[index] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        runner.consumer.close()
        runner.producer.close()
        pool.close()


def _aggregate(stop: Any) -> None:
    """One more aggregator worker: passes over the shared queue until stopped (claims skip what
    another worker holds)."""
    settings = Settings.from_env("metrics")
    pool = db.make_pool(settings.database_url, max_size=2, name="bench-aggregator")
    collect_garbage_by_batches()  # as the aggregator process does
    try:
        while not stop.is_set():
            if not aggregator.run_pass(pool):
                time.sleep(0.05)
    finally:
        pool.close()


def _aggregator_peak_rss_mb() -> float | None:
    """VmHWM of the running metrics aggregator worker started from this checkout, if found."""
    here = str(Path.cwd())
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            if (command.startswith(here) and "-m services.metrics.entrypoints.aggregator" in command
                    and "devstack.supervise" not in command):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            continue
    return None


def _queued(pool: ConnectionPool, kpi_codes: list[str]) -> bool:
    """Whether any of the backfill's work waits. Until 2026-12-03 this counted the rows (every
    50 ms), and during a 1M backfill's tail that count was PostgreSQL's busiest statement."""
    with db.unit_of_work(pool, "metrics") as uow:
        return queues.any_queued(uow, kpi_codes)
