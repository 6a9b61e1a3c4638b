"""Who hears of a step of the improvement cycle, and which template tells them (plain Python).

Events of ideas, projects, stories, signals and training carry their ``audience``. Each distinct address (compared
without regard to case) hears once per event, named by the first entry that lists it. One step of
the cycle may be announced by two events (an idea's acceptance is an ``idea.stage_changed`` and an
``idea.accepted``; a completion a ``project.stage_changed`` and a ``project.completed``): one of
them speaks for it, and the other says nothing, so nobody hears twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# Why someone receives the email, by their relation to what it is about.
BECAUSE = {
    "submitter": "you put forward this idea",
    "follower": "you follow it",
    "team": "you are on the project team",
    "lead": "you lead the project",
    "sponsor": "you sponsor the project",
    "coach": "you coach the project",
    "approver": "you approve QI projects for this area",
    "moderator": "you moderate ideas",
    "author": "you wrote it",
    "owner": "you own this KPI",
    "learner": "you booked this training, or a trainer booked it for you",
    "trainer": "you run this training",
    "kpi_owner": "you own this KPI",
    "unit_lead": "you lead the directorate of this unit",
    "data_source_owner": "you own a data source that feeds the trust's KPIs",
}


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None
    relation: str

    @property
    def because(self) -> str:
        return BECAUSE.get(self.relation, "it concerns you")


@dataclass(frozen=True)
class Notice:
    """Which template tells ``recipients`` of an event."""

    template: str
    recipients: tuple[Recipient, ...]


def distinct(audience: Iterable[dict[str, Any]]) -> tuple[Recipient, ...]:
    """One recipient per address, in the order given; the first entry naming an address wins."""
    seen: dict[str, Recipient] = {}
    for entry in audience:
        address = entry["email"].strip()
        seen.setdefault(address.casefold(), Recipient(address, entry.get("name") or None, entry["relation"]))
    return tuple(seen.values())


def _idea_stage(data: dict[str, Any]) -> str | None:
    to_stage = data["to_stage"]
    if data.get("from_stage") == "moderation" and to_stage in ("submitted", "under_review"):
        return "idea_moderated"
    # moderation and submitted are told by idea.submitted, merged by idea.merged
    return {"under_review": "idea_under_review", "accepted": "idea_accepted", "declined": "idea_declined",
            "in_progress": "idea_in_progress", "implemented": "idea_implemented"}.get(to_stage)


def _project_stage(data: dict[str, Any]) -> str | None:
    # completed is told by project.completed, which also reaches the idea's submitter and followers
    return {"approved": "project_approved", "active": "project_active", "stopped": "project_stopped"}.get(
        data["to_stage"])


def _project_created(data: dict[str, Any]) -> str | None:
    return "project_submitted" if data.get("stage") == "submitted" else None


def _training(template: str) -> Callable[[dict[str, Any]], str | None]:
    # version 1 of a booking event carries no audience (notice_for then tells no one)
    return lambda data: template if "when" in data else None


def _always(template: str) -> Callable[[dict[str, Any]], str | None]:
    return lambda data: template


# The template for each event type notifications reads from ideas, projects, stories and training; None
# when the event tells of nothing anyone is emailed about.
TEMPLATE_FOR: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "idea.submitted": _always("idea_received"),
    "idea.stage_changed": _idea_stage,
    "idea.merged": _always("idea_merged"),
    "idea.commented": _always("idea_commented"),
    "project.created": _project_created,
    "project.stage_changed": _project_stage,
    "project.completed": _always("project_completed"),
    "pdsa.cycle_started": _always("pdsa_started"),
    "project.progress_scored": _always("progress_scored"),
    "story.drafted": _always("story_drafted"),
    "story.published": _always("story_published"),
    "signal.opened": _always("signal_opened"),
    "signal.reminder": _always("signal_reminder"),
    "signal.escalated": _always("signal_escalated"),
    "board_pack.feeds_missing": _always("board_pack_feeds_missing"),
    "training.enrolled": _training("training_booked"),
    "training.waitlisted": _training("training_waitlisted"),
    "training.promoted": _always("training_promoted"),
    "training.session_rescheduled": _always("training_session_rescheduled"),
    "training.session_cancelled": _always("training_session_cancelled"),
    "training.reminder": _always("training_reminder"),
    "training.certificate_issued": _always("training_certificate"),
}


def template_for(event_type: str, data: dict[str, Any]) -> str | None:
    """The template that tells of the event; None when it tells of nothing anyone hears about. An
    event of the training programme without a template of its own, carrying a title and a path, is
    told by ``training_update``."""
    choose = TEMPLATE_FOR.get(event_type)
    if choose:
        return choose(data)
    if event_type.startswith("training."):
        return "training_update" if data.get("title") and data.get("path") else None
    return None


def notice_for(event_type: str, data: dict[str, Any]) -> Notice | None:
    """The notification an event sends and to whom by its audience; None when it tells no one (no
    audience: an earlier version of the event, or nobody who can be reached)."""
    recipients = distinct(data.get("audience") or ())
    template = template_for(event_type, data) if recipients else None
    return Notice(template, recipients) if template else None


def topic_of(event_type: str, data: dict[str, Any]) -> str:
    """What the event is about, as people follow it: ``idea:<id>``, ``project:<id>``, ``story:<id>``,
    ``kpi:<code>@<unit>`` (a signal), ``board-packs`` (what each person is told before every board
    pack: theirs alone, so it has no followers), ``training:<path>``."""
    if event_type.startswith("idea."):
        return f"idea:{data['idea_id']}"
    if event_type.startswith(("project.", "pdsa.")):
        return f"project:{data['project_id']}"
    if event_type.startswith("story."):
        return f"story:{data['story_id']}"
    if event_type.startswith("signal."):
        return f"kpi:{data['kpi_code']}@{data['unit_code']}"
    if event_type.startswith("board_pack."):
        return "board-packs"
    return f"training:{data['path']}"


def followed_topics(event_type: str, data: dict[str, Any]) -> tuple[str, ...]:
    """Every topic whose followers hear of the event: its own, a new idea's campaign, and every
    published story for those who follow the stories; none for a board pack's notice, which lists
    what concerns its one recipient."""
    if event_type.startswith("board_pack."):
        return ()
    extra: list[str] = []
    if event_type == "idea.submitted" and data.get("campaign_id"):
        extra.append(f"campaign:{data['campaign_id']}")
    if event_type == "story.published":
        extra.append("stories")
    return (topic_of(event_type, data), *extra)


def kind_of(event_type: str, relation: str) -> str:
    """The kind of notification (domain/kinds.py) a person with ``relation`` gets for the event."""
    if event_type.startswith("training."):
        return "training"
    if event_type.startswith("signal."):
        return "kpi_alert"
    if event_type.startswith("board_pack."):
        return "kpi_overdue"
    return "following" if relation == "follower" else "my_work"
