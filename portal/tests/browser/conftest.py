"""Browser tests: Playwright drives Debian's Chromium (devstack/browser.py) against the portal, the
development OIDC provider and the services that `make test` runs; the demo data is loaded once.

``sign_in`` goes through the real provider's sign-in form; ``axe`` runs axe-core (from npm, evaluated
in the page through the DevTools protocol, which the page's CSP does not govern) and returns its
violations.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from conftest import required_env
from devstack.browser import chromium
from devstack.oidc_provider import demo_users

REPO = Path(__file__).resolve().parents[3]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
USERS = {str(user["username"]): user for user in demo_users()}


@pytest.fixture(scope="session")
def portal_url() -> str:
    return required_env("WTGR_PORTAL_URL")


@pytest.fixture(scope="session")
def demo_data() -> None:
    """The demo trust, KPIs and course, as `make run` loads them (idempotent: loaded once per env)."""
    result = subprocess.run([sys.executable, "-m", "devstack.demo"], cwd=REPO, env=dict(os.environ),
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        yield found
        found.close()


@pytest.fixture
def page(browser: Browser, demo_data: None) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    found = context.new_page()
    found.set_default_timeout(30_000)
    yield found
    context.close()


@pytest.fixture
def sign_in(portal_url: str) -> Callable[[Page, str], None]:
    def go(page: Page, username: str) -> None:
        page.goto(portal_url + "/sign-in")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(str(USERS[username]["password"]))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(portal_url + "/")
        assert page.get_by_role("heading", level=1).inner_text() == f"Hello, {USERS[username]['name']}"

    return go


@pytest.fixture(scope="session")
def axe_results() -> Iterator[dict[str, Any]]:
    """Every page's axe-core result, written to .local/test/axe-results.json for the record."""
    results: dict[str, Any] = {}
    yield results
    out = REPO / ".local" / "test" / "axe-results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


def axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.2 A and AA, and best practice)."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [node["target"] for node in v["nodes"]][:5]} for v in result["violations"]]
