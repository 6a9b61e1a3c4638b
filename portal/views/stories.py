"""Stories: the library of published success stories (words, a topic or a directorate, keyset pages)
and a story's page with its before/after chart; editors (QI leads, communications editors) write,
correct and publish them, including the drafts completed projects leave.

The library and a published story are open without signing in when the trust allows it
(``WTGR_PORTAL_PUBLIC_STORIES``, with the stories service's ``WTGR_STORIES_PUBLIC``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.auth import current_user, requires_role
from portal.backend import ServiceError, backend

blueprint = Blueprint("stories", __name__, url_prefix="/stories")
EDITORS = ("qi_lead", "comms_editor")
PAGE_SIZE = 10
# The CQC's five key questions: drafted stories are tagged with those their project served.
KEY_QUESTIONS = (("safe", "Safe"), ("effective", "Effective"), ("caring", "Caring"), ("responsive", "Responsive"),
                 ("well-led", "Well-led"))
CHANGE_PROBLEMS = (400, 409, 412, 422)  # shown beside the form; 412: someone else changed it first


def split_tags(text: str | None) -> list[str]:
    """"Falls, night shift ,falls" -> ["falls", "night-shift"]: the words editors type, as tags."""
    tags: list[str] = []
    for part in (text or "").split(","):
        tag = "-".join(part.strip().lower().split())
        if tag and tag not in tags:
            tags.append(tag)
    return tags


class StoryForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Enter a title"), Length(max=200)])
    summary = TextAreaField("Summary", validators=[DataRequired("Enter a summary"), Length(max=4000)])
    body = TextAreaField("The story (optional)", validators=[Optional(), Length(max=20_000)])
    learning = TextAreaField("What we learned (optional)", validators=[Optional(), Length(max=10_000)])
    tags = StringField("Tags (optional)", validators=[Optional(), Length(max=600)])
    version = HiddenField()

    def validate_tags(self, field: StringField) -> None:
        if len(split_tags(field.data)) > 12:
            raise ValidationError("Enter at most 12 tags")

    def fields_to_send(self) -> dict[str, Any]:
        return {"title": self.title.data.strip(), "summary": self.summary.data.strip(),
                "body": (self.body.data or "").strip(), "learning": (self.learning.data or "").strip(),
                "tags": split_tags(self.tags.data)}


class PublishForm(FlaskForm):
    """A button with its CSRF token and the version the editor saw."""

    version = HiddenField()


def is_editor() -> bool:
    user = current_user()
    return bool(user and user.has_any(*EDITORS))


def tag_choices(directorates: list[dict[str, Any]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The topic filter's groups: the CQC key questions, and the directorates (tagged by code)."""
    groups = [("CQC key question", list(KEY_QUESTIONS))]
    if directorates:
        groups.append(("Directorate", [(unit["code"].lower(), unit["name"]) for unit in directorates]))
    return groups


@blueprint.route("/")
def index() -> str:
    words = (request.args.get("q") or "").strip()[:200] or None
    tag = (request.args.get("tag") or "").strip()[:40] or None
    found = backend().get("stories", "/api/v1/stories", q=words, tag=tag, page_size=PAGE_SIZE,
                          cursor=request.args.get("cursor") or None)
    groups = tag_choices(_directorates())
    listed = {value for _, options in groups for value, _ in options}
    return render_template("stories/index.html", page=found, words=words or "", tag=tag or "", groups=groups,
                           other_tag=tag if tag and tag not in listed else None, may_edit=is_editor())


def _directorates() -> list[dict[str, Any]]:
    """The organisation's directorates, for the filter; visitors who have not signed in get none
    (the units are for staff)."""
    if current_user() is None:
        return []
    return [unit for unit in backend().all_items("metrics", "/api/v1/units") if unit.get("level") == "directorate"]


@blueprint.route("/editing/drafts")  # two segments: no slug is hidden by an editor's page
@requires_role(*EDITORS)
def drafts() -> str:
    """The drafts waiting for an editor: those completed projects left, and those written by hand."""
    found = backend().get("stories", "/api/v1/stories/editing", state="draft", page_size=PAGE_SIZE,
                          cursor=request.args.get("cursor") or None)
    return render_template("stories/drafts.html", page=found)


@blueprint.route("/editing/new", methods=["GET", "POST"])
@requires_role(*EDITORS)
def new() -> Any:
    form = StoryForm()
    if form.validate_on_submit():
        try:
            story = backend().post("stories", "/api/v1/stories", form.fields_to_send())
        except ServiceError as exc:
            _show_problem(form, exc)
        else:
            flash("Your story is saved as a draft. Publish it when it is ready.")
            return redirect(url_for("stories.story", slug=story["slug"]))
    return render_template("stories/edit.html", form=form, story=None), 400 if form.errors else 200


@blueprint.route("/<slug>")
def story(slug: str) -> str:
    found = backend().get("stories", f"/api/v1/stories/by-slug/{slug}")
    svg = None
    if found.get("has_chart_svg"):
        svg = backend().call("GET", "stories", f"/api/v1/stories/{found['id']}/chart.svg").text
    return render_template("stories/story.html", story=found, svg=svg, may_edit=is_editor(),
                           publish=PublishForm(version=found["version"]))


@blueprint.route("/<slug>/edit", methods=["GET", "POST"])
@requires_role(*EDITORS)
def edit(slug: str) -> Any:
    found = backend().get("stories", f"/api/v1/stories/by-slug/{slug}")
    form = StoryForm(data=None if request.method == "POST" else {
        **found, "tags": ", ".join(found["tags"]), "version": found["version"]})
    if form.validate_on_submit():
        try:
            backend().patch("stories", f"/api/v1/stories/{found['id']}", form.fields_to_send(),
                            if_match=_version(form.version.data))
        except ServiceError as exc:
            _show_problem(form, exc)
        else:
            flash("Your changes are saved.")
            return redirect(url_for("stories.story", slug=slug))
    return render_template("stories/edit.html", form=form, story=found), 400 if form.errors else 200


@blueprint.route("/<slug>/publication", methods=["POST"])
@requires_role(*EDITORS)
def publish(slug: str) -> Any:
    form = PublishForm()
    found = backend().get("stories", f"/api/v1/stories/by-slug/{slug}")
    if form.validate_on_submit():
        try:
            backend().call("POST", "stories", f"/api/v1/stories/{found['id']}/publication",
                           headers={"If-Match": f'"{_version(form.version.data)}"'})
        except ServiceError as exc:
            if exc.status not in CHANGE_PROBLEMS:
                raise
            flash(_stale_or(exc), "error")
        else:
            flash("The story is published: everyone can read it in the story library.")
    return redirect(url_for("stories.story", slug=slug))


def _version(text: str | None) -> int:
    if not (text or "").isdigit():
        abort(400)
    return int(text)  # type: ignore[arg-type]


def _stale_or(exc: ServiceError) -> str:
    if exc.status == 412:
        return "Someone else changed this story while you were looking at it. Check their changes and try again."
    return exc.detail


def _show_problem(form: StoryForm, exc: ServiceError) -> None:
    """The service's problem beside the field it names (the patient-data guard names its field)."""
    if exc.status not in CHANGE_PROBLEMS:
        raise exc
    named = exc.field_errors() or {"title": _stale_or(exc)}
    for name, message in named.items():
        field = getattr(form, name, None) if name in form else form.title
        field.errors = [*field.errors, message]  # type: ignore[union-attr]

