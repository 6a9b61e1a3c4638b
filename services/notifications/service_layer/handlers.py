"""The notifications service layer: events in, emails queued (in the same transaction)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.notifications.adapters import store
from services.notifications.domain import messages
from services.notifications.domain.messages import Message
from shared.db import UnitOfWork
from shared.events import Envelope

Compose = Callable[[dict[str, Any]], Message | None]


def notify_with(compose: Compose) -> Callable[[UnitOfWork, Envelope, dict[str, Any]], None]:
    """A consumer handler that queues the email ``compose`` writes for the event, if any."""

    def handle(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
        message = compose(payload)
        if message is not None:
            store.queue_email(uow, message, caused_by=event.id, event_type=event.type)

    return handle


EVENT_HANDLERS = {
    "kpi.updated": notify_with(messages.kpi_updated),
    "kpi.special_cause_detected": notify_with(messages.special_cause_detected),
    "measure.overdue": notify_with(messages.measure_overdue),
}
