"""What the portal's unit tests share: the app on development settings with a fake of the services
installed in place of the HTTP backend (no servers), and a test client signed in as someone."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.app import create_app
from portal.auth import User
from portal.backend import Backend, ServiceError
from portal.settings import PortalSettings


def portal_settings(tmp_path: Any, **changes: Any) -> PortalSettings:
    return replace(PortalSettings.from_env(), environment="development", session_dir=str(tmp_path),
                   public_url="http://127.0.0.1:8000", oidc_issuer="http://127.0.0.1:8091", **changes)


@pytest.fixture
def settings(tmp_path) -> PortalSettings:
    return portal_settings(tmp_path)


def app_on(settings: PortalSettings, services: Any) -> Flask:
    """The portal with ``services`` answering its calls (CSRF is tested in test_portal_app.py)."""
    app = create_app(settings)
    app.config["WTF_CSRF_ENABLED"] = False
    app.extensions["portal_backend"] = services
    return app


def signed_in(app: Flask, sub: str, *roles: str, name: str | None = None) -> FlaskClient:
    """A test client whose session is signed in as ``sub`` with ``roles``."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = {"sub": sub, "name": name or sub, "email": f"{sub}@hospital.example", "roles": list(roles)}
        session["access_token"] = "token"
        session["expires_at"] = time.time() + 600
    return client


@pytest.fixture
def client(settings, services):
    """``client(sub, *roles)``: a test client signed in, on the app with the module's ``services``."""
    app = app_on(settings, services)
    return lambda sub, *roles: signed_in(app, sub, *roles)


def who(sub: str, *roles: str) -> User:
    """A signed-in person as the views' permission checks see them."""
    return User(sub, sub, f"{sub}@hospital.example", frozenset(roles))


class Answer:
    """A service's HTTP answer as the backend reads it: its JSON, text, bytes and headers."""

    def __init__(self, document: Any = None, *, text: str = "", content: bytes = b"",
                 headers: dict[str, str] | None = None):
        self.document = document
        self.text = document if isinstance(document, str) else text
        self.content, self.headers = content, headers or {}

    def json(self) -> Any:
        return self.document


class RecordingBackend(Backend):
    """The real backend's get/post/patch/all_items over fixed answers: ``read`` answers a GET,
    ``written`` any other call; every write is kept in ``sent``, and ``refuse`` makes writes fail."""

    def __init__(self) -> None:
        super().__init__({})
        self.sent: list[tuple[str, str, Any, int | str | None]] = []
        self.refuse: ServiceError | None = None

    def call(self, method: str, service: str, path: str, *, params: dict[str, Any] | None = None,
             body: Any = None, if_match: int | str | None = None, headers: dict[str, str] | None = None,
             data: bytes | None = None) -> Any:
        if method == "GET":
            return self.read(path, params or {})
        self.sent.append((method, path, body, if_match))
        if self.refuse:
            raise self.refuse
        return self.written(path, body)

    def read(self, path: str, params: dict[str, Any]) -> Answer:
        raise NotImplementedError

    def written(self, path: str, body: Any) -> Answer:
        raise NotImplementedError
