"""The composition root of notifications."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from psycopg_pool import ConnectionPool

from services.notifications.adapters.templates import EmailTemplates
from services.notifications.service_layer import handlers
from shared import db
from shared.config import Settings
from shared.consumer import Handler

SERVICE = "notifications"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class Notifications:
    settings: Settings
    pool: ConnectionPool


def build(settings: Settings | None = None) -> Notifications:
    settings = settings or Settings.from_env(SERVICE)
    return Notifications(settings, db.make_pool(settings.database_url, name=f"{SERVICE}-api"))


def event_handlers(settings: Settings, pool: ConnectionPool) -> dict[str, Handler]:
    return handlers.event_handlers(EmailTemplates(), settings.portal_url)
