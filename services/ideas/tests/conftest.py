from __future__ import annotations

import pytest

from services.conftest import service_state


@pytest.fixture(scope="session")
def ideas_state():
    from services.ideas import bootstrap

    yield from service_state(bootstrap)


@pytest.fixture(scope="session")
def ideas_client(ideas_state):
    from services.ideas.entrypoints.api import create_app

    return create_app(ideas_state).test_client()
