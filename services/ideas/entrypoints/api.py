"""The ideas REST API: ideas from staff (named or anonymous) and the public, their moderation and
review, campaigns and categories, votes, comments, follows, and the similar-ideas search."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

from flask import Flask, current_app, request
from flask_limiter import Limiter

from services.ideas import bootstrap
from services.ideas.adapters import store
from services.ideas.domain.ideas import ANONYMOUS, DECIDER_ROLES, MODERATOR_ROLES, PUBLIC, STAFF
from services.ideas.entrypoints import schemas as s
from services.ideas.service_layer import handlers
from services.ideas.service_layer.handlers import Submitter, Viewer
from shared.db import unit_of_work
from shared.pagination import page, page_of
from shared.rate_limit import STORAGE_URI, client_address
from shared.web import (
    Blueprint,
    build_service_app,
    created,
    current_principal,
    if_match_version,
    public,
    requires_roles,
    requires_sign_in,
    versioned,
)

api = Blueprint("ideas", __name__, url_prefix="/api/v1", description=f"Improvement ideas. {s.NO_PATIENT_DATA}")
PUBLIC_FORM_REASON = ("the public idea form: patients, carers and partners without an account submit an idea; it "
                      "is moderated before anyone else sees it, rate-limited per client, bounded in size, and the "
                      "answer shows only what was sent")
FOLLOW_LINK_REASON = ("the private follow link of an anonymous or public submitter: the token is the credential "
                      "(only its hash is stored) and it shows the idea's stage and history, with no names")


def _uow() -> Any:
    state: bootstrap.Ideas = current_app.extensions["ideas"]
    return unit_of_work(state.pool, bootstrap.SERVICE)


def _viewer() -> Viewer:
    principal = current_principal()
    return Viewer(principal.user, principal.email, principal.has_any(MODERATOR_ROLES), principal.has_any(DECIDER_ROLES))


# -- submitting -----------------------------------------------------------------------------------

@api.route("/ideas", methods=["POST"])
@requires_roles("staff", "qi_lead")
@api.arguments(s.StaffIdeaInSchema)
@api.response(201, s.SubmittedIdeaSchema)
def submit_idea(fields: dict) -> Any:
    """Put forward an idea as yourself, or with `anonymous: true` with your name stored nowhere (you get a
    private follow token). It must not identify any patient."""
    principal = current_principal()
    submitter = Submitter(ANONYMOUS) if fields["anonymous"] else Submitter(STAFF, principal.user, principal.email)
    with _uow() as uow:
        idea, token = handlers.submit_idea(uow, fields, submitter)
    return created({**idea, "follow_token": token}, f"/api/v1/ideas/{idea['id']}")


@api.route("/public/ideas", methods=["POST"])
@public(PUBLIC_FORM_REASON)
@api.arguments(s.PublicIdeaInSchema)
@api.response(201, s.SubmittedIdeaSchema)
@api.alt_response(429, description="Too many ideas from this client: wait the Retry-After seconds")
def submit_public_idea(fields: dict) -> Any:
    """For patients, carers and partners without an account. A moderator reads it before anyone else sees
    it. Name and contact are optional and kept only with `consent: true`. Keep the follow token: your
    private link is /api/v1/followed-ideas/<follow_token>. Limited per client (429 with Retry-After)."""
    submitter = Submitter(PUBLIC, name=fields["name"], contact_email=fields["email"], contact_phone=fields["phone"],
                          consent=fields["consent"])
    with _uow() as uow:
        idea, token = handlers.submit_idea(uow, fields, submitter)
    return created({**idea, "follow_token": token}, f"/api/v1/followed-ideas/{token}")


@api.route("/followed-ideas/<token>", methods=["GET"])
@public(FOLLOW_LINK_REASON)
@api.response(200, s.FollowedIdeaSchema)
def followed_idea(token: str) -> Any:
    """What became of the idea this private follow token was given for."""
    with _uow() as uow:
        return versioned(handlers.followed_idea(uow, token))


@api.route("/ideas/similar", methods=["POST"])
@requires_sign_in
@api.arguments(s.DraftSchema)
@api.response(200, s.SimilarSchema)
def similar_ideas(draft: dict) -> Any:
    """Has someone already done this? The ideas, projects and published stories most like a draft, best
    first (words in common and title similarity), while typing or before submitting."""
    with _uow() as uow:
        return handlers.similar(uow, draft["title"], draft["description"], draft["limit"])


# -- reading --------------------------------------------------------------------------------------

@api.route("/ideas", methods=["GET"])
@requires_sign_in
@api.arguments(s.IdeaQuery, location="query")
@api.response(200, page_of(s.IdeaSchema))
def list_ideas(query: dict) -> Any:
    """Ideas newest first (or `sort=votes`: most votes first), searched by words (`q`) and filtered by
    stage, campaign, directorate and category. Ideas waiting for moderation are listed to moderators only."""
    if not _viewer().is_moderator:
        query = {**query, "visible_to": "staff"}
    listing = store.IDEAS_BY_VOTES if query["sort"] == "votes" else store.IDEAS
    with _uow() as uow:
        return page(uow, listing, query)


@api.route("/ideas/<uuid:idea_id>", methods=["GET"])
@requires_sign_in
@api.response(200, s.IdeaDetailSchema)
def get_idea(idea_id: UUID) -> Any:
    """One idea with every stage it has had, the projects that came of it, and your vote and follow."""
    with _uow() as uow:
        return versioned(handlers.idea_in_full(uow, str(idea_id), _viewer()))


# -- stages ---------------------------------------------------------------------------------------

@api.route("/ideas/<uuid:idea_id>/stage", methods=["POST"])
@requires_roles(*MODERATOR_ROLES)
@api.arguments(s.StageChangeSchema)
@api.response(200, s.IdeaSchema)
def change_stage(change: dict, idea_id: UUID) -> Any:
    """Moderate, review and decide (declining needs a reason). Send If-Match with the ETag to avoid lost
    updates. A moderator lets public ideas through or declines them (403 for any other move); QI leads
    review and decide. The idea's `next_stages` lists the moves open to you."""
    principal = current_principal()
    with _uow() as uow:
        return versioned(handlers.change_stage(uow, str(idea_id), change["stage"], principal.user, change["reason"],
                                               if_match_version(), may_decide=principal.has_any(DECIDER_ROLES)))


