"""The header's navigation: an entry shows once its page exists in the app (ideas, projects, stories
and tools are listed ready for the blueprints that will add them) and the person may open it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for

from portal.auth import current_user


@dataclass(frozen=True)
class Entry:
    label: str
    endpoint: str
    roles: tuple[str, ...] = ()  # empty: every signed-in person


ENTRIES = (
    Entry("Home", "home.index"),
    Entry("Ideas", "ideas.index"),
    Entry("Projects", "projects.index"),
    Entry("KPIs", "kpis.index"),
    Entry("Board", "board.index"),
    Entry("Signals", "signals.index"),
    Entry("Training", "training.index"),
    Entry("Stories", "stories.index"),
    Entry("Tools", "tools.index"),
    Entry("Me", "me.index"),
    Entry("Admin", "admin.index", roles=("admin",)),
)


# Blueprints whose pages belong to another entry's section.
SECTION_OF = {"board_packs": "kpis", "data_sources": "admin"}


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    current: bool


def navigation() -> list[Link]:
    user = current_user()
    if user is None:
        return []
    section = (request.endpoint or "").split(".")[0]
    section = SECTION_OF.get(section, section)
    return [Link(entry.label, url_for(entry.endpoint), entry.endpoint.split(".")[0] == section)
            for entry in ENTRIES
            if entry.endpoint in current_app.view_functions and (not entry.roles or user.has_any(*entry.roles))]
