"""Ideas: browse, search and filter; submit as staff (named or anonymous) or, signed out, as a patient,
carer or partner; similar ideas while typing; an idea's page with votes, comments, follows, its stage
history and what it became; moderation.

Every call goes to the ideas service (docs/ideas.md), which decides who may do what; the pages only
offer what the service says the person may do (the idea's ``next_stages``, a moderator's hide form).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from werkzeug.exceptions import NotFound
from werkzeug.routing import RequestRedirect
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from portal.auth import current_user, requires_role
from portal.backend import ServiceError, ServiceUnavailable, backend

blueprint = Blueprint("ideas", __name__, url_prefix="/ideas")
API = "/api/v1"
PAGE_SIZE = 20
COMMENTS_PAGE_SIZE = 50
SIMILAR_LIMIT = 5
MODERATORS = ("moderator", "qi_lead")
STAGES = {  # stage: (name, NHS tag colour)
    "moderation": ("Waiting for moderation", "grey"),
    "submitted": ("Submitted", "blue"),
    "under_review": ("Under review", "purple"),
    "accepted": ("Accepted", "aqua-green"),
    "in_progress": ("In progress", "yellow"),
    "implemented": ("Implemented", "green"),
    "declined": ("Declined", "red"),
    "merged": ("Merged", "white"),
}
MOVES = {  # the stage an idea is moved to, as the button's words
    "submitted": "Let it through (submitted)",
    "under_review": "Start the review (under review)",
    "accepted": "Accept it",
    "declined": "Decline it (say why)",
}


class IdeaForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Enter a title for your idea")])
    description = TextAreaField("Your idea", validators=[DataRequired("Describe your idea")])
    category = SelectField("Category (optional)", choices=[], validate_choice=False)
    campaign_id = SelectField("Campaign (optional)", choices=[], validate_choice=False)
    directorate = SelectField("Directorate (optional)", choices=[], validate_choice=False)
    anonymous = BooleanField("Submit it anonymously")


class PublicIdeaForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Enter a title for your idea")])
    description = TextAreaField("Your idea", validators=[DataRequired("Describe your idea")])
    name = StringField("Your name (optional)", validators=[Optional()])
    email = StringField("Email address (optional)", validators=[Optional()])
    phone = StringField("Phone number (optional)", validators=[Optional()])
    consent = BooleanField("I agree that the trust keeps my name and contact details to reply to me about this idea")


class CommentForm(FlaskForm):
    body = TextAreaField("Your comment", validators=[DataRequired("Enter your comment")])


class HideForm(FlaskForm):
    reason = StringField("Why hide it", validators=[DataRequired("Enter why the comment is hidden")])


class StageForm(FlaskForm):
    stage = RadioField("Move the idea to", choices=[], validate_choice=False,
                       validators=[DataRequired("Choose where the idea goes next")])
    reason = TextAreaField("Why (everyone sees this; needed to decline)", validators=[Optional()])
    version = HiddenField()
    back = HiddenField()


class ButtonForm(FlaskForm):
    """A button with its CSRF token (vote, follow); ``want`` says which way."""

    want = HiddenField()


# -- browsing -------------------------------------------------------------------------------------

FILTERS = ("q", "stage", "campaign_id", "category", "directorate", "sort")


@blueprint.route("/")
def index() -> str:
    chosen = {name: request.args.get(name, "").strip() for name in FILTERS}
    params = {name: value for name, value in chosen.items() if value and not (name == "sort" and value == "newest")}
    problem = None
    try:
        found = backend().get("ideas", f"{API}/ideas", page_size=PAGE_SIZE, cursor=request.args.get("cursor"),
                              **params)
    except ServiceError as exc:
        if exc.status not in (400, 422):
            raise
        found, problem = {"items": [], "total": 0, "total_is_exact": True}, _sentence(exc.detail)
    return render_template("ideas/index.html", found=found, chosen=chosen, problem=problem, stages=STAGES,
                           pages=pages(found, params), **_choices())


def pages(found: dict[str, Any], params: dict[str, str]) -> dict[str, str | None]:
    """The links to the pages before and after this one: the list's own cursors, with the same filters."""
    links: dict[str, str | None] = {}
    for way in ("previous", "next"):
        query: dict[str, Any] = {**params, "cursor": found.get(way)}
        links[way] = url_for("ideas.index", **query) if found.get(way) else None
    return links


