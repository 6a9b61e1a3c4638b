"""The mail catcher as its own process, on ports of its own: SMTP in, HTTP out, clean stop."""

from __future__ import annotations

import json
import signal
import smtplib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from devstack.config import REPO_ROOT


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def catcher(tmp_path: Path) -> Iterator[tuple[int, str, Path]]:
    smtp_port, http_port = _free_port(), _free_port()
    directory = tmp_path / "mail"
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.mailcatcher", "--smtp-port", str(smtp_port),
         "--http-port", str(http_port), "--dir", str(directory)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{http_port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"mailcatcher did not start: {process.communicate()[0]!r}")
            time.sleep(0.1)
    try:
        yield smtp_port, base, directory
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0, "mailcatcher did not stop cleanly on SIGTERM"


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def test_messages_are_stored_listed_and_cleared(catcher: tuple[int, str, Path]) -> None:
    smtp_port, base, directory = catcher
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=5) as smtp:
        for number in (1, 2):
            message = EmailMessage()
            message["From"] = "wtgr@example.nhs.uk"
            message["To"] = f"user{number}@example.nhs.uk"
            message["Subject"] = f"Training place offered {number} – Café"
            message.set_content(f"Place {number} is yours.")
            smtp.send_message(message)

    items = _get(f"{base}/messages")
    assert [m["subject"] for m in items] == [
        "Training place offered 1 – Café",
        "Training place offered 2 – Café",
    ]
    assert items[0]["to"] == ["user1@example.nhs.uk"]
    assert items[1]["body_text"] == "Place 2 is yours.\n"
    assert len(list(directory.glob("*.eml"))) == 2
    assert [m["id"] for m in _get(f"{base}/messages?to=USER2@example.nhs.uk")] == [items[1]["id"]]
    one = _get(f"{base}/messages/{items[0]['id']}")
    assert ["To", "user1@example.nhs.uk"] in one["headers"]

    request = urllib.request.Request(f"{base}/messages", method="DELETE")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.load(response) == {"deleted": 2}
    assert _get(f"{base}/messages") == []


def test_unknown_paths_and_ids_are_404(catcher: tuple[int, str, Path]) -> None:
    _, base, _ = catcher
    for path in ("/nope", "/messages/../../etc/passwd", "/messages/20250101T000000000000Z-x.eml"):
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(f"{base}{path}", timeout=5)
        assert raised.value.code == 404


def test_a_long_subject_folded_in_transit_is_shown_as_it_was_written(catcher: tuple[int, str, Path]) -> None:
    smtp_port, base, _ = catcher
    subject = "[WTGR alert] Length of stay for Ward A: special cause (concern) in 2025-01"  # folded whole
    message = EmailMessage()
    message["From"] = "wtgr@example.nhs.uk"
    message["To"] = "owner@example.nhs.uk"
    message["Subject"] = subject
    message.set_content("Look for the reason.")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=5) as smtp:
        smtp.send_message(message)
    assert [m["subject"] for m in _get(f"{base}/messages")] == [subject]


def test_a_restarted_mail_catcher_lists_its_mailbox_without_parsing_it_again(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from devstack.mailcatcher import MailStore

    first = MailStore(tmp_path)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "Kept"
    message.set_content("hello")
    saved = first.save("a@example.org", ["b@example.org"], message.as_bytes())

    restarted = MailStore(tmp_path)

    def no_parsing(message_id: str, with_headers: bool = False) -> None:
        raise AssertionError(f"{message_id} was parsed again")

    monkeypatch.setattr(restarted, "describe", no_parsing)
    [listed] = restarted.messages(to="b@example.org")
    assert (listed["id"], listed["subject"], listed["body_text"].strip()) == (saved, "Kept", "hello")
    assert restarted.clear() == 1
    assert list(tmp_path.iterdir()) == []
