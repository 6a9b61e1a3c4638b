"""The rules of the tools library: templates, guides, video links and courses people can use.

A resource has either a link or an uploaded file (video links and courses have a link). Files are
bounded in size and limited to the document and image types below, so nothing executable or
script-carrying is served back from the trust's domain.
"""

from __future__ import annotations

from shared.errors import InvalidInput, TooLarge

TEMPLATE, GUIDE, VIDEO_LINK, COURSE = "template", "guide", "video_link", "course"
KINDS = (TEMPLATE, GUIDE, VIDEO_LINK, COURSE)
LINK_ONLY = frozenset({VIDEO_LINK, COURSE})
# Documents people fill in or read, and plain images; no HTML or SVG (they can carry scripts).
CONTENT_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/csv": ".csv",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}
MAX_FILE_BYTES = 2 * 1024 * 1024


class FileTooLarge(TooLarge):
    """The uploaded file is larger than the library keeps."""


class NotAFileResource(InvalidInput):
    """A video link or a course is a link; it holds no file."""


def check_link(kind: str, link: str | None) -> None:
    if kind in LINK_ONLY and not link:
        raise InvalidInput(f"a {kind.replace('_', ' ')} needs a link", field="link")


def check_file(kind: str, content_type: str, size: int, max_bytes: int) -> None:
    if kind in LINK_ONLY:
        raise NotAFileResource(f"a {kind.replace('_', ' ')} is a link and holds no file", field="kind")
    if content_type not in CONTENT_TYPES:
        raise InvalidInput(f"{content_type or 'no type'} is not a type the library keeps; allowed: "
                           f"{', '.join(sorted(CONTENT_TYPES))}", field="Content-Type")
    if size == 0:
        raise InvalidInput("the file is empty", field="file")
    if size > max_bytes:
        raise FileTooLarge(f"the file is {size} bytes; the library keeps files of at most {max_bytes} bytes")


def file_name(stem: str, content_type: str) -> str:
    """A safe download name from the resource's slug and its type."""
    return f"{stem}{CONTENT_TYPES.get(content_type, '')}"
