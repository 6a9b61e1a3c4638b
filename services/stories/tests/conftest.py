from __future__ import annotations

import pytest

from services.conftest import service_state


@pytest.fixture(scope="session")
def stories_state():
    from services.stories import bootstrap

    yield from service_state(bootstrap, options=bootstrap.Options(max_file_bytes=4096))


@pytest.fixture(scope="session")
def stories_client(stories_state):
    from services.stories.entrypoints.api import create_app

    return create_app(stories_state).test_client()
