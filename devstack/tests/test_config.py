"""devstack's port and process bookkeeping, without servers."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack import proc
from devstack.config import ENVS, ConfigError, resolve_ports
from devstack.kafka_broker import format_arguments, new_cluster_id

SERVICES = ("ideas", "projects", "metrics", "training", "notifications")


def test_default_ports_per_env() -> None:
    run = resolve_ports("run", SERVICES, {})
    test = resolve_ports("test", SERVICES, {})
    assert (run.pg, run.kafka, run.kafka_controller, run.smtp, run.mail_http) == (
        5433, 9092, 9093, 1025, 8025)
    assert (test.pg, test.kafka, test.kafka_controller, test.smtp, test.mail_http) == (
        25433, 29092, 29093, 21025, 28025)
    assert (run.mail_pop3, test.mail_pop3, resolve_ports("chaos", SERVICES, {}).mail_pop3) == (1110, 21110, 26110)
    assert resolve_ports("test", SERVICES, {"WTGR_MAIL_POP3_PORT": "12110"}).mail_pop3 == 12110
    assert list(run.services.values()) == [8001, 8002, 8003, 8004, 8005]
    assert list(test.services.values()) == [28001, 28002, 28003, 28004, 28005]


def test_port_overrides() -> None:
    ports = resolve_ports("test", SERVICES, {"WTGR_PG_PORT": "6543", "WTGR_SMTP_PORT": "2525"})
    assert (ports.pg, ports.smtp, ports.kafka) == (6543, 2525, 29092)
    ports = resolve_ports("test", SERVICES, {"WTGR_IDEAS_PORT": "18001"})
    assert ports.services["ideas"] == 18001 and ports.services["metrics"] == 28003
    with pytest.raises(ConfigError):
        resolve_ports("test", SERVICES, {"WTGR_KAFKA_PORT": "kafka"})
    with pytest.raises(ConfigError):
        resolve_ports("test", SERVICES, {"WTGR_KAFKA_PORT": "28001"})


def test_another_envs_variables_do_not_override() -> None:
    # A shell that loaded .local/run/env has WTGR_ENV=run and WTGR_SMTP_PORT=1025.
    ports = resolve_ports("test", SERVICES, {"WTGR_ENV": "run", "WTGR_SMTP_PORT": "1025"})
    assert ports.smtp == 21025


def test_cluster_id_is_22_url_safe_characters() -> None:
    cluster_id = new_cluster_id()
    assert len(cluster_id) == 22
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_stop_all_stops_a_process_group_by_pid(tmp_path: Path) -> None:
    child = (
        "import subprocess, sys, time; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    )
    popen, record = proc.start_detached(
        [sys.executable, "-c", child], log=tmp_path / "x.log", pid_file=tmp_path / "x.pid", name="x"
    )
    deadline = time.monotonic() + 5
    while len(proc.group_members(record.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(proc.group_members(record.pid)) == 2
    assert proc.running(tmp_path / "x.pid") == record
    proc.stop_all([record], timeout=5, report=print)
    popen.wait(timeout=5)
    assert proc.group_members(record.pid) == []
    assert not (tmp_path / "x.pid").exists()


def test_a_reused_pid_is_not_ours(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        record = proc.write_pid_file(tmp_path / "s.pid", "s", sleeper.pid)
        assert record.alive
        record.ticks = (record.ticks or 0) + 1  # as if the pid had been recycled
        assert not record.alive
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_cluster_id_starting_with_a_dash_stays_one_argument_of_kafka_storage_format() -> None:
    # An id drawn as "-nJ3D7RzCCWUz9QlbbAegg" once failed a fresh `make test`: passed as "-t <id>",
    # the tool's parser read the id as an option.
    args = format_arguments("-nJ3D7RzCCWUz9QlbbAegg", Path("/tmp/server.properties"))
    assert args == ["--cluster-id=-nJ3D7RzCCWUz9QlbbAegg", "--config=/tmp/server.properties"]


def test_no_default_port_is_one_the_kernel_may_hand_a_client() -> None:
    # Linux gives client connections ports from 32768 to 60999; a server port there can be taken.
    for env in ENVS:
        ports = resolve_ports(env, SERVICES, {})
        defaults = [ports.pg, ports.kafka, ports.kafka_controller, ports.smtp, ports.mail_http, ports.mail_pop3,
                    *ports.services.values()]
        assert all(port < 32768 for port in defaults), (env, defaults)


def test_every_env_has_ports_of_its_own_so_all_can_run_side_by_side() -> None:
    used = []
    for env in ENVS:
        ports = resolve_ports(env, SERVICES, {})
        used += [*ports.infra().values(), *ports.services.values()]
    assert len(used) == len(set(used))
