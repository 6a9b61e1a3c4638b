"""The portal (portal/, the pages people open) as one supervised gunicorn process, `portal-web`.

It owns no data, so it has no migration, relay or consumer; it is started after the services it
calls and stopped with them (its pid file sits beside theirs in .local/<env>/logs/).
"""

from __future__ import annotations

import sys
import urllib.request
from collections.abc import Callable

from devstack import proc, supervise
from devstack.config import StackConfig
from devstack.proc import PidRecord

NAME = "portal-web"
WORKERS = 2
READY_TIMEOUT = 60.0


class Portal:
    def __init__(self, config: StackConfig, env: dict[str, str]):
        self.config = config
        self.env = env
        self.log = config.logs_dir / f"{NAME}.log"
        self.pid_file = config.logs_dir / f"{NAME}.pid"
        self.state = config.logs_dir / f"{NAME}.state"

    def running(self) -> PidRecord | None:
        return proc.running(self.pid_file)

    def answers(self) -> bool:
        with urllib.request.urlopen(f"{self.config.portal_url}/healthz", timeout=3) as response:
            return bool(response.status == 200)

    def ensure(self, report: Callable[[str], None]) -> bool:
        """Start the portal unless it runs; wait until it answers. True if it was started now."""
        if self.running() is not None:
            proc.wait_until(self.answers, what="portal (GET /healthz)", timeout=READY_TIMEOUT, log=self.log)
            report(f"{'portal':<13} already running on {self.config.portal_url}/")
            return False
        proc.require_free_port(self.config.ports.portal, "portal", "WTGR_PORTAL_PORT")
        self.config.portal_session_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        cmd = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS),
               "--bind", f"127.0.0.1:{self.config.ports.portal}", "--no-control-socket",
               "--access-logfile", "-", "portal.app:create_app()"]
        popen, _ = supervise.start_supervised(cmd, state=self.state, log=self.log, pid_file=self.pid_file, name=NAME,
                                              env=self.env, cwd=self.config.repo_root)
        proc.wait_until(self.answers, what="portal (GET /healthz)", timeout=READY_TIMEOUT, log=self.log,
                        still_running=proc.popen_alive(popen))
        report(f"{'portal':<13} ready on {self.config.portal_url}/")
        return True
