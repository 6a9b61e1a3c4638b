"""Applies the metrics schema migrations."""

from services.metrics.bootstrap import MIGRATIONS, SERVICE
from shared.processes import migrate

if __name__ == "__main__":
    migrate(SERVICE, MIGRATIONS)
