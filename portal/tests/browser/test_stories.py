"""Stories, the tools library and the audit trail in Chromium: a visitor who has not signed in reads a
published story and downloads a tool; a communications editor writes and publishes a story, which
the library then lists; an admin finds that publication in the audit trail."""

from __future__ import annotations

import os
import re
import uuid

import pytest
import requests
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PROJECT_STORY = "Criteria-led discharge on Ward 7"  # drafted when the demo's project completed, published


def test_a_visitor_who_has_not_signed_in_reads_a_published_story_with_its_chart(page, portal_url):
    page.goto(portal_url + "/")
    page.get_by_role("link", name="Success stories").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Success stories")
    page.get_by_role("link", name=PROJECT_STORY).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PROJECT_STORY)
    chart = page.get_by_role("img", name=re.compile(f"{PROJECT_STORY}: before and after"))
    expect(chart).to_be_visible()
    table = page.get_by_role("table", name=re.compile("every month charted"))
    expect(table.get_by_role("cell", name="Before", exact=True).first).to_be_visible()
    expect(table.get_by_role("cell", name="After", exact=True).first).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)  # nobody is signed in
    expect(page.get_by_text("For editors")).to_have_count(0)


def test_a_visitor_finds_a_tool_by_its_words_and_downloads_it(page, portal_url):
    page.goto(portal_url + "/")
    page.get_by_role("link", name="The tools library").click()
    page.get_by_label("Words").fill("PDSA cycle")
    page.get_by_role("button", name="Find tools").click()
    page.get_by_role("link", name="PDSA cycle template", exact=True).click()
    with page.expect_download() as downloading:
        page.get_by_role("button", name=re.compile("^Download pdsa-cycle-template.md")).click()
    download = downloading.value
    assert download.suggested_filename == "pdsa-cycle-template.md"
    with open(download.path(), encoding="utf-8") as handle:
        assert handle.read().startswith("# PDSA cycle template")


def test_a_comms_editor_publishes_a_story_the_library_lists_and_an_admin_finds_it_in_the_audit_trail(
        browser, demo_data, sign_in, portal_url):
    words = f"Huddle board {uuid.uuid4().hex[:6]}"
    title = f"Safety huddles on Ward 9: {words}"
    editor = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = editor.new_page()
    try:
        sign_in(page, "casey.comms")
        page.get_by_role("navigation", name="Menu").get_by_role("link", name="Stories").click()
        page.get_by_role("link", name="Write a story").click()
        expect(page.get_by_text("No patient-identifiable data").first).to_be_visible()
        page.get_by_label("Title").fill(title)
        page.get_by_label("Summary").fill("Patient 943 476 5919 was the first to be discussed.")
        page.get_by_role("button", name="Save as a draft").click()
        expect(page.locator(".nhsuk-error-summary")).to_contain_text("NHS number")  # the service's guard
        page.get_by_label("Summary").fill("A ten-minute huddle at each shift change made falls risks everyone's.")
        page.get_by_label("The story (optional)").fill("It began on one ward and spread to five.")
        page.get_by_label("Tags (optional)").fill("safe, huddles")
        page.get_by_role("button", name="Save as a draft").click()
        expect(page.get_by_text("Your story is saved as a draft.")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        page.get_by_role("button", name="Publish the story").click()
        expect(page.get_by_text("The story is published")).to_be_visible()
        slug = page.url.rstrip("/").rsplit("/", 1)[-1]
        page.get_by_role("link", name="All stories").click()
        page.get_by_label("Words").fill(words)
        page.get_by_role("button", name="Find stories").click()
        expect(page.get_by_role("link", name=title)).to_be_visible()
        expect(page.get_by_text("1 story found.")).to_be_visible()
    finally:
        editor.close()
    story = requests.get(f"http://127.0.0.1:{os.environ['STORIES_PORT']}/api/v1/stories/by-slug/{slug}",
                         timeout=10).json()  # a published story: open to all in the demo trust

    admin = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = admin.new_page()
    try:
        sign_in(page, "ada.admin")
        page.get_by_role("navigation", name="Menu").get_by_role("link", name="Admin").click()
        page.get_by_role("link", name="The audit trail").click()
        page.get_by_label("Service").select_option("stories")
        page.get_by_label("Operation").fill("story.published")
        page.get_by_label("Record", exact=True).fill(story["id"])
        page.get_by_role("button", name="Show the trail").click()
        trail = page.get_by_role("table", name=re.compile("stories service's audit trail"))
        [row] = trail.get_by_role("row").filter(has_text=story["id"]).all()
        expect(row).to_contain_text("story.published")
        expect(row).to_contain_text("casey.comms")
    finally:
        admin.close()


def test_staff_see_no_editors_links_and_are_refused_the_editors_pages(page, sign_in, portal_url):
    sign_in(page, "sam.nurse")
    page.goto(portal_url + "/stories/")
    expect(page.get_by_role("link", name="Write a story")).to_have_count(0)
    response = page.goto(portal_url + "/tools/editing/new")
    assert response is not None and response.status == 403
