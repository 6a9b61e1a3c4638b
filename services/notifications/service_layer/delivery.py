"""Telling people: each notification is recorded once per event and person (the feed, and what
digests list), then emailed as the person chose for its kind.

- ``immediately``: an email of its own, or, for an alert, the one email gathering the same KPI's
  month at every level of the hierarchy (held ``alert_hold_seconds`` for the others to join it).
  Emails other than alerts are capped per person per day; beyond the cap a notification waits for
  the next daily digest instead (nothing is lost).
- ``daily`` / ``weekly``: nothing now; ``run_digests`` sends one email per person and digest slot
  listing everything since the last one.
- ``off``: no email (the feed still shows it unless in-app is off too).

Never twice: a notification is unique per (person, event) and an email per (cause, person), so a
redelivered event or a retried batch tells no one again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from psycopg_pool import ConnectionPool

from services.notifications.adapters import store
from services.notifications.adapters.templates import EmailTemplates, EmailView, ItemView
from services.notifications.domain import kinds, messages
from services.notifications.service_layer.unsubscribe import Tokens, Unsubscription
from shared.db import UnitOfWork, unit_of_work
from shared.events import Envelope

TRUST_TIME = ZoneInfo("Europe/London")  # digests and the daily cap follow the trust's day


@dataclass(frozen=True)
class Hub:
    """How notifications are delivered: the templates, the links, the limits and the clock."""

    templates: EmailTemplates
    portal_url: str
    tokens: Tokens
    message_domain: str
    daily_cap: int = 10
    alert_hold_seconds: float = 30.0
    digest_hour: int = 7
    digest_weekday: int = 0
    clock: Callable[[], datetime] = lambda: datetime.now(TRUST_TIME)

    @property
    def portal(self) -> str:
        return self.portal_url.rstrip("/")

    def unsubscribe_url(self, token: str) -> str:
        return f"{self.portal}/unsubscribe/{token}"


@dataclass(frozen=True)
class Told:
    """One notification for one person: why they get it, its kind and topic, and what it says."""

    email: str
    name: str | None
    because: str
    kind: str
    topic: str
    path: str
    subject: str
    body: str
    group_key: str | None = None  # alerts sharing it become one email
    group_title: tuple[str, str] | None = None  # (KPI name, period) for that email's subject

    @property
    def person(self) -> str:
        return self.email.strip().lower()


def tell(uow: UnitOfWork, hub: Hub, event: Envelope, told: list[Told]) -> None:
    occurred = datetime.fromisoformat(event.time.replace("Z", "+00:00"))
    for notice in told:
        chosen = store.choices(uow.conn, notice.person)
        by_email = kinds.cadence(chosen, notice.kind, "email")
        in_app = kinds.cadence(chosen, notice.kind, "in_app") != "off"
        if by_email == "off" and not in_app:
            continue
        notification_id = store.add_notification(uow, store.NewNotification(
            notice.person, notice.name, event.id, event.type, notice.kind, notice.topic, notice.because,
            notice.subject, notice.body, hub.portal + notice.path, occurred, in_app, by_email))
        if notification_id is None or by_email != "immediately":
            continue
        if kinds.KINDS[notice.kind].alert:
            _alert(uow, hub, event, notice, notification_id)
        elif store.emails_today(uow, notice.person, kinds.day_start(hub.clock())) >= hub.daily_cap:
            store.defer_to_digest(uow, notification_id, "daily")
        else:
            _single(uow, hub, event, notice, notification_id)


def single_email(hub: Hub, notice: Told) -> tuple[str, str, str]:
    """The plain text, the HTML and the unsubscribe token of the email telling one notification."""
    unsubscribe = Unsubscription(notice.person, notice.kind)
    token = hub.tokens.make(unsubscribe)
    text, html = hub.templates.email(EmailView(
        notice.subject, notice.name, [ItemView(notice.subject, notice.body, hub.portal + notice.path)],
        notice.because, f"{hub.portal}/me/preferences", hub.unsubscribe_url(token), unsubscribe.words))
    return text, html, token


def _single(uow: UnitOfWork, hub: Hub, event: Envelope, notice: Told, notification_id: str) -> None:
    text, html, token = single_email(hub, notice)
    email_id = store.queue_email(uow, store.NewEmail(notice.person, event.id, event.type, "single", notice.subject,
                                                     text, html, token), hub.message_domain)
    if email_id:
        store.attach(uow, [notification_id], email_id)


def _alert(uow: UnitOfWork, hub: Hub, event: Envelope, notice: Told, notification_id: str) -> None:
    """The alert joins the person's open email for the same KPI and month, or opens one."""
    email_id = store.open_group(uow, notice.person, notice.group_key) if notice.group_key else None
    if email_id is None:
        token = hub.tokens.make(Unsubscription(notice.person, notice.kind))
        email_id = store.queue_email(uow, store.NewEmail(
            notice.person, event.id, event.type, "alert", notice.subject, "", "", token, notice.group_key,
            hub.alert_hold_seconds), hub.message_domain)
        if email_id is None:
            return
    store.attach(uow, [notification_id], email_id)
    _write_alert(uow, hub, email_id, notice)