@api.route("/ideas/<uuid:idea_id>/merge", methods=["POST"])
@requires_roles("qi_lead")
@api.arguments(s.MergeSchema)
@api.response(200, s.IdeaSchema)
def merge_idea(merge: dict, idea_id: UUID) -> Any:
    """Merge a submitted or under-review idea into another open idea: its votes and followers carry over."""
    with _uow() as uow:
        return versioned(handlers.merge(uow, str(idea_id), str(merge["into_idea_id"]), current_principal().user,
                                        merge["reason"], if_match_version()))


# -- votes and follows ----------------------------------------------------------------------------

@api.route("/ideas/<uuid:idea_id>/vote", methods=["PUT", "DELETE"])
@requires_sign_in
@api.response(200, s.VoteSchema)
def vote(idea_id: UUID) -> Any:
    """PUT: your one vote for the idea (again changes nothing). DELETE: withdraw it."""
    with _uow() as uow:
        return handlers.vote(uow, str(idea_id), _viewer(), request.method == "PUT")


@api.route("/ideas/<uuid:idea_id>/follow", methods=["PUT", "DELETE"])
@requires_sign_in
@api.response(200, s.FollowSchema)
def follow(idea_id: UUID) -> Any:
    """PUT: follow the idea (you are emailed when it moves, at your token's email). DELETE: stop."""
    with _uow() as uow:
        return handlers.follow(uow, str(idea_id), _viewer(), request.method == "PUT")


# -- comments -------------------------------------------------------------------------------------

@api.route("/ideas/<uuid:idea_id>/comments", methods=["POST"])
@requires_sign_in
@api.arguments(s.CommentInSchema)
@api.response(201, s.CommentSchema)
def add_comment(fields: dict, idea_id: UUID) -> Any:
    """Comment on an open idea; its submitter and followers are told."""
    with _uow() as uow:
        comment = handlers.add_comment(uow, str(idea_id), _viewer(), fields["body"])
    return created(comment, f"/api/v1/ideas/{idea_id}/comments")


@api.route("/ideas/<uuid:idea_id>/comments", methods=["GET"])
@requires_sign_in
@api.arguments(s.PageQuery, location="query")
@api.response(200, page_of(s.CommentSchema))
def list_comments(query: dict, idea_id: UUID) -> Any:
    """The idea's comments, oldest first; a hidden one shows who hid it and why, not its text."""
    viewer = _viewer()
    with _uow() as uow:
        handlers.find_idea(uow, str(idea_id), viewer=viewer)
        found = page(uow, store.COMMENTS, query, idea_id=str(idea_id))
    return replace(found, items=[handlers.shown_comment(row, viewer) for row in found.items])


