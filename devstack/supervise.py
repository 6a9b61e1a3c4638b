"""A small process supervisor: runs one command and starts it again, with back-off, whenever it
exits, until the supervisor itself is asked to stop (SIGTERM or SIGINT).

    python -m devstack.supervise --state logs/metrics-relay.state -- python -m services.metrics...

devstack starts every service process under one of these (devstack/services.py). The supervisor
leads the process group, so stopping the group stops the command too, and never restarts it then.
After each start it writes ``--state``: ``{"pid": <the command's pid>, "restarts": <how many
times it was started again>, "last_exit": <its last exit status or null>}``, which
``python -m devstack status`` shows. The wait before a restart is 1 s, doubling while the command
keeps exiting within ``STEADY_SECONDS`` of its start, up to ``MAX_BACKOFF_SECONDS``.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from devstack import proc
from devstack.proc import PidRecord

FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
STEADY_SECONDS = 60.0  # a command that ran this long before exiting starts again after the first wait


@dataclass
class SupervisedState:
    pid: int
    restarts: int = 0
    last_exit: int | None = None

    def write(self, path: Path) -> None:
        tmp = path.with_suffix(".state.tmp")
        tmp.write_text(json.dumps(asdict(self)) + "\n")
        tmp.replace(path)


def read_state(path: Path) -> SupervisedState | None:
    """The state a supervisor last wrote to ``path``, or None."""
    try:
        return SupervisedState(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def backoff(quick_exits: int) -> float:
    """The wait before a restart, after ``quick_exits`` exits in a row that came soon after a start."""
    return min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2 ** max(0, quick_exits - 1))


def start_supervised(cmd: Sequence[str], *, state: Path, log: Path, pid_file: Path, name: str,
                     env: Mapping[str, str] | None = None, cwd: Path | None = None,
                     ) -> tuple[subprocess.Popen[bytes], PidRecord]:
    """Start ``cmd`` detached under a supervisor of its own (``python -m devstack.supervise``),
    which restarts it when it exits and writes its pid and restarts to ``state``."""
    state.unlink(missing_ok=True)
    return proc.start_detached([sys.executable, "-m", "devstack.supervise", "--state", str(state), "--", *cmd],
                               log=log, pid_file=pid_file, name=name, env=env, cwd=cwd)


def supervise(cmd: list[str], state_path: Path, stop: threading.Event) -> int:
    """Run ``cmd`` until ``stop`` is set, restarting it after every exit; returns its last status."""
    state = SupervisedState(pid=0)
    quick_exits = 0
    while True:
        child = subprocess.Popen(cmd)
        state.pid = child.pid
        state.write(state_path)
        started = time.monotonic()
        code = _wait(child, stop)
        if stop.is_set():
            return code
        quick_exits = quick_exits + 1 if time.monotonic() - started < STEADY_SECONDS else 1
        wait = backoff(quick_exits)
        print(f"=== devstack supervise: exited with status {code}; restarting in {wait:g} s", flush=True)
        state.last_exit = code
        if stop.wait(wait):
            return code
        state.restarts += 1


def _wait(child: subprocess.Popen[bytes], stop: threading.Event) -> int:
    """Wait for the command to exit; once ``stop`` is set, pass SIGTERM on (if the group's did not
    reach it) and wait for it."""
    while True:
        try:
            return child.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            if stop.is_set():
                child.terminate()
                return child.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.supervise")
    parser.add_argument("--state", type=Path, required=True, help="where to write the pid and restart count")
    parser.add_argument("cmd", nargs=argparse.REMAINDER, help="-- then the command to supervise")
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("no command to supervise")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return supervise(cmd, args.state, stop)


if __name__ == "__main__":
    sys.exit(main())
