"""One-click unsubscribe (RFC 8058): every email carries a signed token saying who it was sent to and
what it stops (a kind of notification, or a digest); the public endpoint that receives it turns
that off by email for that person. The token cannot be forged without the service's secret and
names nothing but an address and a kind."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadData, URLSafeSerializer

from services.notifications.domain.kinds import DIGESTS, KINDS
from shared.errors import NotFound

SALT = "wtgr.unsubscribe"


@dataclass(frozen=True)
class Unsubscription:
    person: str
    what: str  # a kind, or "digest:daily" / "digest:weekly"

    @property
    def words(self) -> str:
        """What it stops, for the email and the confirmation page."""
        if self.what.startswith("digest:"):
            return f"your {self.what.removeprefix('digest:')} digest emails"
        return f"emails about {KINDS[self.what].label[0].lower()}{KINDS[self.what].label[1:]}"


class Tokens:
    def __init__(self, secret: str):
        self.serializer = URLSafeSerializer(secret, salt=SALT)

    def make(self, unsubscription: Unsubscription) -> str:
        return str(self.serializer.dumps({"p": unsubscription.person, "k": unsubscription.what}))

    def read(self, token: str) -> Unsubscription:
        """The unsubscription a token stands for; NotFound for a token this service did not sign."""
        try:
            payload = self.serializer.loads(token)
        except BadData:
            raise NotFound("This unsubscribe link is not one we sent. Choose what you hear about on the "
                           "portal's preferences page instead.") from None
        what = payload.get("k") if isinstance(payload, dict) else None
        valid = what in KINDS or what in {f"digest:{digest}" for digest in DIGESTS}
        if not valid or not isinstance(payload.get("p"), str):
            raise NotFound("This unsubscribe link is not one we sent.")
        return Unsubscription(payload["p"], str(what))
