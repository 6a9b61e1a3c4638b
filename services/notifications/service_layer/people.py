"""A person's side of notifications: who they are (their email address) and unsubscribing."""

from __future__ import annotations

from typing import Any

from services.notifications.adapters import store
from services.notifications.domain import kinds
from services.notifications.service_layer.unsubscribe import Unsubscription
from shared.db import UnitOfWork
from shared.errors import Forbidden


def person_of(email: str | None) -> str:
    """Notifications know a person by their email address (events name people by it)."""
    if not email:
        raise Forbidden("Your sign-in carries no email address, so there are no notifications for you.")
    return email.strip().lower()


def unsubscribe(uow: UnitOfWork, unsubscription: Unsubscription) -> None:
    """Turn off by email what the unsubscription names: one kind, or every kind sent in that digest."""
    person, what = unsubscription.person, unsubscription.what
    if what.startswith("digest:"):
        chosen = store.choices(uow.conn, person)
        for kind in kinds.KINDS:
            if kinds.cadence(chosen, kind, "email") == what.removeprefix("digest:"):
                store.choose(uow, person, kind, "email", "off")
    else:
        store.choose(uow, person, what, "email", "off")


def describe(unsubscription: Unsubscription, *, done: bool) -> dict[str, Any]:
    return {"what": unsubscription.what, "words": unsubscription.words, "address": _hidden(unsubscription.person),
            "done": done}


def _hidden(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:2]}***@{domain}"
