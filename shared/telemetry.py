"""The one catalogue of Prometheus metric names. Works under gunicorn with several workers.

When PROMETHEUS_MULTIPROC_DIR is set (the API under gunicorn), samples go to files in that
folder and /metrics aggregates every worker's; otherwise the default registry is used.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

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
CONSUMER_LAG = Gauge(
    "wtgr_consumer_lag_messages", "Messages behind the end of each partition", ["service", "topic", "partition"],
    multiprocess_mode="max",
)
OUTBOX_BACKLOG = Gauge(
    "wtgr_outbox_backlog_events", "Outbox rows not yet published", ["service"], multiprocess_mode="max"
)
OUTBOX_OLDEST_AGE = Gauge(
    "wtgr_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row", ["service"],
    multiprocess_mode="max",
)
RELAY_ACTIVE = Gauge(
    "wtgr_relay_active", "1 while this relay holds its service's lock and publishes, 0 while it stands by",
    ["service"], multiprocess_mode="max",
)
AGGREGATION_BACKLOG = Gauge(
    "wtgr_aggregation_backlog_rows", "Roll-ups and charts queued for the aggregator worker", ["service"],
    multiprocess_mode="max",
)
CHARTS_RECOMPUTED = Counter("wtgr_charts_recomputed_total", "SPC charts recomputed and stored", ["service"])
WORKER_RETRIES = Counter(
    "wtgr_worker_retries_total", "Times a worker met an outage (database, Kafka, SMTP) and retried after back-off",
    ["service", "worker", "error"],
)
EMAILS = Counter("wtgr_emails_total", "Emails handed to SMTP, by outcome", ["outcome"])


def exposition() -> tuple[bytes, str]:
    """The metrics page body and its content type, across workers when in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
