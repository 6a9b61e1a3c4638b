"""Runs the training service's scheduled jobs every WTGR_TRAINING_SCHEDULE_SECONDS (default five
minutes): session reminders 7 days and 1 day before, and the staff trained in each month that is
over (services/training/service_layer/schedule.py; both idempotent, so a restart or a second copy
sends nothing twice). Rides out an outage of PostgreSQL with back-off (shared.outages); serves
/healthz and /metrics, beating its heartbeat while it waits (shared.liveness)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from psycopg_pool import ConnectionPool

from services.training.bootstrap import SERVICE
from services.training.service_layer import schedule
from shared import db
from shared.correlation import configure_logging
from shared.liveness import start_worker_endpoint
from shared.outages import BEAT_EVERY_SECONDS, ride_out_outages
from shared.processes import safe_settings, stop_on_sigterm

log = logging.getLogger(__name__)


def main() -> None:
    settings = safe_settings(SERVICE)
    configure_logging(SERVICE, settings.log_level)
    interval = float(os.environ.get("WTGR_TRAINING_SCHEDULE_SECONDS", "300"))
    pool = db.make_pool(settings.database_url, max_size=1, name=f"{SERVICE}-scheduler", wait=False)
    stop = stop_on_sigterm()
    heartbeat = start_worker_endpoint(settings, "scheduler")
    try:
        ride_out_outages(SERVICE, "scheduler", lambda: run_and_wait(pool, interval, stop, heartbeat.beat), stop,
                         beat=heartbeat.beat)
    finally:
        pool.close()


def run_jobs(pool: ConnectionPool, now: datetime) -> tuple[int, int]:
    """Each job in its own transaction: (reminders sent, monthly counts published)."""
    with db.unit_of_work(pool, SERVICE) as uow:
        reminders = schedule.send_reminders(uow, now)
    with db.unit_of_work(pool, SERVICE) as uow:
        published = schedule.publish_staff_trained(uow, now)
    return reminders, published


def run_and_wait(pool: ConnectionPool, interval: float, stop: threading.Event, beat: Callable[[], None]) -> None:
    """One run of the jobs, then ``interval`` seconds' wait (cut short by a stop), beating all along."""
    beat()
    reminders, published = run_jobs(pool, datetime.now(UTC))
    log.info("training jobs ran", extra={"reminders": reminders, "published": published})
    waited = 0.0
    while waited < interval and not stop.is_set():
        beat()
        step = min(BEAT_EVERY_SECONDS, interval - waited)
        stop.wait(step)
        waited += step


if __name__ == "__main__":
    main()
