"""Admin: the KPI catalogue and the organisation's units (admins only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from portal.auth import requires_role
from portal.backend import backend

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.route("/")
@requires_role("admin")
def index() -> str:
    return render_template("admin/index.html")


@blueprint.route("/kpis")
@requires_role("admin")
def kpis() -> str:
    return render_template("admin/kpis.html", kpis=backend().all_items("metrics", "/api/v1/kpis"))


@blueprint.route("/units")
@requires_role("admin")
def units() -> str:
    units = backend().all_items("metrics", "/api/v1/units")
    return render_template("admin/units.html", tree=_tree(units))


def _tree(units: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """The units in hierarchy order, each with its depth (the trust at 0)."""
    children: dict[str | None, list[dict[str, Any]]] = {}
    for unit in units:
        children.setdefault(unit.get("parent_code"), []).append(unit)
    codes = {unit["code"] for unit in units}
    roots = [unit for unit in units if unit.get("parent_code") not in codes]
    ordered: list[tuple[int, dict[str, Any]]] = []

    def walk(unit: dict[str, Any], depth: int) -> None:
        ordered.append((depth, unit))
        for child in sorted(children.get(unit["code"], []), key=lambda u: u["code"]):
            walk(child, depth + 1)

    for root in sorted(roots, key=lambda u: u["code"]):
        walk(root, 0)
    return ordered
