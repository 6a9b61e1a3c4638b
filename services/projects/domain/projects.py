"""The rules of a QI project's life, in plain Python.

A project is registered (``submitted``), approved by a QI lead with the directorate QI forum's
decision as a note (``approved``), started (``active``), and ends ``completed`` (with its results
and learning) or ``stopped`` (with a reason). It never goes back. Its details (title, place, team,
CQC key questions, aim) can be edited until it ends. A project that came from an idea names one
that was accepted, and no other project came from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.errors import Conflict, Forbidden, InvalidInput

SUBMITTED, APPROVED, ACTIVE, COMPLETED, STOPPED = "submitted", "approved", "active", "completed", "stopped"
STAGES = (SUBMITTED, APPROVED, ACTIVE, COMPLETED, STOPPED)
CLOSED = (COMPLETED, STOPPED)
NEXT_STAGES: dict[str, tuple[str, ...]] = {
    SUBMITTED: (APPROVED, STOPPED),
    APPROVED: (ACTIVE, STOPPED),
    ACTIVE: (COMPLETED, STOPPED),
    COMPLETED: (),
    STOPPED: (),
}
# What each move must say, besides the stage: field -> why.
MOVE_NEEDS: dict[str, tuple[str, ...]] = {APPROVED: ("note",), COMPLETED: ("results", "learning"),
                                          STOPPED: ("reason",), ACTIVE: ()}

LEAD, SPONSOR, COACH, MEMBER = "lead", "sponsor", "coach", "member"
ROLES = (LEAD, SPONSOR, COACH, MEMBER)
CQC_KEY_QUESTIONS = ("safe", "effective", "caring", "responsive", "well-led")
AIM_PARTS = ("aim", "aim_measure", "aim_baseline", "aim_target", "aim_by")
ACCEPTED = "accepted"  # the one idea stage a project may come from


class StageRefused(Conflict):
    """The project's stage does not allow what was asked."""


class ProjectRefused(InvalidInput):
    """The project, as given, can never be accepted; ``field`` names the part that is wrong."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}", field=field, reason=reason)


class NotOnTheTeam(Forbidden):
    """The caller is neither a QI lead nor on the project's team in a role that may do this."""


class IdeaAlreadyHasAProject(Conflict):
    """A project already came from this idea."""


@dataclass(frozen=True)
class Member:
    subject: str
    name: str
    email: str
    role: str


def check_stage_move(current: str, target: str) -> None:
    allowed = NEXT_STAGES.get(current, ())
    if target not in allowed:
        raise StageRefused(f"a {current} project cannot move to {target}; "
                           f"next: {', '.join(allowed) or 'none, it has ended'}")


def check_move_says_enough(target: str, said: Mapping[str, Any]) -> None:
    """Approval needs the forum's note, completion its results and learning, stopping a reason."""
    for field in MOVE_NEEDS.get(target, ()):
        if not (said.get(field) or "").strip():
            raise ProjectRefused(field, f"moving a project to {target} needs a {field}")


def check_ready_to_approve(project: Mapping[str, Any]) -> None:
    """Only a project with a complete aim and a lead can be approved (older projects may lack both)."""
    missing = [part for part in AIM_PARTS if project.get(part) in (None, "")]
    if missing:
        raise StageRefused(f"the aim is not complete ({', '.join(missing)}); edit it before approval")
    if not any(member["role"] == LEAD for member in project.get("team") or ()):
        raise StageRefused("the project has no lead; edit its team before approval")


def check_editable(stage: str) -> None:
    if stage in CLOSED:
        raise StageRefused(f"a {stage} project can no longer be changed")


def check_team(team: Iterable[Mapping[str, Any]]) -> None:
    """Exactly one lead, at most one sponsor, each person once."""
    members = list(team)
    roles = [member["role"] for member in members]
    if roles.count(LEAD) != 1:
        raise ProjectRefused("team", "a project has exactly one lead")
    if roles.count(SPONSOR) > 1:
        raise ProjectRefused("team", "a project has at most one sponsor")
    subjects = [member["subject"] for member in members]
    if len(set(subjects)) != len(subjects):
        raise ProjectRefused("team", "each person is on the team once, in one role")


def check_aim(aim: Mapping[str, Any]) -> None:
    if aim.get("aim_baseline") is not None and aim.get("aim_baseline") == aim.get("aim_target"):
        raise ProjectRefused("aim", "the target must differ from the baseline: an aim says by how much")


def check_idea(idea: Mapping[str, Any] | None, idea_id: str) -> None:
    """The idea exists in this service's copy of ideas and was accepted."""
    if idea is None:
        raise ProjectRefused("idea_id", f"no idea {idea_id} is known to have been accepted")
    if idea["stage"] != ACCEPTED:
        raise ProjectRefused("idea_id", f"idea {idea_id} is {idea['stage']}; only an accepted idea becomes a project")


def lead_of(team: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    return next((member for member in team if member["role"] == LEAD), None)


def role_of(team: Iterable[Mapping[str, Any]], subject: str) -> str | None:
    return next((member["role"] for member in team if member["subject"] == subject), None)


def check_may_work_on(team: Iterable[Mapping[str, Any]], subject: str, is_qi_lead: bool,
                      roles: tuple[str, ...] = (LEAD, COACH, MEMBER)) -> None:
    """QI leads work on every project; others only on their own, in one of ``roles``."""
    if is_qi_lead:
        return
    if role_of(team, subject) not in roles:
        raise NotOnTheTeam(f"only a QI lead or the project's {' or '.join(roles)} may do this")
