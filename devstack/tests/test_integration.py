"""The servers devstack starts are real, reachable, and set up as the platform expects."""

from __future__ import annotations

import smtplib
import urllib.request
import uuid
from email.message import EmailMessage
from pathlib import Path

import psycopg
import pytest
from psycopg import errors, sql

from devstack.mail import Mailbox
from shared.platform import all_topics, service_names

pytestmark = pytest.mark.integration


def _url(env: dict[str, str], service: str) -> str:
    return env[f"{service.upper()}_DATABASE_URL"]


def test_each_service_role_owns_its_schema(stack_env: dict[str, str]) -> None:
    for service in service_names():
        with psycopg.connect(_url(stack_env, service)) as conn:
            row = conn.execute(
                "SELECT current_user, n.nspname, pg_get_userbyid(n.nspowner) "
                "FROM pg_namespace n WHERE n.nspname = current_user"
            ).fetchone()
            assert row == (service, service, service)


def test_a_service_role_cannot_read_another_services_tables(stack_env: dict[str, str]) -> None:
    table = f"isolation_probe_{uuid.uuid4().hex[:8]}"
    probe = sql.Identifier("metrics", table)
    with psycopg.connect(_url(stack_env, "metrics"), autocommit=True) as owner:
        owner.execute(sql.SQL("CREATE TABLE {} (id int)").format(probe))
        owner.execute(sql.SQL("INSERT INTO {} VALUES (1)").format(probe))
        try:
            with psycopg.connect(_url(stack_env, "ideas"), autocommit=True) as other:
                with pytest.raises(errors.InsufficientPrivilege):
                    other.execute(sql.SQL("SELECT * FROM {}").format(probe))
                with pytest.raises(errors.InsufficientPrivilege):
                    other.execute(sql.SQL("CREATE TABLE {} (id int)").format(
                        sql.Identifier("metrics", table + "_x")))
                with pytest.raises(errors.InsufficientPrivilege):
                    other.execute("CREATE TABLE public.shared_by_accident (id int)")
            assert owner.execute(sql.SQL("SELECT count(*) FROM {}").format(probe)).fetchone() == (1,)
        finally:
            owner.execute(sql.SQL("DROP TABLE {}").format(probe))


def test_service_roles_can_connect_only_to_the_platform_database(stack_env: dict[str, str]) -> None:
    elsewhere = _url(stack_env, "ideas").rsplit("/", 1)[0] + "/postgres"
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(elsewhere).close()


def test_a_wrong_password_is_refused(stack_env: dict[str, str]) -> None:
    url = _url(stack_env, "ideas").replace("ideas-local-dev", "not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(url).close()


def test_the_admin_role_is_a_superuser(stack_env: dict[str, str]) -> None:
    with psycopg.connect(stack_env["WTGR_PG_ADMIN_URL"]) as conn:
        row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
        assert row == (True,)


def test_the_mail_catcher_keeps_what_it_receives(stack_env: dict[str, str]) -> None:
    subject = f"devstack probe {uuid.uuid4()}"
    message = EmailMessage()
    message["From"] = "wtgr-platform@example.nhs.uk"
    message["To"] = "alice@example.nhs.uk"
    message["Subject"] = subject
    message.set_content("Your KPI shows special-cause variation.\n")
    message.add_alternative("<p>Your KPI shows <b>special-cause</b> variation.</p>", subtype="html")
    with smtplib.SMTP(stack_env["WTGR_SMTP_HOST"], int(stack_env["WTGR_SMTP_PORT"]), timeout=5) as s:
        s.send_message(message, to_addrs=["alice@example.nhs.uk", "bcc-bob@example.nhs.uk"])

    mailbox = Mailbox(stack_env["WTGR_MAIL_HTTP"])
    item = mailbox.wait_for("alice@example.nhs.uk", lambda m: m.subject == subject, timeout=5)
    assert [m.id for m in mailbox.messages() if m.subject == subject] == [item.id]
    assert item.sender == "wtgr-platform@example.nhs.uk"
    assert item.to == ("alice@example.nhs.uk", "bcc-bob@example.nhs.uk")
    assert item.body_text == "Your KPI shows special-cause variation.\n"
    assert item.body_html is not None and "<b>special-cause</b>" in item.body_html
    assert [m.id for m in mailbox.messages("bcc-bob@example.nhs.uk")].count(item.id) == 1
    assert item.id not in [m.id for m in mailbox.messages("bob@example.nhs.uk")], "an address is matched whole"
    assert f"Subject: {subject}" in mailbox.raw(item.id).decode()
    with urllib.request.urlopen(f"{stack_env['WTGR_MAIL_HTTP']}/", timeout=5) as resp:
        assert "Mailpit" in resp.read().decode(), "the web UI answers"


def test_every_catalogue_topic_exists_with_its_partitions(stack_env: dict[str, str]) -> None:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=stack_env["WTGR_KAFKA_BOOTSTRAP"])
    try:
        described = {t["name"]: t for t in admin.describe_topics(list(all_topics()))}
    finally:
        admin.close()
    for name, partitions in all_topics().items():
        assert name in described, name
        assert described[name]["error_code"] == 0, described[name]
        assert len(described[name]["partitions"]) == partitions, name


def test_the_dev_jwt_key_pair_matches(stack_env: dict[str, str]) -> None:
    import jwt

    private = Path(stack_env["WTGR_JWT_PRIVATE_KEY_FILE"]).read_text()
    public = Path(stack_env["WTGR_JWT_PUBLIC_KEY_FILE"]).read_text()
    token = jwt.encode({"sub": "alice"}, private, algorithm="RS256")
    assert jwt.decode(token, public, algorithms=["RS256"]) == {"sub": "alice"}
