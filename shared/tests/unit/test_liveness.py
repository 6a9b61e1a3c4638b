"""A worker's /healthz follows its heartbeat; /metrics is its Prometheus exposition."""

import json
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client import REGISTRY

from shared import platform
from shared.liveness import Heartbeat, serve_worker_endpoint


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def served(clock):
    heartbeat = Heartbeat("tests", "sweeper", stale_after=60, clock=clock)
    server = serve_worker_endpoint(heartbeat, 0, "127.0.0.1")
    yield heartbeat, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers["Content-Type"]


def test_a_beat_sets_the_heartbeat_gauge_to_now(clock):
    heartbeat = Heartbeat("tests", "beater", clock=clock)
    clock.now += 42
    heartbeat.beat()
    labels = {"service": "tests", "worker": "beater"}
    assert REGISTRY.get_sample_value("wtgr_worker_heartbeat_timestamp_seconds", labels) == clock.now


def test_healthz_answers_200_while_the_heartbeat_is_fresh(served, clock):
    heartbeat, url = served
    clock.now += 59
    status, body, content_type = get(f"{url}/healthz")
    assert status == 200 and content_type == "application/json"
    assert json.loads(body) == {"status": "ok", "service": "tests", "worker": "sweeper",
                                "heartbeat_age_seconds": 59.0, "stale_after_seconds": 60}


def test_healthz_answers_503_once_the_heartbeat_is_stale_and_200_again_after_a_beat(served, clock):
    heartbeat, url = served
    clock.now += 61
    status, body, _ = get(f"{url}/healthz")
    assert status == 503 and json.loads(body)["status"] == "stale"
    heartbeat.beat()
    assert get(f"{url}/healthz")[0] == 200


def test_metrics_is_the_prometheus_exposition_with_the_heartbeat(served, clock):
    _, url = served
    status, body, content_type = get(f"{url}/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    assert b'wtgr_worker_heartbeat_timestamp_seconds{service="tests",worker="sweeper"} 1000.0' in body


def test_any_other_path_is_not_found_and_other_methods_are_refused(served):
    _, url = served
    assert get(f"{url}/")[0] == 404
    request = urllib.request.Request(f"{url}/metrics", method="POST", data=b"")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 405


def test_a_second_copy_of_a_worker_cannot_take_the_first_ones_port(served):
    _, url = served
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(OSError):
        serve_worker_endpoint(Heartbeat("tests", "copy"), port, "127.0.0.1")


def test_the_endpoint_answers_while_the_worker_is_busy(served, clock):
    """The server runs on its own thread: a worker blocked in its loop does not block a probe."""
    _, url = served
    started = time.monotonic()
    assert get(f"{url}/healthz")[0] == 200
    assert time.monotonic() - started < 2


def test_worker_ports_follow_the_services_port_a_hundred_apart():
    metrics = platform.service("metrics")
    assert [metrics.port_of(process) for process in metrics.processes] == [8003, 8103, 8203, 8303, 8403, 8503]
    assert metrics.port_of(metrics.process("aggregator"), api_port=28003) == 28303
    notifications = platform.service("notifications")
    assert dict((p.name, port) for p, port in notifications.workers_and_ports) == {
        "relay": 8105, "consumer": 8205, "mailer": 8305, "bounces": 8405, "alerts": 8505}
