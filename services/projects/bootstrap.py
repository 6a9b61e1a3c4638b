"""The composition root of projects: builds the pool and the clock from settings, nothing at import time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from psycopg_pool import ConnectionPool

from services.projects.service_layer import events
from shared import db
from shared.config import Settings
from shared.consumer import Handler

SERVICE = "projects"
MIGRATIONS = Path(__file__).parent / "migrations"


def london_today() -> date:
    """The trust's calendar day, which is what people mean by the dates they type."""
    return datetime.now(ZoneInfo("Europe/London")).date()


@dataclass
class Projects:
    settings: Settings
    pool: ConnectionPool
    today: Callable[[], date]


def build(settings: Settings | None = None, today: Callable[[], date] = london_today) -> Projects:
    settings = settings or Settings.from_env(SERVICE)
    return Projects(settings, db.make_pool(settings.database_url, name=f"{SERVICE}-api"), today)


def event_handlers(settings: Settings, pool: ConnectionPool) -> dict[str, Handler]:
    """What the projects consumer does with each event type it reads."""
    return dict(events.EVENT_HANDLERS)
