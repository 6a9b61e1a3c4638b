"""A published story about a completed project says whether its improvement has been sustained
since the project completed (kept current from metrics' events), for anyone who reads it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_a_published_story_says_whether_its_improvement_has_held(page: Page, portal_url):
    expect.set_options(timeout=30_000)
    try:
        page.goto(portal_url + "/stories/criteria-led-discharge-on-ward-7")
        held = page.locator(".app-sustainment")
        expect(held).to_be_visible()
        expect(held).to_contain_text(re.compile("project completed in", re.IGNORECASE))
        expect(held.locator(".nhsuk-tag")).to_have_text(
            [re.compile(r"^(Sustained for \d+ months?|Watched since completion|Not sustained: .*)$")])
    finally:
        expect.set_options(timeout=5_000)
