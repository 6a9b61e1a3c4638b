"""Debian's Chromium for the browser tests and `make screenshots`, and poppler-utils' pdftoppm for the
tests that render a training certificate to PNG (each installed with apt when missing, as root;
Playwright drives Chromium through `executable_path`, never a browser build of its own).

python -m devstack.browser   installs them when missing and prints their paths
"""

from __future__ import annotations

from devstack.system import require_executable


def chromium() -> str:
    return require_executable("chromium", "chromium", "the browser tests drive Debian's Chromium")


def pdftoppm() -> str:
    return require_executable("pdftoppm", "poppler-utils", "the certificate tests render a PDF page to PNG")


if __name__ == "__main__":
    print(chromium())
    print(pdftoppm())
