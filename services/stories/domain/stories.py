"""The rules of a success story, in plain Python.

A story is drafted (from a completed project, or written by hand for an improvement made before
the platform) and then published by a QI lead or a communications editor; published is final, but
an editor may still correct it. Its permalink is a slug made from its title, unique for ever.
Stories are free text written by staff: nothing in them may identify a patient.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from shared.errors import Conflict, InvalidInput

DRAFT, PUBLISHED = "draft", "published"
STATES = (DRAFT, PUBLISHED)
MAX_SLUG = 80
MAX_TAGS, MAX_TAG = 12, 40
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_TAG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class AlreadyPublished(Conflict):
    """The story is published already."""


def slug_for(title: str) -> str:
    """The readable part of a permalink: "Falls down by a third" -> "falls-down-by-a-third"."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_title.lower()).strip("-")[:MAX_SLUG].rstrip("-")
    return slug or "story"


def numbered_slug(slug: str, n: int) -> str:
    """The n-th candidate for a slug that is taken: the slug itself, then slug-2, slug-3..."""
    return slug if n <= 1 else f"{slug[:MAX_SLUG - len(str(n)) - 1]}-{n}"


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags lower-cased and de-duplicated in the order given; InvalidInput for one that is not a tag."""
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip().lower().replace(" ", "-")
        if not _TAG.match(tag) or len(tag) > MAX_TAG:
            raise InvalidInput(f"{tag!r} is not a tag: lower-case letters, digits and hyphens, at most {MAX_TAG}",
                               field="tags")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise InvalidInput(f"a story has at most {MAX_TAGS} tags", field="tags")
    return cleaned


def check_publishable(state: str) -> None:
    if state == PUBLISHED:
        raise AlreadyPublished("the story is published already")


@dataclass(frozen=True)
class Completion:
    """What a completed project tells its story: from project.completed (v1 carries only the aim)."""

    title: str
    aim: str
    results: str = ""
    learning: str = ""
    directorate: str | None = None
    cqc: tuple[str, ...] = ()


def summary_of(completion: Completion) -> str:
    """The draft summary: the aim, then the results when the project reported them."""
    parts = [f"The aim: {completion.aim.strip()}" if completion.aim.strip() else "",
             f"What happened: {completion.results.strip()}" if completion.results.strip() else ""]
    return "\n\n".join(part for part in parts if part) or f"{completion.title} is complete."


def draft_tags(completion: Completion) -> list[str]:
    """Tags a drafted story starts with: its directorate and the CQC key questions it served."""
    raw = [*(completion.cqc or ()), *([completion.directorate] if completion.directorate else [])]
    return clean_tags(_NOT_SLUG.sub("-", tag.lower()).strip("-")[:MAX_TAG] for tag in raw if tag.strip())
