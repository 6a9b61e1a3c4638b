"""Work loops that sleep until Postgres says there is work (LISTEN/NOTIFY), polling as a fallback."""

from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg

CONNECT_TIMEOUT_SECONDS = 2  # a database that does not answer fails the wait, for the caller to back off


def drain_on_notify(
    conninfo: str,
    channel: str,
    drain_once: Callable[[], int],
    stop: threading.Event,
    *,
    idle_wait: float = 1.0,
    after_drain: Callable[[], None] | None = None,
    exclusive: Callable[[psycopg.Connection], bool] | None = None,
    beat: Callable[[], None] | None = None,
    due_in: Callable[[], float | None] | None = None,
) -> None:
    """Call ``drain_once`` until it returns 0, then wait for a NOTIFY on ``channel`` (at most
    ``idle_wait`` seconds, so a lost notification delays work by a second, never forever); repeat
    until ``stop`` is set. ``beat`` is called before every ``drain_once`` and every wait, so a
    heartbeat (shared.liveness) stays fresh while work flows and while there is none.

    With ``exclusive``, nothing is drained until ``exclusive(listener)`` returns True (it is asked
    again every ``idle_wait`` seconds, with a beat): a lock taken on the listening connection, which
    is then held for as long as that connection lives. A lost connection ends the wait with an
    OperationalError, so the lock and the work stop together.

    With ``due_in``, work that falls due later than it is queued (an email held for others to
    join it, a retry's back-off) is not left for the next ``idle_wait``: after a drain, the wait
    ends when ``due_in()`` seconds have passed, if that is sooner (None: nothing due later).
    """
    beat = beat or (lambda: None)
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS) as listener:
        if exclusive is not None:
            while not exclusive(listener):
                beat()
                if stop.wait(idle_wait):
                    return
        listener.execute(f"LISTEN {channel}")
        while not stop.is_set():
            beat()
            while drain_once():
                beat()
            if after_drain:
                after_drain()
            for _ in listener.notifies(timeout=_wait(idle_wait, due_in), stop_after=1):
                pass


# The shortest wait after a drain when work is due already: work claimed by another process (its
# lock skipped) is due and yet not drained, which must not turn the wait into a busy loop.
SHORTEST_WAIT_SECONDS = 0.05


def _wait(idle_wait: float, due_in: Callable[[], float | None] | None) -> float:
    """How long to wait for a notification: ``idle_wait``, or less when work falls due sooner."""
    soonest = due_in() if due_in is not None else None
    return idle_wait if soonest is None else max(SHORTEST_WAIT_SECONDS, min(idle_wait, soonest))
