"""An email as an NHS inbox expects it: both parts, and the headers of an automatic email."""

from email import message_from_bytes, policy

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
