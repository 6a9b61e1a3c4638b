"""Debian's Chromium for the browser tests and `make screenshots` (installed with apt when missing, as
root; Playwright drives it through `executable_path`, never a browser build of its own).

python -m devstack.browser   installs it when missing and prints its path
"""

from __future__ import annotations

from devstack.system import require_executable


def chromium() -> str:
    return require_executable("chromium", "chromium", "the browser tests drive Debian's Chromium")


if __name__ == "__main__":
    print(chromium())
