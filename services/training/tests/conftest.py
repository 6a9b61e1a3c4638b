from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.config import Settings


class Clock:
    """The service's clock, which a test may set to a moment of its choosing; real time otherwise."""

    def __init__(self) -> None:
        self.at: datetime | None = None

    def __call__(self) -> datetime:
        return self.at or datetime.now(UTC)


@pytest.fixture(scope="session")
def session_clock() -> Clock:
    return Clock()


@pytest.fixture
def clock(session_clock: Clock):
    yield session_clock
    session_clock.at = None


@pytest.fixture(scope="session")
def training_state(session_clock):
    from services.training import bootstrap
    from shared.db import migrate

    settings = Settings.from_env("training")
    migrate(settings.database_url, bootstrap.MIGRATIONS)
    state = bootstrap.build(settings, now=session_clock)
    yield state
    state.pool.close()


@pytest.fixture(scope="session")
def training_client(training_state):
    from services.training.entrypoints.api import create_app

    return create_app(training_state).test_client()


@pytest.fixture
def bearer(issuer):
    def make(*roles: str, user: str = "tester") -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.issue(user, list(roles))}"}

    return make


def outbox(state, key: str, event_type: str | None = None) -> list[dict]:
    """The events the service wrote under one key, oldest first."""
    with state.pool.connection() as conn:
        return conn.execute(
            "SELECT event_type, topic, envelope FROM outbox WHERE key = %s AND (%s::text IS NULL OR event_type = %s)"
            " ORDER BY position", (key, event_type, event_type)).fetchall()
