"""Checks for overdue monthly measures every WTGR_OVERDUE_CHECK_SECONDS (default an hour) and
announces each missing month once (measure.overdue), and queues the charts whose provisional month
has ended, for the aggregator worker to judge it; in the same pass chases signals nobody has
acknowledged (a reminder after WTGR_SIGNAL_REMIND_AFTER_DAYS working days, default 3, an
escalation to the directorate's lead after WTGR_SIGNAL_ESCALATE_AFTER_DAYS, default 5; each
once); keeps the feed rows metrics' consumer dead-lettered, read back from its dead-letter topic
(without joining a consumer group: where to resume is kept in the database), and before each
month's board pack tells the data sources' and the KPIs' owners of the feeds still missing and the
rows dead-lettered, once each (services/metrics/service_layer/board_packs.py; the rule from
WTGR_BOARD_PACK_WORKING_DAY and WTGR_BOARD_PACK_NOTICE_DAYS); rides out an outage of PostgreSQL with
back-off (shared.outages). Serves /healthz and /metrics, beating its heartbeat while it waits
(shared.liveness). How many feeds are overdue right now is read by metrics' API at scrape time
(services/metrics/entrypoints/scrape.py), whether or not this worker runs."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from psycopg_pool import ConnectionPool

from services.metrics.bootstrap import SERVICE, board_pack_rule, utc_today
from services.metrics.domain.signal_life import Chase
from services.metrics.service_layer import aggregator, board_packs, overdue, signals
from shared import db, topics
from shared.correlation import configure_logging
from shared.deadletters.store import DeadLetterReader
from shared.liveness import start_worker_endpoint
from shared.outages import BEAT_EVERY_SECONDS, ride_out_outages
from shared.processes import safe_settings, stop_on_sigterm

log = logging.getLogger(__name__)


def main() -> None:
    settings = safe_settings(SERVICE)
    configure_logging(SERVICE, settings.log_level)
    interval = float(os.environ.get("WTGR_OVERDUE_CHECK_SECONDS", "3600"))
    pool = db.make_pool(settings.database_url, max_size=1, name=f"{SERVICE}-overdue", wait=False)
    stop = stop_on_sigterm()
    heartbeat = start_worker_endpoint(settings, "overdue")
    reader = DeadLetterReader(settings.kafka_bootstrap, f"{SERVICE}-overdue-deadletters",
                              topics.dead_letter_topic(SERVICE))
    try:
        ride_out_outages(SERVICE, "overdue", lambda: check_and_wait(pool, interval, stop, heartbeat.beat, reader),
                         stop, beat=heartbeat.beat)
    finally:
        reader.close()
        pool.close()


def check_and_wait(pool: ConnectionPool, interval: float, stop: threading.Event, beat: Callable[[], None],
                   reader: DeadLetterReader | None = None) -> None:
    """One check, then ``interval`` seconds' wait (cut short by a stop), beating all along."""
    beat()
    if reader is not None:
        keep_dead_lettered_feed_rows(pool, reader)
    with db.unit_of_work(pool, SERVICE) as uow:
        told = board_packs.chase(uow, utc_today(), board_pack_rule())
    log.info("board pack feeds chased", extra={"told": told})
    with db.unit_of_work(pool, SERVICE) as uow:
        flagged = overdue.flag_overdue(uow, utc_today())
        ended = aggregator.queue_charts_whose_month_ended(uow, utc_today())
    log.info("overdue measures checked", extra={"flagged": flagged, "charts_whose_month_ended": len(ended)})
    with db.unit_of_work(pool, SERVICE) as uow:
        reminded, escalated = signals.chase(uow, utc_today(), chase_rules())
    log.info("unacknowledged signals chased", extra={"reminded": reminded, "escalated": escalated})
    waited = 0.0
    while waited < interval and not stop.is_set():
        beat()
        step = min(BEAT_EVERY_SECONDS, interval - waited)
        stop.wait(step)
        waited += step


def keep_dead_lettered_feed_rows(pool: ConnectionPool, reader: DeadLetterReader) -> int:
    """Read the dead letters added since the last pass and keep the feed rows among them; a broker
    that cannot be read now is tried again on the next pass (the positions did not move)."""
    with db.unit_of_work(pool, SERVICE) as uow:
        positions = board_packs.dead_letter_positions(uow)
    found = reader.after(positions)
    if found is None:
        log.warning("dead letters not read this pass: the broker could not be read")
        return 0
    stored, resume = found
    read = [board_packs.ReadDeadLetter(item.partition, item.offset, item.record.origin.topic, item.record.value,
                                       item.record.reason, item.record.category, item.record.dead_lettered_at)
            for item in stored]
    with db.unit_of_work(pool, SERVICE) as uow:
        kept = board_packs.record_dead_letters(uow, read, resume)
    log.info("dead-lettered feed rows kept", extra={"read": len(read), "kept": kept})
    return kept


def chase_rules() -> Chase:
    """How many working days a signal may wait unacknowledged (from the environment)."""
    return Chase(remind_after=int(os.environ.get("WTGR_SIGNAL_REMIND_AFTER_DAYS", "3")),
                 escalate_after=int(os.environ.get("WTGR_SIGNAL_ESCALATE_AFTER_DAYS", "5")))


if __name__ == "__main__":
    main()
