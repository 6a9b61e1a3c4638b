"""Debian's Chromium for the browser tests and `make screenshots`, poppler-utils' pdftoppm and
pdftotext for the tests that render and read a training certificate, fonts-dejavu-core, the
Unicode font the training service draws certificates in, and Pango (with Liberation Sans, Arial's
metric twin) that WeasyPrint draws the portal's board report PDF with (each installed with apt
when missing, as root; Playwright drives Chromium through `executable_path`, never a browser
build of its own).

python -m devstack.browser   installs them when missing and prints their paths
"""

from __future__ import annotations

from devstack.system import apt_install, require_executable, require_file

DEJAVU_SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # services/training/adapters/certificate_pdf.py
PDF_PACKAGES = ("libpango-1.0-0", "libpangoft2-1.0-0", "fonts-liberation")


def chromium() -> str:
    return require_executable("chromium", "chromium", "the browser tests drive Debian's Chromium")


def pdftoppm() -> str:
    return require_executable("pdftoppm", "poppler-utils", "the certificate tests render a PDF page to PNG")


def certificate_font() -> str:
    return require_file(DEJAVU_SANS, "fonts-dejavu-core", "the training service draws certificates in DejaVu Sans")


def pdf_libraries() -> str:
    """Pango for WeasyPrint (the portal's PDFs): installed when the library cannot be loaded."""
    try:
        import weasyprint  # noqa: F401  (loads Pango through cffi on import)
    except OSError:
        apt_install(PDF_PACKAGES, "the portal draws PDFs with WeasyPrint, which needs Pango")
    import weasyprint

    return f"weasyprint {weasyprint.__version__}"


if __name__ == "__main__":
    print(chromium())
    print(pdftoppm())
    print(certificate_font())
    print(pdf_libraries())