def _choices() -> dict[str, Any]:
    """What an idea may name: campaigns, categories and directorates (from metrics' units, when it answers)."""
    campaigns = backend().get("ideas", f"{API}/campaigns", page_size=50)["items"]
    categories = backend().get("ideas", f"{API}/categories")["items"]
    try:
        units = backend().all_items("metrics", f"{API}/units")
    except (ServiceUnavailable, ServiceError):
        units = []
    directorates = {unit["code"]: unit["name"] for unit in units if unit.get("level") == "directorate"}
    return {"campaigns": {str(c["id"]): c for c in campaigns},
            "categories": {c["code"]: c["name"] for c in categories}, "directorates": directorates}


# -- submitting (staff) ---------------------------------------------------------------------------

@blueprint.route("/new", methods=["GET", "POST"])
@requires_role("staff", "qi_lead")
def new() -> Any:
    form = IdeaForm()
    choices = _choices()
    _offer(form, choices)
    similar = None
    if request.method == "POST" and "check" in request.form:  # "check for similar ideas" without script
        similar = _similar(form.title.data or "", form.description.data or "")
    elif form.validate_on_submit():
        body = {"title": form.title.data, "description": form.description.data,
                "category": form.category.data or None, "campaign_id": form.campaign_id.data or None,
                "directorate": form.directorate.data or None, "anonymous": bool(form.anonymous.data)}
        try:
            idea = backend().post("ideas", f"{API}/ideas", body)
        except ServiceError as exc:
            show_problem(form, exc, fallback="campaign_id" if body["campaign_id"] else "title")
        else:
            session["ideas_submitted"] = {"id": str(idea["id"]), "title": idea["title"],
                                          "follow_token": idea.get("follow_token")}
            return redirect(url_for("ideas.submitted"))
    status = 400 if request.method == "POST" and form.errors else 200
    return render_template("ideas/new.html", form=form, similar=similar, stages=STAGES, **choices), status


def _offer(form: IdeaForm, choices: dict[str, Any]) -> None:
    form.category.choices = [("", "None")] + sorted(choices["categories"].items(), key=lambda item: item[1])
    form.campaign_id.choices = [("", "None")] + [(key, c["theme"]) for key, c in choices["campaigns"].items()
                                                 if _is_open(c)]
    form.directorate.choices = [("", "The campaign's, or none")] + sorted(choices["directorates"].items(),
                                                                         key=lambda item: item[1])


def _is_open(campaign: dict[str, Any]) -> bool:
    return campaign["opens_on"] <= date.today().isoformat() <= campaign["closes_on"]


@blueprint.route("/submitted")
@requires_role("staff", "qi_lead")
def submitted() -> Any:
    """Once, after submitting: the idea's link, the private follow link of an anonymous one, and ideas like it."""
    done = session.pop("ideas_submitted", None)
    if not done:
        return redirect(url_for("ideas.index"))
    similar = _similar(done["title"], "")
    similar["ideas"] = [idea for idea in similar["ideas"] if str(idea["id"]) != done["id"]]
    return render_template("ideas/submitted.html", done=done, similar=similar, stages=STAGES)


@blueprint.route("/similar")
def similar() -> Any:
    """The similar ideas, projects and stories for a draft, as a fragment the submit page's script shows."""
    title = request.args.get("title", "").strip()[:200]
    if len(title) < 3:
        return render_template("ideas/_similar.html", similar=None, stages=STAGES)
    return render_template("ideas/_similar.html", stages=STAGES,
                           similar=_similar(title, request.args.get("description", "")[:2000]))


def _similar(title: str, description: str) -> dict[str, list[dict[str, Any]]]:
    if not title.strip():
        return {"ideas": [], "projects": [], "stories": []}
    found: dict[str, list[dict[str, Any]]] = backend().post("ideas", f"{API}/ideas/similar", {
        "title": title.strip()[:200], "description": description[:10_000], "limit": SIMILAR_LIMIT})
    return found


# -- submitting (patients, carers and partners, signed out) ----------------------------------------

