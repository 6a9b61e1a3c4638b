"""Entry points every service runs besides its API: migrate, outbox relay, consumer.

Each builds its pool and Kafka clients here, at start, never at import time, and stops
cleanly on SIGTERM. The relay and the consumer ride out outages of PostgreSQL and Kafka with
bounded back-off and keep their process (shared.outages); they start even while either is down.
Each serves /healthz and /metrics on its own port and beats its heartbeat on every pass
(shared.liveness).
"""

from __future__ import annotations

import gc
import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from psycopg_pool import ConnectionPool

from shared import db, platform, security
from shared.config import Settings
from shared.consumer import ConsumerRunner, Handler
from shared.correlation import configure_logging
from shared.kafka_clients import AcknowledgedProducer, manual_commit_consumer, reliable_producer
from shared.liveness import start_worker_endpoint
from shared.outages import ride_out_outages
from shared.relay import OutboxRelay

log = logging.getLogger(__name__)


def stop_on_sigterm() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


# Allocations between collections of the youngest generation (Python's default: 700). A consumer
# handles thousands of events a poll, each a few dicts and strings freed by reference counting,
# so at the default the collector ran every few events, each time over the batch's live objects.
ALLOCATIONS_PER_COLLECTION = 20_000


def collect_garbage_by_batches() -> None:
    """Tune the cyclic garbage collector for a process that works in large batches: the objects
    made while starting (modules, schemas, clients) are frozen out of every later collection, and
    the youngest generation is collected every ``ALLOCATIONS_PER_COLLECTION`` allocations. A
    consumer ingested about 1.3x as fast (40,000 measures, bench/README.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(ALLOCATIONS_PER_COLLECTION, 20, 20)


def safe_settings(service: str) -> Settings:
    """The service's settings, or exit (status 2, the reasons on stderr) when they are unsafe
    outside development (``shared.security.refuse_to_run_unsafely``)."""
    settings = Settings.from_env(service)
    try:
        security.refuse_to_run_unsafely(settings)
    except security.UnsafeConfiguration as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None
    return settings


def migrate(service: str, migrations_dir: Path) -> None:
    settings = safe_settings(service)
    configure_logging(service, settings.log_level)
    applied = db.migrate(settings.database_url, migrations_dir)
    log.info("migrations applied", extra={"count": applied})


def run_relay(service: str) -> None:
    """Publish the service's outbox until SIGTERM, riding out outages of PostgreSQL and Kafka
    (shared.outages): after one, a fresh producer and LISTEN connection, the same pool."""
    settings = safe_settings(service)
    configure_logging(service, settings.log_level)
    pool = db.make_pool(settings.database_url, max_size=2, name=f"{service}-relay", wait=False)
    stop = stop_on_sigterm()
    heartbeat = start_worker_endpoint(settings, "relay")

    def relay_until_stopped() -> None:
        producer = AcknowledgedProducer(settings.kafka_bootstrap, f"{service}-relay")
        try:
            relay = OutboxRelay(service, pool, producer, urgent=platform.urgent_events())
            relay.run_forever(settings.database_url, service, stop=stop, beat=heartbeat.beat)
        finally:
            producer.close(timeout=10)

    log.info("outbox relay started")
    try:
        ride_out_outages(service, "relay", relay_until_stopped, stop, beat=heartbeat.beat)
    finally:
        pool.close()


class ConsumerPlan(NamedTuple):
    """What a service's consumer, or one of its lanes, reads and handles."""

    group: str
    topics: list[str]
    wanted: Callable[[str], bool]  # whether it handles an event type
    poll_records: int


def consumer_plan(registered: platform.Service, lane: str | None = None) -> ConsumerPlan:
    """The service's consumer reads its topics but its lanes' whole ones, and handles every type
    but those its lanes take of them; a lane reads its topics and handles its own types, or every
    type of them."""
    if lane is None:
        laned = registered.laned_events
        return ConsumerPlan(registered.name, list(registered.consumer_topics),
                            lambda event_type: event_type not in laned, registered.poll_records)
    chosen = registered.lane(lane)
    [group] = [group for group in registered.groups if group.process == chosen.process]
    events = chosen.events
    return ConsumerPlan(group.name, list(group.topics), (lambda _: True) if events is None else events.__contains__,
                        chosen.poll_records)


def run_consumer(
    service: str,
    build_handlers: Callable[[Settings, ConnectionPool], dict[str, Handler]],
    lane: str | None = None,
) -> None:
    """Consume the topics shared/platform.py says the service consumes, until SIGTERM; or, given
    ``lane``, that lane's topics, handling only its events, in a group of its own. When the
    database or Kafka stays unreachable the runner raises without committing the message in hand;
    the consumer is then closed without committing, and after a back-off a fresh one joins the
    group and is handed that message again (shared.outages). Any other error ends the process."""
    registered = platform.service(service)
    group, subscribed, wanted, poll_records = consumer_plan(registered, lane)
    process = lane or "consumer"
    settings = safe_settings(service)
    configure_logging(service, settings.log_level)
    pool = db.make_pool(settings.database_url, max_size=2, name=f"{service}-{process}", wait=False)
    handlers = {event_type: handler for event_type, handler in build_handlers(settings, pool).items()
                if wanted(event_type)}
    collect_garbage_by_batches()
    stop = stop_on_sigterm()
    heartbeat = start_worker_endpoint(settings, process)

    def consume_until_stopped() -> None:
        producer = reliable_producer(settings.kafka_bootstrap, f"{service}-deadletter")
        consumer = manual_commit_consumer(settings.kafka_bootstrap, group, subscribed,
                                          max_poll_records=poll_records)
        runner = ConsumerRunner(service, pool, consumer, producer, registered.dead_letter_topic, handlers,
                                max_event_bytes=settings.max_event_bytes, max_attempts=settings.consumer_max_attempts)
        try:
            runner.run_forever(stop=stop, beat=heartbeat.beat)
        finally:
            consumer.close()  # commits nothing
            producer.close(timeout=10)

    log.info("consumer started", extra={"topics": subscribed, "group": group, "events": sorted(handlers)})
    try:
        ride_out_outages(service, process, consume_until_stopped, stop, beat=heartbeat.beat)
    except Exception:
        log.exception("consumer stopped without committing the message in hand")
        sys.exit(1)
    finally:
        pool.close()
