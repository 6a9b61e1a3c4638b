"""The kinds of notification a person chooses about, and how each reaches them (plain Python).

A kind has a default per channel: alerts reach people at once, routine updates in a weekly
digest. A person's own choices (preferences) override the defaults kind by kind and channel by
channel: ``immediately``, ``daily`` or ``weekly`` (a digest; in-app has no digest, so anything
but ``off`` shows in the feed at once) or ``off``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

CADENCES = ("immediately", "daily", "weekly", "off")
DIGESTS = ("daily", "weekly")
CHANNELS = ("email", "in_app")


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    alert: bool  # alerts are never held back by the daily cap
    email: str  # default cadence by email
    in_app: str = "immediately"


KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    Kind("kpi_alert", "Special-cause alerts on KPIs you own or follow", alert=True, email="immediately"),
    Kind("kpi_overdue", "Overdue measures of KPIs and data feeds you own, and feeds missing before a board pack",
         alert=True, email="immediately"),
    Kind("kpi_update", "New and revised monthly values of KPIs you own or follow", alert=False, email="weekly"),
    Kind("my_work", "Your own ideas, projects and stories, and what you are asked to approve", alert=False,
         email="immediately"),
    Kind("following", "Ideas, projects, campaigns and stories you follow", alert=False, email="weekly"),
    Kind("training", "Your training bookings, places and certificates", alert=False, email="immediately"),
)}

Choices = Mapping[tuple[str, str], str]  # (kind, channel) -> cadence, only what the person chose


def cadence(choices: Choices, kind: str, channel: str) -> str:
    """How ``kind`` reaches the person by ``channel``: their choice, else the kind's default."""
    default = KINDS[kind].email if channel == "email" else KINDS[kind].in_app
    return choices.get((kind, channel), default)


def all_preferences(choices: Choices) -> list[dict[str, str | bool]]:
    """Every kind with its cadence per channel, saying which are the person's own choices."""
    return [{"kind": kind.name, "label": kind.label, "alert": kind.alert,
             "email": cadence(choices, kind.name, "email"), "in_app": cadence(choices, kind.name, "in_app"),
             "chosen": any((kind.name, channel) in choices for channel in CHANNELS)} for kind in KINDS.values()]


def day_start(now: datetime) -> datetime:
    """Midnight at the start of ``now``'s day (in ``now``'s zone): the daily cap counts from here."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def latest_slot(digest: str, now: datetime, hour: int, weekday: int) -> datetime:
    """When the latest ``digest`` was due at ``now``: today (or yesterday) at ``hour`` for the daily
    digest, the latest ``weekday`` (0 = Monday) at ``hour`` for the weekly one. A digest sent for a
    slot lists what happened before it; one digest per person and slot (so a run repeated, or a
    worker that was down and catches up, sends nothing twice)."""
    slot = day_start(now) + timedelta(hours=hour)
    if digest == "weekly":
        slot -= timedelta(days=(now.weekday() - weekday) % 7)
        return slot if now >= slot else slot - timedelta(days=7)
    return slot if now >= slot else slot - timedelta(days=1)
