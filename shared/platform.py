"""The platform's services, each registered once: its API port, the topics it publishes and
consumes, and its long-running processes.

Everything that needs to know the services reads this table: devstack starts exactly these
processes (and creates the topics of ``all_topics``), each consumer subscribes to its service's
``consumes``, ``Settings`` takes its default port from here, and tests/test_deploy_files.py
fails when docker-compose.yml or Prometheus' scrape targets disagree with it. A new
service is one entry here (docs/adding-a-service.md).
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
class Service:
    """A service: ``port`` is its API's port in env run and in deploy/ (env test adds 20000).

    Every service has a migration (entrypoints/migrate.py, run to completion before the rest), an
    api and an outbox relay; it has a consumer when it ``consumes`` a topic, and ``workers`` are
    its other long-running processes."""

    name: str
    port: int
    publishes: tuple[str, ...]
    consumes: tuple[str, ...] = ()
    workers: tuple[Process, ...] = ()

    @property
    def processes(self) -> tuple[Process, ...]:
        """Every long-running process, in the order devstack starts them."""
        consumer = (CONSUMER,) if self.consumes else ()
        return (API, RELAY, *consumer, *self.workers)

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
    Service("ideas", 8001, publishes=(topics.IDEAS,), consumes=(topics.PROJECTS,)),
    Service("projects", 8002, publishes=(topics.PROJECTS,), consumes=(topics.IDEAS, topics.KPIS)),
    Service(
        "metrics",
        8003,
        publishes=(topics.KPIS,),
        consumes=(topics.MEASURES, topics.IDEAS, topics.PROJECTS),
        workers=(Process("aggregator", "aggregator"), Process("overdue", "overdue_check")),
    ),
    Service("training", 8004, publishes=(topics.TRAINING, topics.MEASURES)),
    Service(
        "notifications",
        8005,
        publishes=(topics.NOTIFICATIONS,),
        consumes=(topics.KPIS,),
        workers=(Process("mailer", "mailer"),),
    ),
)


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
