"""An email as an NHS inbox expects it: both parts, and the headers of an automatic email; where its
bounces go, and how the bounce mailbox is reached."""

from dataclasses import replace
from email import message_from_bytes, policy

import pytest

from services.notifications.adapters.pop3 import Pop3Settings
from services.notifications.adapters.smtp import Outgoing, SmtpSettings, build_message
from services.notifications.service_layer.unsubscribe import Tokens, Unsubscription

EMAIL = Outgoing("0d9a7e42-6b1c-4f38-a5e2-91c7b3d8f604", ["alice@trust.example"], "[WTGR] Subject", "Plain words.",
                 "<p>HTML words.</p>", "<0d9a7e42-6b1c-4f38-a5e2-91c7b3d8f604@trust.example>",
                 "https://wtgr.trust.example/unsubscribe/abc")


def sent(email=EMAIL):
    message = build_message(email, "WTGR <wtgr-noreply@trust.example>", "trust.example")
    return message_from_bytes(message.as_bytes(), policy=policy.default)


def test_an_email_has_a_plain_text_and_an_html_part():
    message = sent()
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().strip() == "Plain words."
    assert message.get_body(("html",)).get_content().strip() == "<p>HTML words.</p>"


def test_an_email_carries_the_headers_of_an_automatic_email_with_one_click_unsubscribe():
    message = sent()
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] == "<https://wtgr.trust.example/unsubscribe/abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Date"]


def test_a_long_unsubscribe_link_goes_out_as_written_never_as_encoded_words():
    url = "https://wtgr.trust.example/unsubscribe/" + "eyJwIjoiYWxlcnQtYWFlY2MzMGFAaG9zcGl0YWwuZXhhbXBsZSIsImsi" * 2
    raw = build_message(replace(EMAIL, unsubscribe_url=url), "WTGR <wtgr-noreply@trust.example>",
                        "trust.example").as_bytes()
    assert f"List-Unsubscribe: <{url}>\r\n".encode() in raw
    assert b"=?utf-8?" not in raw


def test_the_message_id_is_the_same_on_every_attempt():
    assert sent()["Message-ID"] == sent()["Message-ID"] == EMAIL.message_id


def test_messages_are_identified_under_the_senders_domain():
    assert SmtpSettings("relay", 587, "WTGR <wtgr-noreply@trust.example>").domain == "trust.example"


def test_an_unsubscribe_token_reads_back_and_a_forged_one_is_refused():
    tokens = Tokens("secret")
    token = tokens.make(Unsubscription("alice@trust.example", "kpi_update"))
    assert tokens.read(token) == Unsubscription("alice@trust.example", "kpi_update")
    forged = Tokens("another secret").make(Unsubscription("alice@trust.example", "kpi_alert"))
    try:
        tokens.read(forged)
    except Exception as refused:
        assert type(refused).__name__ == "NotFound"
    else:
        raise AssertionError("a token signed with another secret was accepted")


def test_with_a_bounce_address_each_email_goes_out_from_its_own_verp_address_and_without_one_from_the_sender(
        monkeypatch):
    monkeypatch.setenv("WTGR_BOUNCE_ADDRESS", "bounces@trust.example")
    settings = SmtpSettings.from_env("relay", 25, "WTGR <wtgr-noreply@trust.example>")
    assert settings.envelope_sender(EMAIL.email_id) == f"bounces+{EMAIL.email_id}@trust.example"
    assert sent()["From"] == "WTGR <wtgr-noreply@trust.example>"  # the header stays the sender
    monkeypatch.delenv("WTGR_BOUNCE_ADDRESS")
    assert SmtpSettings.from_env("relay", 25, "wtgr@trust.example").envelope_sender(EMAIL.email_id) is None


def test_a_bounce_address_that_is_not_an_address_is_refused_at_start(monkeypatch):
    monkeypatch.setenv("WTGR_BOUNCE_ADDRESS", "bounces")
    with pytest.raises(ValueError, match="WTGR_BOUNCE_ADDRESS"):
        SmtpSettings.from_env("relay", 25, "wtgr@trust.example")


def test_the_bounce_mailbox_is_read_over_pop3_with_tls_on_its_port_and_a_password_from_a_file(monkeypatch, tmp_path):
    monkeypatch.setenv("WTGR_BOUNCE_POP3_HOST", "mail.trust.example")
    monkeypatch.setenv("WTGR_BOUNCE_POP3_SECURITY", "tls")
    monkeypatch.delenv("WTGR_BOUNCE_POP3_PORT", raising=False)
    monkeypatch.delenv("WTGR_BOUNCE_POP3_PASSWORD", raising=False)
    (tmp_path / "secret").write_text("s3cret\n")
    monkeypatch.setenv("WTGR_BOUNCE_POP3_PASSWORD_FILE", str(tmp_path / "secret"))
    monkeypatch.setenv("WTGR_BOUNCE_POP3_USERNAME", "bounces")
    settings = Pop3Settings.from_env()
    assert settings == Pop3Settings("mail.trust.example", 995, "tls", "bounces", "s3cret", 10.0)
    monkeypatch.setenv("WTGR_BOUNCE_POP3_SECURITY", "starttls")
    assert Pop3Settings.from_env().port == 110
    monkeypatch.setenv("WTGR_BOUNCE_POP3_SECURITY", "ssl")
    with pytest.raises(ValueError, match="WTGR_BOUNCE_POP3_SECURITY"):
        Pop3Settings.from_env()
