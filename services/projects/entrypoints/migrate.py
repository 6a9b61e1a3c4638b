"""Applies the projects schema migrations."""

from services.projects.bootstrap import MIGRATIONS, SERVICE
from shared.processes import migrate

if __name__ == "__main__":
    migrate(SERVICE, MIGRATIONS)
