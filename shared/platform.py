"""The platform's services, each registered once: its API port, the topics it publishes and
consumes, and its long-running processes.

Everything that needs to know the services reads this table: devstack starts exactly these
processes (and creates the topics of ``all_topics``), each consumer subscribes to its service's
``consumes``, ``Settings`` takes its default port from here, every worker serves its /metrics and
/healthz on ``Service.port_of`` (shared/liveness.py), and tests/test_deploy_files.py fails when
docker-compose.yml or Prometheus' scrape targets disagree with it. A new service is one entry here
(docs/adding-a-service.md). ``PLATFORM_PROCESSES`` are the processes that belong to no service
(the consumer-lag exporter).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared import topics


@dataclass(frozen=True)
class Process:
    """One long-running process of a service. It runs as ``<service>-<name>`` (devstack's log and
    pid files, the compose service, alerts); ``module`` is its module in
    services/<service>/entrypoints/. The api is served by gunicorn from that module's
    ``create_app()``; every other process is ``python -m`` of its module."""

    name: str
    module: str


API = Process("api", "api")
RELAY = Process("relay", "relay")
CONSUMER = Process("consumer", "consumer")


@dataclass(frozen=True)
class Lane:
    """A consumer of its own, in a group of its own (``<service>-<name>``), so that the events it
    handles and those the service's consumer handles never queue behind each other. It reads
    ``consumes`` and handles ``events`` of them, which the service's consumer then leaves to it;
    ``events`` None: every event of its topics, which the service's consumer then does not read.

    Why: a backfill sends thousands of kpi.updated, handled one at a time in a poll's transaction.
    A special cause arriving among them waited seconds for them in notifications before its alert
    was queued, and a feed's live measure waited behind them in metrics (bench/README.md)."""

    name: str
    consumes: tuple[str, ...]
    events: frozenset[str] | None = None
    poll_records: int = 500

    @property
    def process(self) -> Process:
        return Process(self.name, self.name)


@dataclass(frozen=True)
class Group:
    """A consumer group of a service: the process that reads in it, its name, and its topics."""

    process: Process
    name: str
    topics: tuple[str, ...]


PROCESS_PORT_STEP = 100  # a service's processes listen 100 ports apart, from its API's port


@dataclass(frozen=True)
class Service:
    """A service: ``port`` is its API's port in env run and in deploy/ (env test adds 20000); each
    of its other processes serves /metrics and /healthz on ``port_of`` that process.

    Every service has a migration (entrypoints/migrate.py, run to completion before the rest), an
    api and an outbox relay; it has a consumer when it ``consumes`` a topic, and ``workers`` are
    its other long-running processes, ``lanes`` its consumers for events that must not wait behind
    the rest (``Lane``; each runs as one more process, after the workers). ``poll_records``: at
    most so many messages its consumer handles in one poll, one transaction (more for set-based
    handlers: a backfill's batch then pays its statements over thousands of events; each measure
    of a batch holds an advisory lock until it commits, so the batch is bounded by PostgreSQL's
    lock table too)."""

    name: str
    port: int
    publishes: tuple[str, ...]
    consumes: tuple[str, ...] = ()
    workers: tuple[Process, ...] = ()
    poll_records: int = 500
    lanes: tuple[Lane, ...] = ()

    @property
    def processes(self) -> tuple[Process, ...]:
        """Every long-running process, in the order devstack starts them."""
        consumer = (CONSUMER,) if self.consumer_topics else ()
        return (API, RELAY, *consumer, *self.workers, *(lane.process for lane in self.lanes))

    @property
    def consumer_topics(self) -> tuple[str, ...]:
        """The topics the service's consumer reads: those it consumes but a lane's whole topics."""
        whole = {topic for lane in self.lanes if lane.events is None for topic in lane.consumes}
        return tuple(topic for topic in self.consumes if topic not in whole)

    @property
    def groups(self) -> tuple[Group, ...]:
        """The service's consumer groups: its consumer's, named after it, and each lane's."""
        consumer = (Group(CONSUMER, self.name, self.consumer_topics),) if self.consumer_topics else ()
        return (*consumer, *(Group(lane.process, f"{self.name}-{lane.name}", lane.consumes) for lane in self.lanes))

    def lane(self, name: str) -> Lane:
        """The service's lane called ``name``; KeyError names the ones there are."""
        for lane in self.lanes:
            if lane.name == name:
                return lane
        raise KeyError(f"{self.name} has no lane {name!r}; it has {', '.join(x.name for x in self.lanes) or 'none'}")

    @property
    def laned_events(self) -> frozenset[str]:
        """The event types the service's lanes handle of topics its consumer reads too, which
        the consumer leaves to them."""
        return frozenset().union(*(lane.events for lane in self.lanes if lane.events is not None))

    def port_of(self, process: Process, api_port: int | None = None) -> int:
        """The process' HTTP port: the API's port (``api_port``, where it is moved, else ``port``)
        plus ``PROCESS_PORT_STEP`` times the process' place in ``processes``; e.g. metrics' relay
        8103, consumer 8203, aggregator 8303, overdue 8403."""
        return (self.port if api_port is None else api_port) + PROCESS_PORT_STEP * self.processes.index(process)

    @property
    def workers_and_ports(self) -> tuple[tuple[Process, int], ...]:
        """Every process but the API, with the port of its /metrics and /healthz (in deploy/)."""
        return tuple((process, self.port_of(process)) for process in self.processes if process != API)

    def process(self, name: str) -> Process:
        """The service's process called ``name``; KeyError names the ones there are."""
        for process in self.processes:
            if process.name == name:
                return process
        raise KeyError(f"{self.name} has no process {name!r}; it has {', '.join(p.name for p in self.processes)}")

    def module(self, process: Process) -> str:
        """The process' module, e.g. services.metrics.entrypoints.overdue_check."""
        return f"services.{self.name}.entrypoints.{process.module}"

    @property
    def migrate_module(self) -> str:
        return f"services.{self.name}.entrypoints.migrate"

    @property
    def dead_letter_topic(self) -> str:
        return topics.dead_letter_topic(self.name)


