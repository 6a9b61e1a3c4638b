"""The stories, tools and audit pages' own logic, on the app with a fake of the services (no server)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from portal.backend import ServiceError
from portal.settings import PortalSettings
from portal.tests.unit.conftest import Answer, app_on, portal_settings
from portal.tests.unit.conftest import signed_in as sign_in
from portal.views.admin import audit_filters
from portal.views.stories import split_tags, tag_choices
from portal.views.tools import as_html

EMPTY_PAGE = {"items": [], "page_size": 10, "next": None, "previous": None, "total": 0, "total_is_exact": True}
STORY = {"id": "5d0b8e52-3c1f-4a7e-9b26-8f4d1e6a2c90", "slug": "criteria-led-discharge", "state": "published",
         "title": "Criteria-led discharge on Ward 7", "summary": "The aim: shorter stays.", "body": "", "learning": "",
         "team": [{"name": "Lee Lead", "role": "lead"}], "tags": ["effective", "dir-acute"], "version": 3,
         "published_at": "2027-01-15T09:30:00+00:00", "has_chart_svg": True,
         "chart": {"name": "Average length of stay, Ward 7", "unit_of_measure": "days", "started": "2026-05",
                   "before_mean": 5.6, "after_mean": 4.6, "change": -1.0, "description": "In words.",
                   "rows": [{"period": "2026-04", "value": 5.6, "phase": "before"},
                            {"period": "2026-05", "value": 4.6, "phase": "after"}]}}
SVG = '<svg role="img" aria-labelledby="chart-title"><title id="chart-title">Before and after</title></svg>'


class FakeServices:
    """Answers the portal's calls from a dict of (method, path) -> answer, and keeps every call."""

    def __init__(self, answers: dict[tuple[str, str], Any]):
        self.answers = {("GET", "/api/v1/me/notifications/unread-count"): {"unread": 0}, **answers}
        self.calls: list[tuple[str, str, str, dict[str, Any]]] = []

    def _answer(self, method: str, service: str, path: str, **kwargs: Any) -> Any:
        self.calls.append((method, service, path, kwargs))
        found = self.answers[(method, path)]
        if isinstance(found, Exception):
            raise found
        return found

    def get(self, service: str, path: str, **params: Any) -> Any:
        return self._answer("GET", service, path, **params)

    def post(self, service: str, path: str, body: Any) -> Any:
        return self._answer("POST", service, path, body=body)

    def patch(self, service: str, path: str, body: Any, *, if_match: int | None) -> Any:
        return self._answer("PATCH", service, path, body=body, if_match=if_match)

    def call(self, method: str, service: str, path: str, **kwargs: Any) -> Any:
        return self._answer(method, service, path, **kwargs)

    def all_items(self, service: str, path: str, **params: Any) -> list[Any]:
        return list(self._answer("GET", service, path, **params))


@pytest.fixture
def settings(tmp_path) -> PortalSettings:
    return portal_settings(tmp_path, public_stories=True)


def app_with(settings: PortalSettings, answers: dict[tuple[str, str], Any]) -> tuple[Any, FakeServices]:
    services = FakeServices(answers)
    return app_on(settings, services), services


def signed_in(app: Any, *roles: str) -> Any:
    return sign_in(app, "casey.comms", *roles, name="Casey Comms")


def test_tags_are_typed_as_words_separated_by_commas():
    assert split_tags("Falls, night shift ,falls,, Well-led") == ["falls", "night-shift", "well-led"]
    assert split_tags(None) == []


def test_the_topic_filter_offers_the_cqc_key_questions_and_the_directorates_by_their_tag():
    groups = dict(tag_choices([{"code": "DIR-ACUTE", "name": "Acute Medicine"}]))
    assert ("well-led", "Well-led") in groups["CQC key question"]
    assert groups["Directorate"] == [("dir-acute", "Acute Medicine")]
    assert [label for label, _ in tag_choices([])] == ["CQC key question"]


def test_a_tools_markdown_is_shown_without_its_raw_html_or_script_links():
    html = as_html("# PDSA\n\n## Plan\n\n<script>alert(1)</script>\n\n[go](javascript:alert(1)) and "
                   "[NHS](https://www.nhs.uk)")
    assert "<h2>PDSA</h2>" in html and "<h3>Plan</h3>" in html  # under the page's own h1
    assert "<h2>Plan</h2>" in as_html("### Plan")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html and 'href="https://www.nhs.uk"' in html


