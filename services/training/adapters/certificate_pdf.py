"""A certificate of completion as a one-page A4 PDF, drawn with fpdf2 in a Unicode TrueType font
(DejaVu Sans by default: Latin, Greek and Cyrillic among others), so every name prints as written.

The fonts are found once, when the service starts (``fonts_in``): a missing font file stops the
start with a message saying what to install, rather than certificates with letters left out."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from fpdf import FPDF

NHS_BLUE = (0, 94, 184)
DARK = (33, 43, 50)
PROGRAMME = "Work Together, Get Results (WTGR)"
DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu"  # Debian's fonts-dejavu-core
REGULAR_FILE, BOLD_FILE = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
FAMILY = "CertificateSans"


class FontMissing(RuntimeError):
    """A font file the certificates need is not there."""


@dataclass(frozen=True)
class Fonts:
    regular: Path
    bold: Path


def fonts_in(directory: str | Path) -> Fonts:
    """The regular and bold fonts in ``directory`` (WTGR_CERTIFICATE_FONT_DIR); FontMissing names the
    file that is not there and how to get it."""
    fonts = Fonts(Path(directory) / REGULAR_FILE, Path(directory) / BOLD_FILE)
    for path in (fonts.regular, fonts.bold):
        if not path.is_file():
            raise FontMissing(f"the training certificates need the font {path}: install Debian's fonts-dejavu-core "
                              "(`apt-get install fonts-dejavu-core`, as `make install` does) or point "
                              "WTGR_CERTIFICATE_FONT_DIR at a folder holding DejaVuSans.ttf and DejaVuSans-Bold.ttf")
    return fonts


@dataclass(frozen=True)
class Certificate:
    code: str
    name: str
    course_title: str
    level_title: str
    completed_on: date
    verify_url: str  # where anyone checks the code


def render(certificate: Certificate, fonts: Fonts) -> bytes:
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.add_font(FAMILY, "", fonts.regular)
    pdf.add_font(FAMILY, "B", fonts.bold)
    pdf.set_title(f"WTGR certificate {certificate.code}")
    pdf.set_author(PROGRAMME)
    pdf.set_creation_date(datetime.combine(certificate.completed_on, time(), UTC))  # same input, same bytes
    pdf.set_auto_page_break(False)
    pdf.add_page()
    width = pdf.w - 40
    pdf.set_draw_color(*NHS_BLUE)
    pdf.set_line_width(2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_fill_color(*NHS_BLUE)
    pdf.rect(10, 10, pdf.w - 20, 26, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FAMILY, "B", 20)
    pdf.set_xy(20, 17)
    pdf.cell(width, 12, PROGRAMME, align="C")

    pdf.set_text_color(*DARK)
    pdf.set_font(FAMILY, "", 16)
    pdf.set_xy(20, 52)
    pdf.cell(width, 10, "Certificate of completion", align="C")
    pdf.set_font(FAMILY, "", 13)
    pdf.set_xy(20, 70)
    pdf.cell(width, 8, "This is to certify that", align="C")
    pdf.set_font(FAMILY, "B", 28)
    pdf.set_xy(20, 82)
    pdf.cell(width, 14, _nfc(certificate.name), align="C")
    pdf.set_font(FAMILY, "", 13)
    pdf.set_xy(20, 102)
    pdf.cell(width, 8, "has completed the training course", align="C")
    pdf.set_font(FAMILY, "B", 18)
    pdf.set_xy(20, 113)
    pdf.multi_cell(width, 10, _nfc(certificate.course_title), align="C")
    pdf.set_font(FAMILY, "", 13)
    pdf.set_x(20)
    pdf.cell(width, 8, _nfc(f"Level: {certificate.level_title}"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(20)
    pdf.cell(width, 8, f"Completed on {certificate.completed_on.day} {certificate.completed_on:%B %Y}", align="C")

    pdf.set_font(FAMILY, "", 11)
    pdf.set_xy(20, pdf.h - 45)
    pdf.cell(width, 6, f"Verification code: {certificate.code}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(20)
    pdf.cell(width, 6, f"Check it at {certificate.verify_url}", align="C")
    return bytes(pdf.output())


def _nfc(text: str) -> str:
    """Composed letters (e + combining diaeresis becomes ë), which the font has as single glyphs."""
    return unicodedata.normalize("NFC", text)
