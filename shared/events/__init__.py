"""Event contracts: the CloudEvents envelope, versioned payload schemas and their registry."""

from shared.events.envelope import Envelope, EnvelopeError, new_event
from shared.events.registry import REGISTRY, EventRegistry, PayloadError

__all__ = ["Envelope", "EnvelopeError", "new_event", "REGISTRY", "EventRegistry", "PayloadError"]
