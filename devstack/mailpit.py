"""The mail catcher: Mailpit (github.com/axllent/mailpit), the same one docker-compose.yml
runs. An SMTP server that delivers nowhere, with a web UI and a REST API (devstack.mail reads it),
and a POP3 server the notifications service reads as its bounce mailbox.

On first use the pinned version is built with `go install` into the cache
(~/.cache/wtgr/mailpit-<version>/mailpit); later starts reuse it.
"""

from __future__ import annotations

import os
import poplib
import smtplib
import urllib.request
from collections.abc import Callable
from pathlib import Path

from devstack import gobuild, proc
from devstack.config import BOUNCE_MAILBOX_PASSWORD, BOUNCE_MAILBOX_USER, StackConfig
from devstack.proc import PidRecord

# Pinned here and as the image tag in docker-compose.yml (tests/test_deploy_files.py
# checks they agree). Building it needs Go 1.26 or later.
MAILPIT_VERSION = "v1.33.1"
MAILPIT_MODULE = "github.com/axllent/mailpit"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


def binary_path(cache_dir: Path) -> Path:
    return cache_dir / f"mailpit-{MAILPIT_VERSION}" / "mailpit"


def ensure_binary(cache_dir: Path) -> Path:
    """Mailpit's binary in the cache, built with `go install` on first use (devstack.gobuild)."""
    return gobuild.go_install(binary_path(cache_dir), f"{MAILPIT_MODULE}@{MAILPIT_VERSION}")


def command(binary: Path, smtp_port: int, http_port: int, database: Path, pop3_port: int = 0,
            pop3_auth_file: Path | None = None) -> list[str]:
    """Mailpit on 127.0.0.1 only, keeping every message (no pruning) in its own database file; with
    a POP3 port and its password file, its POP3 server too (the bounce mailbox: every message it
    holds, which the notifications bounces worker reads)."""
    pop3 = (["--pop3", f"127.0.0.1:{pop3_port}", "--pop3-auth-file", str(pop3_auth_file)]
            if pop3_port and pop3_auth_file else [])
    return [
        str(binary),
        "--smtp", f"127.0.0.1:{smtp_port}",
        "--listen", f"127.0.0.1:{http_port}",
        "--database", str(database),
        "--max", "0",
        "--disable-version-check",
        "--smtp-disable-rdns",
        *pop3,
    ]


class Mailpit:
    name = "mailpit"

    def __init__(self, config: StackConfig):
        self.config = config
        self.smtp_port = config.ports.smtp
        self.http_port = config.ports.mail_http
        self.pop3_port = config.ports.mail_pop3
        self.log = config.mail_log
        self.pid_file = config.mail_pid_file

    def running(self) -> PidRecord | None:
        return proc.running_as(self.pid_file, "mailpit")

    def answers(self) -> bool:
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=3) as smtp:
            code, _ = smtp.noop()
        if code != 250:
            return False
        if self.pop3_port:
            client = poplib.POP3("127.0.0.1", self.pop3_port, timeout=3)
            client.quit()
        with urllib.request.urlopen(f"{self.config.mail_http_url}/readyz", timeout=3) as response:
            return bool(response.status == 200)

    def start(self) -> PidRecord:
        proc.require_free_port(self.smtp_port, "mail catcher (SMTP)", "WTGR_SMTP_PORT")
        proc.require_free_port(self.http_port, "mail catcher (HTTP)", "WTGR_MAIL_HTTP_PORT")
        if self.pop3_port:
            proc.require_free_port(self.pop3_port, "mail catcher (POP3)", "WTGR_MAIL_POP3_PORT")
        binary = ensure_binary(self.config.cache_dir)
        self.config.mail_dir.mkdir(parents=True, exist_ok=True)
        auth = self.config.mail_pop3_auth_file
        auth.write_text(f"{BOUNCE_MAILBOX_USER}:{BOUNCE_MAILBOX_PASSWORD}\n")  # htpasswd, plain (local only)
        auth.chmod(0o600)
        cmd = command(binary, self.smtp_port, self.http_port, self.config.mail_dir / "mailpit.db", self.pop3_port, auth)
        popen, record = proc.start_detached(
            cmd, log=self.log, pid_file=self.pid_file, name=self.name, env=dict(os.environ),
            cwd=self.config.repo_root,
        )
        proc.wait_until(
            self.answers,
            what="mail catcher (SMTP NOOP, POP3 greeting, GET /readyz)",
            timeout=START_TIMEOUT,
            log=self.log,
            still_running=proc.popen_alive(popen),
        )
        return record

    def stop(self, report: Callable[[str], None]) -> bool:
        return proc.stop_recorded(self.running(), self.pid_file, timeout=STOP_TIMEOUT, report=report)
