"""devstack's supervisor starts a process again after it dies, counts it, and stops with its group."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from devstack import proc, supervise


def wait_for(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_killed_process_is_back_within_seconds_and_the_restart_is_counted(tmp_path: Path) -> None:
    state_path = tmp_path / "worker.state"
    cmd = [sys.executable, "-m", "devstack.supervise", "--state", str(state_path), "--",
           sys.executable, "-c", "import time; time.sleep(600)"]
    _, record = proc.start_detached(cmd, log=tmp_path / "worker.log", pid_file=tmp_path / "worker.pid",
                                    name="worker", cwd=Path(__file__).parents[2])
    try:
        first = wait_for(lambda: supervise.read_state(state_path))
        assert first.restarts == 0
        os.kill(first.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        again = wait_for(lambda: (s := supervise.read_state(state_path)) and s.pid != first.pid and s)
        assert time.monotonic() - killed_at < 3.0
        assert (again.restarts, again.last_exit) == (1, -signal.SIGKILL)
        assert proc.is_alive(again.pid)
    finally:
        proc.stop_all([record], timeout=5, report=print)
    assert not proc.is_alive(record.pid)
    assert not proc.is_alive(again.pid)
    after_stop = supervise.read_state(state_path)
    assert after_stop is not None and after_stop.restarts == 1  # stopping the group is not a crash


def test_the_back_off_doubles_while_a_process_keeps_exiting_and_is_bounded() -> None:
    waits = [supervise.backoff(n) for n in range(1, 9)]
    assert waits[:3] == [1.0, 2.0, 4.0]
    assert max(waits) == supervise.MAX_BACKOFF_SECONDS
