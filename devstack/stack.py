"""up / down / status for one environment: Postgres, Kafka, the mail catcher (Mailpit), the services."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from typing import Protocol

from devstack import proc, supervise
from devstack.config import StackConfig, forget_ports, load_config, record_ports, warn
from devstack.envfile import ensure_jwt_keys, ensure_oidc_keys, oidc_env, read_env_file, write_env_file
from devstack.kafka_broker import Kafka
from devstack.mailpit import Mailpit
from devstack.oidc_provider import OidcProvider, demo_users
from devstack.portal import Portal
from devstack.postgres import Postgres
from devstack.proc import PidRecord, StartupError
from devstack.services import Services, run_demo, worker_health
from shared.platform import PLATFORM_PROCESSES


class Server(Protocol):
    name: str

    def running(self) -> PidRecord | None: ...

    def answers(self) -> bool: ...

    def start(self) -> PidRecord: ...


def line(message: str) -> None:
    print(f"  {message}", flush=True)


@contextlib.contextmanager
def env_lock(config: StackConfig) -> Iterator[None]:
    """One devstack command at a time per env (two `up`s would race for the same ports)."""
    config.state_dir.mkdir(parents=True, exist_ok=True)
    with open(config.lock_file, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"devstack: waiting for another devstack command on env {config.env}", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def servers(config: StackConfig) -> tuple[Postgres, Kafka, Mailpit, OidcProvider]:
    return Postgres(config), Kafka(config), Mailpit(config), OidcProvider(config, oidc_env(config))


def anything_running(config: StackConfig) -> bool:
    if any(server.running() for server in servers(config)):
        return True
    return bool(Services(config, {}).all_running())


def current_config(env: str, starting: bool = False) -> StackConfig:
    """Ports recorded at `up` while anything runs; otherwise defaults plus overrides."""
    config = load_config(env, use_recorded=False)
    if config.ports_file.exists() and anything_running(config):
        return load_config(env, use_recorded=True, warn_mismatch=starting)
    return config


def _describe(config: StackConfig, server: Server) -> str:
    ports = config.ports
    if server.name == "postgres":
        return f"127.0.0.1:{ports.pg}"
    if server.name == "kafka":
        return f"127.0.0.1:{ports.kafka} (controller {ports.kafka_controller})"
    if server.name == "oidc-provider":
        return f"{config.oidc_issuer}/"
    pop3 = f", pop3 127.0.0.1:{ports.mail_pop3}" if ports.mail_pop3 else ""
    return f"smtp 127.0.0.1:{ports.smtp}{pop3}, {config.mail_http_url}/"


def _ensure_server(config: StackConfig, server: Server) -> bool:
    """Start the server unless it already runs and answers. True if it was started now."""
    existing = server.running()
    if existing is not None:
        proc.wait_until(
            server.answers,
            what=f"{server.name} (pid {existing.pid}, already running)",
            timeout=30,
            still_running=lambda: existing.alive,
        )
        line(f"{server.name:<13} already running on {_describe(config, server)} (pid {existing.pid})")
        return False
    record = server.start()
    line(f"{server.name:<13} started on {_describe(config, server)} (pid {record.pid})")
    return True


def up(env: str, with_services: bool, demo: bool) -> int:
    config = current_config(env)
    with env_lock(config):
        config = current_config(env, starting=True)
        os.chmod(config.state_dir, 0o755)
        config.logs_dir.mkdir(exist_ok=True)
        print(f"devstack: env {env} (state in {config.state_dir})", flush=True)
        postgres, kafka, mail, oidc = servers(config)
        ensure_oidc_keys(config)
        started = [_ensure_server(config, server) for server in (postgres, kafka, mail, oidc)]
        record_ports(config)

        from shared.platform import all_topics

        postgres.bootstrap(config.services)
        created = kafka.ensure_topics(all_topics())
        if created:
            line(f"{'topics':<13} created {len(created)}: {', '.join(created)}")
        ensure_jwt_keys(config)
        values = write_env_file(config)
        line(f"{'env file':<13} {config.env_file}")

        services_started = portal_started = False
        if with_services:
            svc = Services(config, values)
            _, started_now = svc.start(config.services, line)
            svc.start_platform(line)
            portal_started = Portal(config, svc.process_env()).ensure(line)
            services_started = bool(started_now)
        if demo:
            if not with_services:
                warn("--demo needs --services; no demo data loaded")
            elif services_started:
                run_demo(config, svc.process_env())
            else:
                line("demo data     not reloaded (services were already running)")
        if not any(started) and not (with_services and (services_started or portal_started)):
            print(f"devstack: env {env} is already up", flush=True)
        return 0


def down(env: str, purge: bool) -> int:
    config = current_config(env)
    with env_lock(config):
        stopped: list[str] = []

        def report(message: str) -> None:
            warn(message)

        stopped += Services(config, {}).stop(report)
        postgres, kafka, mail, oidc = servers(config)
        for server in (oidc, mail, kafka, postgres):
            if server.stop(report):
                stopped.append(server.name)
        forget_ports(config)
        if stopped:
            print(f"devstack: env {env}: stopped {', '.join(stopped)}", flush=True)
        else:
            print(f"devstack: env {env}: nothing was running", flush=True)
        if purge and config.state_dir.exists():
            shutil.rmtree(config.state_dir)
            print(f"devstack: env {env}: removed {config.state_dir}", flush=True)
        return 0


def _answers(server: Server) -> str:
    try:
        return "answering" if server.answers() else "NOT answering"
    except Exception:
        return "NOT answering"


def status(env: str) -> int:
    config = current_config(env)
    print(f"devstack: env {env} (state in {config.state_dir})")
    healthy = True
    for server in servers(config):
        record = server.running()
        if record is None:
            healthy = False
            line(f"{server.name:<22} stopped          {_describe(config, server)}")
            continue
        state = _answers(server)
        healthy = healthy and state == "answering"
        line(f"{server.name:<22} pid {record.pid:<8} {_describe(config, server)}  {state}")
    svc = Services(config, {})
    for service in config.services:
        _service_status(config, svc, service)
    for own in PLATFORM_PROCESSES:
        _platform_process_status(config, svc, own.name)
    _portal_status(config)
    if config.env_file.exists():
        line(f"{'env file':<22} {config.env_file}")
    return 0 if healthy else 1


def _portal_status(config: StackConfig) -> None:
    portal = Portal(config, {})
    record = portal.running()
    if record is None:
        line(f"{'portal':<22} stopped          {config.portal_url}/")
        return
    try:
        state = "ready" if portal.answers() else "NOT ready"
    except Exception:
        state = "NOT ready"
    line(f"{'portal':<22} pid {record.pid:<8} {'':<11} {config.portal_url}/  {state}")


def _service_status(config: StackConfig, svc: Services, service: str) -> None:
    """A line per process: its pid, restarts and URL, and whether it answers: the API's /readyz,
    a worker's /healthz (its heartbeat is fresh)."""
    running = svc.running(service)
    if not running:
        line(f"{service:<22} stopped          {config.service_url(service)}")
        return
    for process, record in running.items():
        where = config.process_url(service, process) if process in svc.processes(service) else ""
        state = ""
        if process == "api":
            try:
                state = "ready" if svc.answers(service) else "NOT ready"
            except Exception:
                state = "NOT ready"
        elif where:
            state = worker_health(where)
        _process_line(f"{service}-{process}", svc.supervised(service, process), record, where, state)