def test_audit_filters_leave_out_the_empty_ones_and_keep_the_rest_trimmed():
    assert audit_filters({"operation": " story.published ", "actor": "", "resource_id": "x" * 300}) == {
        "operation": "story.published", "resource_id": "x" * 200}


def test_visitors_read_the_story_library_and_a_story_when_the_trust_shares_them(settings):
    app, services = app_with(settings, {
        ("GET", "/api/v1/stories"): {**EMPTY_PAGE, "items": [STORY], "total": 1},
        ("GET", f"/api/v1/stories/by-slug/{STORY['slug']}"): STORY,
        ("GET", f"/api/v1/stories/{STORY['id']}/chart.svg"): Answer(text=SVG)})
    client = app.test_client()
    library = client.get("/stories/?q=discharge&tag=effective")
    assert library.status_code == 200 and b"Criteria-led discharge on Ward 7" in library.data
    assert services.calls[0][3] == {"q": "discharge", "tag": "effective", "page_size": 10, "cursor": None}
    assert b"Directorate" not in library.data  # the units are for staff: a visitor's filter has none
    page = client.get(f"/stories/{STORY['slug']}").get_data(as_text=True)
    assert SVG in page and "2026-04" in page and "Before" in page and "Publish the story" not in page


def test_when_the_trust_does_not_share_them_visitors_are_asked_to_sign_in(settings):
    app, _ = app_with(replace(settings, public_stories=False), {})
    for path in ("/stories/", "/stories/some-story", "/tools/", "/tools/a-tool", "/tools/a-tool/download"):
        answer = app.test_client().get(path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/sign-in"), path


def test_the_editors_pages_need_an_editor(settings):
    app, _ = app_with(settings, {})
    assert app.test_client().get("/stories/editing/new").status_code == 302
    assert signed_in(app, "staff").get("/stories/editing/new").status_code == 403
    assert signed_in(app, "staff").get("/tools/editing/new").status_code == 403
    assert signed_in(app, "staff", "comms_editor").get("/stories/editing/new").status_code == 200


def test_patient_data_the_service_refuses_is_shown_beside_its_field_and_nothing_is_saved(settings):
    refused = ServiceError(422, {"detail": "Patient-identifiable data", "errors": {
        "summary": ["This looks like an NHS number: remove it"]}})
    app, services = app_with(settings, {("POST", "/api/v1/stories"): refused})
    answer = signed_in(app, "comms_editor").post("/stories/editing/new", data={
        "title": "Huddles", "summary": "Patient 943 476 5919 went home", "tags": "safe, Huddles"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "This looks like an NHS number: remove it" in page
    assert 'href="#summary"' in page  # in the error summary, linked to the field
    assert "No patient-identifiable data" in page
    assert services.calls[0][3]["body"]["tags"] == ["safe", "huddles"]


def test_publishing_a_story_someone_else_changed_says_so(settings):
    draft = {**STORY, "state": "draft", "published_at": None}
    app, services = app_with(settings, {
        ("GET", f"/api/v1/stories/by-slug/{STORY['slug']}"): draft,
        ("POST", f"/api/v1/stories/{STORY['id']}/publication"): ServiceError(412, {"detail": "stale"})})
    client = signed_in(app, "comms_editor")
    answer = client.post(f"/stories/{STORY['slug']}/publication", data={"version": "2"})
    assert answer.status_code == 302
    assert services.calls[-1][3]["headers"] == {"If-Match": '"2"'}
    with client.session_transaction() as session:
        assert "Someone else changed this story" in session["_flashes"][0][1]


def test_the_audit_page_asks_the_chosen_service_with_the_filters_and_only_admins_open_it(settings):
    entry = {"id": 7, "occurred_at": "2027-01-15T09:30:00+00:00", "actor": "casey.comms", "actor_roles": ["staff"],
             "operation": "story.published", "resource_type": "story", "resource_id": STORY["id"],
             "before_version": 2, "after_version": 3, "correlation_id": "abc"}
    app, services = app_with(settings, {("GET", "/api/v1/audit"): {**EMPTY_PAGE, "items": [entry], "total": 1}})
    assert signed_in(app, "staff").get("/admin/audit").status_code == 403
    answer = signed_in(app, "admin").get("/admin/audit?service=stories&operation=story.published&actor=")
    assert answer.status_code == 200 and b"casey.comms" in answer.data
    method, service, path, params = [call for call in services.calls if call[2] == "/api/v1/audit"][-1]
    assert (service, params["operation"], "actor" in params) == ("stories", "story.published", False)
