"""What of a KPI the caller may see: its owners' email addresses go to admins and the owners only."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.auth import Principal
from shared.web import current_principal


def may_see_owners(who: Principal, owners: Iterable[str]) -> bool:
    return "admin" in who.roles or (who.email is not None and who.email in owners)


def kpi_as_seen(kpi: dict[str, Any]) -> dict[str, Any]:
    """The KPI for the signed-in caller: without ``owners`` unless they are an admin or one of them."""
    if may_see_owners(current_principal(), kpi.get("owners") or ()):
        return kpi
    return {name: value for name, value in kpi.items() if name != "owners"}


def history_as_seen(owners: Iterable[str], changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A KPI's change history for the caller: the owners before and after each change are left
    out unless the caller is an admin or one of the KPI's current owners."""
    if may_see_owners(current_principal(), owners):
        return changes
    return [{**change, "before": _without_owners(change["before"]), "after": _without_owners(change["after"])}
            for change in changes]


def _without_owners(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {name: value for name, value in row.items() if name != "owners"}
