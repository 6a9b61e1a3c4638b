"""The composition root of training: builds the pool and the clock from settings, nothing at import time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from psycopg_pool import ConnectionPool

from shared import db
from shared.config import Settings

SERVICE = "training"
MIGRATIONS = Path(__file__).parent / "migrations"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Training:
    settings: Settings
    pool: ConnectionPool
    now: Callable[[], datetime]


def build(settings: Settings | None = None, now: Callable[[], datetime] = utc_now) -> Training:
    settings = settings or Settings.from_env(SERVICE)
    return Training(settings, db.make_pool(settings.database_url, name=f"{SERVICE}-api"), now)
