"""The alert lane: special causes and opened signals, read in a consumer group of their own
(``notifications-alerts``, shared/platform.py) so that an alert is queued within moments even while
the service's consumer works through a backfill's thousands of kpi.updated."""

from services.notifications.bootstrap import SERVICE, event_handlers
from shared.processes import run_consumer

if __name__ == "__main__":
    run_consumer(SERVICE, event_handlers, lane="alerts")
