"""The notifications service layer: events in, emails queued (in the same transaction).

KPI events email the KPI's owners (one email to them all); a special cause is told by the signal
it opens (``signal.opened``). Events of ideas, projects, stories and signals email each person of
their ``audience`` separately, once per event (domain/notices.py decides
which email, adapters/templates.py writes it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.notifications.adapters import store
from services.notifications.adapters.templates import EmailTemplates
from services.notifications.domain import messages, notices
from services.notifications.domain.messages import Message
from shared.db import UnitOfWork
from shared.events import Envelope

Compose = Callable[[dict[str, Any]], Message | None]
Handler = Callable[[UnitOfWork, Envelope, dict[str, Any]], None]


def notify_with(compose: Compose) -> Handler:
    """A consumer handler that queues the email ``compose`` writes for the event, if any."""

    def handle(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
        message = compose(payload)
        if message is not None:
            store.queue_email(uow, message, caused_by=event.id, event_type=event.type)

    return handle


KPI_HANDLERS: dict[str, Handler] = {
    "kpi.updated": notify_with(messages.kpi_updated),
    "measure.overdue": notify_with(messages.measure_overdue),
}


def compose_for_audience(templates: EmailTemplates, portal_url: str, event_type: str, data: dict[str, Any]
                         ) -> list[Message]:
    """One email per distinct recipient of the event's audience, each linking to the event's page on
    the portal; none when the event tells no one."""
    notice = notices.notice_for(event_type, data)
    if notice is None:
        return []
    portal = portal_url.rstrip("/")
    shared = {"event": data, "title": data["title"], "portal": portal, "link": portal + data["path"]}
    emails = []
    for recipient in notice.recipients:
        subject, body = templates.render(notice.template, {
            **shared, "name": recipient.name, "relation": recipient.relation, "because": recipient.because})
        emails.append(Message((recipient.email,), subject, body))
    return emails


def notify_audience(templates: EmailTemplates, portal_url: str) -> Handler:
    """A consumer handler that queues one email to each person the event concerns."""

    def handle(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
        for message in compose_for_audience(templates, portal_url, event.type, payload):
            store.queue_email(uow, message, caused_by=event.id, event_type=event.type)

    return handle


def event_handlers(templates: EmailTemplates, portal_url: str) -> dict[str, Handler]:
    """What the notifications consumer does with each event type it reads; any other type on its
    topics is someone else's business and skipped."""
    audience = notify_audience(templates, portal_url)
    return {**KPI_HANDLERS, **{event_type: audience for event_type in notices.TEMPLATE_FOR}}
