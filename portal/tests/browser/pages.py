"""The portal's main pages, each with who opens it: the browser tests run axe-core on every one and
`make screenshots` photographs them (portal/tests/browser/screenshots.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MainPage:
    name: str
    path: str
    user: str | None  # None: opened signed out


MAIN_PAGES = (
    MainPage("welcome", "/", None),
    MainPage("signed-out", "/signed-out", None),
    MainPage("home", "/", "alice.owner"),
    MainPage("kpis-trust", "/kpis/", "alice.owner"),
    MainPage("kpis-ward", "/kpis/?unit=WARD-12", "alice.owner"),
    MainPage("kpis-compare-directorate", "/kpis/units/DIR-ELDER/compare", "alice.owner"),
    MainPage("kpi-chart-owner", "/kpis/ALOS/units/WARD-7", "alice.owner"),
    MainPage("kpi-chart-trust", "/kpis/STAFF_TRAINED_QI/units/TRUST", "sam.nurse"),
    MainPage("training", "/training/", "sam.nurse"),
    MainPage("training-course", "/training/courses/QI-BRONZE", "sam.nurse"),
    MainPage("training-course-trainer", "/training/courses/QI-BRONZE", "tara.trainer"),
    MainPage("training-course-prerequisite", "/training/courses/QI-SILVER", "sam.nurse"),
    MainPage("training-record", "/training/record", "sam.nurse"),
    MainPage("training-verify", "/training/verify", None),
    MainPage("training-verify-unknown", "/training/verify/AAAA-BBBB-CCCC", None),
    MainPage("me", "/me/", "sam.nurse"),
    MainPage("admin", "/admin/", "ada.admin"),
    MainPage("admin-kpis", "/admin/kpis", "ada.admin"),
    MainPage("admin-units", "/admin/units", "ada.admin"),
    MainPage("forbidden", "/admin/kpis", "sam.nurse"),
    MainPage("not-found", "/kpis/NOPE/units/TRUST", "sam.nurse"),
)