@api.route("/ideas/<uuid:idea_id>/comments/<uuid:comment_id>", methods=["PATCH"])
@requires_sign_in
@api.arguments(s.CommentInSchema)
@api.response(200, s.CommentSchema)
def edit_comment(fields: dict, idea_id: UUID, comment_id: UUID) -> Any:
    """The author edits their comment within 15 minutes of writing it (403 after, or once hidden).
    Send If-Match with its ETag."""
    with _uow() as uow:
        return versioned(handlers.edit_comment(uow, str(idea_id), str(comment_id), _viewer(), fields["body"],
                                               if_match_version()))


@api.route("/ideas/<uuid:idea_id>/comments/<uuid:comment_id>/hide", methods=["POST"])
@requires_roles(*MODERATOR_ROLES)
@api.arguments(s.HideSchema)
@api.response(200, s.CommentSchema)
def hide_comment(fields: dict, idea_id: UUID, comment_id: UUID) -> Any:
    """A moderator hides a comment, with a reason everyone sees; the text stays for moderators."""
    with _uow() as uow:
        return versioned(handlers.hide_comment(uow, str(idea_id), str(comment_id), current_principal().user,
                                               fields["reason"]))


# -- campaigns and categories ---------------------------------------------------------------------

@api.route("/campaigns", methods=["POST"])
@requires_roles("qi_lead")
@api.arguments(s.CampaignInSchema)
@api.response(201, s.CampaignSchema)
def create_campaign(fields: dict) -> Any:
    """A campaign asks for ideas on a theme, from a sponsor, between two dates, in a directorate or trust-wide."""
    with _uow() as uow:
        campaign = handlers.create_campaign(uow, fields, current_principal().user)
    return created(campaign, f"/api/v1/campaigns/{campaign['id']}")


@api.route("/campaigns", methods=["GET"])
@requires_sign_in
@api.arguments(s.PageQuery, location="query")
@api.response(200, page_of(s.CampaignSchema))
def list_campaigns(query: dict) -> Any:
    """Campaigns, the latest to open first."""
    with _uow() as uow:
        return page(uow, store.CAMPAIGNS, query)


@api.route("/campaigns/<uuid:campaign_id>", methods=["GET"])
@requires_sign_in
@api.response(200, s.CampaignSchema)
def get_campaign(campaign_id: UUID) -> Any:
    with _uow() as uow:
        return versioned(handlers.find_campaign(uow, str(campaign_id)))


@api.route("/categories", methods=["GET"])
@requires_sign_in
@api.response(200, s.CategoriesSchema)
def list_categories() -> Any:
    """Every category an idea may have (a short list, in code order, so not paged)."""
    with _uow() as uow:
        return {"items": store.categories(uow)}


def create_app(app_state: bootstrap.Ideas | None = None) -> Flask:
    state = app_state or bootstrap.build()
    app = build_service_app(
        state,
        title="WTGR ideas",
        description=f"Improvement ideas from staff, patients and partners: moderation, review, campaigns, votes, "
                    f"comments and follows. {s.NO_PATIENT_DATA}",
        blueprints=[api],
    )
    _limit_public_form(app, state)
    return app


def _limit_public_form(app: Flask, state: bootstrap.Ideas) -> None:
    """The public form is limited per client address, counted in PostgreSQL so that every gunicorn
    worker and host shares the count (shared/rate_limit.py); 429 with Retry-After when over."""
    # (A state without a pool, as the route-checking tests build, gets a storage that is never used.)
    app.config.update(RATELIMIT_STORAGE_URI=STORAGE_URI,
                      RATELIMIT_STORAGE_OPTIONS={"pool": getattr(state, "pool", None)},
                      RATELIMIT_STRATEGY="fixed-window", RATELIMIT_HEADERS_ENABLED=True)
    limiter = Limiter(client_address, app=app, default_limits=[])
    rate = getattr(state, "public_idea_rate", bootstrap.PUBLIC_IDEA_RATE)
    endpoint = "ideas.submit_public_idea"  # wrapped where the app calls it; its auth mark is copied over
    app.view_functions[endpoint] = limiter.limit(rate)(app.view_functions[endpoint])  # type: ignore[assignment]
