"""The stories API on the real database: who may do what, stories by hand, the tools library and
its files."""

import uuid

import pytest

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.4\n% a small test file\n"


def write(client, bearer, **fields):
    body = {"title": "Ward 9 safety huddles", "summary": "A daily ten-minute huddle.", **fields}
    return client.post("/api/v1/stories", json=body, headers=bearer("comms_editor"))


def add_resource(client, bearer, **fields):
    body = {"title": f"PDSA template {uuid.uuid4().hex[:6]}", "summary": "One page per cycle.", "kind": "template",
            "tags": ["pdsa"], **fields}
    return client.post("/api/v1/resources", json=body, headers=bearer("qi_lead"))


def test_only_qi_leads_and_communications_editors_write_stories_and_a_caller_without_a_token_is_refused(
    stories_client, bearer
):
    body = {"title": "Huddles", "summary": "Daily."}
    assert stories_client.post("/api/v1/stories", json=body).status_code == 401
    assert stories_client.post("/api/v1/stories", json=body, headers=bearer("staff")).status_code == 403
    assert stories_client.post("/api/v1/stories", json=body, headers=bearer("qi_lead")).status_code == 201
    assert stories_client.get("/api/v1/stories/editing", headers=bearer("staff")).status_code == 403
    assert stories_client.get("/api/v1/stories").status_code == 401


def test_a_story_written_by_hand_is_a_draft_at_a_unique_permalink_that_staff_see_only_once_published(
    stories_client, bearer
):
    first = write(stories_client, bearer, tags=["Well Led"])
    second = write(stories_client, bearer)
    assert first.status_code == 201 and first.headers["Location"] == f"/api/v1/stories/{first.get_json()['id']}"
    assert first.get_json()["origin"] == "by_hand" and first.get_json()["tags"] == ["well-led"]
    assert second.get_json()["slug"] != first.get_json()["slug"]
    story_id = first.get_json()["id"]
    assert stories_client.get(f"/api/v1/stories/{story_id}", headers=bearer("staff")).status_code == 404
    stories_client.post(f"/api/v1/stories/{story_id}/publication", headers=bearer("comms_editor"))
    assert stories_client.get(f"/api/v1/stories/{story_id}", headers=bearer("staff")).status_code == 200
    tagged = stories_client.get("/api/v1/stories?tag=well-led", headers=bearer("staff")).get_json()
    assert story_id in [item["id"] for item in tagged["items"]]


def test_an_edit_needs_the_current_version_keeps_the_permalink_and_reindexes_a_published_storys_tags(
    stories_client, bearer
):
    story, tag = write(stories_client, bearer).get_json(), f"huddles-{uuid.uuid4().hex[:8]}"
    stories_client.post(f"/api/v1/stories/{story['id']}/publication", headers=bearer("qi_lead"))
    stale = stories_client.patch(f"/api/v1/stories/{story['id']}", json={"title": "New"},
                                 headers={**bearer("qi_lead"), "If-Match": '"1"'})
    assert stale.status_code == 412
    edited = stories_client.patch(f"/api/v1/stories/{story['id']}", json={"title": "Huddles that work",
                                                                         "tags": [tag]},
                                  headers={**bearer("qi_lead"), "If-Match": '"2"'})
    assert edited.status_code == 200 and edited.headers["ETag"] == '"3"'
    assert (edited.get_json()["title"], edited.get_json()["slug"]) == ("Huddles that work", story["slug"])
    tagged = stories_client.get(f"/api/v1/stories?tag={tag}", headers=bearer("staff")).get_json()
    assert [item["id"] for item in tagged["items"]] == [story["id"]]


def test_patient_identifiable_text_in_a_story_or_a_resource_is_refused_naming_the_field(stories_client, bearer):
    refused = write(stories_client, bearer, summary="Mrs Jones of LS1 4AP fell twice")
    assert refused.status_code == 422 and "summary" in refused.get_json()["errors"]
    story = write(stories_client, bearer).get_json()
    edit = stories_client.patch(f"/api/v1/stories/{story['id']}", json={"learning": "NHS number 943 476 5919"},
                                headers=bearer("qi_lead"))
    assert edit.status_code == 422 and "learning" in edit.get_json()["errors"]
    resource = add_resource(stories_client, bearer, body="DOB: 12/03/1961")
    assert resource.status_code == 422 and "body" in resource.get_json()["errors"]


def test_a_file_within_the_bound_is_kept_and_downloaded_as_an_attachment(stories_client, bearer):
    resource = add_resource(stories_client, bearer).get_json()
    uploaded = stories_client.put(f"/api/v1/resources/{resource['id']}/file", data=PDF,
                                  headers={**bearer("qi_lead"), "Content-Type": "application/pdf",
                                           "If-Match": '"1"'})
    assert uploaded.status_code == 200
    assert (uploaded.get_json()["size_bytes"], uploaded.get_json()["content_type"]) == (len(PDF), "application/pdf")
    download = stories_client.get(f"/api/v1/resources/{resource['id']}/file", headers=bearer("staff"))
    assert download.data == PDF and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == f'attachment; filename="{resource["slug"]}.pdf"'


