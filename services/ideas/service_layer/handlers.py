"""The ideas service layer: commands and events in, state changes and events out.

Each function runs inside one unit of work, so its rows and the events it emits commit together.
Events follow the improvement cycle's contract: every one that should email someone carries
``audience`` (the submitter when they can be reached, and the followers), ``title`` and ``path``.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.ideas.adapters import store
from services.ideas.domain import ideas as rules
from shared import audit, topics
from shared.consumer import RejectEvent
from shared.db import UnitOfWork
from shared.errors import InvalidInput, NotFound, StaleVersion
from shared.events import Envelope

Row = dict[str, Any]


class IdeaNotFound(NotFound):
    """No idea has that id (or the caller may not see it yet: it waits for moderation)."""


class CampaignNotFound(NotFound):
    """No campaign has that id."""


class CommentNotFound(NotFound):
    """The idea has no comment with that id."""


class UnknownCategory(InvalidInput):
    def __init__(self, code: str):
        super().__init__(f"there is no category {code}", field="category", reason="not a known category")


@dataclass(frozen=True)
class Submitter:
    """Who submits: a staff member by name, a staff member anonymously (nothing about them is kept)
    or a member of the public (a name and contact only with consent)."""

    channel: str
    user: str | None = None
    email: str | None = None
    name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    consent: bool = False


@dataclass(frozen=True)
class Viewer:
    user: str
    email: str | None
    is_moderator: bool
    may_decide: bool = False  # a QI lead (or admin): reviews and decides, beyond moderation


def path_of(idea_id: Any) -> str:
    return f"/ideas/{idea_id}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- submitting -----------------------------------------------------------------------------------

def submit_idea(uow: UnitOfWork, fields: Row, submitter: Submitter) -> tuple[Row, str | None]:
    """Store the idea at its first stage; anonymous and public submitters get a private follow token
    (only its hash is kept). Returns the idea and the token, if any."""
    campaign_id = fields.get("campaign_id")
    directorate = fields.get("directorate")
    if campaign_id is not None:
        campaign = find_campaign(uow, str(campaign_id))
        rules.check_campaign_open(campaign["opens_on"], campaign["closes_on"], store.today(uow))
        directorate = directorate or campaign["directorate"]
    if fields.get("category") and store.category(uow, fields["category"]) is None:
        raise UnknownCategory(fields["category"])
    token = secrets.token_urlsafe(24) if submitter.channel != rules.STAFF else None
    stage = rules.first_stage(submitter.channel)
    idea = store.add_idea(uow, {
        "id": str(uuid.uuid4()), "title": fields["title"], "description": fields["description"],
        "submitted_by": submitter.user if submitter.channel == rules.STAFF else None,
        "submitter_email": submitter.email if submitter.channel == rules.STAFF else None,
        "stage": stage, "channel": submitter.channel,
        "visible_to": "moderators" if stage == rules.MODERATION else "staff",
        "campaign_id": campaign_id, "category": fields.get("category"), "directorate": directorate,
        "follow_token_hash": hash_token(token) if token else None,
    })
    if submitter.channel == rules.PUBLIC:
        store.add_contact(uow, str(idea["id"]), *_consented_contact(submitter), submitter.consent)
    uow.emit("idea.submitted", {
        "idea_id": idea["id"], "title": idea["title"], "description": idea["description"],
        "submitted_by": idea["submitted_by"] or submitter.channel, "channel": submitter.channel, "stage": stage,
        "campaign_id": campaign_id, "directorate": directorate, "category": idea["category"],
        "audience": _submitter_audience(uow, {**idea, "submitter_email": submitter.email}),
        "path": path_of(idea["id"]),
    }, topic=topics.IDEAS, key=str(idea["id"]), version=2)
    return idea, token


def _consented_contact(submitter: Submitter) -> tuple[str | None, str | None, str | None]:
    if not submitter.consent:
        return None, None, None
    return submitter.name, submitter.contact_email, submitter.contact_phone


# -- who to tell ----------------------------------------------------------------------------------

def _submitter_audience(uow: UnitOfWork, idea: Row) -> list[Row]:
    if idea["channel"] == rules.STAFF:
        email = idea.get("submitter_email")
        return [{"email": email, "name": None, "relation": "submitter"}] if email else []
    if idea["channel"] == rules.PUBLIC:
        contact = store.contact(uow, str(idea["id"]))
        if contact and contact["consent"] and contact["email"]:
            return [{"email": contact["email"], "name": contact["name"], "relation": "submitter"}]
    return []


def audience_of(uow: UnitOfWork, idea: Row) -> list[Row]:
    """The submitter (when they can be reached) and every follower, each address once."""
    audience = _submitter_audience(uow, idea)
    audience += [{"email": row["email"], "name": None, "relation": "follower"}
                 for row in store.followers(uow, str(idea["id"])) if row["email"]]
    unique: dict[str, Row] = {}
    for member in audience:
        unique.setdefault(member["email"], member)
    return list(unique.values())


# -- stages ---------------------------------------------------------------------------------------

def change_stage(uow: UnitOfWork, idea_id: str, target: str, changed_by: str, reason: str | None,
                 expected_version: int | None, *, may_decide: bool = True) -> Row:
    """Move the idea along by hand (moderation, review, decision) and announce it; without
    ``may_decide`` (a moderator who is no QI lead) only out of moderation."""
    idea = _idea_for_change(uow, idea_id, expected_version)
    rules.check_may_move(idea["stage"], may_decide=may_decide)
    rules.check_transition(idea["stage"], target, reason)
    changed = store.set_stage(uow, idea_id, target, changed_by, reason)
    audit.record(uow, "idea.stage_changed", "idea", idea_id, before_version=idea["version"],
                 after_version=changed["version"])
    _announce_stage(uow, idea, target, changed_by, reason)
    return changed


def _idea_for_change(uow: UnitOfWork, idea_id: str, expected_version: int | None) -> Row:
    idea = find_idea(uow, idea_id, for_update=True)
    if expected_version is not None and idea["version"] != expected_version:
        raise StaleVersion(f"the idea is at version {idea['version']}, not {expected_version}")
    return idea


def _announce_stage(uow: UnitOfWork, idea: Row, target: str, changed_by: str, reason: str | None) -> None:
    idea_id, audience = str(idea["id"]), audience_of(uow, idea)
    uow.emit("idea.stage_changed", {
        "idea_id": idea_id, "title": idea["title"], "from_stage": idea["stage"], "to_stage": target,
        "reason": reason, "changed_by": changed_by, "channel": idea["channel"], "audience": audience,
        "path": path_of(idea_id)}, topic=topics.IDEAS, key=idea_id)
    if idea["stage"] in rules.V1_STATUSES and target in rules.V1_STATUSES:
        uow.emit("idea.status_changed", {"idea_id": idea_id, "title": idea["title"], "from_status": idea["stage"],
                                         "to_status": target, "changed_by": changed_by, "reason": reason},
                 topic=topics.IDEAS, key=idea_id)
    if target == rules.ACCEPTED:
        uow.emit("idea.accepted", {
            "idea_id": idea_id, "title": idea["title"], "description": idea["description"],
            "submitted_by": idea["submitted_by"] or idea["channel"], "accepted_by": changed_by,
            "channel": idea["channel"], "directorate": idea["directorate"], "audience": audience,
            "path": path_of(idea_id)}, topic=topics.IDEAS, key=idea_id, version=2)


def merge(uow: UnitOfWork, idea_id: str, into_id: str, changed_by: str, reason: str | None,
          expected_version: int | None) -> Row:
    """Merge the idea into another: its votes and followers carry over, it becomes ``merged``."""
    idea = _idea_for_change(uow, idea_id, expected_version)
    into = find_idea(uow, into_id, for_update=True)
    rules.check_merge(idea_id, idea["stage"], into_id, into["stage"])
    store.move_votes_and_followers(uow, idea_id, into_id)
    store.recount_votes(uow, into_id)
    changed = store.set_stage(uow, idea_id, rules.MERGED, changed_by, reason, merged_into=into_id)
    audit.record(uow, "idea.merged", "idea", idea_id, before_version=idea["version"],
                 after_version=changed["version"])
    _announce_stage(uow, idea, rules.MERGED, changed_by, reason)
    uow.emit("idea.merged", {"idea_id": idea_id, "into_idea_id": into_id, "title": idea["title"],
                             "into_title": into["title"], "reason": reason, "changed_by": changed_by,
                             "audience": audience_of(uow, idea), "path": path_of(into_id)},
             topic=topics.IDEAS, key=idea_id)
    return changed


# -- reading --------------------------------------------------------------------------------------

def find_idea(uow: UnitOfWork, idea_id: str, *, for_update: bool = False, viewer: Viewer | None = None) -> Row:
    idea = store.idea(uow, idea_id, for_update=for_update)
    if idea is None or (viewer is not None and not viewer.is_moderator and idea["visible_to"] != "staff"):
        raise IdeaNotFound(f"idea {idea_id} not found")
    return idea


def idea_in_full(uow: UnitOfWork, idea_id: str, viewer: Viewer) -> Row:
    """The idea with its history, what it became (projects, stories), follower count, the viewer's own
    vote and follow and the moves open to them; moderators also see a public submitter's contact (the
    read is audited)."""
    idea = find_idea(uow, idea_id, viewer=viewer)
    projects, stories = store.outcomes(uow, idea_id)
    full = {**idea, "history": store.history(uow, idea_id), "project_ids": [row["project_id"] for row in projects],
            "projects": projects, "stories": stories,
            "followers": store.follower_count(uow, idea_id), "voted": store.has_voted(uow, idea_id, viewer.user),
            "following": store.is_following(uow, idea_id, viewer.user), "contact": None,
            "next_stages": rules.moves_for(idea["stage"], may_decide=viewer.may_decide) if viewer.is_moderator
            else ()}
    if viewer.is_moderator and idea["channel"] == rules.PUBLIC:
        contact = store.contact(uow, idea_id)
        if contact and contact["consent"]:
            audit.record_contact_details_read(uow, "idea_submitter", idea_id)
            full["contact"] = contact
    return full


def followed_idea(uow: UnitOfWork, token: str) -> Row:
    """The idea a private follow token was given for, with its stage history (no names)."""
    idea = store.idea_by_follow_token(uow, hash_token(token))
    if idea is None:
        raise IdeaNotFound("no idea has that follow token")
    history = [{**row, "changed_by": None} for row in store.history(uow, str(idea["id"]))]
    return {**idea, "history": history, "project_ids": store.project_ids(uow, str(idea["id"]))}


def similar(uow: UnitOfWork, title: str, description: str, limit: int) -> Row:
    return {kind: store.similar(uow, kind, title, description, limit) for kind in ("ideas", "projects", "stories")}


# -- votes and follows ----------------------------------------------------------------------------

def vote(uow: UnitOfWork, idea_id: str, viewer: Viewer, wanted: bool) -> Row:
    """One vote per person; voting again or withdrawing a vote not given changes nothing."""
    idea = find_idea(uow, idea_id, for_update=True, viewer=viewer)
    if wanted:
        rules.check_open_for_votes(idea["stage"])
        store.add_vote(uow, idea_id, viewer.user)
    else:
        store.remove_vote(uow, idea_id, viewer.user)
    return {"idea_id": idea_id, "votes": store.recount_votes(uow, idea_id), "voted": wanted}


def follow(uow: UnitOfWork, idea_id: str, viewer: Viewer, wanted: bool) -> Row:
    idea = find_idea(uow, idea_id, viewer=viewer)
    if wanted:
        rules.check_open_for_votes(idea["stage"])
        store.add_follower(uow, idea_id, viewer.user, viewer.email)
    else:
        store.remove_follower(uow, idea_id, viewer.user)
    return {"idea_id": idea_id, "followers": store.follower_count(uow, idea_id), "following": wanted}


# -- comments -------------------------------------------------------------------------------------

def add_comment(uow: UnitOfWork, idea_id: str, viewer: Viewer, body: str) -> Row:
    idea = find_idea(uow, idea_id, viewer=viewer)
    rules.check_open_for_votes(idea["stage"])
    comment = store.add_comment(uow, str(uuid.uuid4()), idea_id, viewer.user, body)
    audience = [member for member in audience_of(uow, idea) if member["email"] != viewer.email]
    uow.emit("idea.commented", {"idea_id": idea_id, "comment_id": comment["id"], "title": idea["title"],
                                "author": viewer.user, "audience": audience, "path": path_of(idea_id)},
             topic=topics.IDEAS, key=idea_id)
    return comment


def edit_comment(uow: UnitOfWork, idea_id: str, comment_id: str, viewer: Viewer, body: str,
                 expected_version: int | None, now: datetime | None = None) -> Row:
    comment = _find_comment(uow, idea_id, comment_id, for_update=True)
    if expected_version is not None and comment["version"] != expected_version:
        raise StaleVersion(f"the comment is at version {comment['version']}, not {expected_version}")
    rules.check_comment_edit(comment["author"], viewer.user, comment["created_at"], comment["hidden_at"] is not None,
                             now or comment["now"])
    return store.edit_comment(uow, comment_id, body)


def hide_comment(uow: UnitOfWork, idea_id: str, comment_id: str, hidden_by: str, reason: str) -> Row:
    comment = _find_comment(uow, idea_id, comment_id, for_update=True)
    if not reason.strip():
        raise rules.ReasonRequired("hiding a comment")
    hidden = store.hide_comment(uow, comment_id, hidden_by, reason)
    audit.record(uow, "idea.comment_hidden", "idea_comment", comment_id, before_version=comment["version"],
                 after_version=hidden["version"])
    return hidden


def _find_comment(uow: UnitOfWork, idea_id: str, comment_id: str, *, for_update: bool = False) -> Row:
    comment = store.comment(uow, idea_id, comment_id, for_update=for_update)
    if comment is None:
        raise CommentNotFound(f"idea {idea_id} has no comment {comment_id}")
    return comment


def shown_comment(comment: Row, viewer: Viewer) -> Row:
    """A hidden comment's text is shown to moderators only; everyone sees that it was hidden and why."""
    if comment["hidden_at"] is not None and not viewer.is_moderator:
        return {**comment, "body": None}
    return comment


