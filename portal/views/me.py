"""Me: who the portal knows the signed-in person to be, and their roles."""

from __future__ import annotations

from flask import Blueprint, render_template

blueprint = Blueprint("me", __name__, url_prefix="/me")


@blueprint.route("/")
def index() -> str:
    return render_template("me.html")
