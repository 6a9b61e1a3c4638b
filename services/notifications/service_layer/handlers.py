"""The notifications service layer: events in, people told (in the same transaction).

KPI events tell the KPI's owners (subscribed by the event; they can leave) and whoever follows the
KPI at that unit; a signal's other people (project teams) hear of it by ``signal.opened``. Events
of ideas, projects, stories, signals and training tell the people of their
``audience`` (subscribed by the event; they can leave) and the followers of what they are about
(domain/notices.py decides which template, adapters/templates.py writes it). delivery.py records
each notification and emails it as the person chose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from services.notifications.adapters import store
from services.notifications.domain import messages, notices
from services.notifications.domain.messages import Item
from services.notifications.domain.notices import Recipient
from services.notifications.service_layer.delivery import Hub, Told, tell
from shared.db import UnitOfWork
from shared.events import REGISTRY, Envelope

Handler = Callable[[UnitOfWork, Envelope, dict[str, Any]], None]


def _audience(uow: UnitOfWork, topic: str, title: str, path: str, named: tuple[Recipient, ...],
              follows: tuple[str, ...]) -> list[Recipient]:
    """The people an event names (subscribed to ``topic`` by it, unless they left it) and then the
    followers of ``follows``, each address once."""
    for recipient in named:
        store.subscribe(uow, recipient.email.lower(), topic, title, path, "event", recipient.relation)
    gone = store.left(uow, topic, [recipient.email.lower() for recipient in named]) if named else set()
    staying = [recipient for recipient in named if recipient.email.lower() not in gone]
    known = {recipient.email.lower() for recipient in staying}
    return staying + [Recipient(person, None, "follower") for person in store.followers(uow, follows)
                      if person not in known]


KpiCompose = Callable[[dict[str, Any]], Item | None]


def notify_kpi(hub: Hub, kind: str, compose: KpiCompose, *, alert: bool = False) -> Handler:
    """A handler telling a KPI's owners (for the unit's own measures) and the KPI's followers at the unit."""

    def handle(uow: UnitOfWork, event: Envelope, data: dict[str, Any]) -> None:
        item = compose(data)
        if item is None:
            return
        topic = f"kpi:{data['kpi_code']}@{data['unit_code']}"
        path = f"/kpis/{data['kpi_code']}/units/{data['unit_code']}"
        owners = data["owners"] if data.get("cause", "measure") == "measure" else []
        named = notices.distinct({"email": owner, "relation": "owner"} for owner in owners)
        people = _audience(uow, topic, f"{data['kpi_name']}, {data['unit_name']}", path, named, (topic,))
        group = f"kpi:{data['kpi_code']}:{data['period']}" if alert else None
        tell(uow, hub, event, [Told(person.email, person.name, person.because, kind, topic, path, item.subject,
                                    item.body, group, (data["kpi_name"], data["period"]) if alert else None)
                               for person in people])

    return handle


def notify_audience(hub: Hub) -> Handler:
    """A handler telling each person an event of ideas, projects, stories or training concerns."""

    def handle(uow: UnitOfWork, event: Envelope, data: dict[str, Any]) -> None:
        template = notices.template_for(event.type, data)
        if template is None:
            return
        topic = notices.topic_of(event.type, data)
        named = notices.distinct(data.get("audience") or ())
        people = _audience(uow, topic, data["title"], data["path"], named, notices.followed_topics(event.type, data))
        tell(uow, hub, event, told_for(hub, event.type, data, template, people))

    return handle


def notify_signal_opened(hub: Hub) -> Handler:
    """A signal opened on a KPI's chart for a unit, told as an alert (grouped with the same KPI's month
    at other levels of the hierarchy). A special-cause signal's KPI owners and the KPI's followers
    hear of it by ``kpi.special_cause_detected``; this tells the rest of its audience once (the teams
    of projects measuring the series, the leads of completed projects still watched). A run-chart
    signal, which has no such event, tells its whole audience and the followers."""

    def handle(uow: UnitOfWork, event: Envelope, data: dict[str, Any]) -> None:
        topic = notices.topic_of(event.type, data)
        special = data["kind"] == "special_cause"
        named = notices.distinct(entry for entry in data.get("audience") or ()
                                 if not (special and entry.get("relation") == "kpi_owner"))
        people = _audience(uow, topic, f"{data['kpi_name']}, {data['unit_name']}", data["path"], named,
                           () if special else (topic,))
        group = f"kpi:{data['kpi_code']}:{data['period']}"
        tell(uow, hub, event, [replace(told, group_key=group, group_title=(data["kpi_name"], data["period"]))
                               for told in told_for(hub, event.type, data, "signal_opened", people)])

    return handle


def told_for(hub: Hub, event_type: str, data: dict[str, Any], template: str,
             people: list[Recipient]) -> list[Told]:
    """What each of ``people`` is told of an event of ideas, projects, stories or training (pure)."""
    topic = notices.topic_of(event_type, data)
    context = {"event": data, "title": data["title"], "portal": hub.portal, "link": hub.portal + data["path"]}
    told = []
    for person in people:
        subject, body = hub.templates.render(template, {**context, "name": person.name,
                                                        "relation": person.relation, "because": person.because})
        told.append(Told(person.email, person.name, person.because, notices.kind_of(event_type, person.relation),
                         topic, data["path"], subject, body))
    return told


def event_handlers(hub: Hub) -> dict[str, Handler]:
    """What the notifications consumer does with each event type it reads; any other type on its
    topics is someone else's business and skipped. Every training event carrying a title and a path
    tells its audience (the training service names whom)."""
    audience = notify_audience(hub)
    training = {event_type for event_type, _, _ in REGISTRY.items() if event_type.startswith("training.")}
    return {
        "kpi.updated": notify_kpi(hub, "kpi_update", messages.kpi_updated),
        "kpi.special_cause_detected": notify_kpi(hub, "kpi_alert", messages.special_cause_detected, alert=True),
        "measure.overdue": notify_kpi(hub, "kpi_overdue", messages.measure_overdue),
        **{event_type: audience for event_type in [*notices.TEMPLATE_FOR, *sorted(training)]},
        "signal.opened": notify_signal_opened(hub),
    }