SERVICES: tuple[Service, ...] = (
    Service("ideas", 8001, publishes=(topics.IDEAS,), consumes=(topics.PROJECTS, topics.STORIES)),
    Service("projects", 8002, publishes=(topics.PROJECTS,), consumes=(topics.IDEAS, topics.KPIS)),
    Service(
        "metrics",
        8003,
        publishes=(topics.KPIS,),
        consumes=(topics.MEASURES, topics.IDEAS, topics.PROJECTS, topics.KPIS),
        workers=(Process("aggregator", "aggregator"), Process("overdue", "overdue_check")),
        poll_records=2_000,
        lanes=(Lane("events", (topics.IDEAS, topics.PROJECTS, topics.KPIS)),),
    ),
    Service("training", 8004, publishes=(topics.TRAINING, topics.MEASURES),
            workers=(Process("scheduler", "scheduler"),)),
    Service(
        "notifications",
        8005,
        publishes=(topics.NOTIFICATIONS,),
        consumes=(topics.KPIS, topics.IDEAS, topics.PROJECTS, topics.STORIES, topics.TRAINING),
        workers=(Process("mailer", "mailer"), Process("bounces", "bounces")),
        lanes=(Lane("alerts", (topics.KPIS,), frozenset({"kpi.special_cause_detected", "signal.opened"})),),
    ),
    Service("stories", 8006, publishes=(topics.STORIES,), consumes=(topics.PROJECTS, topics.KPIS)),
)


@dataclass(frozen=True)
class PlatformProcess:
    """A long-running process of the platform as a whole, belonging to no service: it runs as
    ``name`` (devstack's log and pid files, the compose service, the Kubernetes Deployment) with
    ``python -m module`` and serves /metrics and /healthz on ``port`` (env test adds 20000;
    ``port_env_var`` moves it)."""

    name: str
    module: str
    port: int

    @property
    def port_env_var(self) -> str:
        return f"WTGR_{self.name.upper().replace('-', '_')}_PORT"


# Consumer-group lag read from the broker's committed offsets (shared/lag_exporter.py).
LAG_EXPORTER = PlatformProcess("lag-exporter", "shared.lag_exporter", 8090)
PLATFORM_PROCESSES: tuple[PlatformProcess, ...] = (LAG_EXPORTER,)


def consumer_groups() -> dict[str, tuple[str, ...]]:
    """Every consumer group the platform runs, with the topics it reads: each consuming service's
    consumer's, named after it, and each lane's, named ``<service>-<lane>`` (shared.processes.run_consumer)."""
    return {group.name: group.topics for item in SERVICES for group in item.groups}


def urgent_events() -> frozenset[str]:
    """The event types a lane of some service waits for: every relay publishes them ahead of its
    backlog (shared.relay), so an alert is not queued behind a backfill's charts twice over."""
    return frozenset().union(*(item.laned_events for item in SERVICES))


def service_of_group(name: str) -> str:
    """The service whose consumer or lane reads in the group ``name``."""
    for item in SERVICES:
        if any(group.name == name for group in item.groups):
            return item.name
    raise KeyError(f"no consumer group {name!r} in shared/platform.py")


def service_names() -> tuple[str, ...]:
    return tuple(item.name for item in SERVICES)


def service(name: str) -> Service:
    """The registered service called ``name``; KeyError names the ones there are."""
    for item in SERVICES:
        if item.name == name:
            return item
    raise KeyError(f"no service {name!r} in shared/platform.py; there are {', '.join(service_names())}")


def all_topics() -> dict[str, int]:
    """Every topic with its partition count; devstack and deploy create exactly these: the event
    topics the services publish or consume (feeds publish to wtgr.measures), and one dead-letter
    topic per service."""
    event_topics = {topics.MEASURES, *(t for item in SERVICES for t in (*item.publishes, *item.consumes))}
    found = {name: topics.PARTITIONS for name in sorted(event_topics)}
    found.update({item.dead_letter_topic: 1 for item in SERVICES})
    return found
