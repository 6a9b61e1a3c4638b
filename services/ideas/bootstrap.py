"""The composition root of ideas: builds the pool from settings, nothing at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from psycopg_pool import ConnectionPool

from services.ideas.service_layer import handlers
from shared import db
from shared.config import Settings
from shared.consumer import Handler

SERVICE = "ideas"
MIGRATIONS = Path(__file__).parent / "migrations"


# How many ideas one client may send through the public form (Flask-Limiter's notation).
PUBLIC_IDEA_RATE = "5 per minute;30 per day"


@dataclass
class Ideas:
    settings: Settings
    pool: ConnectionPool
    public_idea_rate: str = PUBLIC_IDEA_RATE


def build(settings: Settings | None = None, *, public_idea_rate: str | None = None) -> Ideas:
    settings = settings or Settings.from_env(SERVICE)
    rate = public_idea_rate or os.environ.get("WTGR_PUBLIC_IDEA_RATE", "").strip() or PUBLIC_IDEA_RATE
    return Ideas(settings, db.make_pool(settings.database_url, name=f"{SERVICE}-api"), rate)


def event_handlers(settings: Settings, pool: ConnectionPool) -> dict[str, Handler]:
    """What the ideas consumer does with each event type it reads."""
    return dict(handlers.EVENT_HANDLERS)
