"""Reads the bounce mailbox over POP3 with the standard library's poplib: plain (a local catcher),
STLS (port 110) or implicit TLS (port 995), certificates verified, login with user and password,
a timeout on every exchange.

POP3 deletes only when the session ends well: ``delete`` marks a message and ``QUIT`` (leaving the
``with`` block without an exception) removes the marked ones; a session that breaks off removes
nothing, so a message is deleted only after what it said was recorded.
"""

from __future__ import annotations

import os
import poplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

SECURITY = ("none", "starttls", "tls")


class MailboxUnreachable(ConnectionError):
    """The mailbox server did not answer, or refused our login or TLS: an outage, tried again later."""


class MessageGone(LookupError):
    """The server no longer has the message (someone else deleted it during the session)."""


@dataclass(frozen=True)
class Pop3Settings:
    host: str
    port: int
    security: str = "none"
    username: str = ""
    password: str = ""
    timeout: float = 10.0

    @classmethod
    def from_env(cls) -> Pop3Settings | None:
        """WTGR_BOUNCE_POP3_HOST (none: no mailbox is read), WTGR_BOUNCE_POP3_PORT (110, or 995 with
        tls), WTGR_BOUNCE_POP3_SECURITY (none, starttls, tls), WTGR_BOUNCE_POP3_USERNAME,
        WTGR_BOUNCE_POP3_PASSWORD (or WTGR_BOUNCE_POP3_PASSWORD_FILE), WTGR_BOUNCE_POP3_TIMEOUT_SECONDS."""
        host = os.environ.get("WTGR_BOUNCE_POP3_HOST", "").strip()
        if not host:
            return None
        security = os.environ.get("WTGR_BOUNCE_POP3_SECURITY", "none").strip().lower() or "none"
        if security not in SECURITY:
            raise ValueError(f"WTGR_BOUNCE_POP3_SECURITY must be one of {', '.join(SECURITY)}, not {security!r}")
        password = os.environ.get("WTGR_BOUNCE_POP3_PASSWORD", "")
        if not password and os.environ.get("WTGR_BOUNCE_POP3_PASSWORD_FILE"):
            with open(os.environ["WTGR_BOUNCE_POP3_PASSWORD_FILE"], encoding="utf-8") as secret:
                password = secret.read().strip()
        port = int(os.environ.get("WTGR_BOUNCE_POP3_PORT", "") or (995 if security == "tls" else 110))
        return cls(host, port, security, os.environ.get("WTGR_BOUNCE_POP3_USERNAME", "").strip(), password,
                   float(os.environ.get("WTGR_BOUNCE_POP3_TIMEOUT_SECONDS", "") or 10.0))


class Pop3Mailbox:
    """One POP3 session: list, read, mark for deletion."""

    def __init__(self, client: poplib.POP3):
        self.client = client

    def listing(self) -> list[tuple[int, str]]:
        """Each message's number in this session with its unique id (UIDL), oldest first."""
        _, lines, _ = self.client.uidl()
        found = []
        for line in lines:
            number, _, uid = line.decode("ascii", "replace").partition(" ")
            found.append((int(number), uid.strip()))
        return found

    def headers(self, number: int) -> bytes:
        """The message's header section (TOP n 0); MessageGone when the server has it no more."""
        try:
            _, lines, _ = self.client.top(number, 0)
        except poplib.error_proto as exc:
            raise MessageGone(str(exc)) from exc
        return b"\r\n".join(lines) + b"\r\n"

    def fetch(self, number: int) -> bytes:
        try:
            _, lines, _ = self.client.retr(number)
        except poplib.error_proto as exc:
            raise MessageGone(str(exc)) from exc
        return b"\r\n".join(lines) + b"\r\n"

    def delete(self, number: int) -> None:
        """Marked now, removed when the session ends well; a message already gone is left be."""
        try:
            self.client.dele(number)
        except poplib.error_proto as exc:
            raise MessageGone(str(exc)) from exc


@contextmanager
def pop3_session(settings: Pop3Settings) -> Iterator[Pop3Mailbox]:
    """A logged-in session; QUIT (deleting what was marked) when the block ends without an
    exception, otherwise the connection is dropped and nothing is deleted."""
    client = _connect(settings)
    try:
        if settings.username:
            client.user(settings.username)
            client.pass_(settings.password)
    except poplib.error_proto as exc:
        client.close()
        raise MailboxUnreachable(f"POP3 login refused: {exc}") from exc
    except BaseException:
        client.close()
        raise
    try:
        yield Pop3Mailbox(client)
    except BaseException:
        client.close()
        raise
    client.quit()


def _connect(settings: Pop3Settings) -> poplib.POP3:
    try:
        if settings.security == "tls":
            return poplib.POP3_SSL(settings.host, settings.port, timeout=settings.timeout,
                                   context=ssl.create_default_context())
        client = poplib.POP3(settings.host, settings.port, timeout=settings.timeout)
    except (poplib.error_proto, ssl.SSLError) as exc:
        raise MailboxUnreachable(f"POP3 server {settings.host}:{settings.port}: {exc}") from exc
    if settings.security == "starttls":
        try:
            client.stls(context=ssl.create_default_context())
        except (poplib.error_proto, ssl.SSLError) as exc:
            client.close()
            raise MailboxUnreachable(f"POP3 STLS refused: {exc}") from exc
    return client
