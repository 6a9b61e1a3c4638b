"""Fixtures every test layer shares: the real servers' addresses, tokens, scratch topics and schemas.

Integration and end-to-end tests run against the real PostgreSQL, Kafka and SMTP servers that
`make test` starts (python -m devstack up --env test) and describes in environment variables.
A missing variable fails the test loudly instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import settings
from kafka.admin import KafkaAdminClient, NewTopic

from shared.auth import TokenIssuer
from shared.config import Settings

# The machines are shared and noisy: a property is judged by what it computes, never by how long
# one example took (hypothesis' default 200 ms deadline would make such tests flaky).
settings.register_profile("wtgr", deadline=None)
settings.load_profile("wtgr")

def required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the suite with `make test`, which starts the real servers")
    return value


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return required_env("WTGR_KAFKA_BOOTSTRAP")


@pytest.fixture(scope="session")
def admin_url() -> str:
    return required_env("WTGR_PG_ADMIN_URL")


@pytest.fixture(scope="session")
def issuer() -> TokenIssuer:
    settings = Settings.from_env("tests")
    required_env("WTGR_JWT_PRIVATE_KEY_FILE")
    return TokenIssuer.from_file(settings.jwt_private_key_file, settings.jwt_issuer, settings.jwt_audience)


@pytest.fixture(scope="session")
def kafka_admin(kafka_bootstrap: str) -> Iterator[KafkaAdminClient]:
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="wtgr-tests")
    yield admin
    admin.close()


def fresh_topic(kafka_admin: KafkaAdminClient, prefix: str, partitions: int) -> Iterator[str]:
    """A topic of the test's own, named ``prefix`` and a random suffix; deleted afterwards."""
    name = f"{prefix}.{uuid.uuid4().hex[:12]}"
    kafka_admin.create_topics([NewTopic(name, partitions, 1)])
    yield name
    kafka_admin.delete_topics([name])


@pytest.fixture
def scratch_topic(kafka_admin: KafkaAdminClient) -> Iterator[str]:
    """A fresh three-partition topic of the test's own, deleted afterwards."""
    yield from fresh_topic(kafka_admin, "test", 3)


@pytest.fixture
def dead_letter_topic(kafka_admin: KafkaAdminClient) -> Iterator[str]:
    """A fresh one-partition topic for a consumer's dead letters, deleted afterwards."""
    yield from fresh_topic(kafka_admin, "test.deadletter", 1)


@pytest.fixture(scope="session")
def platform_test_schema(admin_url: str) -> str:
    """A login role and schema of their own for tests of the shared mechanisms, so no running
    service's relay or consumer races them; the platform tables are made by the real migrations."""
    from shared import db

    role = "platform_test"
    password = "platform-test-local-dev"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
            conn.execute(f"GRANT CONNECT ON DATABASE {conn.info.dbname} TO {role}")
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {role} AUTHORIZATION {role}")
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    url = f"postgresql://{role}:{password}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{info['dbname']}"
    db.migrate(url)
    return url
