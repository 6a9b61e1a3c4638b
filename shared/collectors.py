"""Gauges read from a service's database when Prometheus scrapes its API, so they stay true when
the worker that does the work is dead: the outbox backlog and the age of its oldest unpublished
row (a relay that stopped leaves them growing, never frozen at its last report).

Contract: a collection never holds /metrics up for more than ``deadline`` seconds, whatever the
database does. The reading runs on a thread of its own with a bounded wait for a connection and a
statement timeout; when it fails or is late, the collector reports none of its gauges and
``wtgr_scrape_success{service,collector}`` 0 (1 when it read them).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
from prometheus_client.core import GaugeMetricFamily, Metric
from psycopg_pool import ConnectionPool

from shared import telemetry

log = logging.getLogger(__name__)

DEADLINE_SECONDS = 2.0  # the most a scrape waits for one collector's reading


class DatabaseGauges:
    """A Prometheus collector whose gauges a subclass reads in one read-only transaction
    (``read``) at scrape time; ``families`` declares them, empty (also for ``describe``)."""

    collector = "database"

    def __init__(self, service: str, pool: ConnectionPool, *, deadline: float = DEADLINE_SECONDS):
        self.service = service
        self.pool = pool
        self.deadline = deadline
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"scrape-{self.collector}")

    def families(self) -> list[GaugeMetricFamily]:
        raise NotImplementedError

    def read(self, conn: psycopg.Connection[Any], families: list[GaugeMetricFamily]) -> None:
        """Add this scrape's samples to ``families`` (those of ``families()``)."""
        raise NotImplementedError

    def describe(self) -> list[Metric]:
        return [*self.families(), self._success(None)]

    def collect(self) -> Iterator[Metric]:
        families = self.families()
        try:
            self._executor.submit(self._read_bounded, families).result(timeout=self.deadline)
        except Exception as exc:  # late (FutureTimeout) or failed: a scrape reports the failure, never raises it
            log.warning("scrape-time reading failed", extra={"collector": self.collector, "error": repr(exc)})
            yield self._success(False)
            return
        yield from families
        yield self._success(True)

    def _read_bounded(self, families: list[GaugeMetricFamily]) -> None:
        timeout_ms = int(self.deadline * 1000)
        with self.pool.connection(timeout=self.deadline) as conn, conn.transaction():
            conn.execute(f"SET LOCAL statement_timeout = {timeout_ms}")
            conn.execute("SET TRANSACTION READ ONLY")
            self.read(conn, families)

    def _success(self, ok: bool | None) -> GaugeMetricFamily:
        family = GaugeMetricFamily(telemetry.SCRAPE_SUCCESS_NAME,
                                   "1 when a scrape-time reading succeeded, 0 when it failed or was late",
                                   labels=["service", "collector"])
        if ok is not None:
            family.add_metric([self.service, self.collector], 1.0 if ok else 0.0)
        return family


OUTBOX = """
    SELECT count(*) AS backlog,
           coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float AS oldest_age
      FROM outbox WHERE published_at IS NULL
"""


class OutboxGauges(DatabaseGauges):
    """The service's outbox rows not yet published, and how old the oldest of them is."""

    collector = "outbox"

    def families(self) -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily(telemetry.OUTBOX_BACKLOG_NAME, "Outbox rows not yet published (read at scrape time)",
                              labels=["service"]),
            GaugeMetricFamily(telemetry.OUTBOX_OLDEST_AGE_NAME,
                              "Age of the oldest unpublished outbox row, 0 when none (read at scrape time)",
                              labels=["service"]),
        ]

    def read(self, conn: psycopg.Connection[Any], families: list[GaugeMetricFamily]) -> None:
        row = conn.execute(OUTBOX).fetchone()
        assert row is not None
        backlog, oldest_age = families
        backlog.add_metric([self.service], float(row["backlog"]))
        oldest_age.add_metric([self.service], float(row["oldest_age"]))
