from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.conftest import service_state


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

    yield from service_state(bootstrap, now=session_clock)


@pytest.fixture(scope="session")
def training_client(training_state):
    from services.training.entrypoints.api import create_app

    return create_app(training_state).test_client()
