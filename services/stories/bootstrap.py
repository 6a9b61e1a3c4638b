"""The composition root of stories: builds the pool from settings, nothing at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from psycopg_pool import ConnectionPool

from services.stories.domain.resources import MAX_FILE_BYTES
from services.stories.service_layer import handlers
from shared import db
from shared.config import Settings
from shared.consumer import Handler

SERVICE = "stories"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class Options:
    """The stories service's own settings (docs/configuration.md)."""

    public_reads: bool = False  # WTGR_STORIES_PUBLIC: published stories and the tools library without a token
    max_file_bytes: int = MAX_FILE_BYTES  # WTGR_STORIES_MAX_FILE_BYTES: the largest file the library keeps

    @classmethod
    def from_env(cls) -> Options:
        return cls(
            public_reads=os.environ.get("WTGR_STORIES_PUBLIC", "").strip().lower() in ("1", "true", "yes", "on"),
            max_file_bytes=int(os.environ.get("WTGR_STORIES_MAX_FILE_BYTES", "").strip() or MAX_FILE_BYTES),
        )


@dataclass
class Stories:
    settings: Settings
    pool: ConnectionPool
    options: Options


def build(settings: Settings | None = None, options: Options | None = None) -> Stories:
    settings = settings or Settings.from_env(SERVICE)
    return Stories(settings, db.make_pool(settings.database_url, name=f"{SERVICE}-api"), options or Options.from_env())


def event_handlers(settings: Settings, pool: ConnectionPool) -> dict[str, Handler]:
    """What the stories consumer does with each event type it reads."""
    return dict(handlers.EVENT_HANDLERS)
