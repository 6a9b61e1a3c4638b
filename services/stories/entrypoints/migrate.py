"""Applies the stories schema migrations."""

from services.stories.bootstrap import MIGRATIONS, SERVICE
from shared.processes import migrate

if __name__ == "__main__":
    migrate(SERVICE, MIGRATIONS)