def _write_alert(uow: UnitOfWork, hub: Hub, email_id: str, notice: Told) -> None:
    rows = store.notifications_of_email(uow.conn, email_id)
    subject = notice.subject
    if len(rows) > 1 and notice.group_title:
        subject = messages.alert_group_subject(*notice.group_title, len(rows))
    unsubscribe = Unsubscription(notice.person, notice.kind)
    text, html = hub.templates.email(EmailView(
        subject, notice.name, [ItemView(row["subject"], row["body"], row["link"]) for row in rows], notice.because,
        f"{hub.portal}/me/preferences", hub.unsubscribe_url(hub.tokens.make(unsubscribe)), unsubscribe.words,
        intro=("The same special cause shows at several levels of the hierarchy; each is listed below."
               if len(rows) > 1 else ""), extra={"alert": True}))
    store.rewrite(uow, email_id, subject, text, html)


def run_digests(pool: ConnectionPool, hub: Hub, now: datetime | None = None) -> int:
    """Send the digests due at ``now`` (default: the hub's clock): for each digest, one email per
    person listing what happened before its latest slot and was not yet emailed. Idempotent: a
    second run for the same slot sends nothing. Returns how many digests were queued."""
    now = (now or hub.clock()).astimezone(TRUST_TIME)
    queued = 0
    for digest in kinds.DIGESTS:
        slot = kinds.latest_slot(digest, now, hub.digest_hour, hub.digest_weekday)
        with pool.connection() as conn:
            people = store.awaiting_digest(conn, digest, slot)
        for person in people:
            with unit_of_work(pool, "notifications") as uow:
                queued += _digest(uow, hub, person, digest, slot)
    return queued


def _digest(uow: UnitOfWork, hub: Hub, person: str, digest: str, slot: datetime) -> int:
    items = store.digest_items(uow, person, digest, slot)
    if not items:
        return 0
    count = f"{len(items)} update{'s' if len(items) != 1 else ''}"
    subject = f"[WTGR] Your {digest} digest: {count} to {slot:%-d %B %Y}"
    unsubscribe = Unsubscription(person, f"digest:{digest}")
    token = hub.tokens.make(unsubscribe)
    labels = sorted({_lower_first(kinds.KINDS[item["kind"]].label) for item in items})
    text, html = hub.templates.email(EmailView(
        subject, items[-1]["name"], [ItemView(item["subject"], item["body"], item["link"],
                                              f"{item['occurred_at'].astimezone(TRUST_TIME):%A %-d %B %Y}")
                                     for item in items],
        f"you chose a {digest} digest of: {'; '.join(labels)}", f"{hub.portal}/me/preferences",
        hub.unsubscribe_url(token), unsubscribe.words,
        intro=f"Everything since your last {digest} digest, oldest first."))
    email_id = store.queue_email(uow, store.NewEmail(person, f"digest:{digest}:{slot.isoformat()}", "digest",
                                                     "digest", subject, text, html, token), hub.message_domain)
    if email_id is None:
        return 0
    store.attach(uow, [item["id"] for item in items], email_id)
    return 1


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
