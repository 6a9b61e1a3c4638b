"""Reads the mail the mail catcher (Mailpit, devstack.mailpit) received, over Mailpit's REST API
(/api/v1/...). Tests and benchmarks use it; WTGR_MAIL_HTTP (in the env file) is its address.

    mailbox = Mailbox(os.environ["WTGR_MAIL_HTTP"])
    email = mailbox.wait_for("owner@hospital.example", lambda m: "[WTGR alert]" in m.subject)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

PAGE = 250


@dataclass(frozen=True)
class Email:
    """One received message. ``to`` is every recipient: its To and Cc headers and the envelope
    recipients no header names (Mailpit lists those as Bcc). Bodies have plain newlines."""

    id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    received_at: datetime
    body_text: str
    body_html: str | None


class MailboxError(Exception):
    pass


class Mailbox:
    """Mailpit's received messages. Bodies are fetched once per message (a message never changes)."""

    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self._bodies: dict[str, dict[str, Any]] = {}

    def messages(self, to: str | None = None) -> list[Email]:
        """The messages received (for one address, when ``to`` is given), oldest first."""
        query = f'addressed:"{to}"' if to else None
        found = [self._email(summary) for summary in self._summaries(query)]
        if to:
            found = [email for email in found if to.lower() in (address.lower() for address in email.to)]
        return sorted(found, key=lambda email: email.received_at)

    def subjects(self, to: str) -> list[str]:
        """The subject of every message received for one address, without fetching any body."""
        found = []
        for summary in self._summaries(f'addressed:"{to}"'):
            recipients = [*(summary.get("To") or []), *(summary.get("Cc") or []), *(summary.get("Bcc") or [])]
            if to.lower() in (item["Address"].lower() for item in recipients):
                found.append(summary["Subject"])
        return found

    def wait_for(self, to: str, predicate: Callable[[Email], bool], timeout: float = 30.0) -> Email:
        """The first message for ``to`` that ``predicate`` accepts, polling until ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            for email in self.messages(to):
                if predicate(email):
                    return email
            if time.monotonic() >= deadline:
                raise MailboxError(f"no matching email for {to} arrived within {timeout:.0f} s")
            time.sleep(0.2)

    def newest_id(self, query: str) -> str | None:
        """The id of the newest message Mailpit's search ``query`` finds (``subject:"digest"``), or None."""
        page = self._get("/api/v1/search", {"query": query, "start": 0, "limit": 1}).json()
        return str(page["messages"][0]["ID"]) if page["messages"] else None

    def raw(self, message_id: str) -> bytes:
        """The message as received (RFC 5322 source)."""
        return self._get(f"/api/v1/message/{message_id}/raw").content

    def clear(self) -> None:
        """Delete every message."""
        response = self.session.delete(f"{self.base_url}/api/v1/messages", timeout=self.timeout)
        response.raise_for_status()
        self._bodies.clear()

    # --- Mailpit's API ---

    def _summaries(self, query: str | None) -> Iterator[dict[str, Any]]:
        path = "/api/v1/search" if query else "/api/v1/messages"
        start = 0
        while True:
            params: dict[str, str | int] = {"start": start, "limit": PAGE}
            if query:
                params["query"] = query
            page = self._get(path, params).json()
            yield from page["messages"]
            start += len(page["messages"])
            if not page["messages"] or start >= page["messages_count"]:
                return

    def _email(self, summary: dict[str, Any]) -> Email:
        message_id = summary["ID"]
        body = self._bodies.get(message_id)
        if body is None:
            body = self._bodies[message_id] = self._get(f"/api/v1/message/{message_id}").json()
        recipients = [*(summary.get("To") or []), *(summary.get("Cc") or []), *(summary.get("Bcc") or [])]
        return Email(
            id=message_id,
            sender=summary["From"]["Address"] if summary.get("From") else "",
            to=tuple(item["Address"] for item in recipients),
            subject=summary["Subject"],
            received_at=datetime.fromisoformat(summary["Created"]),
            body_text=_plain_newlines(body.get("Text") or ""),
            body_html=_plain_newlines(body["HTML"]) if body.get("HTML") else None,
        )

    def _get(self, path: str, params: dict[str, str | int] | None = None) -> requests.Response:
        response = self.session.get(f"{self.base_url}{path}", params=params, timeout=self.timeout)
        response.raise_for_status()
        return response


def _plain_newlines(text: str) -> str:
    return text.replace("\r\n", "\n")
