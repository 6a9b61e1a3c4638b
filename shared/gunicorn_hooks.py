"""Gunicorn hooks shared by every service's API (see services/gunicorn_conf.py)."""

from __future__ import annotations

import os
from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    """A dead worker's live gauges must not linger in the multiprocess metrics folder."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
