"""Workers ride out outages: a database, Kafka or SMTP server that stops answering makes a worker
wait and try again, with bounded exponential back-off, and never ends its process.

``ride_out_outages(service, worker, run, stop)`` calls ``run`` until ``stop`` is set. When ``run``
raises one of ``OUTAGE_ERRORS`` the worker logs it, counts it in ``wtgr_worker_retries_total``
(shared.telemetry), waits 1 s, 2 s, 4 s ... up to ``max_wait`` (jittered; counting only the failures
in a row) and calls ``run`` again, so ``run`` builds whatever clients it needs afresh. A worker
waiting out an outage is alive: its ``beat`` (shared.liveness) is called at least every
``BEAT_EVERY_SECONDS`` of the wait. Any other exception is a bug: it propagates and the process
exits, for its supervisor to restart it.
"""

from __future__ import annotations

import logging
import random
import smtplib
import threading
import time
from collections.abc import Callable

import psycopg
from confluent_kafka import KafkaException
from kafka.errors import KafkaError
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from shared import telemetry

log = logging.getLogger(__name__)

OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,  # PostgreSQL unreachable or restarting, psycopg_pool.PoolTimeout
    KafkaError,  # no broker, a send not acknowledged in time
    KafkaException,  # the consumer's commit refused, the coordinator gone (confluent-kafka)
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,  # refused or reset, whichever client met it
    TimeoutError,
)
MAX_WAIT_SECONDS = 10.0  # a worker notices a server back within 10 s of its return
BEAT_EVERY_SECONDS = 5.0


def ride_out_outages(service: str, worker: str, run: Callable[[], None], stop: threading.Event, *,
                     first_wait: float = 1.0, max_wait: float = MAX_WAIT_SECONDS,
                     beat: Callable[[], None] | None = None) -> None:
    """Call ``run`` until it returns with ``stop`` set, backing off and retrying after each outage.
    The back-off starts again from ``first_wait`` once ``run`` has worked for ``max_wait`` seconds,
    so each outage is met afresh, not with the longest wait of the last one."""
    backoff = _Backoff(first_wait, max_wait)
    retrying = Retrying(
        retry=retry_if_exception_type(OUTAGE_ERRORS),
        wait=backoff.wait,
        stop=lambda _: stop.is_set(),
        sleep=lambda seconds: _wait(stop, seconds, beat or (lambda: None)),
        before_sleep=_report_retry(service, worker),
        reraise=True,
    )
    try:
        retrying(_until_stopped(run, stop, backoff))
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


class _Backoff:
    """Exponential back-off with jitter, counting only the failures that came in a row: an attempt
    that ran for ``max_wait`` seconds or more before failing starts the count again."""

    def __init__(self, first_wait: float, max_wait: float):
        self.first_wait, self.max_wait = first_wait, max_wait
        self.in_a_row = 0
        self.attempt_started = time.monotonic()

    def started(self) -> None:
        self.attempt_started = time.monotonic()

    def wait(self, state: RetryCallState) -> float:
        ran = time.monotonic() - self.attempt_started
        self.in_a_row = 1 if ran >= self.max_wait else self.in_a_row + 1
        exponential = self.first_wait * 2 ** min(self.in_a_row - 1, 20)
        return min(self.max_wait, exponential + random.uniform(0, self.first_wait))


def _until_stopped(run: Callable[[], None], stop: threading.Event, backoff: _Backoff) -> Callable[[], None]:
    def attempt() -> None:
        backoff.started()
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
