"""Sends queued emails through SMTP, waking on every newly queued email; rides out an outage of
PostgreSQL or the SMTP server with back-off (shared.outages). Serves /healthz and /metrics, beating its
heartbeat on every pass (shared.liveness)."""

from __future__ import annotations

import logging

from services.notifications.adapters.smtp import SmtpSender
from services.notifications.bootstrap import SERVICE
from services.notifications.service_layer.mailer import Mailer
from shared import db
from shared.correlation import configure_logging
from shared.liveness import start_worker_endpoint
from shared.outages import ride_out_outages
from shared.processes import safe_settings, stop_on_sigterm
from shared.wakeup import drain_on_notify

log = logging.getLogger(__name__)


def main() -> None:
    settings = safe_settings(SERVICE)
    configure_logging(SERVICE, settings.log_level)
    pool = db.make_pool(settings.database_url, max_size=2, name=f"{SERVICE}-mailer", wait=False)
    mailer = Mailer(pool, SmtpSender(settings.smtp_host, settings.smtp_port, settings.mail_from))
    stop = stop_on_sigterm()
    heartbeat = start_worker_endpoint(settings, "mailer")
    log.info("mailer started", extra={"smtp": f"{settings.smtp_host}:{settings.smtp_port}"})
    try:
        ride_out_outages(SERVICE, "mailer", lambda: drain_on_notify(
            settings.database_url, f"mail_{SERVICE}", mailer.send_due, stop, beat=heartbeat.beat), stop,
            beat=heartbeat.beat)
    finally:
        pool.close()


if __name__ == "__main__":
    main()
