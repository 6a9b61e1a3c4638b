"""With its database or Kafka unreachable, the API answers at once and says so: 503 problem+json
with Retry-After on every operation, and /readyz naming what is down within about a second."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Iterator

import pytest

from services.ideas import bootstrap
from services.ideas.entrypoints.api import create_app
from shared import db
from shared.config import Settings

pytestmark = pytest.mark.integration


def port_where_nothing_listens() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again on leaving: connections to it are refused


@pytest.fixture(scope="module")
def cut_off() -> Iterator[bootstrap.Ideas]:
    """The ideas service with its database URL and Kafka bootstrap pointing where nothing listens."""
    settings = Settings.from_env(bootstrap.SERVICE)
    database_url = settings.database_url.replace(f":{_port_of(settings.database_url)}/",
                                                 f":{port_where_nothing_listens()}/")
    settings = dataclasses.replace(settings, database_url=database_url,
                                   kafka_bootstrap=f"127.0.0.1:{port_where_nothing_listens()}")
    state = bootstrap.Ideas(settings, db.make_pool(database_url, name="ideas-cut-off", wait=False))
    yield state
    state.pool.close(timeout=1)


def _port_of(url: str) -> str:
    return url.rsplit("@", 1)[-1].split("/", 1)[0].rsplit(":", 1)[1]


@pytest.mark.parametrize("method, path, body", [
    ("post", "/api/v1/ideas", {"title": "Open the lounge at 8am", "description": "Patients wait."}),
    ("get", "/api/v1/ideas", None),
    ("get", "/api/v1/ideas/0b6f3a52-54a4-4a5f-9a3c-0b0c1f5f8a11", None),
    ("get", "/api/v1/audit", None),
])
def test_every_operation_answers_503_with_retry_after_within_seconds(cut_off, bearer, method, path, body):
    client = create_app(cut_off).test_client()
    started = time.monotonic()
    response = getattr(client, method)(path, json=body, headers=bearer("staff", "qi_lead", "admin"))
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert response.get_json()["status"] == 503
    assert elapsed < db.POOL_TIMEOUT_SECONDS + 2


def test_readyz_names_the_database_and_kafka_as_down_within_two_seconds(cut_off):
    client = create_app(cut_off).test_client()
    for _ in range(2):  # the first probe builds its clients; the second must be as quick
        started = time.monotonic()
        response = client.get("/readyz")
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert set(response.get_json()["errors"]) == {"database", "kafka"}
        assert elapsed < 2.0, f"/readyz took {elapsed:.1f} s"
