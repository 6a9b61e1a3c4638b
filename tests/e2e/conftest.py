"""End-to-end flows run against every service as `make test` starts them (gunicorn, relays,
consumers, mailer) on the real PostgreSQL, Kafka and SMTP servers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from conftest import required_env


@pytest.fixture(scope="session")
def service_url() -> Callable[[str], str]:
    def url(service: str) -> str:
        port = required_env(f"{service.upper()}_PORT")
        base = f"http://127.0.0.1:{port}"
        try:
            requests.get(f"{base}/readyz", timeout=5).raise_for_status()
        except requests.RequestException as exc:
            pytest.fail(f"the {service} service is not running and ready at {base}: {exc}")
        return base

    return url


class Mailbox:
    """The test SMTP server's received messages, read over its HTTP view."""

    def __init__(self, base: str):
        self.base = base

    def messages(self, to: str) -> list[dict[str, Any]]:
        """The messages received for one address, oldest first."""
        response = requests.get(f"{self.base}/messages", params={"to": to}, timeout=10)
        response.raise_for_status()
        return response.json()

    def wait_for(self, to: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30.0
                 ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages(to):
                if predicate(message):
                    return message
            time.sleep(0.2)
        pytest.fail(f"no matching email arrived within {timeout} s")


@pytest.fixture(scope="session")
def mailbox() -> Mailbox:
    return Mailbox(required_env("WTGR_MAIL_HTTP"))
