"""Dead letters: the record a consumer writes for a message it cannot handle, and the tools to
list, show and replay them (``python -m shared.deadletters --help``; docs/operations.md).

``record`` is the format and its size guarantee (no I/O); ``store`` reads records and originals
from Kafka and replays them.
"""

from shared.deadletters.record import MAX_RECORD_BYTES, DeadLetter, Origin, dead_letter_for

__all__ = ["MAX_RECORD_BYTES", "DeadLetter", "Origin", "dead_letter_for"]
