"""Where things live and which ports they use, per environment ("run", "test" or "chaos": the fault
suite's own stack, python -m chaos)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `shared` must be importable however devstack was started
    sys.path.insert(0, str(REPO_ROOT))

from shared import platform  # noqa: E402  (after the path fix above)

ENVS = ("run", "test", "chaos")

# env run's ports; envs test and chaos use the same layout on other ports so all can run side by side.
# Every default is below 32768, outside Linux's range of ephemeral ports (32768-60999): a port in
# it can be held for a moment by any client connection the kernel gave it to, and a server then
# fails to start there.
INFRA_PORTS: dict[str, dict[str, int]] = {
    "run": {"pg": 5433, "kafka": 9092, "kafka_controller": 9093, "smtp": 1025, "mail_http": 8025, "oidc": 8091,
            "portal": 8000, "mail_pop3": 1110},
    "test": {
        "pg": 25433,
        "kafka": 29092,
        "kafka_controller": 29093,
        "smtp": 21025,
        "mail_http": 28025,
        "oidc": 28091,
        "portal": 28000,
        "mail_pop3": 21110,
    },
    "chaos": {
        "pg": 26433,
        "kafka": 26092,
        "kafka_controller": 26093,
        "smtp": 26025,
        "mail_http": 26825,
        "oidc": 26091,
        "portal": 26000,
        "mail_pop3": 26110,
    },
}
PORT_ENV_VARS = {
    "pg": "WTGR_PG_PORT",
    "kafka": "WTGR_KAFKA_PORT",
    "kafka_controller": "WTGR_KAFKA_CONTROLLER_PORT",
    "smtp": "WTGR_SMTP_PORT",
    "mail_http": "WTGR_MAIL_HTTP_PORT",
    "oidc": "WTGR_OIDC_PORT",
    "portal": "WTGR_PORTAL_PORT",
    "mail_pop3": "WTGR_MAIL_POP3_PORT",  # the mail catcher's POP3 server: the bounce mailbox the bounces worker reads
}
SERVICE_PORT_OFFSET = {"run": 0, "test": 20000, "chaos": 18000}


def service_port_env_var(service: str) -> str:
    """e.g. WTGR_IDEAS_PORT (the env file's IDEAS_PORT is what the service reads)."""
    return f"WTGR_{service.upper()}_PORT"

# Fixed local-development credentials (documented; never used outside this machine).
PG_DATABASE = "wtgr"
PG_SUPERUSER = "postgres"  # bootstrap superuser, reachable only over the unix socket
PG_ADMIN_ROLE = "wtgr_admin"
PG_ADMIN_PASSWORD = "wtgr-admin-local-dev"
PG_OS_USER = "wtgr"  # Postgres refuses to run as root; this system user runs it instead
BOUNCE_MAILBOX_USER = "bounces"  # the mail catcher's POP3 login, which the bounces worker reads with
BOUNCE_MAILBOX_PASSWORD = "bounces-local-dev"


def service_password(service: str) -> str:
    return f"{service}-local-dev"


def platform_services() -> tuple[str, ...]:
    return platform.service_names()


def warn(message: str) -> None:
    print(f"devstack: warning: {message}", file=sys.stderr)


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Ports:
    pg: int
    kafka: int
    kafka_controller: int
    smtp: int
    mail_http: int
    oidc: int = 0  # the development OpenID Connect provider
    portal: int = 0  # the portal (the address people open)
    mail_pop3: int = 0  # the mail catcher's POP3 server (the bounce mailbox)
    services: dict[str, int] = field(default_factory=dict)
    platform: dict[str, int] = field(default_factory=dict)  # the platform's own processes, by name

    def infra(self) -> dict[str, int]:
        return {key: getattr(self, key) for key in PORT_ENV_VARS}

    def process_port(self, service: str, process: str) -> int:
        """Where a service's process serves HTTP: the API on the service's port, each worker its
        /healthz and /metrics on the port shared/platform.py derives from it."""
        registered = platform.service(service)
        return registered.port_of(registered.process(process), self.services[service])

    def worker_ports(self) -> list[int]:
        return [self.process_port(service, process.name) for service in self.services
                for process in platform.service(service).processes if process != platform.API]


def default_ports(env: str, services: tuple[str, ...]) -> Ports:
    offset = SERVICE_PORT_OFFSET[env]
    service_ports = {service: platform.service(service).port + offset for service in services}
    own = {process.name: process.port + offset for process in platform.PLATFORM_PROCESSES}
    return Ports(**INFRA_PORTS[env], services=service_ports, platform=own)


def resolve_ports(
    env: str,
    services: tuple[str, ...],
    environ: Mapping[str, str],
    recorded: Mapping[str, object] | None = None,
    warn_mismatch: bool = False,
) -> Ports:
    """The ports for `env`: defaults, then WTGR_*_PORT overrides (WTGR_PG_PORT, ...,
    WTGR_IDEAS_PORT, ...), unless servers already run: then the ports they were started on.

    Overrides are ignored when WTGR_ENV names another environment: they then came from
    that environment's env file (which sets WTGR_SMTP_PORT), not from the user.
    """
    base = default_ports(env, services)
    ports = Ports(
        **{key: _override(env, environ, var, getattr(base, key)) for key, var in PORT_ENV_VARS.items()},
        services={
            service: _override(env, environ, service_port_env_var(service), default)
            for service, default in base.services.items()
        },
        platform={
            process.name: _override(env, environ, process.port_env_var, base.platform[process.name])
            for process in platform.PLATFORM_PROCESSES
        },
    )
    recorded_ports = _recorded_ports(recorded) if recorded else None
    if recorded_ports is not None:
        if warn_mismatch and recorded_ports != ports:
            warn(
                f"env {env} is already running on the ports it was started with "
                f"({recorded_ports.infra()}); port overrides apply after `down`"
            )
        return recorded_ports
    used = [*ports.infra().values(), *ports.services.values(), *ports.platform.values(), *ports.worker_ports()]
    duplicates = sorted({p for p in used if used.count(p) > 1})
    if duplicates:
        raise ConfigError(f"env {env}: port(s) {duplicates} assigned twice; check WTGR_*_PORT")
    return ports


def _override(env: str, environ: Mapping[str, str], var: str, default: int) -> int:
    """The port `var` sets, else `default`; a value from another env's env file is ignored."""
    raw = environ.get(var)
    if not raw:
        return default
    other_env = environ.get("WTGR_ENV")
    if other_env and other_env != env:
        if raw != str(default):
            warn(f"ignoring {var}={raw}: WTGR_ENV={other_env} says it belongs to env {other_env}")
        return default
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"{var}={raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise ConfigError(f"{var}={raw!r} is not a port number")
    return port


def _recorded_ports(recorded: Mapping[str, object]) -> Ports | None:
    """The ports recorded at `up` (ports.json), or None when that record is unreadable."""
    try:
        return Ports(
            **{k: int(recorded[k]) for k in PORT_ENV_VARS},  # type: ignore[call-overload]
            services={k: int(v) for k, v in dict(recorded["services"]).items()},  # type: ignore[call-overload]
            platform={k: int(v) for k, v in dict(recorded["platform"]).items()},  # type: ignore[call-overload]
        )
    except (KeyError, TypeError, ValueError):
        return None


def cache_dir(environ: Mapping[str, str]) -> Path:
    if environ.get("WTGR_CACHE_DIR"):
        return Path(environ["WTGR_CACHE_DIR"]).expanduser().resolve()
    xdg = environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return (base / "wtgr").resolve()


@dataclass(frozen=True)
class StackConfig:
    env: str
    ports: Ports
    services: tuple[str, ...]
    repo_root: Path
    state_dir: Path
    cache_dir: Path

    # --- layout of .local/<env>/ ---
    @property
    def env_file(self) -> Path:
        return self.state_dir / "env"

    @property
    def ports_file(self) -> Path:
        return self.state_dir / "ports.json"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "devstack.lock"

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def pg_data_dir(self) -> Path:
        return self.state_dir / "pg"

    @property
    def pg_log(self) -> Path:
        return self.state_dir / "postgres.log"

    @property
    def pg_pid_file(self) -> Path:
        return self.state_dir / "postgres.pid"

    @property
    def kafka_dir(self) -> Path:
        return self.state_dir / "kafka"

    @property
    def kafka_data_dir(self) -> Path:
        return self.state_dir / "kafka-data"

    @property
    def kafka_log(self) -> Path:
        return self.state_dir / "kafka.log"

    @property
    def kafka_pid_file(self) -> Path:
        return self.state_dir / "kafka.pid"

    @property
    def mail_dir(self) -> Path:
        return self.state_dir / "mail"

    @property
    def mail_pop3_auth_file(self) -> Path:
        return self.mail_dir / "pop3-auth"

    @property
    def mail_log(self) -> Path:
        return self.state_dir / "mailpit.log"

    @property
    def mail_pid_file(self) -> Path:
        return self.state_dir / "mailpit.pid"

    @property
    def jwt_dir(self) -> Path:
        return self.state_dir / "jwt"

    @property
    def prom_dir(self) -> Path:
        return self.state_dir / "prom"

    @property
    def oidc_dir(self) -> Path:
        return self.state_dir / "oidc"

    @property
    def oidc_log(self) -> Path:
        return self.state_dir / "oidc-provider.log"

    @property
    def oidc_pid_file(self) -> Path:
        return self.state_dir / "oidc-provider.pid"

    @property
    def portal_session_dir(self) -> Path:
        return self.state_dir / "portal-sessions"

    # --- URLs ---
    def database_url(self, role: str, password: str) -> str:
        return f"postgresql://{role}:{password}@127.0.0.1:{self.ports.pg}/{PG_DATABASE}"

    @property
    def admin_database_url(self) -> str:
        return self.database_url(PG_ADMIN_ROLE, PG_ADMIN_PASSWORD)

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.ports.kafka}"

    @property
    def mail_http_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.mail_http}"

    @property
    def oidc_issuer(self) -> str:
        return f"http://127.0.0.1:{self.ports.oidc}"

    @property
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.portal}"

    def service_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports.services[service]}"

    def process_url(self, service: str, process: str) -> str:
        """The process' own HTTP endpoint: the API, or a worker's /healthz and /metrics."""
        return f"http://127.0.0.1:{self.ports.process_port(service, process)}"

    def platform_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports.platform[name]}"


def load_config(
    env: str,
    environ: Mapping[str, str] | None = None,
    *,
    use_recorded: bool = True,
    warn_mismatch: bool = False,
) -> StackConfig:
    if env not in ENVS:
        raise ConfigError(f"unknown env {env!r}; use one of {', '.join(ENVS)}")
    environ = os.environ if environ is None else environ
    services = platform_services()
    state_dir = REPO_ROOT / ".local" / env
    recorded = None
    if use_recorded:
        recorded = read_recorded_ports(state_dir / "ports.json")
    ports = resolve_ports(env, services, environ, recorded, warn_mismatch)
    return StackConfig(
        env=env,
        ports=ports,
        services=services,
        repo_root=REPO_ROOT,
        state_dir=state_dir,
        cache_dir=cache_dir(environ),
    )


def read_recorded_ports(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def record_ports(config: StackConfig) -> None:
    config.ports_file.write_text(json.dumps(asdict(config.ports), indent=2) + "\n")


def forget_ports(config: StackConfig) -> None:
    config.ports_file.unlink(missing_ok=True)
