"""Before the board pack (the metrics service layer): each month's board pack date, the feeds it is
still missing, the feed rows dead-lettered per data source, and the chase that tells each data
source's owners and each KPI's owners once per board pack (board_pack.feeds_missing)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from services.metrics.adapters import board_pack_store as packs
from services.metrics.adapters import store
from services.metrics.domain.board_pack import (
    BoardPack,
    BoardPackRule,
    DeadLetteredRow,
    MissingFeed,
    Notice,
    board_pack,
    notices,
    packs_to_chase,
)
from shared import audit, topics
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import InvalidInput, NotFound, StaleVersion
from shared.events.board_packs import MAX_LISTED
from shared.month import Month

log = logging.getLogger(__name__)


def calendar(uow: UnitOfWork, months: list[Month], rule: BoardPackRule) -> list[BoardPack]:
    """The board pack of each of ``months``, by the rule or as an admin set it."""
    found = packs.overrides(uow, months)
    return [board_pack(month, rule, found.get(month)) for month in months]


def set_date(uow: UnitOfWork, month: Month, due_on: date | None, who: Principal, rule: BoardPackRule) -> BoardPack:
    """Set the month's board pack date by hand (after the month has ended: a pack reports a whole
    month), or, with None, give it back to the rule."""
    if due_on is None:
        packs.clear_override(uow, month)
    else:
        if due_on < month.next().first_day:
            raise InvalidInput(f"the board pack of {month} reports the whole month: set a day after it ends",
                               field="due_on")
        packs.set_override(uow, month, due_on, who.user)
    audit.record(uow, "board_pack.dated", "board_pack", str(month))
    [pack] = calendar(uow, [month], rule)
    return pack


def missing_feeds(uow: UnitOfWork, month: Month) -> list[MissingFeed]:
    return packs.missing_feeds(uow, month)


# -- data sources ------------------------------------------------------------------------------------

def set_owners(uow: UnitOfWork, name: str, owners: list[str], who: Principal, seen_version: int | None
               ) -> dict[str, Any]:
    before = packs.data_source(uow, name)
    if before is None and seen_version not in (None, 0):
        raise NotFound(f"data source {name} not found")
    changed = packs.put_owners(uow, name, owners, who.user, seen_version or None)
    if changed is None:
        raise StaleVersion(f"changed by someone else since version {seen_version}; reload and try again")
    audit.record(uow, "data_source.owners_set", "data_source", name)
    return changed


# -- dead-lettered feed rows -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ReadDeadLetter:
    """A record read from metrics' dead-letter topic: where it sits and what it holds."""

    partition: int
    offset: int
    original_topic: str
    original_value: str | None
    reason: str
    category: str
    dead_lettered_at: str


def dead_letter_positions(uow: UnitOfWork) -> dict[int, int]:
    """Where reading metrics' dead-letter topic resumes, per partition."""
    return packs.positions(uow)


def record_dead_letters(uow: UnitOfWork, read: Iterable[ReadDeadLetter], read_up_to: dict[int, int]) -> int:
    """Keep the feed rows (``measure.recorded`` on the measures topic) among dead letters read, each
    with the data source it came from: its KPI's, or the one its ``source`` names; how many were new."""
    rows = [_row(letter) for letter in read if letter.original_topic == topics.MEASURES]
    kpis = store.kpis(uow, {row["kpi_code"] for row in rows if row["kpi_code"]})
    named = packs.source_owners(uow, sorted({row["source"] for row in rows if row["source"]}))
    for row in rows:
        kpi = kpis.get(row["kpi_code"] or "")
        row["data_source"] = (kpi.data_source or None) if kpi else (row["source"] if row["source"] in named else None)
    return packs.add_dead_letters(uow, rows, read_up_to)


