"""The driver diagram as a tree, in plain Python: the aim (the project) -> primary drivers ->
secondary drivers -> change ideas.

A node's kind fixes its depth: a primary driver hangs from the aim, a secondary driver from a
primary driver, a change idea from a secondary driver. Moving a node moves its subtree and keeps
its kind, so the new parent must be of the kind above it. A node is deleted only when nothing hangs
from it and no PDSA cycle tests it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.errors import Conflict, InvalidInput

PRIMARY, SECONDARY, CHANGE_IDEA = "primary", "secondary", "change_idea"
KINDS = (PRIMARY, SECONDARY, CHANGE_IDEA)
PARENT_KIND: dict[str, str | None] = {PRIMARY: None, SECONDARY: PRIMARY, CHANGE_IDEA: SECONDARY}


class NodeRefused(InvalidInput):
    """The node, as given, cannot stand in the tree; ``field`` names the part that is wrong."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}", field=field, reason=reason)


class NodeInUse(Conflict):
    """The node has children or PDSA cycles, so deleting it would lose them."""


@dataclass
class Node:
    id: str
    kind: str
    title: str
    parent_id: str | None
    children: list[Node] = field(default_factory=list)


def check_parent(kind: str, parent: Mapping[str, Any] | None) -> None:
    """``parent`` is the node the new or moved node hangs from (None: the aim)."""
    wanted = PARENT_KIND[kind]
    found = parent["kind"] if parent is not None else None
    if found != wanted:
        where = f"a {wanted} driver" if wanted else "the aim (no parent_id)"
        raise NodeRefused("parent_id", f"a {kind.replace('_', ' ')} hangs from {where}")


def check_deletable(children: int, cycles: int) -> None:
    if children:
        raise NodeInUse("the node has nodes under it; delete or move them first")
    if cycles:
        raise NodeInUse("PDSA cycles test this change idea; it stays for their record")


def tree(rows: Iterable[Mapping[str, Any]]) -> list[Node]:
    """The primary drivers with everything under them, siblings in the order ``rows`` gives."""
    nodes = {str(row["id"]): Node(str(row["id"]), row["kind"], row["title"],
                                  str(row["parent_id"]) if row["parent_id"] else None) for row in rows}
    roots: list[Node] = []
    for node in nodes.values():
        (nodes[node.parent_id].children if node.parent_id else roots).append(node)
    return roots


def walk(roots: Iterable[Node]) -> Iterable[Node]:
    for node in roots:
        yield node
        yield from walk(node.children)
