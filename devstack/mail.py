"""Runs devstack.mailcatcher as its own process."""

from __future__ import annotations

import os
import smtplib
import sys
import urllib.request
from collections.abc import Callable

from devstack import proc
from devstack.config import StackConfig
from devstack.proc import PidRecord

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


class MailCatcher:
    name = "mailcatcher"

    def __init__(self, config: StackConfig):
        self.config = config
        self.smtp_port = config.ports.smtp
        self.http_port = config.ports.mail_http
        self.log = config.mail_log
        self.pid_file = config.mail_pid_file

    def running(self) -> PidRecord | None:
        return proc.running_as(self.pid_file, "devstack.mailcatcher")

    def answers(self) -> bool:
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=3) as smtp:
            code, _ = smtp.noop()
        if code != 250:
            return False
        with urllib.request.urlopen(f"{self.config.mail_http_url}/healthz", timeout=3) as response:
            return bool(response.status == 200)

    def start(self) -> PidRecord:
        proc.require_free_port(self.smtp_port, "mail catcher (SMTP)", "WTGR_SMTP_PORT")
        proc.require_free_port(self.http_port, "mail catcher (HTTP)", "WTGR_MAIL_HTTP_PORT")
        cmd = [sys.executable, "-m", "devstack.mailcatcher", "--smtp-port", str(self.smtp_port)]
        cmd += ["--http-port", str(self.http_port), "--dir", str(self.config.mail_dir)]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(self.config.repo_root), env.get("PYTHONPATH", "")) if p
        )
        popen, record = proc.start_detached(
            cmd, log=self.log, pid_file=self.pid_file, name=self.name, env=env, cwd=self.config.repo_root
        )
        proc.wait_until(
            self.answers,
            what="mail catcher (SMTP NOOP)",
            timeout=START_TIMEOUT,
            log=self.log,
            still_running=proc.popen_alive(popen),
        )
        return record

    def stop(self, report: Callable[[str], None]) -> bool:
        return proc.stop_recorded(self.running(), self.pid_file, timeout=STOP_TIMEOUT, report=report)
