"""End-to-end flows run against every service as `make test` starts them (gunicorn, relays,
consumers, mailer) on the real PostgreSQL, Kafka and SMTP servers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from conftest import required_env
from devstack.mail import Mailbox


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


@pytest.fixture(scope="session")
def mailbox() -> Mailbox:
    return Mailbox(required_env("WTGR_MAIL_HTTP"))
