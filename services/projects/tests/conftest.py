from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kafka import KafkaConsumer
from kafka.admin import NewTopic

from shared.config import Settings


@pytest.fixture(scope="session")
def projects_state():
    from services.projects import bootstrap
    from shared.db import migrate

    settings = Settings.from_env("projects")
    migrate(settings.database_url, bootstrap.MIGRATIONS)
    state = bootstrap.build(settings)
    yield state
    state.pool.close()


@pytest.fixture(scope="session")
def projects_client(projects_state):
    from services.projects.entrypoints.api import create_app

    return create_app(projects_state).test_client()


@pytest.fixture
def bearer(issuer):
    def make(*roles: str, user: str = "tester") -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.issue(user, list(roles))}"}

    return make


@pytest.fixture
def dead_letter_topic(kafka_admin) -> Iterator[str]:
    name = f"test.deadletter.{uuid.uuid4().hex[:12]}"
    kafka_admin.create_topics([NewTopic(name, 1, 1)])
    yield name
    kafka_admin.delete_topics([name])


def outbox(state, key: str) -> list[dict]:
    """The events the service wrote for one aggregate, oldest first."""
    with state.pool.connection() as conn:
        return conn.execute("SELECT event_type, topic, envelope FROM outbox WHERE key = %s ORDER BY position",
                            (key,)).fetchall()


def messages_with_key(bootstrap: str, topic: str, key: str, expected: int, timeout_ms: int = 15_000) -> list:
    """The messages on ``topic`` whose key is ``key``, read from the start until ``expected`` arrived."""
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"reader-{uuid.uuid4().hex}",
                             auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=timeout_ms)
    found = []
    for message in consumer:
        if message.key == key.encode():
            found.append(message)
        if len(found) >= expected:
            break
    consumer.close()
    return found
