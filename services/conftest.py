"""Fixtures and helpers every service's tests share: tokens with roles, a service built with test
settings, the outbox it wrote, what reached Kafka, and its consumer run over a scratch topic
(the scratch and dead-letter topics themselves come from the root conftest).

Each service's own conftest keeps only what is that service's: its state and client fixtures
(built here with ``service_state``) and fixtures such as training's clock or metrics' catalogue.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer

from shared.config import Settings
from shared.consumer import ConsumerRunner
from shared.db import migrate
from shared.kafka_clients import AcknowledgedProducer, manual_commit_consumer, reliable_producer


@pytest.fixture
def bearer(issuer: Any) -> Callable[..., dict[str, str]]:
    """Authorization headers for a caller with the given roles: ``bearer("staff", user="ann")``."""

    def make(*roles: str, user: str = "tester") -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.issue(user, list(roles))}"}

    return make


@pytest.fixture
def producer(kafka_bootstrap: str, request: pytest.FixtureRequest) -> Iterator[KafkaProducer]:
    """A reliable producer named after the service under test (``ideas-tests``)."""
    producer = reliable_producer(kafka_bootstrap, f"{_service_under_test(request)}-tests")
    yield producer
    producer.close(timeout=5)


def _service_under_test(request: pytest.FixtureRequest) -> str:
    return request.module.__name__.split(".")[1]  # services.<service>.tests...


def service_state(bootstrap: ModuleType, **build_args: Any) -> Iterator[Any]:
    """The service's composition root built with its test settings, after its migrations ran;
    the pool is closed afterwards. A session fixture yields from it."""
    settings = Settings.from_env(bootstrap.SERVICE)
    migrate(settings.database_url, bootstrap.MIGRATIONS)
    state = bootstrap.build(settings, **build_args)
    yield state
    state.pool.close()


def outbox(state: Any, key: str, event_type: str | None = None) -> list[dict]:
    """The events the service wrote under one key (of one type, when given), oldest first."""
    with state.pool.connection() as conn:
        return conn.execute(
            "SELECT event_type, topic, envelope FROM outbox WHERE key = %s AND (%s::text IS NULL OR event_type = %s)"
            " ORDER BY position", (key, event_type, event_type)).fetchall()


def messages_matching(bootstrap: str, topic: str, wanted: Callable[[Any], bool], expected: int,
                      timeout_ms: int = 15_000) -> list:
    """The messages on ``topic`` that are ``wanted``, read from the start until ``expected`` arrived
    or ``timeout_ms`` passed with nothing new. Records without a value (tombstones, which the fault
    suite's poison scenario leaves on the shared topics) are never wanted."""
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"reader-{uuid.uuid4().hex}",
                             auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=timeout_ms)
    found = []
    try:
        for message in consumer:
            if message.value is not None and wanted(message):
                found.append(message)
            if len(found) >= expected:
                break
    finally:
        consumer.close()
    return found


def messages_with_key(bootstrap: str, topic: str, key: str, expected: int, timeout_ms: int = 15_000) -> list:
    """The messages on ``topic`` whose key is ``key``, read from the start until ``expected`` arrived."""
    return messages_matching(bootstrap, topic, lambda message: message.key == key.encode(), expected, timeout_ms)


def run_consumer(bootstrap: ModuleType, state: Any, kafka_bootstrap: str, producer: KafkaProducer, source_topic: str,
            dead_letters: str, expected: int) -> int:
    """Runs the service's consumer over ``source_topic`` until it has handled ``expected`` messages
    (or 40 polls went by); how many it handled."""
    consumer = manual_commit_consumer(kafka_bootstrap, f"{bootstrap.SERVICE}-test-{uuid.uuid4().hex[:8]}",
                                      [source_topic])
    runner = ConsumerRunner(bootstrap.SERVICE, state.pool, consumer, producer, dead_letters,
                            bootstrap.event_handlers(state.settings, state.pool), sleep=lambda _: None)
    seen = 0
    for _ in range(40):
        seen += runner.poll_once(timeout_ms=500)
        if seen >= expected:
            break
    consumer.close()
    return seen


@pytest.fixture
def relay_producer(kafka_bootstrap: str, request: pytest.FixtureRequest) -> Iterator[AcknowledgedProducer]:
    """The outbox relay's producer (shared.kafka_clients.AcknowledgedProducer)."""
    producer = AcknowledgedProducer(kafka_bootstrap, f"{_service_under_test(request)}-relay")
    yield producer
    producer.close(timeout=5)