@blueprint.route("/share", methods=["GET", "POST"])
def share() -> Any:
    form = PublicIdeaForm()
    if form.validate_on_submit():
        body = {"title": form.title.data, "description": form.description.data, "name": form.name.data or None,
                "email": form.email.data or None, "phone": form.phone.data or None, "consent": bool(form.consent.data)}
        try:
            idea = backend().post("ideas", f"{API}/public/ideas", body)
        except ServiceError as exc:
            if exc.status == 429:
                form.title.errors = [*form.title.errors, "Too many ideas have been sent from here just now. "
                                     "Please try again later."]
            else:
                show_problem(form, exc, fallback="title")
        else:
            session["ideas_shared"] = {"title": idea["title"], "follow_token": idea["follow_token"]}
            return redirect(url_for("ideas.shared"))
    status = 400 if request.method == "POST" and form.errors else 200
    return render_template("ideas/share.html", form=form), status


@blueprint.route("/shared")
def shared() -> Any:
    done = session.pop("ideas_shared", None)
    if not done:
        return redirect(url_for("ideas.share"))
    return render_template("ideas/shared.html", done=done)


@blueprint.route("/followed/<token>")
def followed(token: str) -> str:
    """The private follow link of a public or anonymous submitter: the idea's stage and history, no names."""
    idea = backend().get("ideas", f"{API}/followed-ideas/{token}")
    return render_template("ideas/followed.html", idea=idea, stages=STAGES)


# -- an idea --------------------------------------------------------------------------------------

@blueprint.route("/<uuid:idea_id>")
def idea(idea_id: Any) -> str:
    return _idea_page(str(idea_id))


def _idea_page(idea_id: str, *, comment: CommentForm | None = None, stage: StageForm | None = None,
               hide: tuple[str, HideForm] | None = None) -> Any:
    found = backend().get("ideas", f"{API}/ideas/{idea_id}")
    comments = backend().get("ideas", f"{API}/ideas/{idea_id}/comments", page_size=COMMENTS_PAGE_SIZE,
                             cursor=request.args.get("comments"))
    campaign = backend().get("ideas", f"{API}/campaigns/{found['campaign_id']}") if found.get("campaign_id") else None
    merged_into = backend().get("ideas", f"{API}/ideas/{found['merged_into']}") if found.get("merged_into") else None
    categories = {c["code"]: c["name"] for c in backend().get("ideas", f"{API}/categories")["items"]}
    stage = stage or StageForm(prefix="stage", formdata=None)
    stage.stage.choices = [(target, MOVES.get(target, target)) for target in found["next_stages"]]
    stage.version.data = str(found["version"])
    user = current_user()
    forms = {"comment": comment or CommentForm(prefix="comment", formdata=None), "stage": stage,
             "button": ButtonForm(formdata=None), "hide": hide}
    status = 400 if request.method == "POST" else 200
    return render_template("ideas/idea.html", idea=found, comments=comments, campaign=campaign,
                           merged_into=merged_into, category=categories.get(found.get("category") or ""),
                           stages=STAGES, page_forms=forms, is_moderator=bool(user and user.has_any(*MODERATORS)),
                           became=became(found)), status


def became(found: dict[str, Any]) -> list[dict[str, Any]]:
    """What the idea became, each with the portal's page for it when the portal has one."""
    items = [{"kind": "Project", "title": p["title"], "stage": p.get("stage"),
              "href": portal_page(f"/projects/{p['project_id']}")} for p in found.get("projects") or []]
    items += [{"kind": "Success story", "title": s["title"], "stage": None, "summary": s.get("summary"),
               "href": portal_page(f"/stories/{s['slug']}")} for s in found.get("stories") or []]
    return items


def portal_page(path: str) -> str | None:
    """``path`` when a page of the portal answers it (projects' and stories' pages may not exist yet)."""
    try:
        current_app.url_map.bind("").match(path, method="GET")
    except RequestRedirect:
        return path
    except NotFound:
        return None
    except Exception:  # 405 and the like: something answers, not a page
        return None
    return path


@blueprint.route("/<uuid:idea_id>/vote", methods=["POST"])
def vote(idea_id: Any) -> Any:
    return _toggle(str(idea_id), "vote", {"yes": "Your vote is counted.", "no": "Your vote is withdrawn."})


