"""The services' APIs, called server-side with the signed-in person's access token.

``ServiceError`` carries the service's status and problem document; the app turns 401 into signing
in again, 403 and 404 into those pages and a service that cannot be reached into a 503 page; views
catch 400, 409 and 422 to show the problem beside the form.
"""

from __future__ import annotations

from typing import Any

import requests
from flask import current_app

from portal.auth import access_token

TIMEOUT_SECONDS = 10


class ServiceError(Exception):
    def __init__(self, status: int, problem: dict[str, Any]):
        super().__init__(problem.get("detail") or problem.get("title") or f"HTTP {status}")
        self.status = status
        self.problem = problem

    @property
    def detail(self) -> str:
        return str(self)

    def field_errors(self) -> dict[str, str]:
        """The problem's field-level errors as field -> first message."""
        errors = self.problem.get("errors") or {}
        found = {}
        if isinstance(errors, dict):
            for name, messages in errors.items():
                found[name] = messages[0] if isinstance(messages, list) and messages else str(messages)
        return found


class ServiceUnavailable(Exception):
    """A service did not answer, or answered 5xx."""


class Backend:
    def __init__(self, urls: dict[str, str]):
        self.urls = urls
        self.http = requests.Session()

    def call(self, method: str, service: str, path: str, *, params: dict[str, Any] | None = None,
             body: Any = None, if_match: str | None = None) -> requests.Response:
        headers = {"Accept": "application/json"}
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        token = access_token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self.http.request(method, self.urls[service] + path, params=params, json=body,
                                         headers=headers, timeout=TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            current_app.logger.warning("%s %s %s failed: %s", method, service, path, exc)
            raise ServiceUnavailable(service) from None
        if response.status_code >= 500:
            raise ServiceUnavailable(service)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {}
            raise ServiceError(response.status_code, problem if isinstance(problem, dict) else {})
        return response

    def get(self, service: str, path: str, **params: Any) -> Any:
        return self.call("GET", service, path, params={k: v for k, v in params.items() if v is not None}).json()

    def post(self, service: str, path: str, body: Any, if_match: str | None = None) -> Any:
        """POST ``body``; ``if_match`` (a version the page showed) makes a change refused (412) when
        someone else changed the thing since."""
        return self.call("POST", service, path, body=body, if_match=if_match).json()

    def all_items(self, service: str, path: str, **params: Any) -> list[Any]:
        """Every item of a list, following its cursors (lists the portal shows are short)."""
        items: list[Any] = []
        cursor = None
        while True:
            page = self.get(service, path, page_size=200, cursor=cursor, **params)
            items += page["items"]
            cursor = page.get("next")
            if not cursor or len(items) >= 2000:
                return items


def backend() -> Backend:
    found: Backend = current_app.extensions["portal_backend"]
    return found
