"""A certificate of completion as a one-page A4 PDF, drawn with fpdf2 (its core Helvetica font, so
no font file is shipped; text outside Latin-1 is written with its nearest Latin-1 form)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from fpdf import FPDF

NHS_BLUE = (0, 94, 184)
DARK = (33, 43, 50)
NO_DECOMPOSITION = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Œ": "OE", "œ": "oe", "ı": "i", "’": "'"}
PROGRAMME = "Work Together, Get Results (WTGR)"


@dataclass(frozen=True)
class Certificate:
    code: str
    name: str
    course_title: str
    level_title: str
    completed_on: date
    verify_url: str  # where anyone checks the code


def _latin1(text: str) -> str:
    """The core PDF fonts cover Latin-1: keep what fits, drop accents elsewhere, '?' for the rest."""
    return "".join(_nearest(ch) for ch in unicodedata.normalize("NFC", text))


def _nearest(ch: str) -> str:
    if ord(ch) < 256:
        return ch
    if ch in NO_DECOMPOSITION:
        return NO_DECOMPOSITION[ch]
    base = [part for part in unicodedata.normalize("NFKD", ch) if ord(part) < 256]
    return "".join(base) or "?"


def render(certificate: Certificate) -> bytes:
    pdf = FPDF(orientation="landscape", format="A4")
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
    pdf.set_font("Helvetica", "B", 20)
    pdf.set_xy(20, 17)
    pdf.cell(width, 12, PROGRAMME, align="C")

    pdf.set_text_color(*DARK)
    pdf.set_font("Helvetica", "", 16)
    pdf.set_xy(20, 52)
    pdf.cell(width, 10, "Certificate of completion", align="C")
    pdf.set_font("Helvetica", "", 13)
    pdf.set_xy(20, 70)
    pdf.cell(width, 8, "This is to certify that", align="C")
    pdf.set_font("Helvetica", "B", 28)
    pdf.set_xy(20, 82)
    pdf.cell(width, 14, _latin1(certificate.name), align="C")
    pdf.set_font("Helvetica", "", 13)
    pdf.set_xy(20, 102)
    pdf.cell(width, 8, "has completed the training course", align="C")
    pdf.set_font("Helvetica", "B", 18)
    pdf.set_xy(20, 113)
    pdf.multi_cell(width, 10, _latin1(certificate.course_title), align="C")
    pdf.set_font("Helvetica", "", 13)
    pdf.set_x(20)
    pdf.cell(width, 8, _latin1(f"Level: {certificate.level_title}"), align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(20)
    pdf.cell(width, 8, f"Completed on {certificate.completed_on.day} {certificate.completed_on:%B %Y}", align="C")

    pdf.set_font("Helvetica", "", 11)
    pdf.set_xy(20, pdf.h - 45)
    pdf.cell(width, 6, f"Verification code: {certificate.code}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(20)
    pdf.cell(width, 6, _latin1(f"Check it at {certificate.verify_url}"), align="C")
    return bytes(pdf.output())
