"""The email templates (services/notifications/templates), rendered with Jinja2.

An event's template (``idea_declined.txt``, ...) defines a ``subject`` block and a ``body``
block: what one notification says, shown in the feed, in an email of its own or as one entry of a
digest. The email around it is ``_email.txt`` (plain text) and ``_email.html`` (HTML, escaped),
from one ``EmailView``. A name missing from the context is an error, not an empty string, so a
template cannot silently drop what it was meant to say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.notifications.domain import words

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@dataclass(frozen=True)
class ItemView:
    """One notification inside an email."""

    subject: str
    body: str
    link: str
    when: str = ""

    @property
    def lines(self) -> list[str]:
        return [line for line in self.body.splitlines() if line.strip()]


@dataclass(frozen=True)
class EmailView:
    """Everything an email says: a heading, who it greets, its notifications, why it was sent and how
    to stop it."""

    subject: str
    name: str | None
    items: list[ItemView]
    because: str
    preferences_url: str
    unsubscribe_url: str
    unsubscribe_what: str
    intro: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class EmailTemplates:
    def __init__(self, folder: Path = TEMPLATES):
        # The event templates and _email.txt are text: nothing is escaped there (deliberately);
        # _email.html escapes everything it is given.
        self.environment = Environment(loader=FileSystemLoader(folder), undefined=StrictUndefined,
                                       autoescape=select_autoescape(["html"]), trim_blocks=True,
                                       lstrip_blocks=True)
        self.environment.filters.update(month=words.month, rule=words.rule,  # "September 2026", rules in words
                                        month_as_sent=words.month_as_sent)

    def names(self) -> list[str]:
        return sorted(name.removesuffix(".txt") for name in self.environment.list_templates()
                      if not name.startswith("_") and name.endswith(".txt"))

    def render(self, name: str, context: dict[str, Any]) -> tuple[str, str]:
        """The subject (on one line) and the body (what the notification says) of template ``name``."""
        template = self.environment.get_template(f"{name}.txt")
        subject = "".join(template.blocks["subject"](template.new_context(context)))
        body = "".join(template.blocks["body"](template.new_context(context)))
        return " ".join(subject.split()), _tidy(body)

    def email(self, view: EmailView) -> tuple[str, str]:
        """The plain-text and the HTML part of an email."""
        context = {"view": view}
        text = self.environment.get_template("_email.txt").render(context)
        html = self.environment.get_template("_email.html").render(context)
        return _tidy(text) + "\n", html


def _tidy(text: str) -> str:
    """At most one blank line in a row, none at either end."""
    lines: list[str] = []
    for line in text.strip().splitlines():
        if line.strip() or (lines and lines[-1].strip()):
            lines.append(line.rstrip())
    return "\n".join(lines).strip()
