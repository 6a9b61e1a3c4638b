"""What the benchmarks share: the services' addresses, tokens, a catalogue to measure."""

from __future__ import annotations

import os
import statistics
import uuid
from collections.abc import Sequence

import requests

from shared.auth import TokenIssuer
from shared.config import Settings
from shared.month import Month


def service_url(service: str) -> str:
    return f"http://127.0.0.1:{os.environ[f'{service.upper()}_PORT']}"


def admin_headers() -> dict[str, str]:
    settings = Settings.from_env("bench")
    issuer = TokenIssuer.from_file(settings.jwt_private_key_file, settings.jwt_issuer, settings.jwt_audience)
    return {"Authorization": f"Bearer {issuer.issue('bench', ['admin'])}"}


def tag() -> str:
    return uuid.uuid4().hex[:6].upper()


def create(path: str, body: dict) -> None:
    response = requests.post(f"{service_url('metrics')}{path}", json=body, headers=admin_headers(), timeout=30)
    if response.status_code not in (201, 409):
        raise SystemExit(f"bench: POST {path} -> {response.status_code} {response.text}")


def percentile(samples: Sequence[float], q: float) -> float:
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def months(n: int, first_year: int = 2015) -> list[str]:
    return [str(Month(first_year, 1) + i) for i in range(n)]
