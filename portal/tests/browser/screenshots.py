"""`make screenshots`: a full-page PNG of every main page (portal/tests/browser/pages.py), signed in as
the user who opens it, in Debian's Chromium; with each page's render time. Needs the test servers with
the demo data (devstack/run-screenshots.sh starts them).

python -m portal.tests.browser.screenshots [FOLDER]   (default .local/screenshots)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from devstack.browser import chromium
from portal.tests.browser.conftest import USERS
from portal.tests.browser.pages import MAIN_PAGES

REPO = Path(__file__).resolve().parents[3]


def main(folder: Path) -> None:
    portal = os.environ["WTGR_PORTAL_URL"]
    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        for main in MAIN_PAGES:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
            page = context.new_page()
            if main.user:
                page.goto(portal + "/sign-in")
                page.get_by_label("Username").fill(main.user)
                page.get_by_label("Password").fill(str(USERS[main.user]["password"]))
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url(portal + "/")
            started = time.monotonic()
            response = page.goto(portal + main.path)
            if main.link:
                with page.expect_navigation() as opened:
                    page.get_by_role("link", name=main.link, exact=True).first.click()
                response = opened.value
            took = time.monotonic() - started
            for summary in page.locator("summary").all():
                summary.click()
            path = folder / f"{main.name}.png"
            page.screenshot(path=str(path), full_page=True)
            status = response.status if response else "?"
            shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
            print(f"{main.name:<26} {status}  {took * 1000:6.0f} ms  {shown}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / ".local" / "screenshots")
