"""The admins' page of emails: refusals and bounces side by side, with the servers' words."""

from __future__ import annotations

from portal.tests.unit.test_stories_tools_audit import EMPTY_PAGE, app_with, signed_in

BOUNCED = {"id": "0d9a7e42-6b1c-4f38-a5e2-91c7b3d8f604", "created_at": "2026-12-02T10:00:00+00:00",
           "recipients": ["left.the.trust@nhs.example"], "subject": "[WTGR] Idea declined: Quieter nights",
           "status": "bounced", "refused": False, "smtp_code": None, "last_error": None, "attempts": 1,
           "bounced_at": "2026-12-02T10:05:00+00:00", "bounce_status": "5.1.1",
           "bounce_diagnostic": "550 5.1.1 <left.the.trust@nhs.example>: User unknown",
           "delayed_at": None, "delay_status": None, "delay_diagnostic": None}
REFUSED = {**BOUNCED, "id": "7b4a1f0e-2c3d-4e5f-8a9b-0c1d2e3f4a5b", "status": "failed", "refused": True,
           "smtp_code": 550, "last_error": "SMTPRecipientsRefused: 550 relay denied", "bounced_at": None,
           "bounce_status": None, "bounce_diagnostic": None}


def asked(services):
    return [call for call in services.calls if call[2] == "/api/v1/emails"][-1][3]


def test_the_emails_page_shows_refusals_by_default_and_bounces_when_asked_and_only_to_admins(settings):
    app, services = app_with(settings, {("GET", "/api/v1/emails"): {**EMPTY_PAGE, "items": [REFUSED], "total": 1}})
    assert signed_in(app, "staff").get("/admin/emails").status_code == 403
    page = signed_in(app, "admin").get("/admin/emails").get_data(as_text=True)
    assert "Refused" in page and "SMTPRecipientsRefused: 550 relay denied" in page
    assert asked(services)["status"] == "failed"

    app, services = app_with(settings, {("GET", "/api/v1/emails"): {**EMPTY_PAGE, "items": [BOUNCED], "total": 1}})
    page = signed_in(app, "admin").get("/admin/emails?status=bounced").get_data(as_text=True)
    assert "Bounced" in page and "5.1.1" in page and "User unknown" in page
    assert asked(services)["status"] == "bounced"
    signed_in(app, "admin").get("/admin/emails?status=")
    assert asked(services)["status"] is None  # all of them: the backend leaves the filter out
