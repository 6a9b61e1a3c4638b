"""A page of the portal as a PDF, drawn by WeasyPrint from the same HTML the browser is given, with the
print styles (``@media print``) applied: the board report's download.

WeasyPrint is given only the portal's own files (``/static/...`` and the NHS design system under
``/assets/nhsuk/...``), read from disk: the PDF is made without a request back to the portal (which
would need the person's session) and never fetches anything from elsewhere, whatever a page links to.
The two stylesheets are parsed once per process and handed to every PDF.
"""

from __future__ import annotations

import functools
import mimetypes
from pathlib import Path
from typing import Any

from flask import current_app
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

BASE_URL = "https://portal.invalid/"


STYLESHEETS = ("assets/nhsuk/nhsuk-frontend.min.css", "static/portal.css")


def pdf_of(html: str) -> bytes:
    """The page rendered for print, as PDF bytes, with the portal's stylesheets (``STYLESHEETS``: a page
    made for a PDF leaves out its own links to them)."""
    settings = current_app.extensions["portal_settings"]
    files = PortalFiles(Path(current_app.static_folder or ""), Path(settings.nhsuk_dir))
    found: bytes = HTML(string=html, base_url=BASE_URL, url_fetcher=files, media_type="print").write_pdf(
        stylesheets=_stylesheets(files.roots["/static/"], files.roots["/assets/nhsuk/"]))
    return found


@functools.cache
def _stylesheets(static: Path, nhsuk: Path) -> tuple[CSS, ...]:
    """The stylesheets parsed once per process: the design system's takes WeasyPrint 1.5-2.5 s to parse,
    a report then about half a second to draw."""
    files = PortalFiles(static, nhsuk)
    return tuple(CSS(url=BASE_URL + sheet, url_fetcher=files, media_type="print") for sheet in STYLESHEETS)


class PortalFiles(URLFetcher):
    """WeasyPrint's fetcher, given the portal's own static files by their URL and nothing else (any
    other URL is refused: WeasyPrint leaves it out of the PDF and logs a warning)."""

    def __init__(self, static: Path, nhsuk: Path) -> None:
        super().__init__(allowed_protocols=("https",))
        self.roots = {"/static/": static.resolve(), "/assets/nhsuk/": nhsuk.resolve()}

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = url.removeprefix(BASE_URL.rstrip("/")).split("?")[0]
        for prefix, root in self.roots.items():
            if path.startswith(prefix):
                file = (root / path.removeprefix(prefix)).resolve()
                if file.is_file() and file.is_relative_to(root):
                    kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, body=file.read_bytes(), headers={"Content-Type": kind})
        raise ValueError(f"not one of the portal's files: {url}")
