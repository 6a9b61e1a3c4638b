"""The tools library: templates, guides, video links and courses, A to Z, searched by words or kind;
a tool's page with its text and its file to download; editors add tools (with a file or a link).

Open without signing in when the trust allows it (``WTGR_PORTAL_PUBLIC_STORIES``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from markdown_it import MarkdownIt
from markupsafe import Markup
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, Optional, ValidationError

from portal.auth import requires_role
from portal.backend import ServiceError, backend
from portal.views.stories import CHANGE_PROBLEMS, EDITORS, is_editor, split_tags

blueprint = Blueprint("tools", __name__, url_prefix="/tools")
PAGE_SIZE = 20
KINDS = (("template", "Template"), ("guide", "Guide"), ("video_link", "Video"), ("course", "Course"))
LINK_ONLY = ("video_link", "course")
MAX_FILE_BYTES = 2 * 1024 * 1024  # the stories service's default bound (WTGR_STORIES_MAX_FILE_BYTES)
# Markdown as CommonMark with raw HTML off: HTML in a tool's text is shown as text, and links to
# javascript:, vbscript: and file: are refused by markdown-it's own link check.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})


def as_html(markdown: str | None) -> Markup:
    """A tool's Markdown text as HTML, its headings moved under the page's own h1: its highest
    heading becomes an h2, the others keep their steps below it."""
    html = _MARKDOWN.render(markdown or "")
    used = [level for level in range(1, 7) if f"<h{level}>" in html]
    shift = 2 - used[0] if used else 0
    for level in sorted(used, reverse=shift > 0):
        moved = min(level + shift, 6)
        html = html.replace(f"<h{level}>", f"<h{moved}>").replace(f"</h{level}>", f"</h{moved}>")
    return Markup(html)  # noqa: S704  # rendered from Markdown with raw HTML disabled


def kind_words(kind: str) -> str:
    return dict(KINDS).get(kind, kind)


class ToolForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Enter a title"), Length(max=200)])
    summary = TextAreaField("Summary", validators=[DataRequired("Enter a summary"), Length(max=4000)])
    kind = SelectField("Kind", choices=KINDS, validators=[DataRequired("Choose a kind")])
    link = StringField("Link (for a video or a course)", validators=[
        Optional(), URL(message="Enter a web address starting https://"), Length(max=2000)])
    file = FileField("File (for a template or a guide, optional)")
    body = TextAreaField("Text (optional)", validators=[Optional(), Length(max=50_000)])
    tags = StringField("Tags (optional)", validators=[Optional(), Length(max=600)])

    def validate_link(self, field: StringField) -> None:
        if self.kind.data in LINK_ONLY and not field.data:
            raise ValidationError(f"Enter the link to the {kind_words(self.kind.data).lower()}")

    def validate_file(self, field: FileField) -> None:
        if not field.data:
            return
        if self.kind.data in LINK_ONLY:
            raise ValidationError("A video or a course is a link: leave the file out")
        field.data.stream.seek(0, 2)
        if field.data.stream.tell() > MAX_FILE_BYTES:
            raise ValidationError("The file must be 2 MB or smaller")
        field.data.stream.seek(0)


@blueprint.route("/")
def index() -> str:
    words = (request.args.get("q") or "").strip()[:200] or None
    kind = request.args.get("kind") if request.args.get("kind") in dict(KINDS) else None
    found = backend().get("stories", "/api/v1/resources", q=words, kind=kind, page_size=PAGE_SIZE,
                          cursor=request.args.get("cursor") or None)
    return render_template("tools/index.html", page=found, words=words or "", kind=kind or "", kinds=KINDS,
                           kind_words=kind_words, may_edit=is_editor())


@blueprint.route("/editing/new", methods=["GET", "POST"])
@requires_role(*EDITORS)
def new() -> Any:
    form = ToolForm()
    if form.validate_on_submit():
        body = {"title": form.title.data.strip(), "summary": form.summary.data.strip(), "kind": form.kind.data,
                "link": form.link.data or None, "body": (form.body.data or "").strip(),
                "tags": split_tags(form.tags.data)}
        try:
            tool = backend().post("stories", "/api/v1/resources", body)
            if form.file.data:
                _upload(tool, form.file.data)
        except ServiceError as exc:
            if exc.status not in (*CHANGE_PROBLEMS, 413):
                raise
            for name, message in (exc.field_errors() or {"title": exc.detail}).items():
                field = {"Content-Type": form.file, "file": form.file}.get(name) or getattr(form, name, form.title)
                field.errors = [*field.errors, message]
        else:
            flash("The tool is in the library.")
            return redirect(url_for("tools.resource", slug=tool["slug"]))
    return render_template("tools/new.html", form=form), 400 if form.errors else 200


def _upload(tool: dict[str, Any], file: Any) -> None:
    backend().call("PUT", "stories", f"/api/v1/resources/{tool['id']}/file", data=file.read(),
                   headers={"Content-Type": file.mimetype or "application/octet-stream",
                            "If-Match": f'"{tool["version"]}"'})


@blueprint.route("/<slug>")
def resource(slug: str) -> str:
    found = backend().get("stories", f"/api/v1/resources/by-slug/{slug}")
    return render_template("tools/resource.html", tool=found, text=as_html(found.get("body")),
                           kind_words=kind_words)


@blueprint.route("/<slug>/download")
def download(slug: str) -> Response:
    """The tool's file, as the library keeps it (an attachment, with its own type)."""
    found = backend().get("stories", f"/api/v1/resources/by-slug/{slug}")
    file = backend().call("GET", "stories", f"/api/v1/resources/{found['id']}/file")
    return Response(file.content, mimetype=file.headers.get("Content-Type", "application/octet-stream"),
                    headers={"Content-Disposition": file.headers.get(
                        "Content-Disposition", f'attachment; filename="{found["slug"]}"')})
