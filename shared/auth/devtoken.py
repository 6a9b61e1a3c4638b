"""Print a development token: python -m shared.auth.devtoken --role kpi_owner --user alice

Uses the dev key pair named by WTGR_JWT_PRIVATE_KEY_FILE (made by ``make run``); never use in production.
"""

from __future__ import annotations

import argparse

from shared.auth.tokens import ROLES, TokenIssuer
from shared.config import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--role", action="append", choices=ROLES, required=True, help="repeat for more roles")
    parser.add_argument("--user", required=True)
    parser.add_argument("--email")
    parser.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds")
    args = parser.parse_args(argv)
    settings = Settings.from_env("devtoken")
    issuer = TokenIssuer.from_file(settings.jwt_private_key_file, settings.jwt_issuer, settings.jwt_audience)
    print(issuer.issue(args.user, args.role, email=args.email, ttl_seconds=args.ttl))


if __name__ == "__main__":
    main()
