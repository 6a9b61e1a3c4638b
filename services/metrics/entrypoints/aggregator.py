"""The aggregator worker: merges the measures a backfill landed, and rolls up and recomputes the
charts that measures from feeds queued, waking on every landed or queued batch (LISTEN/NOTIFY) and
draining a pass at a time; rides out an outage of PostgreSQL with back-off (shared.outages).
Serves /healthz and /metrics, beating its heartbeat on every pass (shared.liveness).

Merging runs in a thread of its own beside the passes over the charts: a merge is one statement
PostgreSQL works on while the charts are computed in Python, so the two overlap (a pass merges too
when no merge is under way, as a worker sharing the queue does). Should merging fail for anything
but an outage, the worker stops, to be restarted, rather than chart without merging."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from services.metrics.adapters import queues
from services.metrics.bootstrap import SERVICE
from services.metrics.service_layer import aggregator
from shared import db, telemetry
from shared.correlation import configure_logging
from shared.liveness import start_worker_endpoint
from shared.outages import ride_out_outages
from shared.processes import collect_garbage_by_batches, safe_settings, stop_on_sigterm
from shared.wakeup import drain_on_notify

log = logging.getLogger(__name__)
BACKLOG_EVERY_SECONDS = 10.0  # how often the backlog gauge is refreshed while a long backlog drains


def main() -> None:
    settings = safe_settings(SERVICE)
    configure_logging(SERVICE, settings.log_level)
    pool = db.make_pool(settings.database_url, max_size=3, name=f"{SERVICE}-aggregator", wait=False)
    stop = stop_on_sigterm()
    heartbeat = start_worker_endpoint(settings, "aggregator")
    collect_garbage_by_batches()  # a pass handles hundreds of charts of many months each

    def report_backlog() -> None:
        with db.unit_of_work(pool, SERVICE) as uow:
            telemetry.AGGREGATION_BACKLOG.labels(SERVICE).set(queues.queued(uow))

    # Once the queue is drained, and now and then while a long backlog drains (a backfill's takes
    # minutes): reported only once drained, the gauge stood still at the backlog it had last seen.
    while_draining = now_and_then(BACKLOG_EVERY_SECONDS, report_backlog)

    def beat() -> None:
        heartbeat.beat()
        while_draining()

    log.info("aggregator started")
    merging = _in_background("merge-landed", stop, lambda: ride_out_outages(
        SERVICE, "aggregator", lambda: drain_on_notify(
            settings.database_url, f"aggregate_{SERVICE}", lambda: aggregator.merge_landed(pool), stop), stop))
    try:
        ride_out_outages(SERVICE, "aggregator", lambda: drain_on_notify(
            settings.database_url, f"aggregate_{SERVICE}", lambda: aggregator.run_pass(pool), stop,
            after_drain=report_backlog, beat=beat), stop, beat=heartbeat.beat)
    finally:
        stop.set()
        merging.join(timeout=30)
        pool.close()


def now_and_then(seconds: float, action: Callable[[], None],
                 clock: Callable[[], float] = time.monotonic) -> Callable[[], None]:
    """A call that runs ``action`` if it has not run in the last ``seconds`` (nor ever)."""
    last: list[float] = []

    def maybe() -> None:
        now = clock()
        if not last or now - last[0] >= seconds:
            last[:] = [now]
            action()

    return maybe


def _in_background(name: str, stop: threading.Event, run: Callable[[], None]) -> threading.Thread:
    """Run ``run`` in a thread; should it fail, log why and set ``stop``, so the worker ends."""

    def guarded() -> None:
        try:
            run()
        except BaseException:
            log.exception("%s failed; the worker stops", name)
            stop.set()
            raise

    thread = threading.Thread(target=guarded, name=name, daemon=True)
    thread.start()
    return thread


if __name__ == "__main__":
    main()
