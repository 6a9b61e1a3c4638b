"""A dead or stuck worker is seen from outside, on the running platform: every worker answers its
own /healthz and /metrics, a relay killed with kill -9 leaves its service's outbox gauges growing
(read from the database by the API, never frozen at the relay's last report), and the lag exporter
reports the lag of a consumer group that stopped consuming, from the broker's committed offsets."""

from __future__ import annotations

import os
import re
import signal
import time
import uuid
from collections.abc import Callable

import pytest
import requests
from kafka import KafkaConsumer, KafkaProducer

from conftest import required_env
from devstack import proc
from devstack.config import load_config
from devstack.services import Services
from shared import db, platform
from shared.lag_exporter import KafkaLagReader

pytestmark = pytest.mark.e2e

MEASURE = {"kpi_code": "ALOS", "unit_code": "WARD-7", "period": "2026-09", "value": 4.2, "source": "e2e"}


def gauge(page: str, name: str, **labels: str) -> float | None:
    """A sample's value on a Prometheus page, or None."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    found = re.search(rf"^{name}{{{re.escape(wanted)}}} (\S+)$", page, re.M)
    return float(found.group(1)) if found else None


def worker_url(service: str, process: str) -> str:
    registered = platform.service(service)
    port = registered.port_of(registered.process(process), int(required_env(f"{service.upper()}_PORT")))
    return f"http://127.0.0.1:{port}"


WORKERS = [(item.name, process.name) for item in platform.SERVICES for process, _ in item.workers_and_ports]


@pytest.mark.parametrize(("service", "process"), WORKERS, ids=[f"{s}-{p}" for s, p in WORKERS])
def test_every_worker_answers_its_healthz_and_metrics_with_a_fresh_heartbeat(service, process, service_url):
    service_url(service)  # the service runs
    url = worker_url(service, process)
    health = requests.get(f"{url}/healthz", timeout=5)
    assert health.status_code == 200 and health.json()["status"] == "ok", health.text
    page = requests.get(f"{url}/metrics", timeout=5).text
    beat = gauge(page, "wtgr_worker_heartbeat_timestamp_seconds", service=service, worker=process)
    assert beat is not None and time.time() - beat < 60


@pytest.fixture
def stack() -> Services:
    return Services(load_config("test"), {})


def supervised_relay(stack: Services, service: str) -> tuple[int, int]:
    """The pids of the service's relay supervisor and of the relay it runs."""
    supervisor = proc.running(stack.pid_file(service, "relay"))
    state = stack.supervised(service, "relay")
    assert supervisor is not None and state is not None, "devstack runs the relay under its supervisor"
    return supervisor.pid, state.pid


def test_a_relay_killed_with_rows_waiting_leaves_the_backlog_gauges_growing_until_it_is_back(
    stack, service_url, scratch_topic
):
    service = "training"
    api = service_url(service)
    supervisor, relay = supervised_relay(stack, service)
    pool = db.make_pool(required_env("TRAINING_DATABASE_URL"), max_size=1, name="e2e-outbox")
    os.kill(supervisor, signal.SIGSTOP)  # it would restart the relay within a second
    try:
        os.kill(relay, signal.SIGKILL)
        with db.unit_of_work(pool, service) as uow:
            for _ in range(5):
                uow.emit("measure.recorded", MEASURE, topic=scratch_topic, key="ALOS|WARD-7")
        first = requests.get(f"{api}/metrics", timeout=10).text
        time.sleep(2)
        with db.unit_of_work(pool, service) as uow:
            uow.emit("measure.recorded", MEASURE, topic=scratch_topic, key="ALOS|WARD-7")
        second = requests.get(f"{api}/metrics", timeout=10).text
    finally:
        os.kill(supervisor, signal.SIGCONT)
        pool.close()
    assert gauge(first, "wtgr_outbox_backlog_events", service=service) >= 5
    assert gauge(second, "wtgr_outbox_backlog_events", service=service) >= 6
    assert gauge(second, "wtgr_outbox_oldest_age_seconds", service=service) >= \
        gauge(first, "wtgr_outbox_oldest_age_seconds", service=service) + 1.5
    assert gauge(second, "wtgr_scrape_success", service=service, collector="outbox") == 1.0
    # the supervisor restarts the relay, which drains the outbox: the gauge falls back
    assert wait_for(lambda: gauge(requests.get(f"{api}/metrics", timeout=10).text,
                                  "wtgr_outbox_backlog_events", service=service) == 0, seconds=60)


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def test_the_lag_exporter_reports_the_lag_of_a_group_that_stopped_consuming(kafka_bootstrap, scratch_topic):
    group = f"e2e-stopped-{uuid.uuid4().hex[:8]}"
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    for n in range(10):
        producer.send(scratch_topic, key=b"k", value=str(n).encode())  # one key: one partition
    producer.flush(10)
    consumer = KafkaConsumer(scratch_topic, bootstrap_servers=kafka_bootstrap, group_id=group,
                             enable_auto_commit=False, auto_offset_reset="earliest", max_poll_records=4)
    read = 0
    while read < 4:
        read += sum(len(batch) for batch in consumer.poll(timeout_ms=2000, max_records=4 - read).values())
    consumer.commit()
    consumer.close(autocommit=False)  # the group stops consuming, 6 messages short
    for n in range(5):
        producer.send(scratch_topic, key=b"k", value=str(n).encode())
    producer.flush(10)
    producer.close()

    reader = KafkaLagReader(kafka_bootstrap, {group: (scratch_topic,)})
    try:
        lags = reader.read()
    finally:
        reader.close()
    assert sum(item.lag for item in lags) == 11
    assert {item.partition for item in lags} == {0, 1, 2}


def test_the_running_lag_exporter_reports_every_platform_group():
    url = f"http://127.0.0.1:{required_env(platform.LAG_EXPORTER.port_env_var)}"
    assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
    page = requests.get(f"{url}/metrics", timeout=15).text
    assert gauge(page, "wtgr_scrape_success", service="platform", collector="consumer_lag") == 1.0
    for group, read in platform.consumer_groups().items():
        for topic in read:
            assert gauge(page, "wtgr_consumer_group_lag_messages", service=platform.service_of_group(group),
                         group=group, topic=topic,
                         partition="0") is not None, (group, topic)
