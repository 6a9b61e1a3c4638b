from __future__ import annotations

import pytest

from services.conftest import service_state


@pytest.fixture(scope="session")
def notifications_state():
    from services.notifications import bootstrap

    yield from service_state(bootstrap)


@pytest.fixture
def client(notifications_state):
    from services.notifications.entrypoints.api import create_app

    return create_app(notifications_state).test_client()
