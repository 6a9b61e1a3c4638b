"""The stories REST API: success stories (drafted, edited, published, read by permalink) and the
tools library (templates, guides, video links and courses, with bounded file uploads)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Flask, Response, current_app, g, request

from services.stories import bootstrap
from services.stories.adapters import store
from services.stories.entrypoints.schemas import (
    EditorStoryQuery,
    EditorStorySummarySchema,
    IdeaStoryQuery,
    ResourceEditSchema,
    ResourceInSchema,
    ResourceQuery,
    ResourceSchema,
    ResourceSummarySchema,
    StoryEditSchema,
    StoryInSchema,
    StoryQuery,
    StorySchema,
    StorySummarySchema,
)
from services.stories.service_layer import handlers
from shared.db import unit_of_work
from shared.errors import TooLarge
from shared.pagination import page, page_of
from shared.pid_guard import DESCRIPTION as NO_PATIENT_DATA
from shared.web import (
    PROBLEM,
    Blueprint,
    ProblemSchema,
    build_service_app,
    created,
    current_principal,
    if_match_version,
    requires_roles,
    requires_sign_in,
    versioned,
)

EDITORS = handlers.EDITOR_ROLES
stories = Blueprint("stories", __name__, url_prefix="/api/v1", description=(
    f"Success stories of completed QI projects, and lineage to their ideas. {NO_PATIENT_DATA}"))
tools = Blueprint("tools", __name__, url_prefix="/api/v1", description="The tools library: templates, guides, "
                  "video links and courses for improvement work.")
PUBLIC_READS = "published stories and the tools library, opened to everyone by WTGR_STORIES_PUBLIC"
FILE_TYPES = {"application/pdf", "text/markdown", "image/png"}  # a few of domain.resources.CONTENT_TYPES, for the docs


def _state() -> bootstrap.Stories:
    return current_app.extensions["stories"]


def _uow() -> Any:
    return unit_of_work(_state().pool, bootstrap.SERVICE)


def _is_editor() -> bool:
    principal = g.get("principal")
    return principal is not None and principal.has_any(EDITORS)


def _story_body(story: store.Story, uow: Any = None) -> dict[str, Any]:
    """The story as the API shows it; with ``uow``, whether its project's improvement was sustained."""
    held = handlers.sustainment_of(uow, str(story.project_id) if story.project_id else None) if uow else None
    return {**vars(story), "has_chart_svg": story.chart_svg is not None,
            "sustainment": vars(held) if held else None}


# -- stories ---------------------------------------------------------------------------------------

@stories.route("/stories", methods=["POST"])
@requires_roles(*EDITORS)
@stories.arguments(StoryInSchema)
@stories.response(201, StorySchema)
def write_story(fields: dict) -> Any:
    """Write a story by hand (an improvement made before the platform, say); it starts as a draft."""
    principal = current_principal()
    with _uow() as uow:
        story = handlers.draft_story_by_hand(uow, fields, principal.user, principal.email)
    return created(_story_body(story), f"/api/v1/stories/{story.id}")


@stories.route("/stories", methods=["GET"])
@requires_sign_in
@stories.arguments(StoryQuery, location="query")
@stories.response(200, page_of(StorySummarySchema))
def list_published_stories(query: dict) -> Any:
    """Published stories, newest published first; optionally only those with one tag, or with words."""
    with _uow() as uow:
        return page(uow, store.PUBLISHED_STORIES, query, tag=query.get("tag") or store.ALL_TAGS)


@stories.route("/stories/editing", methods=["GET"])
@requires_roles(*EDITORS)
@stories.arguments(EditorStoryQuery, location="query")
@stories.response(200, page_of(EditorStorySummarySchema))
def list_all_stories(query: dict) -> Any:
    """Every story, drafts included, newest first (for editors); optionally one state, or with words."""
    with _uow() as uow:
        return page(uow, store.STORIES, query)


@stories.route("/stories/<uuid:story_id>", methods=["GET"])
@requires_sign_in
@stories.response(200, StorySchema)
def get_story(story_id: UUID) -> Any:
    """One story. A draft is seen only by editors (QI leads, communications editors): 404 for others."""
    with _uow() as uow:
        story = handlers.readable_story(store.story(uow, str(story_id)), _is_editor(), str(story_id))
        return versioned(_story_body(story, uow))


