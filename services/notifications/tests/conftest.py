from __future__ import annotations

import pytest

from services.conftest import service_state


@pytest.fixture(scope="session")
def notifications_state():
    from services.notifications import bootstrap

    yield from service_state(bootstrap)
