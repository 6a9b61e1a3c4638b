"""The ideas pages' own logic on the app itself, with a fake of the services (no server, no provider):
which filters and cursors reach the ideas API, where its problems are shown, what the public form
sends, and which links the pages offer."""

from __future__ import annotations

from typing import Any

import pytest
from flask_wtf import FlaskForm

from portal.backend import ServiceError
from portal.tests.unit.conftest import app_on
from portal.tests.unit.conftest import signed_in as sign_in
from portal.views import ideas

IDEA_ID = "3f6c2a9e-8b1d-4c57-9a0e-5d2b7f41c8a3"
IDEA = {"id": IDEA_ID, "title": "Water jugs", "description": "Fresh water at the drug round", "stage": "submitted",
        "channel": "staff", "submitted_by": "dev.doctor", "campaign_id": None, "category": None, "directorate": None,
        "merged_into": None, "vote_count": 2, "version": 3, "submitted_at": "2026-11-02T09:30:00+00:00",
        "history": [{"version": 1, "stage": "submitted", "changed_by": "dev.doctor", "reason": None,
                     "changed_at": "2026-11-02T09:30:00+00:00"}],
        "project_ids": [], "projects": [], "stories": [], "followers": 1, "voted": False, "following": False,
        "next_stages": ["declined", "under_review"], "contact": None}
EMPTY = {"items": [], "page_size": 20, "next": None, "previous": None, "total": 0, "total_is_exact": True}


