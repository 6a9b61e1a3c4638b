"""How devstack runs Mailpit (no server started here: test_integration.py reads a running one)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devstack import gobuild, mailpit
from devstack.proc import StartupError


def test_mailpit_listens_on_loopback_only_and_keeps_every_message(tmp_path: Path) -> None:
    cmd = mailpit.command(tmp_path / "mailpit", 21025, 28025, tmp_path / "mail.db")
    assert cmd[cmd.index("--smtp") + 1] == "127.0.0.1:21025"
    assert cmd[cmd.index("--listen") + 1] == "127.0.0.1:28025"
    assert cmd[cmd.index("--database") + 1] == str(tmp_path / "mail.db")
    assert cmd[cmd.index("--max") + 1] == "0"  # never prune: a test may look for an old message
    assert "--disable-version-check" in cmd  # no call home at start


def test_mailpit_serves_the_bounce_mailbox_over_pop3_on_loopback_with_its_password_file(tmp_path: Path) -> None:
    cmd = mailpit.command(tmp_path / "mailpit", 21025, 28025, tmp_path / "mail.db", 21110, tmp_path / "pop3-auth")
    assert cmd[cmd.index("--pop3") + 1] == "127.0.0.1:21110"
    assert cmd[cmd.index("--pop3-auth-file") + 1] == str(tmp_path / "pop3-auth")
    assert "--pop3" not in mailpit.command(tmp_path / "mailpit", 21025, 28025, tmp_path / "mail.db")


def test_a_cached_binary_is_used_without_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = mailpit.binary_path(tmp_path)
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    monkeypatch.setattr(gobuild, "find_go", lambda: pytest.fail("Go was looked for although the binary is cached"))
    assert mailpit.ensure_binary(tmp_path) == binary


def test_the_binary_is_cached_per_version(tmp_path: Path) -> None:
    assert mailpit.binary_path(tmp_path) == tmp_path / f"mailpit-{mailpit.MAILPIT_VERSION}" / "mailpit"


def test_without_go_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(gobuild, "GO_LOCATIONS", ())
    with pytest.raises(StartupError, match=r"install Go 1\.26 or later"):
        gobuild.find_go()


def test_an_interrupted_build_leaves_no_binary_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_go_install(cmd: list[str], **kwargs: object) -> str:
        gobin = Path(dict(kwargs["env"])["GOBIN"])  # type: ignore[call-overload]
        gobin.mkdir(parents=True)
        (gobin / "mailpit").write_text("half")
        raise StartupError("go install failed")

    monkeypatch.setattr(gobuild, "find_go", lambda: "go")
    monkeypatch.setattr(mailpit.proc, "run_checked", failing_go_install)
    with pytest.raises(StartupError):
        mailpit.ensure_binary(tmp_path)
    assert not mailpit.binary_path(tmp_path).exists()
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == []
    assert os.listdir(tmp_path) == [f".mailpit-{mailpit.MAILPIT_VERSION}.lock"]
