"""Workers ride out outages: a database, Kafka or SMTP server that stops answering makes a worker
wait and try again, with bounded exponential back-off, and never ends its process.

``ride_out_outages(service, worker, run, stop)`` calls ``run`` until ``stop`` is set. When ``run``
raises one of ``OUTAGE_ERRORS`` the worker logs it, counts it in ``wtgr_worker_retries_total``
(shared.telemetry), waits 1 s, 2 s, 4 s ... up to ``max_wait`` (jittered) and calls ``run`` again,
so ``run`` builds whatever clients it needs afresh. A worker waiting out an outage is alive: its
``beat`` (shared.liveness) is called at least every ``BEAT_EVERY_SECONDS`` of the wait. Any other
exception is a bug: it propagates and the process exits, for its supervisor to restart it.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections.abc import Callable

import psycopg
from kafka.errors import KafkaError
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential_jitter

from shared import telemetry

log = logging.getLogger(__name__)

OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,  # PostgreSQL unreachable or restarting, psycopg_pool.PoolTimeout
    KafkaError,  # no broker, a send not acknowledged in time
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,  # refused or reset, whichever client met it
    TimeoutError,
)
MAX_WAIT_SECONDS = 30.0
BEAT_EVERY_SECONDS = 5.0


def ride_out_outages(service: str, worker: str, run: Callable[[], None], stop: threading.Event, *,
                     first_wait: float = 1.0, max_wait: float = MAX_WAIT_SECONDS,
                     beat: Callable[[], None] | None = None) -> None:
    """Call ``run`` until it returns with ``stop`` set, backing off and retrying after each outage."""
    retrying = Retrying(
        retry=retry_if_exception_type(OUTAGE_ERRORS),
        wait=wait_exponential_jitter(initial=first_wait, max=max_wait, jitter=first_wait),
        stop=lambda _: stop.is_set(),
        sleep=lambda seconds: _wait(stop, seconds, beat or (lambda: None)),
        before_sleep=_report_retry(service, worker),
        reraise=True,
    )
    try:
        retrying(_until_stopped(run, stop))
    except OUTAGE_ERRORS:
        if not stop.is_set():
            raise  # unreachable: only a stop ends the retries


def _wait(stop: threading.Event, seconds: float, beat: Callable[[], None]) -> None:
    """Wait ``seconds`` (a stop cuts the back-off short), beating all along."""
    left = seconds
    while left > 0:
        beat()
        step = min(left, BEAT_EVERY_SECONDS)
        if stop.wait(step):
            return
        left -= step
    beat()


def _until_stopped(run: Callable[[], None], stop: threading.Event) -> Callable[[], None]:
    def attempt() -> None:
        while not stop.is_set():
            run()

    return attempt


def _report_retry(service: str, worker: str) -> Callable[[RetryCallState], None]:
    def report(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        telemetry.WORKER_RETRIES.labels(service, worker, type(error).__name__).inc()
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning("outage: retrying after back-off", extra={
            "worker": worker, "attempt": state.attempt_number, "retry_in_seconds": round(wait, 1),
            "error": f"{type(error).__name__}: {error}"})

    return report