class FakeBackend:
    """Answers as the services would and remembers every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.refuse: ServiceError | None = None

    def get(self, service: str, path: str, **params: Any) -> Any:
        self.calls.append(("GET", path, params))
        if path == "/api/v1/me/notifications/unread-count":
            return {"unread": 0}
        if path == "/api/v1/ideas":
            return {**EMPTY, "items": [IDEA], "next": "NEXT", "total": 21}
        if path.endswith("/comments") or path.endswith("/campaigns"):
            return EMPTY
        if path.endswith("/categories"):
            return {"items": [{"code": "patient-experience", "name": "Patient experience"}]}
        return IDEA

    def all_items(self, service: str, path: str, **params: Any) -> list[Any]:
        return [{"code": "DIR-ELDER", "name": "Elderly Care", "level": "directorate"}]

    def post(self, service: str, path: str, body: Any, *, if_match: str | None = None) -> Any:
        self.calls.append(("POST", path, {"body": body, "if_match": if_match}))
        if self.refuse:
            raise self.refuse
        if path.endswith("/similar"):
            return {"ideas": [], "projects": [], "stories": []}
        return {**IDEA, "follow_token": "TOKEN"}

    def call(self, method: str, service: str, path: str, **_: Any) -> Any:
        self.calls.append((method, path, None))


@pytest.fixture
def fake() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def app(settings, fake):
    return app_on(settings, fake)


def signed_in(app, *roles: str):
    return sign_in(app, "sam.nurse", *roles, name="Sam Nurse")


def test_the_list_sends_only_the_filters_chosen_and_links_the_next_page_with_them(app, fake):
    page = signed_in(app, "staff").get("/ideas/?q=water&stage=&sort=newest&category=patient-experience")
    assert page.status_code == 200
    [(_, _, params)] = [call for call in fake.calls if call[1] == "/api/v1/ideas"]
    assert params == {"page_size": ideas.PAGE_SIZE, "cursor": None, "q": "water", "category": "patient-experience"}
    assert b'href="/ideas/?q=water&amp;category=patient-experience&amp;cursor=NEXT"' in page.data


def test_a_cursor_the_service_refuses_shows_a_problem_and_a_way_to_start_again(app, fake):
    def refuse(service: str, path: str, **params: Any) -> Any:
        if path == "/api/v1/ideas":
            raise ServiceError(400, {"detail": "the cursor is not one this list gave"})
        return FakeBackend.get(fake, service, path, **params)

    fake.get = refuse
    page = signed_in(app, "staff").get("/ideas/?cursor=garbled")
    assert page.status_code == 200
    assert b"The cursor is not one this list gave" in page.data and b"Start again" in page.data


def test_the_services_field_errors_are_put_beside_the_fields_they_name(app):
    with app.test_request_context():
        form = ideas.PublicIdeaForm(formdata=None, meta={"csrf": False})
        ideas.show_problem(form, ServiceError(422, {"errors": {"consent": ["a name is kept only with consent"],
                                                                "nonsense": ["what is this"]}}), fallback="title")
    assert form.consent.errors == ["A name is kept only with consent"]
    assert form.title.errors == ["What is this"]


def test_a_conflict_without_fields_is_shown_beside_the_fallback_and_other_failures_are_not_swallowed(app):
    with app.test_request_context():
        form: FlaskForm = ideas.IdeaForm(formdata=None, meta={"csrf": False})
        ideas.show_problem(form, ServiceError(409, {"detail": "the campaign takes ideas until 2026-03-31"}),
                           fallback="campaign_id")
        assert form.campaign_id.errors == ["The campaign takes ideas until 2026-03-31"]
        with pytest.raises(ServiceError):
            ideas.show_problem(form, ServiceError(403, {"detail": "no"}), fallback="title")


def test_the_public_form_opens_signed_out_and_keeps_a_contact_only_as_sent_with_its_consent(app, fake):
    client = app.test_client()
    assert client.get("/ideas/share").status_code == 200
    sent = client.post("/ideas/share", data={"title": "Quieter trolleys", "description": "At 6am",
                                             "email": "a.carer@example.org", "consent": "y"})
    assert sent.status_code == 302 and sent.headers["Location"] == "/ideas/shared"
    [(_, path, posted)] = [call for call in fake.calls if call[0] == "POST"]
    assert path == "/api/v1/public/ideas"
    assert posted["body"] == {"title": "Quieter trolleys", "description": "At 6am", "name": None,
                              "email": "a.carer@example.org", "phone": None, "consent": True}
    confirmation = client.get("/ideas/shared")
    assert b"/ideas/followed/TOKEN" in confirmation.data
    assert client.get("/ideas/shared").headers["Location"] == "/ideas/share"  # the link is shown once


def test_too_many_public_ideas_from_here_is_said_beside_the_form(app, fake):
    fake.refuse = ServiceError(429, {"detail": "Too Many Requests"})
    page = app.test_client().post("/ideas/share", data={"title": "T", "description": "D"})
    assert page.status_code == 400
    assert b"Too many ideas have been sent from here" in page.data


def test_a_stage_move_sends_the_version_seen_as_if_match_and_returns_to_the_queue(app, fake):
    client = signed_in(app, "staff", "moderator")
    moved = client.post(f"/ideas/{IDEA_ID}/stage", data={"stage-stage": "submitted", "stage-version": "3",
                                                         "stage-back": "moderation"})
    assert moved.headers["Location"] == "/ideas/moderation"
    [(_, path, posted)] = [call for call in fake.calls if call[0] == "POST"]
    assert path == f"/api/v1/ideas/{IDEA_ID}/stage"
    assert posted == {"body": {"stage": "submitted", "reason": None}, "if_match": "3"}


def test_staff_are_refused_the_moderation_queue_and_moving_ideas(app):
    client = signed_in(app, "staff")
    assert client.get("/ideas/moderation").status_code == 403
    assert client.post(f"/ideas/{IDEA_ID}/stage", data={"stage-stage": "accepted"}).status_code == 403


def test_the_idea_page_offers_the_moves_the_service_lists_and_votes_with_a_button(app, fake):
    page = signed_in(app, "staff", "qi_lead").get(f"/ideas/{IDEA_ID}")
    assert page.status_code == 200
    assert b"Start the review (under review)" in page.data and b"Accept it" not in page.data
    assert b"Vote for this idea" in page.data
    voted = signed_in(app, "staff").post(f"/ideas/{IDEA_ID}/vote", data={"want": "yes"})
    assert voted.status_code == 302
    assert ("PUT", f"/api/v1/ideas/{IDEA_ID}/vote", None) in fake.calls


def test_what_an_idea_became_links_only_to_pages_the_portal_has(app):
    found = {"projects": [{"project_id": "9b2e4d71-0c3a-4f8e-b6d5-1a7c3e9f2b40", "title": "Quiet nights",
                           "stage": "active"}],
             "stories": [{"story_id": "5a3d9e21-7b4c-4f06-a8e2-3c1b0d9f6e57", "slug": "quiet", "title": "Quieter",
                          "summary": "Fewer calls"}]}
    with app.test_request_context():
        became = ideas.became(found)
        assert ideas.portal_page(f"/ideas/{IDEA_ID}") == f"/ideas/{IDEA_ID}"
    assert [(item["kind"], item["title"], item["stage"]) for item in became] == [
        ("Project", "Quiet nights", "active"), ("Success story", "Quieter", None)]
    has_projects = "projects.index" in app.view_functions
    assert (became[0]["href"] is not None) == has_projects


def test_similar_ideas_are_asked_for_once_the_title_has_a_few_letters(app, fake):
    client = signed_in(app, "staff")
    assert client.get("/ideas/similar?title=ab").status_code == 200
    assert not [call for call in fake.calls if call[1].endswith("/similar")]
    client.get("/ideas/similar?title=water+jugs&description=at+the+drug+round")
    [(_, _, posted)] = [call for call in fake.calls if call[1].endswith("/similar")]
    assert posted["body"] == {"title": "water jugs", "description": "at the drug round", "limit": ideas.SIMILAR_LIMIT}
