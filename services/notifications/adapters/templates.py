"""The plain-text email templates (services/notifications/templates), rendered with Jinja2.

Each template extends ``_layout.txt`` (greeting, link, why you receive it) and defines a
``subject`` block and a ``body`` block. A name missing from the context is an error, not an empty
string, so a template cannot silently drop what it was meant to say.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


class EmailTemplates:
    def __init__(self, folder: Path = TEMPLATES):
        # Text emails: nothing is HTML, so nothing is escaped (autoescape off is deliberate).
        self.environment = Environment(loader=FileSystemLoader(folder), undefined=StrictUndefined,
                                       autoescape=False, trim_blocks=True, lstrip_blocks=True)

    def names(self) -> list[str]:
        return sorted(name.removesuffix(".txt") for name in self.environment.list_templates()
                      if not name.startswith("_"))

    def render(self, name: str, context: dict[str, Any]) -> tuple[str, str]:
        """The subject (on one line) and the body of template ``name`` for ``context``."""
        template = self.environment.get_template(f"{name}.txt")
        subject = "".join(template.blocks["subject"](template.new_context(context)))
        return " ".join(subject.split()), template.render(context).strip() + "\n"
