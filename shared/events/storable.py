"""Text PostgreSQL cannot store: a NUL character, or a lone surrogate (not valid UTF-8).

JSON allows both (``"\\u0000"``, ``"\\ud800"``), so an event can carry them; no column can hold
them, so an event that does is bad input, refused when it is read, never retried.
"""

from __future__ import annotations

import re
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_text_at(value: Any, path: str = "data") -> str | None:
    """The path of the first string (or object key) in ``value`` that PostgreSQL cannot store, or None."""
    pending: list[tuple[str, Any]] = [(path, value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, str) and _UNSTORABLE.search(item):
            return where
        if isinstance(item, dict):
            for key, inner in item.items():
                inner_path = f"{where}.{ascii(key)[1:-1][:64]}"
                if isinstance(key, str) and _UNSTORABLE.search(key):
                    return inner_path
                pending.append((inner_path, inner))
        elif isinstance(item, list):
            pending.extend((f"{where}[{i}]", inner) for i, inner in enumerate(item))
    return None


UNSTORABLE_TEXT = "text PostgreSQL cannot store (a NUL character or a lone surrogate)"
