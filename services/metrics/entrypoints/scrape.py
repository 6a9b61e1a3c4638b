"""What metrics' /metrics reads from its database at scrape time, besides the outbox: the feeds
that are overdue today, by KPI, by the rule the overdue worker announces them with
(services/metrics/service_layer/overdue.py), so the figure holds whether that worker runs or not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import psycopg
from prometheus_client.core import GaugeMetricFamily
from psycopg_pool import ConnectionPool

from services.metrics.bootstrap import SERVICE
from services.metrics.service_layer import overdue
from shared import telemetry
from shared.collectors import DatabaseGauges
from shared.db import UnitOfWork


class OverdueFeedGauges(DatabaseGauges):
    """``wtgr_overdue_feed_units{service,kpi}``: units of the KPI whose owed month is missing past
    its deadline; a KPI with none has no series, so ``count(...)`` is the number of KPIs overdue."""

    collector = "overdue_feeds"

    def __init__(self, pool: ConnectionPool, today: Callable[[], date]):
        super().__init__(SERVICE, pool)
        self.today = today

    def families(self) -> list[GaugeMetricFamily]:
        return [GaugeMetricFamily(telemetry.OVERDUE_UNITS_NAME,
                                  "Units whose last owed month of this KPI is missing past its deadline",
                                  labels=["service", "kpi"])]

    def read(self, conn: psycopg.Connection[Any], families: list[GaugeMetricFamily]) -> None:
        [units] = families
        for kpi, count in overdue.overdue_now(UnitOfWork(conn, SERVICE), self.today()).items():
            units.add_metric([SERVICE, kpi], float(count))