@stories.route("/stories/by-slug/<string(maxlength=80):slug>", methods=["GET"])
@requires_sign_in
@stories.response(200, StorySchema)
def get_story_by_permalink(slug: str) -> Any:
    """The story at a permalink (/stories/<slug> on the portal); drafts for editors only."""
    with _uow() as uow:
        story = handlers.readable_story(store.story_by_slug(uow, slug), _is_editor(), f"at {slug}")
        return versioned(_story_body(story, uow))


@stories.route("/stories/<uuid:story_id>/chart.svg", methods=["GET"])
@requires_sign_in
@stories.response(200, {"type": "string"}, content_type="image/svg+xml", description=(
    "The before/after chart as accessible SVG (role=img, title, desc); 404 when the story has none"))
def get_story_chart(story_id: UUID) -> Any:
    """The story's before/after chart of its outcome measure, drawn when its project completed."""
    with _uow() as uow:
        story = handlers.readable_story(store.story(uow, str(story_id)), _is_editor(), str(story_id))
    if story.chart_svg is None:
        raise handlers.StoryNotFound(f"story {story_id} has no chart")
    return Response(story.chart_svg, mimetype="image/svg+xml")


@stories.route("/stories/<uuid:story_id>", methods=["PATCH"])
@requires_roles(*EDITORS)
@stories.arguments(StoryEditSchema)
@stories.response(200, StorySchema)
def edit_story(changes: dict, story_id: UUID) -> Any:
    """Edit a story, draft or published (send If-Match with its ETag). Its permalink never changes."""
    with _uow() as uow:
        story = handlers.edit_story(uow, str(story_id), changes, if_match_version())
    return versioned(_story_body(story))


@stories.route("/stories/<uuid:story_id>/publication", methods=["POST"])
@requires_roles(*EDITORS)
@stories.response(200, StorySchema)
def publish_story(story_id: UUID) -> Any:
    """Publish a draft (send If-Match with its ETag): readable by all staff at its permalink, and
    story.published tells the idea's submitter, the team and followers. 409 when published already."""
    with _uow() as uow:
        story = handlers.publish_story(uow, str(story_id), current_principal().user, if_match_version())
    return versioned(_story_body(story))


@stories.route("/projects/<uuid:project_id>/story", methods=["GET"])
@requires_sign_in
@stories.response(200, StorySchema)
def get_story_of_project(project_id: UUID) -> Any:
    """The story of a completed project (lineage); 404 when it has none, or it is a draft and you are no editor."""
    with _uow() as uow:
        story = handlers.readable_story(store.story_of_project(uow, str(project_id)), _is_editor(),
                                        f"of project {project_id}")
        return versioned(_story_body(story, uow))


@stories.route("/ideas/<uuid:idea_id>/stories", methods=["GET"])
@requires_sign_in
@stories.arguments(IdeaStoryQuery, location="query")
@stories.response(200, page_of(StorySummarySchema))
def list_stories_of_idea(query: dict, idea_id: UUID) -> Any:
    """The published stories an idea became, through its projects or by hand (lineage), newest first."""
    with _uow() as uow:
        return page(uow, store.IDEA_STORIES, {**query, "state": "published"}, idea_id=str(idea_id))


# -- the tools library -----------------------------------------------------------------------------

@tools.route("/resources", methods=["POST"])
@requires_roles(*EDITORS)
@tools.arguments(ResourceInSchema)
@tools.response(201, ResourceSchema)
def add_resource(fields: dict) -> Any:
    """Add a resource to the library (a file can be uploaded to it next); resource.published tells the portal."""
    with _uow() as uow:
        resource = handlers.add_resource(uow, fields, current_principal().user)
    return created(vars(resource), f"/api/v1/resources/{resource.id}")


@tools.route("/resources", methods=["GET"])
@requires_sign_in
@tools.arguments(ResourceQuery, location="query")
@tools.response(200, page_of(ResourceSummarySchema))
def list_resources(query: dict) -> Any:
    """The library, A to Z by title; optionally one kind, one tag, words, or any of them together."""
    with _uow() as uow:
        if query.get("tag"):
            return page(uow, store.TAGGED_RESOURCES, query, tag=query["tag"])
        return page(uow, store.RESOURCES, query)


