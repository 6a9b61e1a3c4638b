"""How long a drained worker waits for a notification (shared/wakeup.py)."""

from shared.wakeup import SHORTEST_WAIT_SECONDS, _wait


def test_the_idle_wait_unless_work_falls_due_sooner():
    assert _wait(1.0, None) == 1.0
    assert _wait(1.0, lambda: None) == 1.0  # nothing pending
    assert _wait(1.0, lambda: 0.3) == 0.3  # an alert held until then
    assert _wait(1.0, lambda: 42.0) == 1.0  # a retry much later: the idle check comes first


def test_work_due_already_but_not_drained_is_waited_for_a_little_not_in_a_busy_loop():
    assert _wait(1.0, lambda: -5.0) == SHORTEST_WAIT_SECONDS
    assert _wait(1.0, lambda: 0.0) == SHORTEST_WAIT_SECONDS