def _row(letter: ReadDeadLetter) -> dict[str, Any]:
    data, event_id = _payload(letter.original_value)
    return {"dl_partition": letter.partition, "dl_offset": letter.offset, "reason": _clean(letter.reason, 2000),
            "category": _clean(letter.category, 50), "event_id": event_id,
            "dead_lettered_at": _moment(letter.dead_lettered_at),
            "kpi_code": _text(data.get("kpi_code")), "unit_code": _text(data.get("unit_code")),
            "period": _text(data.get("period")), "source": _text(data.get("source"))}


def _payload(value: str | None) -> tuple[dict[str, Any], str | None]:
    """The event's data and id, as far as the (possibly broken) message holds them."""
    try:
        envelope = json.loads(value or "")
    except ValueError:
        return {}, None
    if not isinstance(envelope, dict):
        return {}, None
    data = envelope.get("data")
    return (data if isinstance(data, dict) else {}), _text(envelope.get("id"))


def _text(value: Any) -> str | None:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return _clean(str(value), 200)
    return None


def _clean(text: str, limit: int) -> str:
    """At most ``limit`` characters Postgres can keep: a feed's message may hold NUL, or a lone
    surrogate (``"\\ud800"`` is valid JSON but no UTF-8), which becomes "?"."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:limit]


def _moment(text: str) -> datetime:
    """When it was dead-lettered; a record that does not say (an older one) is kept as read now."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return datetime.now(UTC)


# -- the chase before the board pack ---------------------------------------------------------------------

def chase(uow: UnitOfWork, today: date, rule: BoardPackRule) -> int:
    """Tell each person concerned, once per board pack, of the feeds missing for the month before a
    pack whose chase has begun, and of their data sources' dead-lettered rows; how many were told."""
    told = 0
    for pack in packs_to_chase(today, rule, lambda month: packs.overrides(uow, [month]).get(month)):
        missing = packs.missing_feeds(uow, pack.month)
        sources = sorted({feed.data_source for feed in missing} | _all_sources(uow))
        owners = packs.source_owners(uow, sources)
        dead = packs.unreported_dead_letters(uow, sorted(owners))
        reported: set[DeadLetteredRow] = set()
        for notice in notices(missing, dead, owners):
            if packs.first_notice(uow, pack.month, notice.recipient, len(notice.missing), len(notice.dead_lettered)):
                _announce(uow, pack, notice)
                reported.update(notice.dead_lettered)
                told += 1
        packs.mark_reported(uow, sorted(reported), pack.month)  # rows someone was told of; the rest wait
    return told


def _all_sources(uow: UnitOfWork) -> set[str]:
    return {row["name"] for row in uow.all("SELECT name FROM data_sources WHERE owners <> '{}'")}


def _announce(uow: UnitOfWork, pack: BoardPack, notice: Notice) -> None:
    uow.emit("board_pack.feeds_missing", {
        "month": str(pack.month), "board_pack_on": pack.due_on, "recipient": notice.recipient,
        "relations": sorted(notice.relations),
        "missing": [_missing(feed) for feed in notice.missing[:MAX_LISTED]], "missing_count": len(notice.missing),
        "dead_lettered": [_dead(row) for row in notice.dead_lettered[:MAX_LISTED]],
        "dead_lettered_count": len(notice.dead_lettered),
        "audience": [{"email": notice.recipient, "relation": sorted(notice.relations)[0]}],
        "title": f"Board pack for {pack.month}", "path": f"/kpis/board-packs/{pack.month}",
    }, topic=topics.KPIS, key=f"board-pack|{pack.month}|{notice.recipient.casefold()}")


def _missing(feed: MissingFeed) -> dict[str, Any]:
    return {"kpi_code": feed.kpi_code, "kpi_name": feed.kpi_name, "unit_code": feed.unit_code,
            "unit_name": feed.unit_name, "data_source": feed.data_source}


def _dead(row: DeadLetteredRow) -> dict[str, Any]:
    return {"kpi_code": row.kpi_code, "unit_code": row.unit_code, "period": row.period,
            "data_source": row.data_source, "reason": row.reason,
            "dead_lettered_at": datetime.fromisoformat(row.dead_lettered_at)}
