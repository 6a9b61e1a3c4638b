"""The training service's scheduled jobs, each safe to run as often as you like (idempotent):

- ``send_reminders``: a reminder 7 days and 1 day before a session to each learner with a confirmed
  place, once per booking, kind and start time (a moved session reminds again for its new time).
- ``publish_staff_trained``: the staff trained in each month that is over, for the trust and each
  directorate, as measure.recorded; a month is published once it ends and again only when a late
  register changes its count. The running month is never published.
"""

from __future__ import annotations

from datetime import datetime

from services.training.adapters import store
from services.training.domain.training import (
    REMINDERS,
    months_over,
    reminders_due,
    staff_trained_measure,
    when_text,
)
from services.training.service_layer.handlers import learner_audience, where
from shared import topics
from shared.db import UnitOfWork


def send_reminders(uow: UnitOfWork, now: datetime) -> int:
    """Emit each reminder that is due and not yet sent; returns how many were emitted."""
    longest = max(before for _, before in REMINDERS)
    sent = 0
    for booking in store.confirmed_bookings_starting_between(uow, now, now + longest):
        for kind in reminders_due(booking["starts_at"], now):
            if store.mark_reminder_sent(uow, booking["id"], kind, booking["starts_at"]):
                course = store.course(uow, booking["course_code"])
                assert course is not None
                uow.emit("training.reminder", {
                    "audience": learner_audience(booking), "title": course["title"],
                    "path": f"/training/courses/{course['code']}", "enrolment_id": booking["id"],
                    "session_id": booking["session_id"], "course_code": course["code"], "user": booking["user_id"],
                    "starts_at": booking["starts_at"], "when": when_text(booking["starts_at"]),
                    "where": where(booking), "booked_by": booking["booked_by"],
                    "days_before": int(kind[0])}, topic=topics.TRAINING, key=str(booking["session_id"]))
                sent += 1
    return sent


def publish_staff_trained(uow: UnitOfWork, now: datetime) -> int:
    """Publish each (month, unit) count that is over and new or changed; returns how many."""
    published = 0
    for row in store.staff_trained_before(uow, months_over(now)):
        if row["published"] == row["staff"]:
            continue
        measure = staff_trained_measure(row["period"], row["unit_code"], row["staff"])
        key = f"{measure['kpi_code']}|{measure['unit_code']}"
        uow.emit("measure.recorded", measure, topic=topics.MEASURES, key=key)
        store.record_published(uow, row["period"], row["unit_code"], row["staff"])
        published += 1
    return published
