"""The portal's main pages, each with who opens it: the browser tests run axe-core on every one and
`make screenshots` photographs them (portal/tests/browser/screenshots.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Page, Response


@dataclass(frozen=True)
class MainPage:
    name: str
    path: str
    user: str | None  # None: opened signed out
    # a link on the page at path to open (a page whose address the demo makes): its exact name, or a
    # pattern its name matches (a link naming a date the demo picks); the first such link
    follow: str | re.Pattern[str] | None = None

    def open(self, page: Page, portal_url: str) -> Response | None:
        """Open the page (following ``follow`` from ``path``); the answer of the page's own request."""
        response = page.goto(portal_url + self.path)
        if self.follow:
            with page.expect_navigation() as navigation:
                page.get_by_role("link", name=self.follow, exact=isinstance(self.follow, str)).first.click()
            response = navigation.value
        return response


MAIN_PAGES = (
    MainPage("welcome", "/", None),
    MainPage("signed-out", "/signed-out", None),
    MainPage("home", "/", "alice.owner"),
    MainPage("kpis-trust", "/kpis/", "alice.owner"),
    MainPage("kpis-ward", "/kpis/?unit=WARD-12", "alice.owner"),
    MainPage("kpis-compare-directorate", "/kpis/units/DIR-ELDER/compare", "alice.owner"),
    MainPage("kpis-compare-division", "/kpis/units/DIV-MED/compare", "sam.nurse"),
    MainPage("board-summary-trust", "/board/", "sam.nurse"),
    MainPage("board-summary-ward", "/board/?unit=WARD-12", "alice.owner"),
    MainPage("board-report-ward", "/board/units/WARD-12/report", "alice.owner"),
    MainPage("board-report-directorate", "/board/units/DIR-ELDER/report", "sam.nurse"),
    MainPage("kpis-safe", "/kpis/?unit=WARD-12&cqc=safe", "alice.owner"),
    MainPage("kpis-compare-safe", "/kpis/units/DIR-ELDER/compare?cqc=safe", "alice.owner"),
    MainPage("board-packs", "/kpis/board-packs/", "alice.owner"),
    MainPage("board-pack-month-owner", "/kpis/board-packs/2026-10", "alice.owner"),
    MainPage("board-pack-month-admin", "/kpis/board-packs/2026-10", "ada.admin"),
    MainPage("kpi-chart-owner", "/kpis/ALOS/units/WARD-7", "alice.owner"),
    MainPage("kpi-chart-trust", "/kpis/STAFF_TRAINED_QI/units/TRUST", "sam.nurse"),
    MainPage("projects", "/projects/", "sam.nurse"),
    MainPage("projects-safe-active", "/projects/?cqc=safe&stage=active", "sam.nurse"),
    MainPage("project-register", "/projects/new", "sam.nurse"),
    MainPage("project-completed", "/projects/?q=criteria-led", "sam.nurse",
             follow="Criteria-led discharge on Ward 7"),
    MainPage("project-active-team", "/projects/?q=falls+ward+12", "sam.nurse",
             follow="Fewer falls at night on Ward 12"),
    MainPage("project-submitted-qi-lead", "/projects/?q=follow-up+calls", "quinn.lead",
             follow="Follow-up calls after discharge from Ward 9"),
    MainPage("signals", "/signals/", "alice.owner"),
    MainPage("signals-open", "/signals/?state=open&kpi=FALLS_1000", "sam.nurse"),
    MainPage("signal-qi-lead", "/signals/1", "quinn.lead"),
    MainPage("training", "/training/", "sam.nurse"),
    MainPage("training-course", "/training/courses/QI-BRONZE", "sam.nurse"),
    MainPage("training-course-trainer", "/training/courses/QI-BRONZE", "tara.trainer"),
    MainPage("training-session-move", "/training/courses/QI-BRONZE", "tara.trainer",
             follow=re.compile("^Change date, time or venue")),
    MainPage("training-session-cancel", "/training/courses/QI-BRONZE", "ada.admin",
             follow=re.compile("^Cancel this session")),
    MainPage("stories-visitor", "/stories/", None),
    MainPage("story-visitor", "/stories/criteria-led-discharge-on-ward-7", None),
    MainPage("stories-editor", "/stories/", "casey.comms"),
    MainPage("story-editor", "/stories/criteria-led-discharge-on-ward-7", "casey.comms"),
    MainPage("story-write", "/stories/editing/new", "casey.comms"),
    MainPage("story-drafts", "/stories/editing/drafts", "casey.comms"),
    MainPage("tools-visitor", "/tools/", None),
    MainPage("tool-visitor", "/tools/pdsa-cycle-template", None),
    MainPage("tool-add", "/tools/editing/new", "casey.comms"),
    MainPage("ideas", "/ideas/", "sam.nurse"),
    MainPage("ideas-filtered", "/ideas/?stage=accepted&sort=votes", "sam.nurse"),
    MainPage("idea", "/ideas/?q=water", "sam.nurse", follow="Water jugs refilled at every drug round"),
    MainPage("idea-qi-lead", "/ideas/?q=water", "quinn.lead", follow="Water jugs refilled at every drug round"),
    MainPage("idea-moderator", "/ideas/?q=falls+sensors", "mo.moderator", follow="Falls sensors on Ward 12"),
    MainPage("idea-implemented", "/ideas/?q=discharge", "sam.nurse", follow="Nurse-led discharge on Ward 7"),
    MainPage("idea-new", "/ideas/new", "sam.nurse"),
    MainPage("idea-share", "/ideas/share", None),
    MainPage("ideas-moderation", "/ideas/moderation", "mo.moderator"),
    MainPage("training-course-prerequisite", "/training/courses/QI-SILVER", "sam.nurse"),
    MainPage("training-record", "/training/record", "sam.nurse"),
    MainPage("training-verify", "/training/verify", None),
    MainPage("training-verify-unknown", "/training/verify/AAAA-BBBB-CCCC", None),
    MainPage("me", "/me/", "sam.nurse"),
    MainPage("my-notifications", "/me/notifications", "alice.owner"),
    MainPage("my-preferences", "/me/preferences", "alice.owner"),
    MainPage("my-follows", "/me/follows", "alice.owner"),
    MainPage("unsubscribe-bad-link", "/unsubscribe/not-a-link", None),
    MainPage("admin", "/admin/", "ada.admin"),
    MainPage("admin-kpis", "/admin/kpis", "ada.admin"),
    MainPage("admin-kpi", "/admin/kpis/ALOS", "ada.admin"),
    MainPage("admin-data-sources", "/admin/data-sources/", "ada.admin"),
    MainPage("admin-data-source", "/admin/data-sources/", "ada.admin", follow="hospital data warehouse (demo)"),
    MainPage("admin-units", "/admin/units", "ada.admin"),
    MainPage("admin-audit", "/admin/audit?service=stories", "ada.admin"),
    MainPage("admin-emails", "/admin/emails?status=bounced", "ada.admin"),
    MainPage("forbidden", "/admin/kpis", "sam.nurse"),
    MainPage("not-found", "/kpis/NOPE/units/TRUST", "sam.nurse"),
)
