"""The portal's safety defaults, checked on the app itself (Flask's test client; no server, no provider)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import session

from portal import formatting, mdc
from portal.app import UnsafeConfiguration, content_security_policy, create_app
from portal.auth import _local
from portal.settings import PortalSettings


@pytest.fixture
def settings(tmp_path) -> PortalSettings:
    return replace(PortalSettings.from_env(), environment="development", session_dir=str(tmp_path),
                   public_url="http://127.0.0.1:8000", oidc_issuer="http://127.0.0.1:8091")


@pytest.fixture
def app(settings):
    app = create_app(settings)

    @app.route("/probe")
    def probe() -> str:
        session["seen"] = True
        return "ok"

    from portal.auth import PUBLIC
    PUBLIC["probe"] = "a test's own page"
    yield app
    PUBLIC.pop("probe")


def test_the_policy_allows_no_inline_script_or_style(settings):
    policy = content_security_policy(settings)
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "form-action 'self' http://127.0.0.1:8091" in policy


def test_every_page_carries_the_policy_and_is_not_cached(app):
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == content_security_policy(app.extensions["portal_settings"])
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_page_needs_a_signed_in_person(app):
    response = app.test_client().get("/kpis/?unit=WARD-7")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/kpis/?unit%3DWARD-7"


def test_the_session_cookie_holds_only_an_id_and_is_httponly_and_lax(app):
    response = app.test_client().get("/probe")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("wtgr_portal_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development over http only
    assert "seen" not in cookie and len(cookie.split(";")[0]) < 80


def test_cookies_are_secure_unless_development_over_http(settings, tmp_path):
    https = replace(settings, public_url="https://wtgr.trust.example")
    app = create_app(https)
    app.add_url_rule("/probe", "probe", lambda: session.update(seen=True) or "ok")
    from portal.auth import PUBLIC
    PUBLIC["probe"] = "a test's own page"
    try:
        response = app.test_client().get("/probe", base_url="https://wtgr.trust.example")
    finally:
        PUBLIC.pop("probe")
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_form_posted_without_its_csrf_token_is_refused(app):
    response = app.test_client().post("/sign-out")
    assert response.status_code == 400
    assert b"The form had expired" in response.data


def test_text_is_escaped_in_pages(app):
    with app.test_request_context("/"):
        from flask import render_template
        html = render_template("sign_in_problem.html", reason="<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("target, expected", [
    ("/kpis/?unit=WARD-7", "/kpis/?unit=WARD-7"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    (None, "/"),
])
def test_after_sign_in_only_a_path_on_this_site_is_followed(target, expected):
    assert _local(target) == expected


def test_outside_development_the_portal_refuses_development_secrets(settings):
    with pytest.raises(UnsafeConfiguration, match="WTGR_PORTAL_SECRET_KEY.*WTGR_OIDC_CLIENT_SECRET.*https"):
        create_app(replace(settings, environment="production"))


def test_figures_read_as_people_write_them():
    assert formatting.number(4.914999999999999) == "4.91"
    assert formatting.number(1234.5) == "1,234.5"
    assert formatting.number(43.0) == "43"
    assert formatting.number(None) == "–"
    assert formatting.measure("rate_per_1000_bed_days") == "per 1,000 bed days"
    assert formatting.when("2027-01-15T09:30:00+00:00") == "Friday 15 January 2027, 09:30"
    assert formatting.when("2027-07-16T08:30:00+00:00") == "Friday 16 July 2027, 09:30"  # BST


def test_every_making_data_count_icon_has_words_and_a_distinct_drawing():
    icons = [*mdc.VARIATION.values(), *mdc.ASSURANCE.values()]
    assert all(icon.label for icon in icons)
    drawings = {(icon.colour, icon.letter, icon.trend) for icon in icons}
    assert len(drawings) == len(icons)


def test_only_special_causes_are_highlighted():
    assert mdc.is_special_cause("special_cause_concern")
    assert not mdc.is_special_cause("common_cause")
    assert not mdc.is_special_cause(None)


def test_signing_in_while_the_provider_does_not_answer_says_so(settings):
    import socket
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(replace(settings, oidc_issuer=f"http://127.0.0.1:{port}"))
    response = app.test_client().get("/sign-in")
    assert response.status_code == 503
    assert b"The sign-in service is not answering." in response.data
