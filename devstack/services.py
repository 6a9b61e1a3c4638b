"""The platform's own services: per service a migration, then the processes shared/platform.py
registers for it (the API under gunicorn, the outbox relay, the consumer where it consumes a topic,
and its other workers, e.g. notifications' mailer), each as `<service>-<process>`, each under its
own supervisor (devstack/supervise.py) that restarts it with back-off whenever it exits.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from devstack import proc, supervise
from devstack.config import StackConfig, warn
from devstack.proc import PidRecord, StartupError
from devstack.system import say
from shared import platform

READY_TIMEOUT = 60.0
MIGRATE_TIMEOUT = 300.0
STOP_TIMEOUT = 30.0
GUNICORN_WORKERS = 2


def _module_exists(directory: Path, name: str) -> bool:
    return (directory / f"{name}.py").is_file() or (directory / name / "__init__.py").is_file()


@dataclass
class Started:
    service: str
    records: dict[str, PidRecord] = field(default_factory=dict)
    popens: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    states: dict[str, Path] = field(default_factory=dict)

    def exited(self) -> list[str]:
        """The processes that exited since they were started (their supervisor saw it, or is gone)."""
        dead = {name for name, p in self.popens.items() if p.poll() is not None}
        dead |= {name for name, r in self.records.items() if name not in self.popens and not r.alive}
        dead |= {name for name, path in self.states.items() if _has_exited(path)}
        return sorted(dead)


def _has_exited(state_path: Path) -> bool:
    state = supervise.read_state(state_path)
    return state is not None and state.last_exit is not None


class Services:
    def __init__(self, config: StackConfig, env_values: Mapping[str, str]):
        self.config = config
        self.env_values = dict(env_values)
        self.logs = config.logs_dir

    # --- layout ---

    def log(self, service: str, process: str) -> Path:
        return self.logs / f"{service}-{process}.log"

    def pid_file(self, service: str, process: str) -> Path:
        return self.logs / f"{service}-{process}.pid"

    def state_file(self, service: str, process: str) -> Path:
        """Where the process's supervisor writes its pid and restart count (devstack/supervise.py)."""
        return self.logs / f"{service}-{process}.state"

    def supervised(self, service: str, process: str) -> supervise.SupervisedState | None:
        return supervise.read_state(self.state_file(service, process))

    def processes(self, service: str) -> list[str]:
        """The long-running processes shared/platform.py registers for this service."""
        return [process.name for process in platform.service(service).processes]

    # --- state ---

    def running(self, service: str) -> dict[str, PidRecord]:
        found = {}
        for pid_file in sorted(self.logs.glob(f"{service}-*.pid")) if self.logs.is_dir() else ():
            record = proc.running(pid_file)
            if record is not None:
                found[pid_file.stem[len(service) + 1 :]] = record
        return found

    def all_running(self) -> list[PidRecord]:
        """Every live process recorded in logs/*.pid (also services no longer in the list)."""
        if not self.logs.is_dir():
            return []
        return [r for r in map(proc.running, sorted(self.logs.glob("*.pid"))) if r is not None]

    def answers(self, service: str) -> bool:
        url = f"{self.config.service_url(service)}/readyz"
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                return bool(response.status == 200)
        except urllib.error.HTTPError as exc:  # say why it is not ready, e.g. Kafka unreachable
            body = exc.read(500).decode("utf-8", "replace").strip()
            raise RuntimeError(f"HTTP {exc.code} {body}") from None

    def process_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.env_values)
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # set per service when its processes start
        env["PYTHONUNBUFFERED"] = "1"
        root = str(self.config.repo_root)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        return env

    # --- start ---

    def start(
        self, services: tuple[str, ...], report: Callable[[str], None]
    ) -> tuple[list[str], list[str]]:
        """Migrate and start every service not yet running; wait until each is ready.

        Returns the services now ready, and those of them started (or restarted) now."""
        self.logs.mkdir(parents=True, exist_ok=True)
        started: list[Started] = []
        ready: list[str] = []
        for service in services:
            wanted = self.processes(service)
            running = self.running(service)
            if all(p in running for p in wanted):
                self._wait_ready(Started(service, records=running))
                report(f"{service:<13} already running on {self.config.service_url(service)}")
                ready.append(service)
                continue
            if running:  # half up: restart it as a whole
                report(f"{service}: restarting ({', '.join(sorted(running))} running, not all)")
                proc.stop_all(running.values(), timeout=STOP_TIMEOUT, report=report)
            started.append(self._start_one(service, wanted))
        for item in started:
            self._wait_ready(item)
            ready.append(item.service)
            report(f"{item.service:<13} ready on {self.config.service_url(item.service)}")
        return ready, [item.service for item in started]

    def _start_one(self, service: str, wanted: list[str]) -> Started:
        registered = platform.service(service)
        port = self.config.ports.services[service]
        proc.require_free_port(port, f"service {service}")
        env = self.process_env()
        say(f"{service}: migrating")
        proc.run_checked(
            [sys.executable, "-m", registered.migrate_module],
            what=f"{service} migration",
            timeout=MIGRATE_TIMEOUT,
            log=self.log(service, "migrate"),
            env=env,
            cwd=self.config.repo_root,
        )
        # One fresh Prometheus multiprocess folder per process, as each container has its own in
        # deploy/: the API's gunicorn workers share theirs, and each worker's /metrics
        # (shared/liveness.py) shows that worker alone.
        shutil.rmtree(self.config.prom_dir / service, ignore_errors=True)
        item = Started(service)
        for process in registered.processes:
            if process.name not in wanted:
                continue
            popen, record = self._spawn(registered, process, env)
            item.popens[process.name] = popen
            item.states[process.name] = self.state_file(service, process.name)
            item.records[process.name] = record
        return item

    def _spawn(self, registered: platform.Service, process: platform.Process, env: dict[str, str]
               ) -> tuple[subprocess.Popen[bytes], PidRecord]:
        """Start one process of the service under its own supervisor, with a fresh Prometheus
        multiprocess folder of its own."""
        service = registered.name
        prom = self.config.prom_dir / service / process.name
        shutil.rmtree(prom, ignore_errors=True)
        prom.mkdir(parents=True)
        env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(prom)}
        if process == platform.API:
            cmd = self._gunicorn(registered, self.config.ports.services[service])
        else:
            cmd = [sys.executable, "-m", registered.module(process)]
        return supervise.start_supervised(
            cmd, state=self.state_file(service, process.name), log=self.log(service, process.name),
            pid_file=self.pid_file(service, process.name), name=f"{service}-{process.name}", env=env,
            cwd=self.config.repo_root,
        )

    def stop_process(self, service: str, process: str, report: Callable[[str], None]) -> bool:
        """Stop one process of a running service, and its supervisor (so it is not restarted);
        True if it ran. The fault suite (chaos/) uses it, e.g. to reset a consumer group's offsets."""
        record = proc.running(self.pid_file(service, process))
        if record is None:
            return False
        proc.stop_all([record], timeout=STOP_TIMEOUT, report=report)
        return True

    def start_process(self, service: str, process: str) -> PidRecord:
        """Start one process of an already migrated service again, under a fresh supervisor."""
        registered = platform.service(service)
        [wanted] = [p for p in registered.processes if p.name == process]
        (self.config.prom_dir / service).mkdir(parents=True, exist_ok=True)
        _, record = self._spawn(registered, wanted, self.process_env())
        return record

    def _gunicorn(self, registered: platform.Service, port: int) -> list[str]:
        """The command serving the service's API: gunicorn on its port, with its own control socket."""
        cmd = [sys.executable, "-m", "gunicorn", "--workers", str(GUNICORN_WORKERS)]
        cmd += ["--bind", f"127.0.0.1:{port}"]
        # gunicorn's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl),
        # which every service of every env would fight over: one socket per service instead.
        control = self.config.state_dir / "gunicorn" / f"{registered.name}.ctl"
        if len(str(control)) < 100:
            control.parent.mkdir(parents=True, exist_ok=True)
            cmd += ["--control-socket", str(control)]
        else:
            cmd.append("--no-control-socket")
        cmd += ["--config", str(self.config.repo_root / "services" / "gunicorn_conf.py")]
        cmd.append(f"{registered.module(platform.API)}:create_app()")
        return cmd

    def _wait_ready(self, item: Started) -> None:
        """Wait for GET /readyz = 200; if it never comes, stop the service (logs stay) and fail."""
        service = item.service
        try:
            proc.wait_until(
                lambda: self.answers(service),
                what=f"service {service} (GET /readyz)",
                timeout=READY_TIMEOUT,
                log=self.log(service, "api"),
                still_running=lambda: not item.exited(),
            )
        except StartupError as exc:
            dead = item.exited()
            log = self.log(service, dead[0]) if dead else self.log(service, "api")
            detail = f" ({', '.join(dead)} exited)" if dead else ""
            tail = proc.log_tail(log)  # before stopping adds shutdown lines
            proc.stop_all(item.records.values(), timeout=STOP_TIMEOUT, report=warn)
            raise StartupError(f"{exc}{detail}; stopped {service} again", log, tail) from None

    def start_platform(self, report: Callable[[str], None]) -> None:
        """Start the platform's own processes (shared/platform.py ``PLATFORM_PROCESSES``, the lag
        exporter) that are not running, each under its supervisor, and wait until each answers."""
        self.logs.mkdir(parents=True, exist_ok=True)
        for process in platform.PLATFORM_PROCESSES:
            url = self.config.platform_url(process.name)
            if proc.running(self.pid_file_of(process.name)) is not None:
                report(f"{process.name:<13} already running on {url}")
                continue
            proc.require_free_port(self.config.ports.platform[process.name], process.name)
            popen, record = supervise.start_supervised(
                [sys.executable, "-m", process.module], state=self.logs / f"{process.name}.state",
                log=self.logs / f"{process.name}.log", pid_file=self.pid_file_of(process.name), name=process.name,
                env=self.process_env(), cwd=self.config.repo_root,
            )
            self._wait_healthy(process.name, url, popen)
            report(f"{process.name:<13} ready on {url}")

    def _wait_healthy(self, name: str, url: str, popen: subprocess.Popen[bytes]) -> None:
        proc.wait_until(lambda: worker_health(url) == "healthy", what=f"{name} (GET /healthz)",
                        timeout=READY_TIMEOUT, log=self.logs / f"{name}.log",
                        still_running=proc.popen_alive(popen))

    def pid_file_of(self, name: str) -> Path:
        return self.logs / f"{name}.pid"

    # --- stop ---

    def stop(self, report: Callable[[str], None]) -> list[str]:
        records = self.all_running()
        if records:
            proc.stop_all(records, timeout=STOP_TIMEOUT, report=report)
        for stale in self.logs.glob("*.pid") if self.logs.is_dir() else ():
            if proc.running(stale) is None:
                stale.unlink(missing_ok=True)
        return [r.name for r in records]


def worker_health(url: str) -> str:
    """What a worker's GET /healthz says: healthy, STALE (its heartbeat is old) or no answer."""
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            return "healthy" if response.status == 200 else f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return "STALE heartbeat" if exc.code == 503 else f"HTTP {exc.code}"
    except (OSError, ValueError):
        return "no answer"


def run_demo(config: StackConfig, env: Mapping[str, str]) -> bool:
    """Load the demo data with devstack.demo, if that module exists."""
    if not _module_exists(config.repo_root / "devstack", "demo"):
        warn("devstack/demo.py does not exist yet; no demo data loaded")
        return False
    say("loading demo data (python -m devstack.demo)")
    result = subprocess.run(
        [sys.executable, "-m", "devstack.demo"], env=dict(env), cwd=config.repo_root, check=False
    )
    if result.returncode != 0:
        raise StartupError(f"python -m devstack.demo exited with {result.returncode}")
    return True
