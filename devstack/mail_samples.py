"""Saves one email of each kind the platform sends, as the inbox received it (the whole source:
every header, the plain-text and the HTML part), from the mail catcher of a running stack, to look
at or attach to a review. Run it after the e2e tests that send them (tests/e2e/test_notification_hub.py,
test_improvement_cycle_emails.py, test_training_emails.py) or the demo data:

    set -a; . .local/test/env; set +a
    python -m devstack.mail_samples [FOLDER]        (default .local/mail-samples)

Writes FOLDER/<kind>.eml for each kind found (the newest of its kind) and says which kinds the
catcher holds none of (exit 1 then).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from devstack.config import REPO_ROOT
from devstack.mail import Mailbox

# kind -> Mailpit searches, the first that finds a message wins
KINDS: dict[str, tuple[str, ...]] = {
    "immediate": ('subject:"We received your idea"', 'subject:"Idea declined"', 'subject:"[WTGR] Idea"'),
    "digest": ('subject:"Your weekly digest"', 'subject:"Your daily digest"'),
    "alert": ('subject:"levels of the hierarchy"', 'subject:"[WTGR alert]"'),
    "training": ('subject:"Training booked"', 'subject:"Your certificate"', 'subject:"A place is yours"',
                 'subject:"[WTGR] Training"'),
}


def save_samples(mailbox: Mailbox, folder: Path) -> list[str]:
    """Save the newest email of each kind to ``folder``; the kinds none was found of."""
    folder.mkdir(parents=True, exist_ok=True)
    missing = []
    for kind, searches in KINDS.items():
        found = next((message_id for query in searches if (message_id := mailbox.newest_id(query))), None)
        if found is None:
            missing.append(kind)
            continue
        path = folder / f"{kind}.eml"
        path.write_bytes(mailbox.raw(found))
        print(f"{kind:<10} {path}")
    return missing


def main(argv: list[str]) -> int:
    if not os.environ.get("WTGR_MAIL_HTTP"):
        print("WTGR_MAIL_HTTP is not set: load the env file first (set -a; . .local/test/env; set +a)",
              file=sys.stderr)
        return 2
    folder = Path(argv[0]) if argv else REPO_ROOT / ".local" / "mail-samples"
    missing = save_samples(Mailbox(os.environ["WTGR_MAIL_HTTP"]), folder)
    if missing:
        print(f"no email of these kinds in the catcher: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
