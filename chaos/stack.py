"""The running environment a scenario works on, and the faults it can inflict on it.

Everything here goes through devstack's own records (pid files, supervisor state files, the env
file), so a fault hits exactly the process devstack started for that env and nothing else.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from devstack import proc
from devstack.config import StackConfig, load_config
from devstack.envfile import read_env_file
from devstack.kafka_broker import Kafka
from devstack.mail import Mailbox
from devstack.mailpit import Mailpit
from devstack.postgres import Postgres, find_bin_dir
from devstack.services import Services
from devstack.system import ensure_system_user
from shared import platform
from shared.auth import TokenIssuer
from shared.config import DEV_ISSUER


def say(message: str) -> None:
    print(f"chaos: {message}", flush=True)


def wait_for(check: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    """Poll ``check`` until it is true (True) or ``timeout`` seconds passed (False); an exception
    from ``check`` counts as not yet."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return True
        except Exception:  # noqa: BLE001 - a server still coming back
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


@dataclass
class Stack:
    """One devstack environment that is up with its services (``python -m devstack up --env X --services``)."""

    config: StackConfig
    values: dict[str, str]
    extra: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @classmethod
    def of(cls, env: str) -> Stack:
        config = load_config(env, use_recorded=True)
        if not config.env_file.exists():
            raise RuntimeError(f"env {env} is not up: no {config.env_file}")
        return cls(config, read_env_file(config.env_file))

    # --- addresses ---

    @property
    def kafka_bootstrap(self) -> str:
        return self.config.kafka_bootstrap

    def url(self, service: str) -> str:
        return self.config.service_url(service)

    def mailbox(self) -> Mailbox:
        return Mailbox(self.config.mail_http_url)

    def admin_headers(self) -> dict[str, str]:
        issuer = TokenIssuer.from_file(self.values["WTGR_JWT_PRIVATE_KEY_FILE"], DEV_ISSUER, "wtgr-platform")
        return {"Authorization": f"Bearer {issuer.issue('chaos', ['admin'])}"}

    @property
    def services(self) -> Services:
        return Services(self.config, self.values)

    # --- the database, read as the admin role (every schema) ---

    @contextmanager
    def db(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        with psycopg.connect(self.config.admin_database_url, autocommit=True, row_factory=dict_row,
                             connect_timeout=3) as conn:
            yield conn

    def rows(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        with self.db() as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Any = None) -> Any:
        rows = self.rows(sql, params)
        return next(iter(rows[0].values())) if rows else None

    # --- processes ---

    def worker_pid(self, service: str, process: str) -> int | None:
        """The pid of the supervised process itself (not its supervisor), while it runs."""
        state = self.services.supervised(service, process)
        return state.pid if state is not None and proc.is_alive(state.pid) else None

    def kill9(self, service: str, process: str) -> int:
        """SIGKILL the process (its supervisor stays and starts it again); its pid."""
        pid = self.worker_pid(service, process)
        if pid is None:
            raise RuntimeError(f"{service}-{process} is not running")
        os.kill(pid, signal.SIGKILL)
        return pid

    def problems(self) -> list[str]:
        """What is not as it should be: a process of a service not running under its supervisor,
        an API not ready, an outbox with events still to publish."""
        found = []
        for item in platform.SERVICES:
            for process in item.processes:
                if self.worker_pid(item.name, process.name) is None:
                    found.append(f"{item.name}-{process.name} not running")
            if not self._ready(item.name):
                found.append(f"{item.name} api not ready")
        found += [f"{schema} outbox holds {count} unpublished events" for schema, count in self.outbox_backlog()]
        return found

    def _ready(self, service: str) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url(service)}/readyz", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def outbox_backlog(self) -> list[tuple[str, int]]:
        with self.db() as conn:
            found = []
            for service in platform.service_names():
                count = conn.execute(f'SELECT count(*) AS n FROM "{service}".outbox WHERE published_at IS NULL'
                                     ).fetchone()
                if count and count["n"]:
                    found.append((service, int(count["n"])))
            return found

    def start_extra_consumer(self, service: str) -> subprocess.Popen[bytes]:
        """A second consumer process of the service, in the same consumer group (not supervised)."""
        log = self.config.logs_dir / f"{service}-consumer-extra.log"
        env = {**self.services.process_env(), "WTGR_WORKER_ENDPOINT_PORT": "0"}  # the first one has the port
        with open(log, "ab") as out:
            popen = subprocess.Popen([sys.executable, "-m", platform.service(service).module(platform.CONSUMER)],
                                     stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                     cwd=self.config.repo_root, start_new_session=True)
        self.extra.append(popen)
        return popen

    def stop_extras(self) -> None:
        for popen in self.extra:
            if popen.poll() is None:
                popen.terminate()
                try:
                    popen.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    popen.kill()
                    popen.wait()
        self.extra.clear()

    # --- the servers ---

    def stop_postgres_immediately(self) -> None:
        """``pg_ctl stop -m immediate``: every backend is killed, the next start recovers from WAL."""
        bin_dir = find_bin_dir()
        assert bin_dir is not None
        who = ensure_system_user("wtgr")
        cmd = [str(bin_dir / "pg_ctl"), "-D", str(self.config.pg_data_dir), "-m", "immediate", "-w", "-s", "stop"]
        subprocess.run(who.wrap(cmd), check=True, stdin=subprocess.DEVNULL, capture_output=True)

    def start_postgres(self) -> None:
        Postgres(self.config).start()

    def stop_kafka(self) -> None:
        Kafka(self.config).stop(say)

    def start_kafka(self) -> None:
        Kafka(self.config).start()

    def stop_mail(self) -> None:
        Mailpit(self.config).stop(say)

    def start_mail(self) -> None:
        Mailpit(self.config).start()

    def log_path(self, name: str) -> Path:
        return self.config.logs_dir / name
