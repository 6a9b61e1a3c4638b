"""The aggregator worker refreshes its backlog gauge now and then while a long backlog drains."""

from __future__ import annotations

from services.metrics.entrypoints.aggregator import now_and_then


def test_the_action_runs_at_once_then_at_most_once_every_so_many_seconds() -> None:
    clock = [100.0]
    ran: list[float] = []
    maybe = now_and_then(10.0, lambda: ran.append(clock[0]), clock=lambda: clock[0])
    for now in (100.0, 101.0, 109.9, 110.0, 115.0, 125.0, 126.0):
        clock[0] = now
        maybe()
    assert ran == [100.0, 110.0, 125.0]
