"""Checks for overdue monthly measures every WTGR_OVERDUE_CHECK_SECONDS (default an hour)."""

from __future__ import annotations

import logging
import os

from services.metrics.bootstrap import SERVICE, utc_today
from services.metrics.service_layer import overdue
from shared import db
from shared.correlation import configure_logging
from shared.processes import safe_settings, stop_on_sigterm

log = logging.getLogger(__name__)


def main() -> None:
    settings = safe_settings(SERVICE)
    configure_logging(SERVICE, settings.log_level)
    interval = float(os.environ.get("WTGR_OVERDUE_CHECK_SECONDS", "3600"))
    pool = db.make_pool(settings.database_url, max_size=1, name=f"{SERVICE}-overdue")
    stop = stop_on_sigterm()
    try:
        while not stop.is_set():
            with db.unit_of_work(pool, SERVICE) as uow:
                flagged = overdue.flag_overdue(uow, utc_today())
            log.info("overdue measures checked", extra={"flagged": flagged})
            stop.wait(interval)
    finally:
        pool.close()


if __name__ == "__main__":
    main()