def test_a_file_over_the_bound_is_413_and_one_of_another_type_or_for_a_link_is_422_and_nothing_is_kept(
    stories_client, bearer
):
    resource = add_resource(stories_client, bearer).get_json()
    url = f"/api/v1/resources/{resource['id']}/file"
    too_large = stories_client.put(url, data=b"x" * 4097, headers={**bearer("qi_lead"), "Content-Type": "text/plain"})
    assert too_large.status_code == 413 and too_large.mimetype == "application/problem+json"
    html = stories_client.put(url, data=b"<script>", headers={**bearer("qi_lead"), "Content-Type": "text/html"})
    assert html.status_code == 422 and "Content-Type" in html.get_json()["errors"]
    assert stories_client.get(url, headers=bearer("staff")).status_code == 404
    video = add_resource(stories_client, bearer, kind="video_link", link="https://example.org/spc-video")
    onto_link = stories_client.put(f"/api/v1/resources/{video.get_json()['id']}/file", data=PDF,
                                   headers={**bearer("qi_lead"), "Content-Type": "application/pdf"})
    assert onto_link.status_code == 422
    assert stories_client.put(url, data=PDF, headers={**bearer("staff"), "Content-Type": "application/pdf"}
                              ).status_code == 403


def test_a_video_link_without_a_link_is_refused_and_the_library_lists_by_kind_and_tag(stories_client, bearer):
    assert add_resource(stories_client, bearer, kind="video_link").status_code == 422
    tag = f"t-{uuid.uuid4().hex[:8]}"
    guide = add_resource(stories_client, bearer, kind="guide", tags=[tag]).get_json()
    add_resource(stories_client, bearer, kind="template", tags=[tag])
    listed = stories_client.get(f"/api/v1/resources?tag={tag}&kind=guide", headers=bearer("staff")).get_json()
    assert [item["id"] for item in listed["items"]] == [guide["id"]]
    guides = stories_client.get("/api/v1/resources?kind=guide&page_size=200", headers=bearer("staff")).get_json()
    assert guide["id"] in [item["id"] for item in guides["items"]]


def test_published_stories_and_the_library_are_readable_without_a_token_only_when_the_switch_is_on(
    stories_state, stories_client, bearer
):
    from dataclasses import replace

    from services.stories.bootstrap import Options
    from services.stories.entrypoints.api import create_app

    story = write(stories_client, bearer).get_json()
    stories_client.post(f"/api/v1/stories/{story['id']}/publication", headers=bearer("qi_lead"))
    opened = create_app(replace(stories_state, options=Options(public_reads=True))).test_client()
    assert opened.get(f"/api/v1/stories/by-slug/{story['slug']}").status_code == 200
    assert opened.get("/api/v1/resources").status_code == 200
    assert opened.get("/api/v1/stories/editing").status_code == 401
    draft = write(stories_client, bearer).get_json()  # opened to all, a draft is still for editors only
    assert opened.get(f"/api/v1/stories/by-slug/{draft['slug']}").status_code == 404
    assert opened.get(f"/api/v1/stories/by-slug/{draft['slug']}", headers=bearer("staff")).status_code == 404
    assert opened.get(f"/api/v1/stories/by-slug/{draft['slug']}", headers=bearer("comms_editor")).status_code == 200
    assert stories_client.get(f"/api/v1/stories/by-slug/{story['slug']}").status_code == 401
    security = opened.get("/openapi.json").get_json()["paths"]["/api/v1/stories/by-slug/{slug}"]["get"]["security"]
    assert security == []


def test_stories_and_the_library_are_searched_by_words_in_their_text(stories_client, bearer):
    word = f"zq{uuid.uuid4().hex[:8]}"
    found = write(stories_client, bearer, body=f"The huddle used a {word} board.").get_json()
    write(stories_client, bearer)
    stories_client.post(f"/api/v1/stories/{found['id']}/publication", headers=bearer("qi_lead"))
    published = stories_client.get(f"/api/v1/stories?q={word}", headers=bearer("staff")).get_json()
    assert [item["id"] for item in published["items"]] == [found["id"]] and published["total"] == 1
    editing = stories_client.get(f"/api/v1/stories/editing?q={word}", headers=bearer("comms_editor")).get_json()
    assert [item["id"] for item in editing["items"]] == [found["id"]]
    tool = add_resource(stories_client, bearer, summary=f"How to run a {word} review.", tags=["pdsa"]).get_json()
    for query in (f"q={word}", f"q={word}&tag=pdsa", f"q={word}&kind=template"):
        listed = stories_client.get(f"/api/v1/resources?{query}", headers=bearer("staff")).get_json()
        assert [item["id"] for item in listed["items"]] == [tool["id"]], query
    at_permalink = stories_client.get(f"/api/v1/resources/by-slug/{tool['slug']}", headers=bearer("staff"))
    assert at_permalink.status_code == 200 and at_permalink.get_json()["id"] == tool["id"]
    assert stories_client.get("/api/v1/resources/by-slug/no-such-tool", headers=bearer("staff")).status_code == 404
    nothing = stories_client.get(f"/api/v1/resources?q=zq{uuid.uuid4().hex[:8]}", headers=bearer("staff")).get_json()
    assert nothing["items"] == [] and nothing["total"] == 0
