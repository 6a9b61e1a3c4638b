from __future__ import annotations

import pytest

from services.conftest import service_state


@pytest.fixture(scope="session")
def projects_state():
    from services.projects import bootstrap

    yield from service_state(bootstrap)


@pytest.fixture(scope="session")
def projects_client(projects_state):
    from services.projects.entrypoints.api import create_app

    return create_app(projects_state).test_client()
