"""Sends queued emails through SMTP, waking on every newly queued email and when a held one falls
due (an alert, a retry), and queues the digests that fall due (delivery.run_digests, once a
minute); rides out an outage of PostgreSQL or the SMTP server with back-off (shared.outages).
Serves /healthz and /metrics, beating its heartbeat on every pass (shared.liveness)."""

from __future__ import annotations

import logging
import time

from services.notifications.adapters.smtp import SmtpSender
from services.notifications.bootstrap import SERVICE, build_hub, smtp_settings
from services.notifications.service_layer.delivery import run_digests
from services.notifications.service_layer.mailer import Mailer
from shared import db
from shared.correlation import configure_logging
from shared.liveness import start_worker_endpoint
from shared.outages import ride_out_outages
from shared.processes import safe_settings, stop_on_sigterm
from shared.wakeup import drain_on_notify

log = logging.getLogger(__name__)
DIGEST_EVERY_SECONDS = 60.0


def main() -> None:
    settings = safe_settings(SERVICE)
    configure_logging(SERVICE, settings.log_level)
    pool = db.make_pool(settings.database_url, max_size=2, name=f"{SERVICE}-mailer", wait=False)
    smtp = smtp_settings(settings)
    hub = build_hub(settings)
    mailer = Mailer(pool, SmtpSender(smtp), portal_url=settings.portal_url)
    stop = stop_on_sigterm()
    heartbeat = start_worker_endpoint(settings, "mailer")
    last_digest_run = [0.0]

    def digests_then_mail() -> int:
        if time.monotonic() - last_digest_run[0] >= DIGEST_EVERY_SECONDS:
            last_digest_run[0] = time.monotonic()
            if queued := run_digests(pool, hub):
                log.info("digests queued", extra={"digests": queued})
        return mailer.send_due()

    log.info("mailer started", extra={"smtp": f"{smtp.host}:{smtp.port}", "security": smtp.security})
    try:
        ride_out_outages(SERVICE, "mailer", lambda: drain_on_notify(
            settings.database_url, f"mail_{SERVICE}", digests_then_mail, stop, beat=heartbeat.beat,
            due_in=mailer.seconds_until_due), stop,
            beat=heartbeat.beat)
    finally:
        pool.close()


if __name__ == "__main__":
    main()
