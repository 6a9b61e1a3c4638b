"""Go programs devstack builds once into its cache with `go install` (Mailpit, the deploy checkers).

A build goes into a temporary folder renamed into place only when complete, so an interrupted
build never looks like a usable cache, and runs under a lock, so two devstacks never build the
same thing at once. A Go older than a module needs fetches the newer toolchain itself
(GOTOOLCHAIN=auto).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from devstack import proc
from devstack.proc import StartupError
from devstack.system import say

GO_LOCATIONS = ("/usr/local/go/bin/go",)
INSTALL_TIMEOUT = 1800.0


def find_go() -> str:
    found = shutil.which("go") or next((path for path in GO_LOCATIONS if os.access(path, os.X_OK)), None)
    if found is None:
        raise StartupError(
            "Go is needed to build the mail catcher (Mailpit) and the deploy checkers once: install Go 1.26 or "
            "later from https://go.dev/dl/ and put `go` on PATH (Debian's golang-go is too old)"
        )
    return found


def go_install(target: Path, package: str, workdir: Path | None = None) -> Path:
    """``target`` (a binary in its own folder of the cache), built with ``go install package`` the
    first time it is asked for."""
    if target.is_file():
        return target
    with proc.file_lock(target.parent.parent / f".{target.parent.name}.lock"):
        if target.is_file():  # another devstack built it while we waited
            return target
        go = find_go()
        tmp = target.parent.parent / f"{target.parent.name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        say(f"building {target.name} with `go install {package}` into {target.parent} (once, can take minutes)")
        env = dict(os.environ, GOBIN=str(tmp), GOTOOLCHAIN="auto", GOFLAGS="-buildvcs=false")
        try:
            proc.run_checked([go, "install", package], what=f"go install {package}", timeout=INSTALL_TIMEOUT,
                             env=env, cwd=workdir)
            if not (tmp / target.name).is_file():
                raise StartupError(f"go install {package} finished, but {tmp / target.name} is not there")
            shutil.rmtree(target.parent, ignore_errors=True)
            tmp.rename(target.parent)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target
