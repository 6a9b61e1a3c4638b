"""Applies the notifications schema migrations."""

from services.notifications.bootstrap import MIGRATIONS, SERVICE
from shared.processes import migrate

if __name__ == "__main__":
    migrate(SERVICE, MIGRATIONS)
