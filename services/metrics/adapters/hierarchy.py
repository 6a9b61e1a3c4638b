"""SQL for where units sit in the hierarchy, month by month (``unit_placements``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from services.metrics.adapters import locks
from services.metrics.adapters.rows import TreeUnit
from services.metrics.domain.placements import Placement
from shared.db import UnitOfWork

MAX_DEPTH = 20


def unit_tree(uow: UnitOfWork, codes: Iterable[str]) -> dict[str, TreeUnit]:
    """The units ``codes`` and every unit above them in any month, by code, each with its
    placements oldest first. Read once per transaction and unit; the first read shares the
    hierarchy lock (``locks``, step 1) so no unit moves under the transaction."""
    tree: dict[str, TreeUnit] = uow.memo(("unit_tree",), dict)
    missing = sorted(set(codes) - tree.keys())
    if not missing:
        return tree
    if not tree:  # the first read of the hierarchy in this transaction
        locks.share_the_hierarchy(uow)
    wanted = [code for code in _codes_up_from(uow, missing) if code not in tree]
    tree.update(_tree_units(uow.all(
        """SELECT u.code, u.name, u.parent_code, p.parent_code AS placed_under, p.effective_from, p.effective_to
             FROM units u LEFT JOIN unit_placements p ON p.unit_code = u.code
            WHERE u.code = ANY(%s) ORDER BY u.code, p.effective_from""",
        (wanted,),
    )))
    for code in tree:
        tree[code] = replace(tree[code], depth=_depth_now(tree, code))
    return tree


def _codes_up_from(uow: UnitOfWork, codes: list[str]) -> list[str]:
    """``codes`` and every unit above them in any month (by index, in one recursive query)."""
    rows = uow.all(
        """WITH RECURSIVE up(code) AS (
               SELECT code FROM units WHERE code = ANY(%s)
               UNION
               SELECT above.parent_code
                 FROM up, LATERAL (SELECT parent_code FROM unit_placements WHERE unit_code = up.code
                                   UNION SELECT parent_code FROM units WHERE code = up.code) AS above
                WHERE above.parent_code IS NOT NULL)
           SELECT code FROM up""",
        (codes,),
    )
    return [row["code"] for row in rows]


def _tree_units(rows: list[dict[str, Any]]) -> dict[str, TreeUnit]:
    """One ``TreeUnit`` per unit from its rows (one per placement, oldest first)."""
    placed: dict[str, list[Placement]] = {}
    first: dict[str, dict[str, Any]] = {}
    for row in rows:
        first.setdefault(row["code"], row)
        placements = placed.setdefault(row["code"], [])
        if row["effective_from"] is not None:
            placements.append(Placement(row["placed_under"], row["effective_from"], row["effective_to"]))
    return {code: TreeUnit(code, row["name"], row["parent_code"], tuple(placed[code])) for code, row in first.items()}


def _depth_now(tree: dict[str, TreeUnit], code: str) -> int:
    depth, parent = 0, tree[code].parent_code
    while parent is not None and parent in tree and depth < MAX_DEPTH:
        depth, parent = depth + 1, tree[parent].parent_code
    return depth


def placements_by_unit(uow: UnitOfWork) -> dict[str, list[Placement]]:
    """Every unit's placements, oldest first, by unit code."""
    placed: dict[str, list[Placement]] = {}
    for row in placements(uow):
        placed.setdefault(row["unit_code"], []).append(
            Placement(row["parent_code"], row["effective_from"], row["effective_to"]))
    return placed


def placements(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every unit's placements, oldest first (a unit's own are listed by listings.PLACEMENTS)."""
    return uow.all(
        """SELECT unit_code, parent_code, effective_from, effective_to FROM unit_placements
            ORDER BY unit_code, effective_from""")
