"""Board views without a server: the Making Data Count summary grid, months in words, and the PDF's
fetcher, which gives WeasyPrint the portal's own files and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.formatting import month_name
from portal.mdc import ASSURANCE_BANDS, VARIATION_BANDS, summary_grid
from portal.pdf import BASE_URL, PortalFiles

STATIC = Path(__file__).resolve().parents[2] / "static"


def _where(grid, code):
    return next((down, across) for down, row in enumerate(grid) for across, cell in enumerate(row)
                if any(kpi["kpi_code"] == code for kpi in cell))


def test_each_kpi_falls_in_the_cell_of_its_variation_and_assurance():
    grid = summary_grid([
        {"kpi_code": "FALLS", "variation_icon": "concern_high", "assurance_icon": "inconsistent"},
        {"kpi_code": "ALOS", "variation_icon": "improvement_low", "assurance_icon": "consistent_pass"},
        {"kpi_code": "WAIT", "variation_icon": "common_cause", "assurance_icon": None},
        {"kpi_code": "NEW", "variation_icon": None, "assurance_icon": None},
    ])
    assert len(grid) == len(VARIATION_BANDS) and all(len(row) == len(ASSURANCE_BANDS) for row in grid)
    assert _where(grid, "FALLS") == (3, 1)  # special cause concern, hit and miss
    assert _where(grid, "ALOS") == (0, 0)  # special cause improvement, consistently passing
    assert _where(grid, "WAIT") == (2, 3)  # common cause, no target
    assert _where(grid, "NEW") == (4, 3)  # a run chart: not yet judged, no target


def test_a_month_reads_in_words():
    assert month_name("2026-03") == "March 2026"
    assert month_name("not a month") == "not a month"


def test_the_pdf_is_given_the_portals_own_files():
    files = PortalFiles(STATIC, STATIC)
    found = files.fetch(BASE_URL + "static/portal.css")
    assert found.headers["Content-Type"] == "text/css"


@pytest.mark.parametrize("url", ["https://elsewhere.example/track.png", BASE_URL + "static/../../pdf.py",
                                 BASE_URL + "kpis/units/WARD-12/board-report", "file:///etc/passwd"])
def test_the_pdf_is_refused_anything_else(url):
    with pytest.raises(ValueError):
        PortalFiles(STATIC, STATIC).fetch(url)
