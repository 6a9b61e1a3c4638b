"""Fixtures for devstack's own tests: the servers of `python -m devstack up --env test`."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def stack_env() -> dict[str, str]:
    """The env file's variables (make test exports them from .local/test/env)."""
    if not os.environ.get("WTGR_PG_ADMIN_URL"):
        pytest.fail(
            "WTGR_PG_ADMIN_URL is not set: these tests need the servers of `python -m devstack up "
            "--env test` and the variables of .local/test/env (make test does both)"
        )
    return dict(os.environ)