@blueprint.route("/<uuid:idea_id>/follow", methods=["POST"])
def follow(idea_id: Any) -> Any:
    return _toggle(str(idea_id), "follow", {"yes": "You follow this idea: you will be emailed when it moves.",
                                            "no": "You no longer follow this idea."})


def _toggle(idea_id: str, what: str, said: dict[str, str]) -> Any:
    form = ButtonForm()
    back = redirect(url_for("ideas.idea", idea_id=idea_id))
    if not form.validate_on_submit() or form.want.data not in said:
        return back
    try:
        backend().call("PUT" if form.want.data == "yes" else "DELETE", "ideas", f"{API}/ideas/{idea_id}/{what}")
    except ServiceError as exc:
        if exc.status not in (400, 409, 422):
            raise
        flash(_sentence(exc.detail), "error")
        return back
    flash(said[form.want.data])
    return back


@blueprint.route("/<uuid:idea_id>/comments", methods=["POST"])
def comment(idea_id: Any) -> Any:
    form = CommentForm(prefix="comment")
    if form.validate_on_submit():
        try:
            backend().post("ideas", f"{API}/ideas/{idea_id}/comments", {"body": form.body.data})
        except ServiceError as exc:
            show_problem(form, exc, fallback="body")
        else:
            flash("Your comment is added.")
            return redirect(url_for("ideas.idea", idea_id=idea_id, _anchor="comments"))
    return _idea_page(str(idea_id), comment=form)


@blueprint.route("/<uuid:idea_id>/comments/<uuid:comment_id>/hide", methods=["POST"])
@requires_role(*MODERATORS)
def hide(idea_id: Any, comment_id: Any) -> Any:
    form = HideForm(prefix=f"hide-{comment_id}")
    if form.validate_on_submit():
        try:
            backend().post("ideas", f"{API}/ideas/{idea_id}/comments/{comment_id}/hide", {"reason": form.reason.data})
        except ServiceError as exc:
            show_problem(form, exc, fallback="reason")
        else:
            flash("The comment is hidden; everyone sees why.")
            return redirect(url_for("ideas.idea", idea_id=idea_id, _anchor="comments"))
    return _idea_page(str(idea_id), hide=(str(comment_id), form))


@blueprint.route("/<uuid:idea_id>/stage", methods=["POST"])
@requires_role(*MODERATORS)
def move(idea_id: Any) -> Any:
    """Move the idea on (the service checks the move and the person); from the queue, back to it."""
    form = StageForm(prefix="stage")
    if form.validate_on_submit():
        try:
            backend().post("ideas", f"{API}/ideas/{idea_id}/stage",
                           {"stage": form.stage.data, "reason": form.reason.data or None},
                           if_match=form.version.data or None)
        except ServiceError as exc:
            if exc.status == 412:
                form.stage.errors = ["Someone changed this idea after you opened it: check its stage and try again."]
            else:
                show_problem(form, exc, fallback="stage")
        else:
            flash(f"The idea is now {STAGES[form.stage.data][0].lower()}.")
            if form.back.data == "moderation":
                return redirect(url_for("ideas.moderation"))
            return redirect(url_for("ideas.idea", idea_id=idea_id, _anchor="history"))
    return _idea_page(str(idea_id), stage=form)


# -- moderation -----------------------------------------------------------------------------------

@blueprint.route("/moderation")
@requires_role(*MODERATORS)
def moderation() -> str:
    """The public ideas waiting for a moderator, oldest last (the list's one order), a page at a time."""
    found = backend().get("ideas", f"{API}/ideas", stage="moderation", page_size=PAGE_SIZE,
                          cursor=request.args.get("cursor"))
    links = {way: url_for("ideas.moderation", cursor=found[way]) if found.get(way) else None
             for way in ("previous", "next")}
    return render_template("ideas/moderation.html", found=found, pages=links)


# -- the service's problems beside the fields -----------------------------------------------------

def show_problem(form: FlaskForm, exc: ServiceError, *, fallback: str) -> None:
    """Put a 400/409/422 problem's messages beside the fields they name (the rest beside ``fallback``);
    anything else is the app's to show."""
    if exc.status not in (400, 409, 422):
        raise exc
    for name, message in (exc.field_errors() or {fallback: exc.detail}).items():
        field = getattr(form, name, None) or getattr(form, fallback)
        field.errors = [*field.errors, _sentence(message)]


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text
