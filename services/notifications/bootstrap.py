"""The composition root of notifications."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from psycopg_pool import ConnectionPool

from services.notifications.adapters.smtp import SmtpSettings
from services.notifications.adapters.templates import EmailTemplates
from services.notifications.service_layer import handlers
from services.notifications.service_layer.delivery import Hub
from services.notifications.service_layer.unsubscribe import Tokens
from shared import db
from shared.config import Settings
from shared.consumer import Handler

SERVICE = "notifications"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class Notifications:
    settings: Settings
    pool: ConnectionPool
    hub: Hub


def smtp_settings(settings: Settings) -> SmtpSettings:
    return SmtpSettings.from_env(settings.smtp_host, settings.smtp_port, settings.mail_from)


def build_hub(settings: Settings) -> Hub:
    """How notifications are delivered, from the environment (docs/configuration.md lists each):
    WTGR_UNSUBSCRIBE_SECRET signs unsubscribe links (default: the cursor secret, under its own salt)."""
    return Hub(
        templates=EmailTemplates(),
        portal_url=settings.portal_url,
        tokens=Tokens(os.environ.get("WTGR_UNSUBSCRIBE_SECRET", "").strip() or settings.cursor_secret),
        message_domain=smtp_settings(settings).domain,
        daily_cap=int(os.environ.get("WTGR_EMAIL_DAILY_CAP", "") or 10),
        alert_hold_seconds=float(os.environ.get("WTGR_ALERT_HOLD_SECONDS", "") or 30),
        digest_hour=int(os.environ.get("WTGR_DIGEST_HOUR", "") or 7),
        digest_weekday=int(os.environ.get("WTGR_DIGEST_WEEKDAY", "") or 0),
    )


def build(settings: Settings | None = None) -> Notifications:
    settings = settings or Settings.from_env(SERVICE)
    return Notifications(settings, db.make_pool(settings.database_url, name=f"{SERVICE}-api"), build_hub(settings))


def event_handlers(settings: Settings, pool: ConnectionPool) -> dict[str, Handler]:
    return handlers.event_handlers(build_hub(settings))
