"""A worker rides out outages: it retries after back-off, counts each retry, and stops on request."""

from __future__ import annotations

import threading

import psycopg
import pytest
from kafka.errors import KafkaTimeoutError

from shared import telemetry
from shared.outages import _Backoff, ride_out_outages


def retries(worker: str, error: str) -> float:
    return telemetry.WORKER_RETRIES.labels("tests", worker, error)._value.get()


def test_a_worker_retries_through_outages_counting_each_then_stops_on_request():
    stop = threading.Event()
    outages = [psycopg.OperationalError("connection refused"), KafkaTimeoutError(), psycopg.OperationalError("x")]
    calls = []

    def run() -> None:
        calls.append(1)
        if outages:
            raise outages.pop(0)
        stop.set()  # the outage is over: the worker runs until asked to stop

    before = (retries("w1", "OperationalError"), retries("w1", "KafkaTimeoutError"))
    ride_out_outages("tests", "w1", run, stop, first_wait=0.001, max_wait=0.01)
    assert len(calls) == 4
    after = (retries("w1", "OperationalError"), retries("w1", "KafkaTimeoutError"))
    assert (after[0] - before[0], after[1] - before[1]) == (2, 1)


def test_a_stop_during_the_back_off_ends_the_worker_quietly():
    stop = threading.Event()

    def run() -> None:
        stop.set()
        raise psycopg.OperationalError("down, and we are asked to stop")

    ride_out_outages("tests", "w2", run, stop, first_wait=5, max_wait=5)  # returns at once, no 5 s wait


def test_a_bug_is_not_an_outage_and_ends_the_worker():
    with pytest.raises(ZeroDivisionError):
        ride_out_outages("tests", "w3", lambda: 1 / 0, threading.Event(), first_wait=0.001)


def test_the_back_off_is_bounded():
    stop = threading.Event()
    waits: list[float] = []
    real_wait = stop.wait

    def run() -> None:
        if len(waits) >= 8:
            stop.set()
            return
        raise psycopg.OperationalError("down")

    stop.wait = lambda seconds: waits.append(seconds) or real_wait(0)
    ride_out_outages("tests", "w4", run, stop, first_wait=1, max_wait=4)
    assert waits[0] < 2.0 and max(waits) <= 4.0 and len(waits) == 8


def test_a_worker_waiting_out_an_outage_keeps_beating():
    """Retrying is alive: a long back-off is cut in slices, with a beat before each."""
    stop = threading.Event()
    beats: list[float] = []
    waits: list[float] = []
    stop.wait = lambda seconds: waits.append(seconds) or False

    def run() -> None:
        if waits:
            stop.set()
            return
        raise psycopg.OperationalError("down")

    ride_out_outages("tests", "w5", run, stop, first_wait=12, max_wait=12, beat=lambda: beats.append(sum(waits)))
    assert max(waits) <= 5.0 and sum(waits) >= 12.0
    assert len(beats) >= 3 and beats == sorted(beats)


def test_the_back_off_starts_again_after_the_worker_has_run_a_while():
    """A second outage, after a good while of work, is met with a short wait, not the longest one."""
    backoff = _Backoff(first_wait=1, max_wait=4)
    quick = [backoff.wait(None) for _ in range(4)]  # failures in a row, each attempt failing at once
    assert quick[0] < 2.0 and quick[-1] == 4.0
    backoff.attempt_started -= 5  # the next attempt worked for 5 s, longer than the longest wait
    assert backoff.wait(None) < 2.0
