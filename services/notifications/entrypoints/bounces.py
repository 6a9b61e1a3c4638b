"""Reads the bounce mailbox over POP3 every WTGR_BOUNCE_POLL_SECONDS (60) and records the delivery
status notifications in it (service_layer/bounces.py); rides out an outage of PostgreSQL or the
mailbox server with back-off (shared.outages). Without WTGR_BOUNCE_POP3_HOST it reads nothing and
says so. Serves /healthz and /metrics, beating its heartbeat on every pass (shared.liveness)."""

from __future__ import annotations

import logging
import os

from services.notifications.adapters.pop3 import Pop3Settings, pop3_session
from services.notifications.bootstrap import SERVICE, smtp_settings
from services.notifications.service_layer.bounces import read_mailbox
from shared import db
from shared.correlation import configure_logging
from shared.liveness import start_worker_endpoint
from shared.outages import BEAT_EVERY_SECONDS, ride_out_outages
from shared.processes import safe_settings, stop_on_sigterm

log = logging.getLogger(__name__)


def main() -> None:
    settings = safe_settings(SERVICE)
    configure_logging(SERVICE, settings.log_level)
    mailbox = Pop3Settings.from_env()
    bounce_address = smtp_settings(settings).bounce_address
    every = float(os.environ.get("WTGR_BOUNCE_POLL_SECONDS", "") or 60.0)
    pool = db.make_pool(settings.database_url, max_size=2, name=f"{SERVICE}-bounces", wait=False)
    stop = stop_on_sigterm()
    heartbeat = start_worker_endpoint(settings, "bounces")

    def read_until_stopped() -> None:
        while not stop.is_set():
            heartbeat.beat()
            if mailbox is not None:
                with pop3_session(mailbox) as session:
                    if outcomes := read_mailbox(pool, session, bounce_address):
                        log.info("bounce mailbox read", extra={"outcomes": dict(outcomes)})
            waited = 0.0
            while waited < every and not stop.is_set():  # beating while it waits: a long poll is not a stuck one
                heartbeat.beat()
                stop.wait(min(BEAT_EVERY_SECONDS, every - waited))
                waited += BEAT_EVERY_SECONDS

    if mailbox is None:
        log.warning("no bounce mailbox configured (WTGR_BOUNCE_POP3_HOST): bounces that come back later are not read")
    else:
        log.info("bounce reader started", extra={"pop3": f"{mailbox.host}:{mailbox.port}",
                                                 "security": mailbox.security, "bounce_address": bounce_address})
    try:
        ride_out_outages(SERVICE, "bounces", read_until_stopped, stop, beat=heartbeat.beat)
    finally:
        pool.close()


if __name__ == "__main__":
    main()