# -- campaigns ------------------------------------------------------------------------------------

def create_campaign(uow: UnitOfWork, fields: Row, created_by: str) -> Row:
    if fields["closes_on"] < fields["opens_on"]:
        raise InvalidInput("a campaign closes on or after the day it opens", field="closes_on",
                           reason="must be on or after opens_on")
    return store.add_campaign(uow, {**fields, "id": str(uuid.uuid4()), "created_by": created_by})


def find_campaign(uow: UnitOfWork, campaign_id: str) -> Row:
    campaign = store.campaign(uow, campaign_id)
    if campaign is None:
        raise CampaignNotFound(f"campaign {campaign_id} not found")
    return campaign


# -- events from projects and stories ---------------------------------------------------------------

def on_project_created(uow: UnitOfWork, event: Envelope, payload: Row) -> None:
    """Remember the project for the similar-ideas search; a project made from an idea links to it,
    and an accepted idea is then in progress."""
    _remember_project(uow, payload, payload.get("stage") or "submitted")
    idea_id = payload.get("idea_id")
    if idea_id is None:
        return
    idea = store.idea(uow, str(idea_id), for_update=True)
    if idea is None:
        raise RejectEvent(f"project {payload['project_id']} names idea {idea_id}, which does not exist")
    store.link_project(uow, str(idea_id), str(payload["project_id"]), payload["title"])
    _follow_project(uow, idea, rules.stage_after_project_created(idea["stage"]), payload)


