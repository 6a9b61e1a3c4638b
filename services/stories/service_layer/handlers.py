"""The stories service layer: commands and events in, state changes and events out.

Each function runs inside one unit of work, so its rows and the events it emits commit together.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from services.stories.adapters import store
from services.stories.adapters.chart_svg import chart_table, render_before_after_svg
from services.stories.domain import resources as library
from services.stories.domain.before_after import before_after
from services.stories.domain.stories import (
    PUBLISHED,
    Completion,
    check_publishable,
    clean_tags,
    draft_tags,
    numbered_slug,
    slug_for,
    summary_of,
)
from services.stories.domain.sustainment import Sustainment, earlier_slip, sustainment
from shared import audit, topics
from shared.db import UnitOfWork
from shared.errors import NotFound, StaleVersion
from shared.events import Envelope
from shared.pid_guard import check_free_text

EDITOR_ROLES = ("qi_lead", "comms_editor")


class StoryNotFound(NotFound):
    """No story has that id or slug (or the caller may not see it yet)."""


class ResourceNotFound(NotFound):
    """No resource has that id, or it holds no file."""


# -- stories ---------------------------------------------------------------------------------------

def on_project_completed(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
    """Draft the project's story (once): its aim and results, team, learning and the before/after
    chart of its outcome measure from this service's own copy of the series. When it completed, and
    its outcome series, are kept for the story to say whether the improvement was sustained."""
    project_id = str(payload["project_id"])
    store.record_completion(uow, project_id, date.fromisoformat(event.time[:10]), payload.get("outcome"))
    if store.story_of_project(uow, project_id) is not None:
        return
    completion = Completion(payload["title"], payload.get("aim") or "", payload.get("results") or "",
                            payload.get("learning") or "", payload.get("directorate"), tuple(payload.get("cqc") or ()))
    team = payload.get("team") or []
    fields: dict[str, Any] = {
        "title": completion.title[:200],
        "summary": summary_of(completion)[:4000],
        "learning": completion.learning[:10_000],
        "team": [{"name": member.get("name") or member["subject"], "role": member["role"]} for member in team],
        "tags": draft_tags(completion),
        "origin": "project",
        "project_id": project_id,
        "idea_id": str(payload["idea_id"]) if payload.get("idea_id") else None,
        "audience": [_plain(member) for member in payload.get("audience") or []],
        "editors": [{"email": m["email"], "name": m.get("name"), "relation": "lead"}
                    for m in team if m.get("role") == "lead" and m.get("email")],
        **_outcome_chart(uow, project_id, completion.title, payload.get("outcome")),
    }
    _draft(uow, fields, str(payload["completed_by"]))


def _outcome_chart(uow: UnitOfWork, project_id: str, title: str, outcome: dict[str, Any] | None) -> dict[str, Any]:
    if not outcome:
        return {}
    kpi_code, unit_code = outcome["kpi_code"], outcome["unit_code"]
    known = store.series(uow, kpi_code, unit_code)
    chart = before_after(kpi_code, unit_code, known.name if known else kpi_code,
                         known.unit_of_measure if known else "", known.values if known else [],
                         store.project_start(uow, project_id))
    return {"chart": chart_table(chart),
            "chart_svg": render_before_after_svg(chart, title=f"{title}: before and after")}


def draft_story_by_hand(uow: UnitOfWork, fields: dict[str, Any], author: str, author_email: str | None) -> store.Story:
    """A story of an improvement made before the platform (or told by hand): a draft, like any."""
    editors = [{"email": author_email, "name": None, "relation": "author"}] if author_email else []
    return _draft(uow, {**fields, "tags": clean_tags(fields.get("tags", [])), "origin": "by_hand",
                        "editors": editors}, author)


def _draft(uow: UnitOfWork, fields: dict[str, Any], created_by: str) -> store.Story:
    check_free_text({name: fields.get(name) for name in ("title", "summary", "body", "learning")})
    slug = _free_slug(slug_for(fields["title"]), lambda candidate: store.slug_taken(uow, candidate))
    story = store.add_story(uow, str(uuid.uuid4()), slug, fields, created_by)
    audit.record(uow, "story.drafted", "story", story.id, after_version=story.version)
    uow.emit("story.drafted", {"story_id": story.id, "project_id": story.project_id, "idea_id": story.idea_id,
                               "title": story.title, "slug": story.slug, "audience": story.editors,
                               "path": _path(story)}, topic=topics.STORIES, key=str(story.id))
    return story


def edit_story(uow: UnitOfWork, story_id: str, changes: dict[str, Any], expected_version: int | None) -> store.Story:
    """Correct a story, draft or published; its permalink stays what it was."""
    story = _current(find_story(uow, story_id, for_update=True), expected_version)
    if "tags" in changes:
        changes = {**changes, "tags": clean_tags(changes["tags"])}
    check_free_text({name: changes.get(name) for name in ("title", "summary", "body", "learning")})
    edited = store.update_story(uow, story_id, changes)
    audit.record(uow, "story.edited", "story", story_id, before_version=story.version, after_version=edited.version)
    return edited


def publish_story(uow: UnitOfWork, story_id: str, published_by: str, expected_version: int | None) -> store.Story:
    """Publish a draft: readable by all staff under its permalink; everyone concerned is told."""
    story = _current(find_story(uow, story_id, for_update=True), expected_version)
    check_publishable(story.state)
    published = store.publish_story(uow, story_id, published_by)
    audit.record(uow, "story.published", "story", story_id, before_version=story.version,
                 after_version=published.version)
    uow.emit("story.published", {"story_id": published.id, "slug": published.slug, "title": published.title,
                                 "summary": published.summary, "project_id": published.project_id,
                                 "idea_id": published.idea_id, "tags": published.tags,
                                 "audience": published.audience, "path": _path(published)},
             topic=topics.STORIES, key=str(published.id))
    return published


def find_story(uow: UnitOfWork, story_id: str, *, for_update: bool = False) -> store.Story:
    story = store.story(uow, story_id, for_update=for_update)
    if story is None:
        raise StoryNotFound(f"story {story_id} not found")
    return story


def readable_story(story: store.Story | None, is_editor: bool, what: str) -> store.Story:
    """A published story for anyone allowed to read stories; a draft only for its editors."""
    if story is None or (story.state != PUBLISHED and not is_editor):
        raise StoryNotFound(f"no story {what}")
    return story


def _current(story: store.Story, expected_version: int | None) -> store.Story:
    if expected_version is not None and story.version != expected_version:
        raise StaleVersion(f"the story is at version {story.version}, not {expected_version}")
    return story


def _path(story: store.Story) -> str:
    return f"/stories/{story.slug}"


# -- the tools library -----------------------------------------------------------------------------

def add_resource(uow: UnitOfWork, fields: dict[str, Any], created_by: str) -> store.Resource:
    library.check_link(fields["kind"], fields.get("link"))
    check_free_text({name: fields.get(name) for name in ("title", "summary", "body")})
    fields = {**fields, "tags": clean_tags(fields.get("tags", []))}
    slug = _free_slug(slug_for(fields["title"]), lambda candidate: store.resource_slug_taken(uow, candidate))
    resource = store.add_resource(uow, str(uuid.uuid4()), slug, fields, created_by)
    audit.record(uow, "resource.published", "resource", resource.id, after_version=resource.version)
    uow.emit("resource.published", {"resource_id": resource.id, "title": resource.title, "kind": resource.kind,
                                    "tags": resource.tags, "path": f"/tools/{resource.slug}"},
             topic=topics.STORIES, key=str(resource.id))
    return resource


def edit_resource(uow: UnitOfWork, resource_id: str, changes: dict[str, Any], expected_version: int | None
                  ) -> store.Resource:
    resource = find_resource(uow, resource_id, for_update=True)
    _check_version(resource.version, expected_version, "resource")
    if "tags" in changes:
        changes = {**changes, "tags": clean_tags(changes["tags"])}
    if "link" in changes:
        library.check_link(resource.kind, changes["link"] or (None if resource.file_name is None else "file"))
    check_free_text({name: changes.get(name) for name in ("title", "summary", "body")})
    edited = store.update_resource(uow, resource_id, changes)
    audit.record(uow, "resource.edited", "resource", resource_id, before_version=resource.version,
                 after_version=edited.version)
    return edited


def upload_file(uow: UnitOfWork, resource_id: str, content_type: str, content: bytes, max_bytes: int,
                uploaded_by: str, expected_version: int | None) -> store.Resource:
    """Keep the resource's file (replacing any earlier one), after its type and size are checked."""
    resource = find_resource(uow, resource_id, for_update=True)
    _check_version(resource.version, expected_version, "resource")
    library.check_file(resource.kind, content_type, len(content), max_bytes)
    file = store.StoredFile(library.file_name(resource.slug, content_type), content_type, len(content),
                            hashlib.sha256(content).hexdigest(), content)
    stored = store.store_file(uow, resource_id, file, uploaded_by)
    audit.record(uow, "resource.file_uploaded", "resource", resource_id, before_version=resource.version,
                 after_version=stored.version)
    return stored


