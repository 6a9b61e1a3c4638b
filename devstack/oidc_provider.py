"""The development OpenID Connect provider: devstack/oidc/provider.mjs on node's `oidc-provider`
package (installed by `make install` from package-lock.json), with the demo users of
devstack/oidc/users.json. The portal signs people in with it; the services accept its access tokens,
checked against its /jwks (shared/auth/oidc.py). In production the trust's provider takes its place.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Callable
from pathlib import Path

from devstack import proc
from devstack.config import StackConfig
from devstack.proc import PidRecord, StartupError
from devstack.system import require_executable

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
USERS_FILE = Path(__file__).resolve().parent / "oidc" / "users.json"
DEMO_PASSWORD_NOTE = "every demo user's password is in devstack/oidc/users.json"


def demo_users() -> list[dict[str, object]]:
    users: list[dict[str, object]] = json.loads(USERS_FILE.read_text())["users"]
    return users


class OidcProvider:
    name = "oidc-provider"

    def __init__(self, config: StackConfig, env_values: dict[str, str] | None = None):
        self.config = config
        self.env_values = env_values or {}
        self.port = config.ports.oidc
        self.log = config.oidc_log
        self.pid_file = config.oidc_pid_file

    def running(self) -> PidRecord | None:
        return proc.running_as(self.pid_file, "provider.mjs")

    def answers(self) -> bool:
        url = f"{self.config.oidc_issuer}/.well-known/openid-configuration"
        with urllib.request.urlopen(url, timeout=3) as response:
            return bool(response.status == 200 and json.load(response).get("issuer") == self.config.oidc_issuer)

    def start(self) -> PidRecord:
        proc.require_free_port(self.port, "OIDC provider", "WTGR_OIDC_PORT")
        node = require_executable("node", "nodejs", "the development OIDC provider runs on node")
        script = self.config.repo_root / "devstack" / "oidc" / "provider.mjs"
        if not (self.config.repo_root / "node_modules" / "oidc-provider").is_dir():
            raise StartupError("node's oidc-provider package is not installed: run `make install`")
        env = {**os.environ, **self.env_values}
        popen, record = proc.start_detached(
            [node, str(script)], log=self.log, pid_file=self.pid_file, name=self.name, env=env,
            cwd=self.config.repo_root,
        )
        proc.wait_until(
            self.answers,
            what="OIDC provider (GET /.well-known/openid-configuration)",
            timeout=START_TIMEOUT,
            log=self.log,
            still_running=proc.popen_alive(popen),
        )
        return record

    def stop(self, report: Callable[[str], None]) -> bool:
        return proc.stop_recorded(self.running(), self.pid_file, timeout=STOP_TIMEOUT, report=report)
