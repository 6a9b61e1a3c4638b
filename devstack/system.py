"""Machine-level setup: Debian packages, the system user that runs Postgres, path permissions."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from devstack.proc import StartupError


def is_root() -> bool:
    return os.geteuid() == 0


def say(message: str) -> None:
    print(f"devstack: {message}", flush=True)


def apt_install(packages: Sequence[str], why: str) -> None:
    """Install Debian packages (only possible as root; otherwise say what to run)."""
    command = f"apt-get update && apt-get install -y {' '.join(packages)}"
    if not is_root():
        raise StartupError(f"{why}, and only root can install it: run `sudo sh -c '{command}'`")
    say(f"{why}; installing it: {command}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", *packages]):
        result = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, check=False)
        if result.returncode != 0:
            raise StartupError(f"{why}: `{' '.join(cmd)}` exited with {result.returncode}")


@dataclass(frozen=True)
class RunAs:
    """Who runs a server: ourselves, or (when we are root) an unprivileged system user."""

    user: str | None
    uid: int
    gid: int

    def wrap(self, cmd: Sequence[str]) -> list[str]:
        if self.user is None:
            return list(cmd)
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        return [runuser, "-u", self.user, "--", *cmd]

    def own(self, path: Path, mode: int | None = None) -> None:
        if self.user is not None:
            os.chown(path, self.uid, self.gid)
        if mode is not None:
            os.chmod(path, mode)


def current_user() -> RunAs:
    return RunAs(None, os.geteuid(), os.getegid())


def ensure_system_user(name: str) -> RunAs:
    """When root, the named system user (created if missing); otherwise ourselves."""
    if not is_root():
        return current_user()
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        say(f"creating system user {name!r} to run PostgreSQL (it refuses to run as root)")
        cmd = ["useradd", "--system", "--user-group", "--no-create-home"]
        cmd += ["--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise StartupError(f"useradd {name} failed: {result.stderr.strip()}") from None
        entry = pwd.getpwnam(name)
    return RunAs(name, entry.pw_uid, entry.pw_gid)


def ensure_traversable(path: Path, who: RunAs) -> None:
    """Make every directory above `path` searchable (x bit only) by `who`.

    Postgres runs as another user and must reach its data directory and socket directory
    under the repository; a checkout under /root, say, is not reachable by default.
    """
    if who.user is None:
        return
    groups = {who.gid} | {g.gr_gid for g in grp.getgrall() if who.user in g.gr_mem}
    resolved = path.resolve()
    for directory in [*reversed(resolved.parents), resolved]:
        info = directory.stat()
        if info.st_uid == who.uid:
            bit = stat.S_IXUSR
        elif info.st_gid in groups:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not info.st_mode & bit:
            say(f"allowing user {who.user} to traverse {directory} (adding the x bit only)")
            os.chmod(directory, stat.S_IMODE(info.st_mode) | bit)


def require_executable(name: str, package: str, why: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    apt_install([package], why)
    found = shutil.which(name)
    if not found:
        raise StartupError(f"{why}: installed {package} but `{name}` is still not on PATH")
    return found


def require_file(path: str, package: str, why: str) -> str:
    """``path`` (a font, say), installing the Debian package that holds it when it is missing."""
    if Path(path).is_file():
        return path
    apt_install([package], why)
    if not Path(path).is_file():
        raise StartupError(f"{why}: installed {package} but {path} is still missing")
    return path
