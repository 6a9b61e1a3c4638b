"""A service API under gunicorn refuses to start outside development with development secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


def test_the_api_exits_non_zero_naming_the_reasons_in_production():
    env = {**os.environ, "WTGR_ENV": "production"}  # the test env's key pair, issuer and passwords
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", "127.0.0.1:0",
         "services.ideas.entrypoints.api:create_app()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
    assert done.returncode != 0
    assert "ideas refuses to start in environment 'production'" in done.stderr
    assert "development key pair" in done.stderr and "development issuer" in done.stderr
