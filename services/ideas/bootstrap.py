"""The composition root of ideas: builds the pool from settings, nothing at import time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from psycopg_pool import ConnectionPool

from services.ideas.service_layer import handlers
from shared import db
from shared.config import Settings
from shared.consumer import Handler

SERVICE = "ideas"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class Ideas:
    settings: Settings
    pool: ConnectionPool


def build(settings: Settings | None = None) -> Ideas:
    settings = settings or Settings.from_env(SERVICE)
    return Ideas(settings, db.make_pool(settings.database_url, name=f"{SERVICE}-api"))


def event_handlers(settings: Settings, pool: ConnectionPool) -> dict[str, Handler]:
    """What the ideas consumer does with each event type it reads."""
    return dict(handlers.EVENT_HANDLERS)