def find_resource(uow: UnitOfWork, resource_id: str, *, for_update: bool = False) -> store.Resource:
    resource = store.resource(uow, resource_id, for_update=for_update)
    if resource is None:
        raise ResourceNotFound(f"resource {resource_id} not found")
    return resource


def resource_at(uow: UnitOfWork, slug: str) -> store.Resource:
    resource = store.resource_by_slug(uow, slug)
    if resource is None:
        raise ResourceNotFound(f"no resource at {slug}")
    return resource


def resource_file(uow: UnitOfWork, resource_id: str) -> store.StoredFile:
    file = store.stored_file(uow, resource_id)
    if file is None:
        raise ResourceNotFound(f"resource {resource_id} has no file")
    return file


def _check_version(version: int, expected_version: int | None, what: str) -> None:
    if expected_version is not None and version != expected_version:
        raise StaleVersion(f"the {what} is at version {version}, not {expected_version}")


def _free_slug(base: str, taken: Callable[[str], bool]) -> str:
    n = 1
    while taken(numbered_slug(base, n)):
        n += 1
    return numbered_slug(base, n)


# -- read models -----------------------------------------------------------------------------------

def on_kpi_updated(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
    """Keep the KPI's month, and every month of the chart it names: completed projects' before/after
    charts are drawn from these."""
    if not store.record_kpi_value(uow, {**payload, "period": str(payload["period"])}):
        return  # a late, older revision: its chart is older than the one already kept
    store.record_charted_values(uow, payload["kpi_code"], payload["unit_code"],
                                [(str(point["period"]), point["value"]) for point in payload.get("series") or ()])


def on_project_stage_changed(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
    """The month a project became active is where its before/after chart splits."""
    if payload["to_stage"] == "active":
        store.record_project_start(uow, str(payload["project_id"]), event.time[:7])


def on_pdsa_cycle_started(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
    """A change tested on the ward is where "after" begins, when that is earlier than the month the
    project became active (a project registered once its first cycles had run, say)."""
    if payload.get("started_on"):
        store.record_project_start(uow, str(payload["project_id"]), str(payload["started_on"])[:7])


def on_signal_opened(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
    """A signal of concern on a measure metrics still watches for completed projects (``sustainment``
    names them): their improvement slipped in the signal's month. The first slip is kept."""
    for project in payload.get("sustainment") or ():
        project_id = str(project["project_id"])
        known = store.sustainment_row(uow, project_id, for_update=True)
        period = str(payload["period"])
        if known is not None and known["slipped_in"] == earlier_slip(known["slipped_in"], period):
            continue
        store.record_slip(uow, project_id, known["completed_on"] if known else project["completed_on"], period,
                          f"{payload['kpi_name']}, {payload['unit_name']}", payload["signal_id"])


def sustainment_of(uow: UnitOfWork, project_id: str | None) -> Sustainment | None:
    """Whether the project's improvement has held since it completed, as far as this service knows
    from metrics' events; None for a story of no project, or one completed before it kept count."""
    row = store.sustainment_row(uow, project_id) if project_id else None
    if row is None:
        return None
    charted = (store.charted_months(uow, row["kpi_code"], row["unit_code"], row["completed_on"].strftime("%Y-%m"))
               if row["kpi_code"] else [])
    return sustainment(row["completed_on"], charted, row["slipped_in"], row["slipped_on"])


def _plain(member: dict[str, Any]) -> dict[str, Any]:
    return {"email": member["email"], "name": member.get("name"), "relation": member["relation"]}


EVENT_HANDLERS = {
    "project.completed": on_project_completed,
    "project.stage_changed": on_project_stage_changed,
    "pdsa.cycle_started": on_pdsa_cycle_started,
    "kpi.updated": on_kpi_updated,
    "signal.opened": on_signal_opened,
}
