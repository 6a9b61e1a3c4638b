"""The one catalogue of Prometheus metric names. Works under gunicorn with several workers.

When PROMETHEUS_MULTIPROC_DIR is set (the API under gunicorn), samples go to files in that
folder and /metrics aggregates every worker's; otherwise the default registry is used.

Most metrics are counted by the process that does the work. What must stay true when that process
is dead is measured from outside, at scrape time: the outbox backlog and its oldest row's age by
each API from its database (shared/collectors.py), consumer-group lag by the lag exporter from the
broker's committed offsets (shared/lag_exporter.py), overdue feeds by metrics' API. Their names
are declared here too (``*_NAME``); a worker's heartbeat (shared/liveness.py) tells it is alive.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

REQUEST_DURATION = Histogram(
    "wtgr_http_request_duration_seconds",
    "HTTP request duration by route template and status",
    ["service", "method", "route", "status"],
)
EVENTS_PRODUCED = Counter(
    "wtgr_events_produced_total", "Events published to Kafka by the outbox relay", ["service", "type"]
)
EVENTS_CONSUMED = Counter(
    "wtgr_events_consumed_total", "Events handled by a consumer, by outcome", ["service", "type", "outcome"]
)
EVENTS_DEAD_LETTERED = Counter(
    "wtgr_events_dead_lettered_total", "Messages sent to the dead-letter topic", ["service", "reason"]
)
EVENTS_FAILED = Counter(
    "wtgr_events_failed_total", "Handler attempts that raised and will be retried", ["service", "type"]
)
RELAY_ACTIVE = Gauge(
    "wtgr_relay_active", "1 while this relay holds its service's lock and publishes, 0 while it stands by",
    ["service"], multiprocess_mode="max",
)
AGGREGATION_BACKLOG = Gauge(
    "wtgr_aggregation_backlog_rows", "Landed measures, roll-ups and charts waiting for the aggregator worker",
    ["service"],
    multiprocess_mode="max",
)
MEASURES_MERGED = Counter("wtgr_measures_merged_total",
                          "Landed measures the aggregator worker stored as new revisions", ["service"])
CHARTS_RECOMPUTED = Counter("wtgr_charts_recomputed_total", "SPC charts recomputed and stored", ["service"])
WORKER_RETRIES = Counter(
    "wtgr_worker_retries_total", "Times a worker met an outage (database, Kafka, SMTP) and retried after back-off",
    ["service", "worker", "error"],
)
EMAILS = Counter("wtgr_emails_total", "Emails handed to SMTP, by outcome (bounced: a report came back later)",
                 ["outcome"])
BOUNCE_MESSAGES = Counter("wtgr_bounce_mailbox_messages_total",
                          "Messages read from the bounce mailbox, by outcome (bounce, delay, duplicate, other_report, "
                          "not_a_report, unmatched)", ["outcome"])
WORKER_HEARTBEAT = Gauge(
    "wtgr_worker_heartbeat_timestamp_seconds", "When the worker's loop last went round (Unix time)",
    ["service", "worker"], multiprocess_mode="max",
)

# Measured at scrape time by collectors (shared/collectors.py, shared/lag_exporter.py,
# services/metrics/entrypoints/scrape.py): gauges, each with these labels.
OUTBOX_BACKLOG_NAME = "wtgr_outbox_backlog_events"  # service
OUTBOX_OLDEST_AGE_NAME = "wtgr_outbox_oldest_age_seconds"  # service
SCRAPE_SUCCESS_NAME = "wtgr_scrape_success"  # service, collector: 1 when its reading succeeded, else 0
CONSUMER_LAG_NAME = "wtgr_consumer_group_lag_messages"  # service, group, topic, partition
OVERDUE_UNITS_NAME = "wtgr_overdue_feed_units"  # service, kpi: units whose last owed month is missing


def exposition(collectors: Iterable[Collector] = ()) -> tuple[bytes, str]:
    """The metrics page body and its content type, across workers when in multiprocess mode,
    with what ``collectors`` read at scrape time."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    registry.register(_Merged(tuple(collectors)))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Merged:
    """Several scrape-time collectors as one: a family two of them give (``wtgr_scrape_success``)
    is one family on the page, holding both one's samples."""

    def __init__(self, collectors: tuple[Collector, ...]):
        self.collectors = collectors

    def collect(self) -> Iterable[Metric]:
        families: dict[str, Metric] = {}
        for collector in self.collectors:
            for family in collector.collect():
                if family.name in families:
                    families[family.name].samples.extend(family.samples)
                else:
                    families[family.name] = family
        return list(families.values())
