"""The rules of an idea's life, in plain Python.

Stages: a public idea starts in ``moderation`` (nobody but moderators sees it) and a moderator lets
it through to ``submitted`` or declines it; a staff idea starts ``submitted``. Then
``under_review`` -> ``accepted`` | ``declined`` (a reason is required) | ``merged`` into another
idea (its votes and followers carry over). ``accepted`` becomes ``in_progress`` when a project is
made from it and ``implemented`` when that project completes: both learnt from the projects
service's events, never set by hand. ``declined``, ``merged`` and ``implemented`` are final.

Comments can be edited by their author for ``COMMENT_EDIT_WINDOW`` after they were written; a
moderator may hide one, with a reason. Free text is checked for patient-identifiable data by
``shared.pid_guard`` where it enters (the HTTP schemas' ``FreeText`` fields).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from shared.errors import Conflict, Forbidden, InvalidInput

MODERATION, SUBMITTED, UNDER_REVIEW = "moderation", "submitted", "under_review"
ACCEPTED, DECLINED, MERGED = "accepted", "declined", "merged"
IN_PROGRESS, IMPLEMENTED = "in_progress", "implemented"
STAGES = (MODERATION, SUBMITTED, UNDER_REVIEW, ACCEPTED, DECLINED, MERGED, IN_PROGRESS, IMPLEMENTED)
# The moves a person makes by hand (POST .../stage); merging has its own request, and in_progress
# and implemented come from the projects service's events.
NEXT_STAGES: dict[str, frozenset[str]] = {
    MODERATION: frozenset({SUBMITTED, DECLINED}),
    SUBMITTED: frozenset({UNDER_REVIEW, DECLINED}),
    UNDER_REVIEW: frozenset({ACCEPTED, DECLINED}),
    ACCEPTED: frozenset(),
    DECLINED: frozenset(),
    MERGED: frozenset(),
    IN_PROGRESS: frozenset(),
    IMPLEMENTED: frozenset(),
}
MANUAL_TARGETS = (SUBMITTED, UNDER_REVIEW, ACCEPTED, DECLINED)
MERGEABLE = frozenset({SUBMITTED, UNDER_REVIEW})
FINAL = frozenset({DECLINED, MERGED, IMPLEMENTED})
# The stages the idea.status_changed v1 event (and its consumers) know.
V1_STATUSES = frozenset({SUBMITTED, UNDER_REVIEW, ACCEPTED, DECLINED})

STAFF, ANONYMOUS, PUBLIC = "staff", "anonymous", "public"
CHANNELS = (STAFF, ANONYMOUS, PUBLIC)
COMMENT_EDIT_WINDOW = timedelta(minutes=15)
MODERATOR_ROLES = ("qi_lead", "moderator")
DECIDER_ROLES = ("qi_lead",)  # review and decide; a moderator only lets public ideas through or declines them


class TransitionRefused(Conflict):
    """The idea cannot move to the requested stage from where it is."""


class NotYoursToDecide(Forbidden):
    """A moderator lets public ideas through or declines them; reviewing and deciding is for QI leads."""


class ReasonRequired(InvalidInput):
    """Declining (or hiding a comment) needs a reason the submitter can read."""

    def __init__(self, what: str):
        super().__init__(f"{what} needs a reason", field="reason", reason="required when declining")


class CampaignClosed(Conflict):
    """The campaign named does not take ideas today."""


class MergeRefused(Conflict):
    """The two ideas cannot be merged as asked."""


class VoteRefused(Conflict):
    """Votes and follows are for ideas that are open (not in moderation, merged or final)."""


class CommentLocked(Forbidden):
    """Only the author may edit a comment, within its edit window, and not once hidden."""


def first_stage(channel: str) -> str:
    """Public ideas wait for a moderator; staff ideas (named or anonymous) are submitted at once."""
    return MODERATION if channel == PUBLIC else SUBMITTED


def moves_for(current: str, *, may_decide: bool) -> tuple[str, ...]:
    """The stages a person may move an idea to by hand: QI leads every next stage, a moderator
    only out of moderation."""
    if current != MODERATION and not may_decide:
        return ()
    return tuple(sorted(NEXT_STAGES.get(current, frozenset())))


def check_may_move(current: str, *, may_decide: bool) -> None:
    if current != MODERATION and not may_decide:
        raise NotYoursToDecide(f"an idea that is {current} is reviewed and decided by a QI lead")


def check_transition(current: str, target: str, reason: str | None) -> None:
    if target not in NEXT_STAGES.get(current, frozenset()):
        allowed = ", ".join(sorted(NEXT_STAGES.get(current, ()))) or "none by hand"
        raise TransitionRefused(f"an idea that is {current} cannot become {target}; allowed: {allowed}")
    if target == DECLINED and not (reason or "").strip():
        raise ReasonRequired("declining an idea")


def check_merge(source_id: str, source_stage: str, target_id: str, target_stage: str) -> None:
    if source_id == target_id:
        raise MergeRefused("an idea cannot be merged into itself")
    if source_stage not in MERGEABLE:
        raise MergeRefused(f"an idea that is {source_stage} cannot be merged; only submitted or under review")
    if target_stage in FINAL or target_stage == MODERATION:
        raise MergeRefused(f"the idea to merge into is {target_stage}; choose an open idea")


def check_campaign_open(opens_on: date, closes_on: date, today: date) -> None:
    if not opens_on <= today <= closes_on:
        raise CampaignClosed(f"the campaign takes ideas from {opens_on} to {closes_on}, not on {today}")


def check_open_for_votes(stage: str) -> None:
    if stage == MODERATION or stage in FINAL:
        raise VoteRefused(f"an idea that is {stage} takes no votes or followers")


def check_comment_edit(author: str, editor: str, created_at: datetime, hidden: bool, now: datetime) -> None:
    if author != editor:
        raise CommentLocked("only the author may edit a comment")
    if hidden:
        raise CommentLocked("a hidden comment cannot be edited")
    if now - created_at > COMMENT_EDIT_WINDOW:
        minutes = int(COMMENT_EDIT_WINDOW.total_seconds() // 60)
        raise CommentLocked(f"a comment can be edited for {minutes} minutes after it was written")


def stage_after_project_created(stage: str) -> str | None:
    """An accepted idea is in progress once a project is made from it."""
    return IN_PROGRESS if stage == ACCEPTED else None


def stage_after_project_completed(stage: str) -> str | None:
    return IMPLEMENTED if stage in (ACCEPTED, IN_PROGRESS) else None
