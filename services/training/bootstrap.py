"""The composition root of training: builds the pool, the clock and the certificates' fonts from settings,
nothing at import time. A missing font stops the start (certificate_pdf.FontMissing says what to install)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from psycopg_pool import ConnectionPool

from services.training.adapters import certificate_pdf
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
    fonts: certificate_pdf.Fonts


def certificate_fonts() -> certificate_pdf.Fonts:
    """The certificates' fonts from WTGR_CERTIFICATE_FONT_DIR (default: Debian's fonts-dejavu-core)."""
    folder = os.environ.get("WTGR_CERTIFICATE_FONT_DIR", "").strip() or certificate_pdf.DEFAULT_FONT_DIR
    return certificate_pdf.fonts_in(folder)


def build(settings: Settings | None = None, now: Callable[[], datetime] = utc_now) -> Training:
    settings = settings or Settings.from_env(SERVICE)
    fonts = certificate_fonts()  # before the pool: a missing font fails the start without opening connections
    return Training(settings, db.make_pool(settings.database_url, name=f"{SERVICE}-api"), now, fonts)
