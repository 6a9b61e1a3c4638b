"""Unsubscribe: the page an email's unsubscribe link opens (anyone may open it: the signed token in
the link is the authority), and the one-click POST mail clients send to it (RFC 8058)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from portal.backend import ServiceError, backend

blueprint = Blueprint("unsubscribe", __name__, url_prefix="/unsubscribe")


@blueprint.route("/<string(maxlength=600):token>", methods=["GET"])
def confirm(token: str) -> Any:
    """Says what the link stops and asks to confirm: a GET never unsubscribes (link scanners open links)."""
    try:
        found = backend().get("notifications", f"/api/v1/unsubscribe/{token}")
    except ServiceError as exc:
        return render_template("unsubscribe.html", found=None, detail=exc.detail), 404
    return render_template("unsubscribe.html", found=found, token=token)


@blueprint.route("/<string(maxlength=600):token>", methods=["POST"])
def one_click(token: str) -> Any:
    """Unsubscribes: the confirmation button, or a mail client's one-click POST
    (``List-Unsubscribe=One-Click``), which carries no CSRF token and needs none: the link is signed
    and only turns emails off."""
    try:
        done = backend().call("POST", "notifications", f"/api/v1/unsubscribe/{token}").json()
    except ServiceError as exc:
        return render_template("unsubscribe.html", found=None, detail=exc.detail), 404
    if request.form.get("List-Unsubscribe") == "One-Click":
        return {"unsubscribed": True, "what": done["what"]}
    return render_template("unsubscribe.html", found=done, token=token)
