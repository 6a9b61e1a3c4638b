import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

from pypdf import PdfReader

from services.training.adapters.certificate_pdf import Certificate, render

REPO = Path(__file__).resolve().parents[4]
CERTIFICATE = Certificate("7KQ2-M9XD-4TPA", "Zoë Łukasz-Nurse", "WTGR Bronze: the Model for Improvement",
                          "Introductory", date(2026, 4, 14), "https://wtgr.trust.example/training/verify/7KQ2-M9XD-4TPA")


def test_the_certificate_says_who_completed_what_when_and_how_to_check_it():
    reader = PdfReader(io.BytesIO(render(CERTIFICATE)))
    assert len(reader.pages) == 1
    lines = reader.pages[0].extract_text().splitlines()
    assert lines == [
        "Work Together, Get Results (WTGR)", "Certificate of completion", "This is to certify that",
        "Zoë Lukasz-Nurse", "has completed the training course", "WTGR Bronze: the Model for Improvement",
        "Level: Introductory", "Completed on 14 April 2026", "Verification code: 7KQ2-M9XD-4TPA",
        "Check it at https://wtgr.trust.example/training/verify/7KQ2-M9XD-4TPA"]
    assert reader.metadata.title == "WTGR certificate 7KQ2-M9XD-4TPA"


def test_the_same_certificate_renders_to_the_same_bytes():
    assert render(CERTIFICATE) == render(CERTIFICATE)


def test_the_certificate_renders_to_a_png_to_look_at():
    """pdftoppm (Debian's poppler-utils, installed by `make install`) draws the page as the reader sees it;
    the PNG is kept in .local/test/certificate.png for a person to look at."""
    out = REPO / ".local" / "test"
    out.mkdir(parents=True, exist_ok=True)
    (out / "certificate.pdf").write_bytes(render(CERTIFICATE))
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm is missing: run `make install` (it installs poppler-utils)"
    subprocess.run([pdftoppm, "-png", "-r", "80", "-singlefile", out / "certificate.pdf", out / "certificate"],
                   check=True, timeout=30)
    png = (out / "certificate.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
