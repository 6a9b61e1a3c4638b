import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from services.training.adapters.certificate_pdf import (
    DEFAULT_FONT_DIR,
    Certificate,
    FontMissing,
    fonts_in,
    render,
)

REPO = Path(__file__).resolve().parents[4]
FONTS = fonts_in(DEFAULT_FONT_DIR)  # Debian's fonts-dejavu-core, which `make install` installs
CERTIFICATE = Certificate("7KQ2-M9XD-4TPA", "Zoë Łukasz-Nurse", "WTGR Bronze: the Model for Improvement",
                          "Introductory", date(2026, 4, 14), "https://wtgr.trust.example/training/verify/7KQ2-M9XD-4TPA")
NAMES_BEYOND_LATIN_1 = ["Zoë Łukasiewicz", "Ανδρέας Παπαδόπουλος", "Дмитрий Иванов", "Şükrü Öztürk",
                        "Nguyễn Thị Hương"]


def pdftotext(document: bytes) -> str:
    """The page's text as poppler's pdftotext (Debian's poppler-utils, installed by `make install`) reads it."""
    found = shutil.which("pdftotext")
    assert found, "pdftotext is missing: run `make install` (it installs poppler-utils)"
    return subprocess.run([found, "-layout", "-", "-"], input=document, capture_output=True, check=True,
                          timeout=30).stdout.decode()


def test_the_certificate_says_who_completed_what_when_and_how_to_check_it():
    reader = PdfReader(io.BytesIO(render(CERTIFICATE, FONTS)))
    assert len(reader.pages) == 1
    lines = reader.pages[0].extract_text().splitlines()
    assert lines == [
        "Work Together, Get Results (WTGR)", "Certificate of completion", "This is to certify that",
        "Zoë Łukasz-Nurse", "has completed the training course", "WTGR Bronze: the Model for Improvement",
        "Level: Introductory", "Completed on 14 April 2026", "Verification code: 7KQ2-M9XD-4TPA",
        "Check it at https://wtgr.trust.example/training/verify/7KQ2-M9XD-4TPA"]
    assert reader.metadata.title == "WTGR certificate 7KQ2-M9XD-4TPA"


@pytest.mark.parametrize("name", NAMES_BEYOND_LATIN_1)
def test_a_name_outside_latin_1_is_printed_exactly_as_written(name):
    text = pdftotext(render(Certificate("7KQ2-M9XD-4TPA", name, "WTGR Bronze: the Model for Improvement",
                                        "Introductory", date(2026, 4, 14), "https://wtgr.example/v"), FONTS))
    assert name in [line.strip() for line in text.splitlines()]  # the whole name on its own line, exactly


def test_a_course_title_outside_latin_1_is_printed_as_written_too():
    text = pdftotext(render(Certificate("7KQ2-M9XD-4TPA", "Sam Nurse", "Βελτίωση ποιότητας: Модель",
                                        "Εισαγωγικό", date(2026, 4, 14), "https://wtgr.example/v"), FONTS))
    assert "Βελτίωση ποιότητας: Модель" in text and "Level: Εισαγωγικό" in text


def test_the_same_certificate_renders_to_the_same_bytes():
    assert render(CERTIFICATE, FONTS) == render(CERTIFICATE, FONTS)


def test_a_folder_without_the_fonts_is_refused_naming_the_file_and_the_package(tmp_path):
    with pytest.raises(FontMissing, match=r"DejaVuSans\.ttf.*fonts-dejavu-core.*WTGR_CERTIFICATE_FONT_DIR"):
        fonts_in(tmp_path)


def test_the_certificate_renders_to_a_png_to_look_at():
    """pdftoppm (Debian's poppler-utils, installed by `make install`) draws the page as the reader sees it;
    the PNG is kept in .local/test/certificate.png for a person to look at."""
    out = REPO / ".local" / "test"
    out.mkdir(parents=True, exist_ok=True)
    shown = Certificate("7KQ2-M9XD-4TPA", "Ανδρέας Παπαδόπουλος", "WTGR Bronze: the Model for Improvement",
                        "Introductory", date(2026, 4, 14), "https://wtgr.trust.example/training/verify/7KQ2-M9XD-4TPA")
    (out / "certificate.pdf").write_bytes(render(shown, FONTS))
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm is missing: run `make install` (it installs poppler-utils)"
    subprocess.run([pdftoppm, "-png", "-r", "80", "-singlefile", out / "certificate.pdf", out / "certificate"],
                   check=True, timeout=30)
    png = (out / "certificate.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_the_service_does_not_start_when_the_configured_font_folder_lacks_the_fonts(tmp_path, monkeypatch):
    from services.training import bootstrap

    monkeypatch.setenv("WTGR_CERTIFICATE_FONT_DIR", str(tmp_path))
    with pytest.raises(FontMissing, match=str(tmp_path / "DejaVuSans.ttf")):
        bootstrap.build()