def _platform_process_status(config: StackConfig, svc: Services, name: str) -> None:
    record = proc.running(svc.pid_file_of(name))
    where = config.platform_url(name)
    if record is None:
        line(f"{name:<22} stopped          {where}")
        return
    supervised = supervise.read_state(svc.logs / f"{name}.state")
    _process_line(name, supervised, record, where, worker_health(where))


def _process_line(name: str, supervised: supervise.SupervisedState | None, record: PidRecord, where: str,
                  state: str) -> None:
    pid = supervised.pid if supervised else record.pid
    restarts = f"restarts {supervised.restarts}" if supervised else ""
    line(f"{name:<22} pid {pid:<8} {restarts:<11} {where}  {state}".rstrip())


def print_env(env: str) -> int:
    config = load_config(env, use_recorded=False)
    if not config.env_file.exists():
        print(f"devstack: env {env} has no env file yet; run `python -m devstack up --env {env}`",
              file=sys.stderr)
        return 1
    sys.stdout.write(config.env_file.read_text())
    return 0


def info(env: str) -> int:
    """Where to look once the platform runs."""
    config = current_config(env)
    values = read_env_file(config.env_file) if config.env_file.exists() else {}
    svc = Services(config, values)
    print()
    print(f"WTGR platform, env {env}:")
    portal_note = "" if Portal(config, {}).running() else "   (not running)"
    print(f"  {'PORTAL':<14} {config.portal_url}/   <- open this{portal_note}")
    print(f"  {'sign-in':<14} {config.oidc_issuer}/  (development OIDC provider)")
    for user in demo_users():
        roles = ", ".join(str(role) for role in user["roles"])  # type: ignore[attr-defined]
        print(f"  {'':<14} {user['username']:<14} password {user['password']:<11} {roles}")
    for service in config.services:
        url = config.service_url(service)
        note = "" if svc.running(service) else "   (not running)"
        print(f"  {service:<14} {url}/docs   metrics {url}/metrics{note}")
    print(f"  {'mail viewer':<14} {config.mail_http_url}/")
    if config.ports.mail_pop3:
        print(f"  {'bounce mailbox':<14} pop3 127.0.0.1:{config.ports.mail_pop3}  (bounces / bounces-local-dev)")
    print(f"  {'postgres':<14} {config.admin_database_url}")
    print(f"  {'kafka':<14} {config.kafka_bootstrap}")
    print(f"  {'logs':<14} {config.logs_dir}/  ({config.state_dir}/*.log for the servers)")
    print(f"  {'env file':<14} {config.env_file}  (python -m devstack env --env {env})")
    print("  a token:       .venv/bin/python -m shared.auth.devtoken --role kpi_owner --user alice")
    print("  stop:          make stop" if env == "run" else f"  stop: python -m devstack down --env {env}")
    print()
    return 0


def run_with_errors(action: str, env: str, func: Callable[..., int], *args: object) -> int:
    """Run a command, turning StartupError into a clear message with the log's tail."""
    try:
        return int(func(*args))
    except StartupError as exc:
        print(f"\ndevstack: {action} --env {env} FAILED: {exc}", file=sys.stderr)
        if exc.log is not None:
            print(f"--- last lines of {exc.log} ---", file=sys.stderr)
            tail = exc.tail if exc.tail is not None else proc.log_tail(exc.log)
            print(tail, file=sys.stderr)
            print("---", file=sys.stderr)
            error = proc.first_error(exc.log)
            if error and error not in tail.splitlines()[-3:]:
                print(f"first error in that log: {error}", file=sys.stderr)
        if action == "up":
            print(f"devstack: `python -m devstack down --env {env}` stops what did start",
                  file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ndevstack: interrupted; `python -m devstack down --env {env}` stops what started",
              file=sys.stderr)
        return 130