@tools.route("/resources/<uuid:resource_id>", methods=["GET"])
@requires_sign_in
@tools.response(200, ResourceSchema)
def get_resource(resource_id: UUID) -> Any:
    """One resource, with its text and the description of its file."""
    with _uow() as uow:
        return versioned(vars(handlers.find_resource(uow, str(resource_id))))


@tools.route("/resources/by-slug/<string(maxlength=80):slug>", methods=["GET"])
@requires_sign_in
@tools.response(200, ResourceSchema)
def get_resource_by_permalink(slug: str) -> Any:
    """The resource at a permalink (/tools/<slug> on the portal, the path resource.published names)."""
    with _uow() as uow:
        return versioned(vars(handlers.resource_at(uow, slug)))


@tools.route("/resources/<uuid:resource_id>", methods=["PATCH"])
@requires_roles(*EDITORS)
@tools.arguments(ResourceEditSchema)
@tools.response(200, ResourceSchema)
def edit_resource(changes: dict, resource_id: UUID) -> Any:
    """Edit a resource (send If-Match with its ETag); its kind stays."""
    with _uow() as uow:
        return versioned(vars(handlers.edit_resource(uow, str(resource_id), changes, if_match_version())))


@tools.route("/resources/<uuid:resource_id>/file", methods=["PUT"])
@requires_roles(*EDITORS)
@tools.doc(requestBody={"required": True, "description": (
    "The file's bytes, sent as the body with its Content-Type (PDF, Word, Excel, PowerPoint, OpenDocument, "
    "plain text, Markdown, CSV, PNG or JPEG). Larger than the library's bound (WTGR_STORIES_MAX_FILE_BYTES, "
    "2 MiB by default): 413. Another type, an empty file, or a video link or course (links only): 422."),
    "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in sorted(FILE_TYPES)}})
@tools.response(200, ResourceSchema)
@tools.alt_response(413, schema=ProblemSchema, content_type=PROBLEM,
                    description="the file is larger than the library keeps")
def upload_resource_file(resource_id: UUID) -> Any:
    """Upload the resource's file (replacing any before it); send If-Match with its ETag."""
    limit = _state().options.max_file_bytes
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"the file is {request.content_length} bytes; the library keeps files of at most {limit} bytes")
    request.max_content_length = limit + 1  # a body without a length is cut off here (413) too
    content = request.get_data(cache=False)
    content_type = (request.mimetype or "").lower()
    with _uow() as uow:
        resource = handlers.upload_file(uow, str(resource_id), content_type, content, limit,
                                        current_principal().user, if_match_version())
    return versioned(vars(resource))


@tools.route("/resources/<uuid:resource_id>/file", methods=["GET"])
@requires_sign_in
@tools.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream",
                description="the file, with its own Content-Type and Content-Disposition: attachment")
def download_resource_file(resource_id: UUID) -> Any:
    """Download the resource's file; 404 when it holds none."""
    with _uow() as uow:
        file = handlers.resource_file(uow, str(resource_id))
    return Response(file.content, mimetype=file.content_type, headers={
        "Content-Disposition": f'attachment; filename="{file.file_name}"',
        "ETag": f'"{file.sha256}"',
    })


READ_ENDPOINTS = ("stories.list_published_stories", "stories.get_story", "stories.get_story_by_permalink",
                  "stories.get_story_chart", "stories.get_story_of_project", "stories.list_stories_of_idea",
                  "tools.list_resources", "tools.get_resource", "tools.get_resource_by_permalink",
                  "tools.download_resource_file")


def create_app(app_state: bootstrap.Stories | None = None) -> Flask:
    state = app_state or bootstrap.build()
    options: bootstrap.Options = getattr(state, "options", None) or bootstrap.Options.from_env()
    return build_service_app(
        state,
        title="WTGR stories",
        description=f"Success stories of the trust's improvement work and the tools library. {NO_PATIENT_DATA}",
        blueprints=[stories, tools],
        opened={endpoint: PUBLIC_READS for endpoint in READ_ENDPOINTS} if options.public_reads else None,
    )
