"""Bounces that arrive later, by email: delivery status notifications (RFC 3464, a
``multipart/report; report-type=delivery-status``) that a relay sends back to the envelope sender
after it took an email.

Each email goes out with its own envelope sender (VERP): ``bounces+<email id>@trust.example`` for a
bounce address ``bounces@trust.example``, so a report names the email it is about in the address it
was sent to. A report that lost that address still names the email by the original message's
``Message-ID`` (its ``Original-Message-ID`` field or the original message or headers it attaches),
which is the same on every attempt of an email.

Pure: reads bytes with the standard library's email package, decides nothing about storage.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr

# the headers a report's delivery address may be found in, the one it was sent to first
DELIVERY_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@dataclass(frozen=True)
class RecipientStatus:
    """What a report says of one recipient: ``action`` (failed, delayed, delivered, relayed,
    expanded), the enhanced ``status`` code (5.1.1) and the remote server's ``diagnostic``."""

    recipient: str
    action: str
    status: str
    diagnostic: str

    @property
    def hard(self) -> bool:
        """Delivery failed for good: a permanent status (5.x.x) the relay gave up on."""
        return self.action == "failed" and self.status.startswith("5")

    @property
    def soft(self) -> bool:
        """Not delivered yet, or not for now: a delay, or a temporary status (4.x.x)."""
        return not self.hard and (self.action == "delayed" or (self.action == "failed" and self.status.startswith("4")))


@dataclass(frozen=True)
class Report:
    """A delivery status notification: ``report_id`` tells one report from another (its own
    Message-ID, else a digest of its bytes), ``email_id`` the email its VERP address names, if any,
    ``original_message_id`` the Message-ID of the message it reports on, if it says."""

    report_id: str
    email_id: str | None
    original_message_id: str | None
    recipients: tuple[RecipientStatus, ...]


def verp_address(bounce_address: str, email_id: str) -> str:
    """The envelope sender of one email: ``bounces+<email id>@domain`` for ``bounces@domain``."""
    local, _, domain = bounce_address.rpartition("@")
    return f"{local}+{email_id}@{domain}"


def email_id_in(address: str, bounce_address: str) -> str | None:
    """The email id a VERP address of ``bounce_address`` carries, or None."""
    local, _, domain = bounce_address.lower().rpartition("@")
    pattern = rf"{re.escape(local)}\+({UUID})@{re.escape(domain)}"
    found = re.fullmatch(pattern, address.strip().lower())
    return found.group(1) if found else None


def might_be_report(headers: bytes) -> bool:
    """Whether a message whose headers these are can be a delivery status notification (so a
    mailbox reader fetches only those in full)."""
    message = HeaderParser(policy=policy.compat32).parsestr(headers.decode("utf-8", "replace"), headersonly=True)
    return _is_report(message)


def parse_report(raw: bytes, bounce_address: str = "") -> Report | None:
    """The delivery status notification ``raw`` is, or None when it is not one (an auto-reply, a
    person's answer, a report of another type, a message that is not MIME at all)."""
    message = message_from_bytes(raw, policy=policy.compat32)
    if not _is_report(message):
        return None
    status_part = next((part for part in message.walk() if part.get_content_type() == "message/delivery-status"),
                       None)
    if status_part is None:
        return None
    payload = status_part.get_payload()
    groups = [group for group in payload if isinstance(group, Message)] if isinstance(payload, list) else []
    if not groups:
        return None
    per_message, per_recipient = groups[0], groups[1:]
    recipients = tuple(status for group in per_recipient if (status := _recipient(group)) is not None)
    if not recipients:
        return None
    original = _original_message_id(message, per_message, per_recipient)
    return Report(
        report_id=_report_id(message, raw),
        email_id=_verp_email_id(message, bounce_address) if bounce_address else None,
        original_message_id=original,
        recipients=recipients,
    )


def _is_report(message: Message) -> bool:
    return (message.get_content_type() == "multipart/report"
            and str(message.get_param("report-type") or "").lower() == "delivery-status")


def _recipient(group: Message) -> RecipientStatus | None:
    recipient = _typed_address(_field(group, "Final-Recipient") or _field(group, "Original-Recipient"))
    action = _field(group, "Action").lower()
    status = _field(group, "Status").split(" ")[0]
    if not recipient or not action:
        return None
    diagnostic = _typed_value(_field(group, "Diagnostic-Code"))
    return RecipientStatus(recipient.lower(), action, status, diagnostic)


def _original_message_id(message: Message, per_message: Message, per_recipient: list[Message]) -> str | None:
    """The reported message's Message-ID: the report's own field, else the headers it attaches."""
    for group in (per_message, *per_recipient):
        if found := _field(group, "Original-Message-ID"):
            return found
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            attached = part.get_payload()
            if isinstance(attached, list) and attached and isinstance(attached[0], Message) \
                    and attached[0]["Message-ID"]:
                return str(attached[0]["Message-ID"]).strip()
        elif content_type == "text/rfc822-headers":
            text = part.get_payload(decode=True)
            if not isinstance(text, bytes):
                continue
            headers = HeaderParser(policy=policy.compat32).parsestr(text.decode("utf-8", "replace"))
            if headers["Message-ID"]:
                return str(headers["Message-ID"]).strip()
    return None


def _verp_email_id(message: Message, bounce_address: str) -> str | None:
    for header in DELIVERY_HEADERS:
        for _, address in getaddresses([str(value) for value in message.get_all(header, [])]):
            if email_id := email_id_in(address, bounce_address):
                return email_id
    return None


def _report_id(message: Message, raw: bytes) -> str:
    own = str(message["Message-ID"] or "").strip()
    return own or "sha256:" + hashlib.sha256(raw).hexdigest()


def _field(group: Message, name: str) -> str:
    value = group[name]
    return " ".join(str(value).split()) if value else ""


def _typed_address(value: str) -> str:
    """``rfc822; someone@example.org`` -> ``someone@example.org``."""
    return parseaddr(_typed_value(value))[1]


def _typed_value(value: str) -> str:
    """A field's value after its type (``smtp; 550 5.1.1 ...`` -> ``550 5.1.1 ...``)."""
    kind, separator, rest = value.partition(";")
    return rest.strip() if separator and " " not in kind.strip() else value.strip()
