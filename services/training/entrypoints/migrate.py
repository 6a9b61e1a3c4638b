"""Applies the training schema migrations."""

from services.training.bootstrap import MIGRATIONS, SERVICE
from shared.processes import migrate

if __name__ == "__main__":
    migrate(SERVICE, MIGRATIONS)