def on_project_stage_changed(uow: UnitOfWork, event: Envelope, payload: Row) -> None:
    _remember_project(uow, payload, payload["to_stage"])


def on_project_completed(uow: UnitOfWork, event: Envelope, payload: Row) -> None:
    """The idea a completed project came from is implemented."""
    _remember_project(uow, payload, "completed")
    idea_id = payload.get("idea_id") or store.idea_of_project(uow, str(payload["project_id"]))
    idea = store.idea(uow, str(idea_id), for_update=True) if idea_id else None
    if idea is not None:
        _follow_project(uow, idea, rules.stage_after_project_completed(idea["stage"]), payload)


def _remember_project(uow: UnitOfWork, payload: Row, stage: str) -> None:
    summary = payload.get("aim") or payload.get("results") or ""
    store.upsert_project(uow, {"project_id": str(payload["project_id"]), "title": payload["title"],
                               "summary": summary if isinstance(summary, str) else "",
                               "idea_id": _text_or_none(payload.get("idea_id")),
                               "directorate": payload.get("directorate"), "stage": stage})


def _follow_project(uow: UnitOfWork, idea: Row, target: str | None, payload: Row) -> None:
    if target is None:
        return
    store.set_stage(uow, str(idea["id"]), target, "projects", f"project {payload['title']}")
    _announce_stage(uow, idea, target, "projects", f"project: {payload['title']}")


def on_story_published(uow: UnitOfWork, event: Envelope, payload: Row) -> None:
    store.upsert_story(uow, {"story_id": str(payload["story_id"]), "slug": payload["slug"], "title": payload["title"],
                             "summary": payload.get("summary") or "",
                             "project_id": _text_or_none(payload.get("project_id")),
                             "idea_id": _text_or_none(payload.get("idea_id"))})


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


EVENT_HANDLERS = {
    "project.created": on_project_created,
    "project.stage_changed": on_project_stage_changed,
    "project.completed": on_project_completed,
    "story.published": on_story_published,
}
